//! Daytona's operations, as the server routes them.
//!
//! `operations.tsv` (at the crate's root, made from Daytona's API and toolbox specifications
//! by `scripts/daytona-operations.py`) lists every operation. The router registers each of
//! them once: an implemented one with its handler, every other one with an answer `501`
//! naming it, so no operation of the specification is ever a 404 and no route exists that
//! the list does not name. A response carries the [`OperationId`] it was answered by, for the
//! request log and the coverage page.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};

use super::ApiError;
use crate::Shared;

/// Which specification an operation is from.
///
/// ```
/// assert_eq!(pj_daytona_local::Spec::Toolbox.prefix(), "/toolbox/{sandboxId}");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Spec {
    /// Daytona's API (`api.json`), served under `/api`.
    Api,
    /// The sandbox toolbox (`toolbox.json`), served under `/toolbox/{sandboxId}`, as the
    /// sandboxes' `toolboxProxyUrl` says.
    Toolbox,
}

impl Spec {
    /// What the server puts before the specification's path.
    ///
    /// ```
    /// assert_eq!(pj_daytona_local::Spec::Api.prefix(), "/api");
    /// ```
    pub fn prefix(self) -> &'static str {
        match self {
            Spec::Api => "/api",
            Spec::Toolbox => "/toolbox/{sandboxId}",
        }
    }
}

/// One operation of Daytona's specifications.
///
/// ```
/// let op = pj_daytona_local::operations().iter().find(|o| o.id == "getSandbox").unwrap();
/// assert_eq!((op.method, op.path), ("GET", "/sandbox/{sandboxIdOrName}"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Operation {
    /// `api` or `toolbox`.
    pub spec: Spec,
    /// The first tag (`sandbox`, `snapshots`, `file-system`, ...).
    pub tag: &'static str,
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path as the specification writes it (without the server's prefix).
    pub path: &'static str,
    /// The `operationId`.
    pub id: &'static str,
}

impl Operation {
    /// The path the local server serves it at, with Daytona's parameter names.
    ///
    /// ```
    /// let op = pj_daytona_local::operations().iter().find(|o| o.id == "ExecuteCommand").unwrap();
    /// assert_eq!(op.served_path(), "/toolbox/{sandboxId}/process/execute");
    /// ```
    pub fn served_path(&self) -> String {
        format!("{}{}", self.spec.prefix(), self.path)
    }

    /// The path for the router: parameters named by position (`{p0}`, `{p1}`, ...), since
    /// the router refuses two names for one segment and Daytona's paths use several
    /// (`{sandboxId}`, `{sandboxIdOrName}`). Handlers take parameters by position.
    fn router_path(&self) -> String {
        let mut out = String::new();
        let mut index = 0;
        let mut rest = self.served_path();
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else { break };
            out.push_str(&rest[..open]);
            out.push_str(&format!("{{p{index}}}"));
            index += 1;
            rest = rest[open + close + 1..].to_owned();
        }
        out.push_str(&rest);
        out
    }
}

/// The specifications' versions and source, as `operations.tsv`'s header says.
const TABLE: &str = include_str!("../../operations.tsv");

/// Every operation of Daytona's API and toolbox specifications, in the specifications'
/// order.
///
/// ```
/// let ops = pj_daytona_local::operations();
/// assert!(ops.iter().any(|o| o.id == "CreateSession" && o.tag == "process"));
/// ```
pub fn operations() -> &'static [Operation] {
    static OPERATIONS: LazyLock<Vec<Operation>> = LazyLock::new(|| {
        TABLE
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .filter_map(|line| {
                let mut cols = line.split('\t');
                let spec = match cols.next()? {
                    "api" => Spec::Api,
                    "toolbox" => Spec::Toolbox,
                    _ => return None,
                };
                Some(Operation {
                    spec,
                    tag: cols.next()?,
                    method: cols.next()?,
                    path: cols.next()?,
                    id: cols.next()?,
                })
            })
            .collect()
    });
    &OPERATIONS
}

/// The header lines of the operation list (specification versions and source).
///
/// ```
/// assert!(pj_daytona_local::operations_source().contains("toolbox.json"));
/// ```
pub fn operations_source() -> String {
    TABLE
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(|l| l.trim_start_matches("# "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The operation a response was given by (a response extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OperationId(pub(crate) &'static str);

/// The operations the server implements, with their handlers; everything else in the list
/// answers 501.
pub(crate) struct Operations {
    handlers: BTreeMap<&'static str, MethodRouter<Arc<Shared>>>,
}

impl Operations {
    pub(crate) fn new() -> Self {
        Operations { handlers: BTreeMap::new() }
    }

    /// Implements operation `id` with `handler`, on the method and path the specification
    /// gives it.
    ///
    /// # Panics
    /// When `id` is not in the list or is implemented twice: a programming error that every
    /// test starting a server shows at once.
    pub(crate) fn op<H, T>(&mut self, id: &'static str, handler: H) -> &mut Self
    where
        H: Handler<T, Arc<Shared>>,
        T: 'static,
    {
        let Some(operation) = operations().iter().find(|o| o.id == id) else {
            panic!("the local server implements {id}, which is not in operations.tsv");
        };
        let filter = method_filter(operation.method);
        if self.handlers.insert(operation.id, on(filter, handler)).is_some() {
            panic!("the local server implements {id} twice");
        }
        self
    }

    /// The router: every operation of the list, on its path; any other method on the path
    /// is the API's 404 fallback.
    pub(crate) fn router(mut self) -> Router<Arc<Shared>> {
        let mut paths: BTreeMap<String, MethodRouter<Arc<Shared>>> = BTreeMap::new();
        for operation in operations() {
            let id = operation.id;
            let handler = match self.handlers.remove(id) {
                Some(handler) => handler,
                None => on(method_filter(operation.method), move || async move { not_implemented(id) }),
            };
            let handler =
                handler.layer(axum::middleware::map_response(move |mut response: Response| async move {
                    response.extensions_mut().insert(OperationId(id));
                    response
                }));
            let path = operation.router_path();
            let merged = match paths.remove(&path) {
                Some(existing) => existing.merge(handler),
                None => handler,
            };
            paths.insert(path, merged);
        }
        // A method the list does not give a path is no operation: Daytona's API answers it
        // like an unknown path (404 `Cannot POST ...`), not 405, and no operation is named.
        paths.into_iter().fold(Router::new(), |router, (path, handler)| {
            router.route(&path, handler.fallback(super::not_found))
        })
    }
}

/// The ids of the operations the server implements (the rest answer 501).
///
/// ```
/// assert!(pj_daytona_local::implemented_operations().contains(&"createSnapshot"));
/// ```
pub fn implemented_operations() -> Vec<&'static str> {
    let mut ops = Operations::new();
    super::implement(&mut ops);
    ops.handlers.keys().copied().collect()
}

fn method_filter(method: &str) -> MethodFilter {
    match method {
        "GET" => MethodFilter::GET,
        "POST" => MethodFilter::POST,
        "PUT" => MethodFilter::PUT,
        "DELETE" => MethodFilter::DELETE,
        "PATCH" => MethodFilter::PATCH,
        "HEAD" => MethodFilter::HEAD,
        _ => MethodFilter::OPTIONS,
    }
}

/// Daytona's error body, 501, naming the operation.
fn not_implemented(id: &str) -> Response {
    ApiError(StatusCode::NOT_IMPLEMENTED, format!("the local Daytona server does not implement {id}"))
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_holds_both_specifications_whole() {
        let ops = operations();
        assert_eq!(ops.iter().filter(|o| o.spec == Spec::Api).count(), 196);
        assert_eq!(ops.iter().filter(|o| o.spec == Spec::Toolbox).count(), 103);
        let mut ids: Vec<_> = ops.iter().map(|o| o.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), ops.len(), "operation ids are unique");
    }

    #[test]
    fn parameters_are_named_by_position_for_the_router() {
        let op = Operation {
            spec: Spec::Api,
            tag: "sandbox",
            method: "GET",
            path: "/sandbox/{sandboxIdOrName}/ports/{port}/preview-url",
            id: "getPortPreviewUrl",
        };
        assert_eq!(op.router_path(), "/api/sandbox/{p0}/ports/{p1}/preview-url");
        let op = Operation {
            spec: Spec::Toolbox,
            tag: "process",
            method: "GET",
            path: "/process/session",
            id: "x",
        };
        assert_eq!(op.router_path(), "/toolbox/{p0}/process/session");
    }

    #[test]
    fn every_implemented_operation_is_in_the_list() {
        // `implement` panics on an unknown id or a second implementation.
        assert!(!implemented_operations().is_empty());
    }
}
