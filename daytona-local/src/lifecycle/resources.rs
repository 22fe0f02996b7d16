//! A sandbox's resources as its container's limits: `cpu` as `--cpus`, `memory` as
//! `--memory` (swap adds nothing), `disk` as `--storage-opt size=` where the engine's storage
//! driver can enforce it, `gpu` as `--gpus`. What the engine cannot give is refused before
//! a container is made, with Daytona's words for a class no runner offers ("No available
//! runners"); a disk limit the driver cannot enforce is said in the sandbox's
//! `diskNotEnforced` and once in the server's log, never silently dropped.

use std::sync::Mutex;

use crate::docker::{self, Engine, SandboxContainer};

/// What the server has learnt of the engine (asked once, when the first sandbox is made).
#[derive(Debug, Default)]
pub(crate) struct Facts {
    engine: tokio::sync::Mutex<Option<Engine>>,
    /// Whether `--storage-opt size=` works: `None` until a container was made with it,
    /// `Some(Err(why))` when the engine refused it.
    disk: Mutex<Option<Result<(), String>>>,
}

impl Facts {
    /// The engine's CPUs, GPUs and storage driver.
    pub(crate) async fn engine(&self) -> Result<Engine, String> {
        let mut cached = self.engine.lock().await;
        if let Some(engine) = &*cached {
            return Ok(engine.clone());
        }
        let engine = docker::engine().await?;
        *cached = Some(engine.clone());
        Ok(engine)
    }

    fn disk(&self) -> Option<Result<(), String>> {
        self.disk.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    fn learn_disk(&self, result: Result<(), String>) {
        *self.disk.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(result);
    }

    /// Runs a sandbox's container with its limits. When the storage driver cannot limit a
    /// container's disk, runs it without that limit: the container's id, and then why the
    /// disk is not enforced.
    pub(crate) async fn run(
        &self,
        engine: &Engine,
        mut spec: SandboxContainer<'_>,
    ) -> Result<(String, Option<String>), String> {
        let unenforced = |why: &str| {
            format!(
                "disk {} GiB is not enforced: the Docker engine's storage driver ({}) cannot limit a \
                 container's disk (docker run --storage-opt size=: {why})",
                spec.disk_gib.unwrap_or_default(),
                engine.storage_driver
            )
        };
        if let Some(Err(why)) = self.disk() {
            let note = unenforced(&why);
            spec.disk_gib = None;
            return docker::run_sandbox(&spec).await.map(|id| (id, Some(note)));
        }
        match docker::run_sandbox(&spec).await {
            Ok(id) => {
                self.learn_disk(Ok(()));
                Ok((id, None))
            }
            Err(e) if spec.disk_gib.is_some() && e.contains("storage-opt") => {
                eprintln!(
                    "daytona-local: sandboxes' disk limits are not enforced on this engine: its storage driver \
                     ({}) refuses --storage-opt size= ({e})",
                    engine.storage_driver
                );
                self.learn_disk(Err(e.clone()));
                let note = unenforced(&e);
                spec.disk_gib = None;
                docker::run_sandbox(&spec).await.map(|id| (id, Some(note)))
            }
            Err(e) => Err(e),
        }
    }
}

/// Refuses what the engine cannot give a container: more CPUs than it has, GPUs without a
/// GPU runtime, a GPU type (it cannot choose one).
pub(crate) fn check(engine: &Engine, cpu: u32, gpu: u32, gpu_type: bool) -> Result<(), String> {
    if gpu > 0 && !engine.gpus {
        return Err(format!(
            "No available runners: the local Docker engine has no GPU runtime (nvidia), so a sandbox with gpu \
             {gpu} cannot run on it"
        ));
    }
    if gpu_type {
        return Err("No available runners: the local server cannot choose a GPU type (gpuType)".to_owned());
    }
    if engine.cpus > 0 && cpu > engine.cpus {
        return Err(format!(
            "No available runners: the local Docker engine has {} CPUs, so a sandbox with cpu {cpu} cannot run \
             on it",
            engine.cpus
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_engine_cannot_give_is_refused_with_daytonas_words() {
        let engine = Engine { cpus: 2, gpus: false, storage_driver: "overlay2".to_owned() };
        assert_eq!(check(&engine, 2, 0, false), Ok(()));
        let gpu = check(&engine, 1, 1, false).unwrap_err();
        assert!(gpu.starts_with("No available runners: the local Docker engine has no GPU runtime"), "{gpu}");
        let cpu = check(&engine, 4, 0, false).unwrap_err();
        assert!(cpu.contains("has 2 CPUs, so a sandbox with cpu 4 cannot run"), "{cpu}");
        let with_gpus = Engine { gpus: true, ..engine };
        assert_eq!(check(&with_gpus, 1, 1, false), Ok(()));
        assert!(check(&with_gpus, 1, 1, true).is_err());
    }
}
