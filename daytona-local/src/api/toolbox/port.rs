//! The toolbox's port operations: which TCP ports listen inside the sandbox, read from the
//! kernel's socket tables in the container's network namespace (`/proc/net/tcp`,
//! `/proc/net/tcp6`), so any listener counts, whoever started it.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::super::operations::Operations;
use super::super::{ApiError, ApiResult};
use super::capture::{Capture, capture};
use super::{Running, running};
use crate::Shared;

pub(super) fn implement(ops: &mut Operations) {
    ops.op("GetPorts", ports).op("IsPortInUse", in_use);
}

async fn ports(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> ApiResult<axum::Json<Value>> {
    let sandbox = running(&shared, &id)?;
    let ports: Vec<u16> = listening(&sandbox).await?.into_iter().collect();
    Ok(axum::Json(json!({ "ports": ports })))
}

async fn in_use(
    State(shared): State<Arc<Shared>>,
    Path((id, port)): Path<(String, String)>,
) -> ApiResult<axum::Json<Value>> {
    let port = parse_port(&port)?;
    let sandbox = running(&shared, &id)?;
    Ok(axum::Json(json!({ "isInUse": listening(&sandbox).await?.contains(&port) })))
}

/// A TCP port number, 1 to 65535.
pub(crate) fn parse_port(raw: &str) -> ApiResult<u16> {
    raw.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
        ApiError::bad_request(format!("Invalid port {raw:?}: a port is a number from 1 to 65535"))
    })
}

/// The TCP ports with a listening socket in the sandbox (IPv4 and IPv6).
pub(crate) async fn listening(sandbox: &Running) -> ApiResult<BTreeSet<u16>> {
    // `cat` of both tables; a kernel without IPv6 has no tcp6, which is not an error.
    let out = capture(
        sandbox,
        &["sh", "-c", "cat /proc/net/tcp; cat /proc/net/tcp6 2>/dev/null; exit 0"],
        &Capture::default(),
    )
    .await?;
    let table = out.stdout_text();
    if !table.contains("local_address") {
        return Err(ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "could not read the sandbox's socket table (/proc/net/tcp): {}",
                out.stderr_text().trim()
            ),
        ));
    }
    Ok(listening_ports(&table))
}

/// The local ports of the sockets in state `0A` (LISTEN) of `/proc/net/tcp`-format text.
fn listening_ports(table: &str) -> BTreeSet<u16> {
    table
        .lines()
        .filter_map(|line| {
            let mut cols = line.split_whitespace();
            let local = cols.nth(1)?;
            let state = cols.nth(1)?;
            if state != "0A" {
                return None;
            }
            let (_, port) = local.rsplit_once(':')?;
            u16::from_str_radix(port, 16).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listening_sockets_are_read_from_the_kernel_tables() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 0100007F:0016 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0BB8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 3 1 0 100 0 0 10 0
";
        assert_eq!(listening_ports(table).into_iter().collect::<Vec<_>>(), [3000, 8000]);
    }

    #[test]
    fn ports_are_numbers_from_1_to_65535() {
        assert_eq!(parse_port("8080").ok(), Some(8080));
        for bad in ["0", "65536", "-1", "http", ""] {
            assert!(parse_port(bad).is_err(), "{bad}");
        }
    }
}
