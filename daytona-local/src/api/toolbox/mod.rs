//! The sandbox toolbox (`toolbox.json`), served at `{toolboxProxyUrl}/{sandboxId}/...`:
//! each call runs in the sandbox's container, as the sandbox's user.
//!
//! One module per tag of the specification: [`process`] (execute and code-run through
//! [`once`], sessions through `sessions` and [`session`], the entrypoint, command logs,
//! and the shell scripts all of them run in [`shell`]), and beside it the file system,
//! git, info and ports. [`running`] is how every handler finds
//! the container it works in.

use super::operations::Operations;
use super::sandboxes::find_sandbox;
use super::{ApiError, ApiResult};
use crate::Shared;

pub(super) mod capture;
mod command_log;
mod entrypoint;
mod fs;
mod git;
mod info;
mod once;
mod port;
pub(super) mod process;
pub(crate) mod session;
mod sessions;
mod shell;

pub(super) use port::parse_port;

/// The toolbox operations the server implements.
pub(super) fn implement(ops: &mut Operations) {
    process::implement(ops);
    git::implement(ops);
    info::implement(ops);
    port::implement(ops);
    fs::implement(ops);
}

/// A started sandbox's container, and the user toolbox calls run as.
#[derive(Debug, Clone)]
pub(crate) struct Running {
    /// The Docker container.
    pub(crate) container: String,
    /// The sandbox's `user` (`docker exec --user`).
    pub(crate) user: String,
}

/// The container of sandbox `id` (an id or a name), refused unless it is started.
pub(crate) fn running(shared: &Shared, id: &str) -> ApiResult<Running> {
    let record = find_sandbox(shared, id)?;
    match (&record.container, record.state.as_str()) {
        (Some(container), "started") => {
            Ok(Running { container: container.clone(), user: record.user.clone() })
        }
        _ => Err(ApiError::bad_request(format!("Sandbox {id} is not started (state: {})", record.state))),
    }
}
