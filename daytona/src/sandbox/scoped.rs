//! Scoped cleanup: run a closure with a sandbox, then delete the sandbox whatever
//! happened (the closure's error, a panic in it, Ctrl-C). Rust has no async drop, so a
//! handle cannot delete its sandbox when it goes out of scope; this is the scope.

use std::future::Future;
use std::panic::{AssertUnwindSafe, resume_unwind};

use futures_util::FutureExt;

use crate::Error;
use crate::sandbox::Sandbox;

/// What [`Sandbox::scoped_with`] does with the sandbox once the closure is over.
///
/// ```
/// let keep = std::env::args().any(|a| a == "--keep");
/// let cleanup = if keep { pj_daytona::Cleanup::Keep } else { pj_daytona::Cleanup::Delete };
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cleanup {
    /// Delete it (the default).
    #[default]
    Delete,
    /// Leave it running, e.g. to look into it afterwards (pithy-jaunt's `--keep`).
    Keep,
}

/// How the closure ended.
enum Ended<T> {
    /// It returned, or panicked (the payload).
    Returned(std::thread::Result<T>),
    /// Ctrl-C arrived first.
    Interrupted,
}

impl Sandbox {
    /// Runs `work` with this sandbox, then deletes the sandbox whatever happened:
    ///
    /// - `work` succeeds: its value, or the delete's error if the delete fails;
    /// - `work` fails: its error (a delete failing then is written to standard error, so
    ///   that it does not hide the first one);
    /// - `work` panics: the sandbox is deleted, then the panic goes on;
    /// - Ctrl-C arrives (SIGINT): `work` is dropped where it was, the sandbox is deleted,
    ///   and the result is [`Error::Interrupted`]. While `scoped` runs, Ctrl-C no longer
    ///   ends the process by itself (tokio's handler is installed for good): a binary
    ///   that wants to exit on Ctrl-C returns the error, as `?` in `main` does.
    ///
    /// `work` gets its own handle (a clone), so it may change the sandbox's state or
    /// delete it itself (a sandbox already gone is not an error).
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
    /// use pj_daytona::{CreateSandbox, ExecuteRequest};
    /// let sandbox = client.sandboxes().create(&CreateSandbox::from_snapshot("app-v1.0.0")).await?;
    /// let output = sandbox
    ///     .scoped(|sandbox| async move {
    ///         let out = sandbox.process().exec(&ExecuteRequest::new("make test")).await?;
    ///         Ok::<_, pj_daytona::Error>(out.result)
    ///     })
    ///     .await?; // the sandbox is deleted here, also on error, panic or Ctrl-C
    /// println!("{output}");
    /// # Ok(()) }
    /// ```
    pub async fn scoped<T, E, F, Fut>(self, work: F) -> Result<T, E>
    where
        F: FnOnce(Sandbox) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        self.scoped_with(Cleanup::Delete, work).await
    }

    /// [`scoped`](Self::scoped), deleting the sandbox or keeping it as `cleanup` says.
    /// With [`Cleanup::Keep`] a panic still goes on and Ctrl-C still stops `work`, but the
    /// sandbox is left as it is.
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client, keep: bool) -> Result<(), pj_daytona::Error> {
    /// use pj_daytona::{Cleanup, CreateSandbox};
    /// let sandbox = client.sandboxes().create(&CreateSandbox::from_snapshot("app-v1.0.0")).await?;
    /// let cleanup = if keep { Cleanup::Keep } else { Cleanup::Delete };
    /// sandbox
    ///     .scoped_with(cleanup, |sandbox| async move {
    ///         sandbox.fs().upload_bytes(b"hello".to_vec(), "/tmp/task.txt").await?;
    ///         Ok::<_, pj_daytona::Error>(())
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn scoped_with<T, E, F, Fut>(self, cleanup: Cleanup, work: F) -> Result<T, E>
    where
        F: FnOnce(Sandbox) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        // Polled first (`biased`), so the handler is in place before `work` runs; if no
        // handler can be installed, Ctrl-C keeps its default (ending the process).
        let interrupt = async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        let work = AssertUnwindSafe(work(self.clone())).catch_unwind();
        let ended = tokio::select! {
            biased;
            () = interrupt => Ended::Interrupted,
            result = work => Ended::Returned(result),
        };
        let deleted = match cleanup {
            Cleanup::Delete => self.delete_once_over().await,
            Cleanup::Keep => Ok(false),
        };
        match ended {
            Ended::Returned(Ok(Ok(value))) => deleted.map(|_| value).map_err(E::from),
            Ended::Returned(Ok(Err(error))) => {
                self.report(deleted.err(), "after an error");
                Err(error)
            }
            Ended::Returned(Err(panic)) => {
                self.report(deleted.err(), "after a panic");
                resume_unwind(panic)
            }
            Ended::Interrupted => {
                let sandbox = self.id().to_owned();
                let deleted = match deleted {
                    Ok(deleted) => deleted,
                    Err(e) => {
                        self.report(Some(e), "after Ctrl-C");
                        false
                    }
                };
                Err(E::from(Error::Interrupted { sandbox, deleted }))
            }
        }
    }

    /// Deletes the sandbox; one already gone counts as deleted.
    async fn delete_once_over(&self) -> Result<bool, Error> {
        match self.delete().await {
            Ok(()) => Ok(true),
            Err(e) if e.is_not_found() => Ok(true),
            Err(e) => Err(e),
        }
    }

    /// Writes a delete's failure to standard error: the caller gets the first error (or
    /// the panic), which this one must not hide, and must still learn that a sandbox is
    /// left behind.
    fn report(&self, failure: Option<Error>, when: &str) {
        if let Some(e) = failure {
            eprintln!("warning: sandbox {} was not deleted {when}: {e}", self.id());
        }
    }
}
