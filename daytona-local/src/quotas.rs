//! The organization's quotas, enforced as Daytona enforces them: per-sandbox resource
//! limits and a snapshot count when a snapshot is created or activated, per-sandbox
//! limits and organization totals when a sandbox is created. Each refusal is a 400 with
//! Daytona's own words, so a definition the real service would refuse is refused here
//! first, before anything is built.

use pj_daytona::SnapshotState;

/// The limits of the local server's organization. The defaults are those Daytona gives
/// a new organization (4 CPUs, 8 GB of memory and 10 GB of disk per sandbox; 10 CPUs,
/// 10 GB and 30 GB for all sandboxes together; 100 snapshots).
///
/// Fields can be set one by one, to try what happens at a limit:
///
/// ```
/// use pj_daytona_local::{Quotas, ServerConfig};
/// let mut quotas = Quotas::default();
/// quotas.snapshots = 2;
/// let config = ServerConfig::new("state").quotas(quotas);
/// assert_eq!(config.quotas.snapshots, 2);
/// assert_eq!(config.quotas.cpu_per_sandbox, 4);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Quotas {
    /// The most snapshots in use at once (`inactive`, `error`, `build_failed` and
    /// `removing` ones are not counted, as in Daytona).
    pub snapshots: u32,
    /// The most CPUs a snapshot or sandbox may ask for.
    pub cpu_per_sandbox: u32,
    /// The most memory (GB) a snapshot or sandbox may ask for.
    pub memory_per_sandbox: u32,
    /// The most disk (GB) a snapshot or sandbox may ask for.
    pub disk_per_sandbox: u32,
    /// The CPUs of all running sandboxes together.
    pub total_cpu: u32,
    /// The memory (GB) of all running sandboxes together.
    pub total_memory: u32,
    /// The disk (GB) of all sandboxes together.
    pub total_disk: u32,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            snapshots: 100,
            cpu_per_sandbox: 4,
            memory_per_sandbox: 8,
            disk_per_sandbox: 10,
            total_cpu: 10,
            total_memory: 10,
            total_disk: 30,
        }
    }
}

impl Quotas {
    /// The names [`Quotas::set`] takes, each with its field.
    pub const NAMES: &'static [&'static str] = &[
        "snapshots",
        "cpu-per-sandbox",
        "memory-per-sandbox",
        "disk-per-sandbox",
        "total-cpu",
        "total-memory",
        "total-disk",
    ];

    /// Sets one limit from `NAME=N` (a command-line `--quota`), with one of
    /// [`Quotas::NAMES`].
    ///
    /// ```
    /// let mut quotas = pj_daytona_local::Quotas::default();
    /// quotas.set("total-memory=32").unwrap();
    /// assert_eq!(quotas.total_memory, 32);
    /// assert!(quotas.set("gpus=2").unwrap_err().contains("snapshots, cpu-per-sandbox"));
    /// ```
    pub fn set(&mut self, spec: &str) -> Result<(), String> {
        let names = Self::NAMES.join(", ");
        let Some((name, value)) = spec.split_once('=') else {
            return Err(format!("a quota is NAME=N, with NAME one of {names}: {spec:?}"));
        };
        let value: u32 = value
            .trim()
            .parse()
            .map_err(|e| format!("quota {name}: {value:?} is not a whole number ({e})"))?;
        let field = match name.trim() {
            "snapshots" => &mut self.snapshots,
            "cpu-per-sandbox" => &mut self.cpu_per_sandbox,
            "memory-per-sandbox" => &mut self.memory_per_sandbox,
            "disk-per-sandbox" => &mut self.disk_per_sandbox,
            "total-cpu" => &mut self.total_cpu,
            "total-memory" => &mut self.total_memory,
            "total-disk" => &mut self.total_disk,
            other => return Err(format!("unknown quota {other:?}; the quotas are {names}")),
        };
        *field = value;
        Ok(())
    }
}

/// What a snapshot or sandbox asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Request {
    pub(crate) cpu: u32,
    pub(crate) memory: u32,
    pub(crate) disk: u32,
}

impl Request {
    /// Both together (saturating: a sum past `u32::MAX` is over any limit anyway).
    pub(crate) fn plus(self, other: Request) -> Request {
        Request {
            cpu: self.cpu.saturating_add(other.cpu),
            memory: self.memory.saturating_add(other.memory),
            disk: self.disk.saturating_add(other.disk),
        }
    }
}

/// What the advice after every refusal says: the limits are the organization's.
const RAISE: &str = "Daytona's organizations have these limits (the local server uses the defaults of a \
                     new one); ask Daytona to raise yours, or start the local server with a higher \
                     --quota NAME=N";

impl Quotas {
    /// Daytona's per-sandbox check: each resource at most its limit.
    pub(crate) fn per_sandbox(&self, asked: Request) -> Result<(), String> {
        if asked.cpu > self.cpu_per_sandbox {
            return Err(format!(
                "CPU request {} exceeds maximum allowed per sandbox ({}).\n{RAISE}",
                asked.cpu, self.cpu_per_sandbox
            ));
        }
        if asked.memory > self.memory_per_sandbox {
            return Err(format!(
                "Memory request {}GB exceeds maximum allowed per sandbox ({}GB).\n{RAISE}",
                asked.memory, self.memory_per_sandbox
            ));
        }
        if asked.disk > self.disk_per_sandbox {
            return Err(format!(
                "Disk request {}GB exceeds maximum allowed per sandbox ({}GB).\n{RAISE}",
                asked.disk, self.disk_per_sandbox
            ));
        }
        Ok(())
    }

    /// Whether one more snapshot fits next to those in `states`.
    pub(crate) fn one_more_snapshot<'a>(
        &self,
        states: impl IntoIterator<Item = &'a SnapshotState>,
    ) -> Result<(), String> {
        let in_use = states.into_iter().filter(|s| counts_towards_quota(s)).count();
        if in_use >= self.snapshots as usize {
            return Err(format!("Snapshot quota exceeded. Maximum allowed: {}", self.snapshots));
        }
        Ok(())
    }

    /// Whether a sandbox asking for `asked` fits next to the sandboxes using `used`.
    pub(crate) fn one_more_sandbox(&self, used: Request, asked: Request) -> Result<(), String> {
        self.per_sandbox(asked)?;
        if used.cpu.saturating_add(asked.cpu) > self.total_cpu {
            return Err(format!("Total CPU limit exceeded. Maximum allowed: {}.\n{RAISE}", self.total_cpu));
        }
        if used.memory.saturating_add(asked.memory) > self.total_memory {
            return Err(format!(
                "Total memory limit exceeded. Maximum allowed: {}GiB.\n{RAISE}",
                self.total_memory
            ));
        }
        if used.disk.saturating_add(asked.disk) > self.total_disk {
            return Err(format!(
                "Total disk limit exceeded. Maximum allowed: {}GiB.\n{RAISE}",
                self.total_disk
            ));
        }
        Ok(())
    }
}

/// Daytona leaves snapshots that hold no image out of the count.
fn counts_towards_quota(state: &SnapshotState) -> bool {
    !matches!(
        state,
        SnapshotState::Error | SnapshotState::BuildFailed | SnapshotState::Inactive | SnapshotState::Removing
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(cpu: u32, memory: u32, disk: u32) -> Request {
        Request { cpu, memory, disk }
    }

    #[test]
    fn each_per_sandbox_limit_is_inclusive_and_named() {
        let q = Quotas::default();
        assert_eq!(q.per_sandbox(asked(4, 8, 10)), Ok(()));
        let cpu = q.per_sandbox(asked(5, 1, 1)).unwrap_err();
        assert!(cpu.starts_with("CPU request 5 exceeds maximum allowed per sandbox (4)."), "{cpu}");
        let mem = q.per_sandbox(asked(1, 9, 1)).unwrap_err();
        assert!(mem.starts_with("Memory request 9GB exceeds maximum allowed per sandbox (8GB)."), "{mem}");
        let disk = q.per_sandbox(asked(1, 1, 11)).unwrap_err();
        assert!(disk.starts_with("Disk request 11GB exceeds maximum allowed per sandbox (10GB)."), "{disk}");
    }

    #[test]
    fn only_snapshots_holding_an_image_count() {
        let q = Quotas { snapshots: 2, ..Quotas::default() };
        use SnapshotState::*;
        assert_eq!(q.one_more_snapshot(&[Active, Error, BuildFailed, Inactive, Removing]), Ok(()));
        let full = q.one_more_snapshot(&[Active, Building]).unwrap_err();
        assert_eq!(full, "Snapshot quota exceeded. Maximum allowed: 2");
    }

    #[test]
    fn totals_add_what_runs_to_what_is_asked() {
        let q = Quotas::default();
        assert_eq!(q.one_more_sandbox(asked(6, 6, 20), asked(4, 4, 10)), Ok(()));
        let cpu = q.one_more_sandbox(asked(7, 1, 1), asked(4, 1, 1)).unwrap_err();
        assert!(cpu.starts_with("Total CPU limit exceeded. Maximum allowed: 10.\n"), "{cpu}");
        let mem = q.one_more_sandbox(asked(1, 8, 1), asked(1, 4, 1)).unwrap_err();
        assert!(mem.starts_with("Total memory limit exceeded. Maximum allowed: 10GiB.\n"), "{mem}");
        let disk = q.one_more_sandbox(asked(1, 1, 24), asked(1, 1, 8)).unwrap_err();
        assert!(disk.starts_with("Total disk limit exceeded. Maximum allowed: 30GiB.\n"), "{disk}");
        assert!(q.one_more_sandbox(Request::default(), asked(5, 1, 1)).is_err(), "per sandbox first");
    }

    #[test]
    fn quotas_set_by_name_and_refused_with_the_names() {
        let mut q = Quotas::default();
        for (at, name) in Quotas::NAMES.iter().enumerate() {
            q.set(&format!("{name}={}", 1000 + at)).expect("a known name");
        }
        assert_eq!(
            [
                q.snapshots,
                q.cpu_per_sandbox,
                q.memory_per_sandbox,
                q.disk_per_sandbox,
                q.total_cpu,
                q.total_memory,
                q.total_disk
            ],
            [1000, 1001, 1002, 1003, 1004, 1005, 1006]
        );
        assert!(q.set("snapshots").unwrap_err().starts_with("a quota is NAME=N"));
        assert!(q.set("snapshots=-1").unwrap_err().contains("is not a whole number"));
        assert!(q.set("cpu=2").unwrap_err().starts_with("unknown quota \"cpu\""));
        assert!(q.one_more_sandbox(asked(u32::MAX, 0, 0), asked(0, 0, 0)).is_err());
    }
}
