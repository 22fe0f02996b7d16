//! Validation of request bodies and queries, with class-validator's messages.

use std::collections::{BTreeMap, HashMap};

use axum::body::Bytes;
use serde_json::Value;

use super::{ApiError, ApiResult};
use crate::state::is_uuid;

pub(super) fn require_uuid(id: &str) -> ApiResult<()> {
    if is_uuid(id) { Ok(()) } else { Err(ApiError::bad_request("Validation failed (uuid is expected)")) }
}

pub(super) fn parse_json(body: &Bytes) -> ApiResult<serde_json::Map<String, Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request("The request body must be a JSON object")),
        Err(e) => Err(ApiError::bad_request(format!("Unexpected JSON: {e}"))),
    }
}

/// An optional non-negative integer field (class-validator's messages).
pub(super) fn optional_int(
    map: &serde_json::Map<String, Value>,
    field: &str,
    errors: &mut Vec<String>,
) -> Option<u32> {
    match map.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_i64() {
            Some(v) if v < 0 => {
                errors.push(format!("{field} must not be less than 0"));
                None
            }
            Some(v) => match u32::try_from(v) {
                Ok(v) => Some(v),
                Err(_) => {
                    errors.push(format!("{field} is too large"));
                    None
                }
            },
            None => {
                errors.push(format!("{field} must be an integer number"));
                None
            }
        },
        Some(_) => {
            errors.push(format!("{field} must be an integer number"));
            None
        }
    }
}

/// An optional `gpu` count: an integer from 0 to 1 (`docs/daytona-contract.md` §4.3).
pub(super) fn optional_gpu(map: &serde_json::Map<String, Value>, errors: &mut Vec<String>) -> Option<u32> {
    let gpu = optional_int(map, "gpu", errors);
    if gpu.is_some_and(|g| g > 1) {
        errors.push("gpu must not be greater than 1".to_owned());
    }
    gpu
}

pub(super) fn optional_string(
    map: &serde_json::Map<String, Value>,
    field: &str,
    errors: &mut Vec<String>,
) -> Option<String> {
    match map.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.push(format!("{field} must be a string"));
            None
        }
    }
}

pub(super) fn string_list(
    value: Option<&Value>,
    field: &str,
    errors: &mut Vec<String>,
) -> Option<Vec<String>> {
    match value {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            Some(items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        }
        Some(_) => {
            errors.push(format!("{field} must be an array of strings"));
            None
        }
    }
}

pub(super) fn string_map(value: Option<&Value>, field: &str) -> ApiResult<BTreeMap<String, String>> {
    match value {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(ApiError::bad_request(format!("{field} values must be strings"))),
            })
            .collect(),
        Some(_) => Err(ApiError::bad_request(format!("{field} must be an object"))),
    }
}

pub(super) fn query_number(
    query: &HashMap<String, String>,
    field: &str,
    default: u64,
    min: u64,
    max: u64,
) -> ApiResult<u64> {
    let Some(raw) = query.get(field) else { return Ok(default) };
    let value: f64 = raw.parse().map_err(|_| {
        ApiError::bad_request(format!("{field} must be a number conforming to the specified constraints"))
    })?;
    if !value.is_finite() || value.fract() != 0.0 {
        return Err(ApiError::bad_request(format!("{field} must be an integer number")));
    }
    if value < min as f64 {
        return Err(ApiError::bad_request(format!("{field} must not be less than {min}")));
    }
    if value > max as f64 {
        return Err(ApiError::bad_request(format!("{field} must not be greater than {max}")));
    }
    Ok(value as u64)
}

/// A region asked for (`regionId`, `target`) must be one the server has; it has one.
pub(super) fn check_region(requested: Option<&str>, available: &str) -> ApiResult<()> {
    match requested {
        Some(region) if region != available => Err(ApiError::bad_request(format!(
            "Region {region} is not available to this organization (the local server has: {available})"
        ))),
        _ => Ok(()),
    }
}

pub(super) fn validate_image_name(image: &str) -> ApiResult<()> {
    let last = image.rsplit('/').next().unwrap_or(image);
    if !image.contains("@sha256:") && !last.contains(':') {
        return Err(ApiError::bad_request(
            "Image name must include a tag (e.g., ubuntu:22.04) or digest (@sha256:...)",
        ));
    }
    if last.ends_with(":latest") {
        return Err(ApiError::bad_request("Images with tag \":latest\" are not allowed"));
    }
    if !is_image_reference(image) {
        return Err(ApiError::bad_request(format!("Invalid image name format: {image}")));
    }
    Ok(())
}

/// The shape of a Docker image reference: it starts with a lowercase letter or digit and
/// holds only `a-z 0-9 . _ - / : @` (no uppercase, spaces or `=`), every `/`-separated
/// component starting with a letter or digit. Beyond the shape Daytona checks, this
/// keeps a name from ever reading as an option (`--volume=/:/host`) where the local
/// server passes it to `docker run`.
fn is_image_reference(image: &str) -> bool {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/:@".contains(c);
    image.chars().all(allowed)
        && image.split('/').all(|component| component.starts_with(|c: char| c.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_that_read_as_options_or_paths_are_refused() {
        for bad in [
            "--volume=/:/host:rw",
            "-v:1",
            "debian/--privileged:1",
            "Debian:12",
            "debian :12",
            "debian//x:1",
            "/debian:12",
            "debian:12\n",
        ] {
            assert!(validate_image_name(bad).is_err(), "{bad:?} accepted");
        }
        for good in [
            "debian:bookworm-slim",
            "python:3.12-slim",
            "ghcr.io/org/app:1.0.0",
            "localhost:5000/app:v1",
            "alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(validate_image_name(good).is_ok(), "{good:?} refused");
        }
    }
}
