//! Every operation of Daytona's specifications (`daytona-local/operations.tsv`) is
//! routed, and nothing else is: each one, requested on its method and path (dummy
//! parameters, no body), is answered by its own operation (the server's request log
//! names the `operationId` that answered), never by the 404 fallback; each one the server
//! does not implement answers 501 with Daytona's error body naming it; a path or method
//! outside the list gets the 404 fallback, `Cannot <METHOD> <path>`, as Daytona's API
//! answers it. The router is built from the list alone (`api/operations.rs`), which the
//! last test holds the source to.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use pj_daytona_local::{BuildMode, LocalDaytona, Operation, implemented_operations, operations};
use serde_json::Value;

/// A value for a path parameter, by its name: numbers where the API has numbers, else a
/// word that is no static segment of any path.
fn dummy(name: &str) -> &'static str {
    match name {
        "port" => "3000",
        "interval" | "ttlMinutes" => "10",
        "isPublic" => "true",
        _ => "x-dummy",
    }
}

/// The served path of `op` with dummy parameters.
fn concrete(op: &Operation) -> String {
    let mut out = String::new();
    let mut rest = op.served_path();
    while let Some(open) = rest.find('{') {
        let close = open + rest[open..].find('}').expect("a closing brace");
        out.push_str(&rest[..open]);
        out.push_str(dummy(&rest[open + 1..close]));
        rest = rest[close + 1..].to_owned();
    }
    out + &rest
}

/// Sends `method path` with the server's key and no body; status and JSON body.
async fn send(client: &reqwest::Client, server: &LocalDaytona, method: &str, path: &str) -> (u16, Value) {
    let base = server.url().trim_end_matches("/api");
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let response = client
        .request(method.clone(), format!("{base}{path}"))
        .bearer_auth(server.api_key())
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// The operation the server's log says answered the last request.
fn answered_by(server: &LocalDaytona) -> Option<&'static str> {
    server.requests().last().and_then(|r| r.operation)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_is_answered_by_itself_and_the_unimplemented_ones_say_501() {
    // Check-only, empty: no dummy request can reach a container or build anything.
    let (server, _state) = support::server(BuildMode::CheckOnly).await;
    let client = reqwest::Client::new();
    let implemented: BTreeSet<&str> = implemented_operations().into_iter().collect();
    let mut wrong = Vec::new();
    let mut not_implemented = 0;
    for op in operations() {
        let path = concrete(op);
        let (status, body) = send(&client, &server, op.method, &path).await;
        let by = answered_by(&server);
        if by != Some(op.id) {
            wrong.push(format!("{} {path} ({}): answered by {by:?} with {status}: {body}", op.method, op.id));
            continue;
        }
        if implemented.contains(op.id) {
            continue;
        }
        not_implemented += 1;
        let message = format!("the local Daytona server does not implement {}", op.id);
        let expected = (501, &Value::from(501), &Value::from("Not Implemented"), &Value::from(message));
        let actual = (status, &body["statusCode"], &body["error"], &body["message"]);
        if actual != expected || body["path"].as_str() != Some(path.as_str()) {
            wrong.push(format!("{} {path} ({}): {status} {body}", op.method, op.id));
        }
    }
    assert!(wrong.is_empty(), "{} operations answered wrongly:\n{}", wrong.len(), wrong.join("\n"));
    assert_eq!(not_implemented, operations().len() - implemented.len());
    assert!(not_implemented > 0, "every operation is implemented: drop this 501 check then");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_and_methods_outside_the_list_get_the_404_fallback() {
    let (server, _state) = support::server(BuildMode::CheckOnly).await;
    let client = reqwest::Client::new();
    let listed: BTreeSet<(&str, String)> = operations().iter().map(|o| (o.method, concrete(o))).collect();
    let mut cases: Vec<(&str, String)> = vec![
        ("GET", "/".to_owned()),
        ("GET", "/api".to_owned()),
        ("GET", "/api/nope".to_owned()),
        ("POST", "/api/sandbox/x-dummy/nope".to_owned()),
        ("GET", "/toolbox/x-dummy/nope".to_owned()),
        ("POST", "/toolbox/x-dummy/process/nope".to_owned()),
        ("GET", "/toolbox".to_owned()),
        // The SDK's event socket, which Daytona's SDK tolerates a 404 for.
        ("GET", "/api/socket.io/".to_owned()),
    ];
    // Every listed path with a method the list does not give it.
    for op in operations() {
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            let path = concrete(op);
            if !listed.contains(&(method, path.clone())) && !cases.contains(&(method, path.clone())) {
                cases.push((method, path));
            }
        }
    }
    let mut wrong = Vec::new();
    for (method, path) in &cases {
        let (status, body) = send(&client, &server, method, path).await;
        let expected = format!("Cannot {method} {path}");
        if (status, &body["message"]) != (404, &Value::from(expected)) || answered_by(&server).is_some() {
            wrong.push(format!("{method} {path}: {status} {body} (by {:?})", answered_by(&server)));
        }
    }
    assert!(wrong.is_empty(), "{} of {} answered otherwise:\n{}", wrong.len(), cases.len(), wrong.join("\n"));
    server.shutdown().await;
}

/// By construction: the API router is `Operations::router` over the list, with the 404
/// fallback; no other module of the API adds a route, nests or merges a router.
#[test]
fn only_the_operation_list_makes_routes() {
    let api = support::coverage::workspace().join("daytona-local/src/api");
    let mut found = Vec::new();
    let mut dirs = vec![api];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("daytona-local/src/api").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.file_name().is_some_and(|n| n == "operations.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("a source file");
            for (n, line) in text.lines().enumerate() {
                if [".route(", ".nest(", ".merge(", ".nest_service(", ".route_service("]
                    .iter()
                    .any(|c| line.contains(c))
                {
                    found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "routes made outside api/operations.rs (implement an operation of the list with ops.op instead):\n{}",
        found.join("\n")
    );
}
