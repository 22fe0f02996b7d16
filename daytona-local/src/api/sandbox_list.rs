//! Listing sandboxes with Daytona's filters: `listSandboxes` (what the SDK's
//! `Daytona.list` calls: cursor pages of list items) and the deprecated page-numbered
//! `listSandboxesPaginated_deprecated`.
//!
//! Pages are read in a stable order (the sort field, then the id), and the cursor is the
//! position after the last item sent, not an offset: sandboxes deleted or created while a
//! client walks the pages move no other sandbox onto or off a page.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::operations::Operations;
use super::{ApiError, ApiResult};
use crate::Shared;
use crate::state::SandboxRecord;

pub(super) fn implement(ops: &mut Operations) {
    ops.op("listSandboxes", list).op("listSandboxesPaginated_deprecated", list_paginated);
}

/// Daytona's sandbox states (`SandboxState`).
const STATES: &[&str] = &[
    "creating",
    "restoring",
    "destroyed",
    "destroying",
    "started",
    "stopped",
    "starting",
    "stopping",
    "error",
    "build_failed",
    "pending_build",
    "building_snapshot",
    "unknown",
    "pulling_snapshot",
    "archived",
    "archiving",
    "resizing",
    "snapshotting",
    "forking",
    "pausing",
    "paused",
    "resuming",
];

/// Daytona's sandbox classes (`SandboxClass`).
const CLASSES: &[&str] = &["linux-vm", "container", "android", "windows"];

/// The query, each key with all its values (`states=a&states=b`, or `states=a,b`).
struct Query(BTreeMap<String, Vec<String>>);

impl Query {
    fn parse(raw: Option<&str>) -> Query {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (key, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            let key = key.trim_end_matches("[]").to_owned();
            map.entry(key).or_default().push(value.into_owned());
        }
        Query(map)
    }

    fn one(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.last()).map(String::as_str)
    }

    fn list(&self, key: &str) -> Option<Vec<String>> {
        let values = self.0.get(key)?;
        Some(values.iter().flat_map(|v| v.split(',')).filter(|v| !v.is_empty()).map(str::to_owned).collect())
    }

    fn enums(&self, key: &str, allowed: &[&str]) -> ApiResult<Option<Vec<String>>> {
        let Some(values) = self.list(key) else { return Ok(None) };
        if values.iter().any(|v| !allowed.contains(&v.as_str())) {
            return Err(ApiError::bad_request(format!(
                "each value in {key} must be one of the following values: {}",
                allowed.join(", ")
            )));
        }
        Ok(Some(values))
    }

    fn boolean(&self, key: &str) -> ApiResult<Option<bool>> {
        match self.one(key) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(ApiError::bad_request(format!("{key} must be a boolean value"))),
        }
    }

    fn number(&self, key: &str, min: f64, max: Option<f64>) -> ApiResult<Option<f64>> {
        let Some(raw) = self.one(key) else { return Ok(None) };
        let value: f64 = raw.parse().ok().filter(|v: &f64| v.is_finite()).ok_or_else(|| {
            ApiError::bad_request(format!("{key} must be a number conforming to the specified constraints"))
        })?;
        if value < min {
            return Err(ApiError::bad_request(format!("{key} must not be less than {min}")));
        }
        if let Some(max) = max.filter(|max| value > *max) {
            return Err(ApiError::bad_request(format!("{key} must not be greater than {max}")));
        }
        Ok(Some(value))
    }

    fn date(&self, key: &str) -> ApiResult<Option<OffsetDateTime>> {
        let Some(raw) = self.one(key) else { return Ok(None) };
        iso_date(raw)
            .map(Some)
            .ok_or_else(|| ApiError::bad_request(format!("{key} must be a valid ISO 8601 date string")))
    }
}

/// An ISO 8601 date and time as clients send it: RFC 3339, or Python's
/// `%Y-%m-%dT%H:%M:%S.%f%z` (the SDK's format: an offset without its colon, or none, which
/// is UTC).
fn iso_date(raw: &str) -> Option<OffsetDateTime> {
    if let Ok(date) = OffsetDateTime::parse(raw, &Rfc3339) {
        return Some(date);
    }
    let (day, time) = raw.split_once('T')?;
    let fixed = match time.find(['+', '-']) {
        Some(at) if time.len() - at == 5 => format!("{day}T{}:{}", &time[..at + 3], &time[at + 3..]),
        Some(_) => return None,
        None if time.ends_with(['Z', 'z']) => return None,
        None => format!("{day}T{time}Z"),
    };
    OffsetDateTime::parse(&fixed, &Rfc3339).ok()
}

/// An inclusive range of a number (`minCpu`, `maxCpu`, ...).
type Range = (Option<f64>, Option<f64>);

fn within(value: u32, (min, max): Range) -> bool {
    let value = f64::from(value);
    min.is_none_or(|m| value >= m) && max.is_none_or(|m| value <= m)
}

/// A range of dates; `after`/`before` are exclusive, as Daytona's filters.
fn between(value: Option<&str>, (after, before): (Option<OffsetDateTime>, Option<OffsetDateTime>)) -> bool {
    if after.is_none() && before.is_none() {
        return true;
    }
    let Some(value) = value.and_then(|v| OffsetDateTime::parse(v, &Rfc3339).ok()) else { return false };
    after.is_none_or(|a| value > a) && before.is_none_or(|b| value < b)
}

/// The filters both list operations share.
struct Filters {
    id: Option<String>,
    name: Option<String>,
    labels: Option<BTreeMap<String, String>>,
    include_errored_deleted: bool,
    states: Option<Vec<String>>,
    snapshots: Option<Vec<String>>,
    regions: Option<Vec<String>>,
    classes: Option<Vec<String>>,
    cpu: Range,
    memory: Range,
    disk: Range,
    gpu: Range,
    public: Option<bool>,
    recoverable: Option<bool>,
    created: (Option<OffsetDateTime>, Option<OffsetDateTime>),
    last_event: (Option<OffsetDateTime>, Option<OffsetDateTime>),
    /// `autoDestroyAtAfter`/`Before` given: no local sandbox has a time to live.
    auto_destroy: bool,
}

impl Filters {
    fn parse(q: &Query, regions_key: &str) -> ApiResult<Filters> {
        let labels = match q.one("labels") {
            None => None,
            Some(raw) => match serde_json::from_str::<Value>(raw) {
                Ok(Value::Object(map)) => Some(
                    map.into_iter()
                        .map(|(k, v)| match v {
                            Value::String(s) => Ok((k, s)),
                            other => Ok((k, other.to_string())),
                        })
                        .collect::<ApiResult<BTreeMap<String, String>>>()?,
                ),
                _ => {
                    return Err(ApiError::bad_request(
                        "labels must be a JSON object of label names and values",
                    ));
                }
            },
        };
        let range = |min: &str, max: &str| -> ApiResult<Range> {
            Ok((q.number(min, 1.0, None)?, q.number(max, 1.0, None)?))
        };
        Ok(Filters {
            id: q.one("id").map(str::to_lowercase),
            name: q.one("name").map(str::to_lowercase),
            labels,
            include_errored_deleted: q.boolean("includeErroredDeleted")?.unwrap_or(false),
            states: q.enums("states", STATES)?,
            snapshots: q.list("snapshots"),
            regions: q.list(regions_key),
            classes: q.enums("sandboxClasses", CLASSES)?,
            cpu: range("minCpu", "maxCpu")?,
            memory: range("minMemoryGiB", "maxMemoryGiB")?,
            disk: range("minDiskGiB", "maxDiskGiB")?,
            gpu: (q.number("minGpu", 0.0, None)?, q.number("maxGpu", 0.0, None)?),
            public: q.boolean("isPublic")?,
            recoverable: q.boolean("isRecoverable")?,
            created: (q.date("createdAtAfter")?, q.date("createdAtBefore")?),
            last_event: (q.date("lastEventAfter")?, q.date("lastEventBefore")?),
            auto_destroy: q.date("autoDestroyAtAfter")?.is_some() || q.date("autoDestroyAtBefore")?.is_some(),
        })
    }

    fn keep(&self, r: &SandboxRecord) -> bool {
        let errored = matches!(r.state.as_str(), "error" | "build_failed");
        self.id.as_ref().is_none_or(|p| r.id.to_lowercase().starts_with(p))
            && self.name.as_ref().is_none_or(|p| r.name.to_lowercase().starts_with(p))
            && self.labels.as_ref().is_none_or(|l| l.iter().all(|(k, v)| r.labels.get(k) == Some(v)))
            && r.state != "destroyed"
            && (self.include_errored_deleted || !(errored && r.desired_state == "destroyed"))
            && self.states.as_ref().is_none_or(|s| s.contains(&r.state))
            && self.snapshots.as_ref().is_none_or(|s| s.contains(&r.snapshot))
            && self.regions.as_ref().is_none_or(|s| s.contains(&r.target))
            && self.classes.as_ref().is_none_or(|s| s.contains(&r.sandbox_class))
            && within(r.cpu, self.cpu)
            && within(r.memory, self.memory)
            && within(r.disk, self.disk)
            && within(r.gpu, self.gpu)
            && self.public.is_none_or(|p| r.public == p)
            // No local sandbox is recoverable (`recover` is Daytona's, for its runners' errors).
            && self.recoverable.is_none_or(|wanted| !wanted)
            && between(Some(&r.created_at), self.created)
            && between(r.last_activity_at.as_deref(), self.last_event)
            && !self.auto_destroy
    }
}

/// A sandbox's place in a sort: the field's value, then its id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum Key {
    Number(u32),
    Text(String),
}

fn sort_key(record: &SandboxRecord, field: &str) -> Key {
    match field {
        "id" => Key::Text(record.id.clone()),
        "name" => Key::Text(record.name.clone()),
        "state" => Key::Text(record.state.clone()),
        "snapshot" => Key::Text(record.snapshot.clone()),
        "region" => Key::Text(record.target.clone()),
        "cpu" => Key::Number(record.cpu),
        "memoryGib" => Key::Number(record.memory),
        "diskGib" => Key::Number(record.disk),
        "updatedAt" => Key::Text(record.updated_at.clone()),
        "lastActivityAt" => Key::Text(record.last_activity_at.clone().unwrap_or_default()),
        _ => Key::Text(record.created_at.clone()),
    }
}

/// The matching sandboxes in the order asked for (`sort`, `order`), each with its place.
fn sorted(
    shared: &Shared,
    q: &Query,
    filters: &Filters,
    fields: &[&str],
) -> ApiResult<Vec<((Key, String), SandboxRecord)>> {
    let field = q.one("sort").unwrap_or("createdAt");
    if !fields.contains(&field) {
        return Err(ApiError::bad_request(format!(
            "sort must be one of the following values: {}",
            fields.join(", ")
        )));
    }
    let descending = match q.one("order").unwrap_or("desc") {
        "asc" => false,
        "desc" => true,
        _ => return Err(ApiError::bad_request("order must be one of the following values: asc, desc")),
    };
    let mut items: Vec<((Key, String), SandboxRecord)> = shared.store.read(|d| {
        d.sandboxes
            .iter()
            .filter(|r| filters.keep(r))
            .map(|r| ((sort_key(r, field), r.id.clone()), r.clone()))
            .collect()
    });
    items.sort_by(|a, b| if descending { b.0.cmp(&a.0) } else { a.0.cmp(&b.0) });
    Ok(items)
}

/// A list item (`SandboxListItem`): the sandbox without its environment.
fn list_item(record: &SandboxRecord) -> Value {
    let mut value = serde_json::to_value(record).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.remove("env");
        map.remove("container");
    }
    value
}

fn encode_cursor(place: &(Key, String)) -> String {
    serde_json::to_vec(place).unwrap_or_default().iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_cursor(cursor: &str) -> ApiResult<(Key, String)> {
    let invalid = || ApiError::bad_request("Invalid cursor");
    if !cursor.len().is_multiple_of(2) || !cursor.is_ascii() {
        return Err(invalid());
    }
    let bytes = (0..cursor.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&cursor[i..i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| invalid())?;
    serde_json::from_slice(&bytes).map_err(|_| invalid())
}

/// `GET /sandbox`: a page of list items after `cursor`, at most `limit` (1 to 200, 100),
/// and the cursor of the next page (`null` on the last).
async fn list(State(shared): State<Arc<Shared>>, RawQuery(raw): RawQuery) -> ApiResult<axum::Json<Value>> {
    let q = Query::parse(raw.as_deref());
    let filters = Filters::parse(&q, "regionIds")?;
    let limit = q.number("limit", 1.0, Some(200.0))?.map_or(100, |l| l as usize);
    let descending = q.one("order").unwrap_or("desc") == "desc";
    let items = sorted(
        &shared,
        &q,
        &filters,
        &["name", "cpu", "memoryGib", "diskGib", "lastActivityAt", "createdAt"],
    )?;
    let after = q.one("cursor").filter(|c| !c.is_empty()).map(decode_cursor).transpose()?;
    let rest: Vec<_> = items
        .into_iter()
        .filter(|(place, _)| match &after {
            None => true,
            Some(after) if descending => place < after,
            Some(after) => place > after,
        })
        .collect();
    let page: Vec<_> = rest.iter().take(limit).collect();
    let next = (rest.len() > limit).then(|| page.last().map(|(place, _)| encode_cursor(place))).flatten();
    let items: Vec<Value> = page.iter().map(|(_, r)| list_item(r)).collect();
    Ok(axum::Json(json!({ "items": items, "nextCursor": next })))
}

/// `GET /sandbox/paginated` (deprecated): page `page` of `limit` sandboxes, with the total.
async fn list_paginated(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
) -> ApiResult<axum::Json<Value>> {
    let q = Query::parse(raw.as_deref());
    let filters = Filters::parse(&q, "regions")?;
    let page = q.number("page", 1.0, None)?.map_or(1, |p| p as usize);
    let limit = q.number("limit", 1.0, Some(200.0))?.map_or(100, |l| l as usize);
    let fields = ["id", "name", "state", "snapshot", "region", "updatedAt", "createdAt", "lastActivityAt"];
    let items = sorted(&shared, &q, &filters, &fields)?;
    let total = items.len();
    let page_items: Vec<Value> = items
        .iter()
        .skip((page - 1).saturating_mul(limit))
        .take(limit)
        .map(|(_, r)| serde_json::to_value(r).unwrap_or(Value::Null))
        .collect();
    Ok(axum::Json(json!({
        "items": page_items,
        "total": total,
        "page": page,
        "totalPages": total.div_ceil(limit),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_take_repeated_and_comma_separated_values() {
        let q =
            Query::parse(Some("states=started&states=stopped,archived&labels=%7B%22a%22%3A%22b%22%7D&x[]=1"));
        assert_eq!(q.list("states").unwrap_or_default(), ["started", "stopped", "archived"]);
        assert_eq!(q.one("labels"), Some("{\"a\":\"b\"}"));
        assert_eq!(q.list("x").unwrap_or_default(), ["1"]);
        assert!(q.enums("states", STATES).is_ok());
        let bad = Query::parse(Some("states=running"));
        assert!(bad.enums("states", STATES).is_err());
    }

    #[test]
    fn dates_as_the_sdk_sends_them() {
        let utc = iso_date("2026-01-02T03:04:05Z").expect("RFC 3339");
        assert_eq!(iso_date("2026-01-02T03:04:05.000000+0000"), Some(utc), "Python's %z");
        assert_eq!(iso_date("2026-01-02T03:04:05.000000"), Some(utc), "naive is UTC");
        assert_eq!(iso_date("2026-01-02T05:04:05+02:00"), Some(utc));
        for bad in ["yesterday", "2026-01-02", "2026-01-02T03:04:05+2", "2026-13-02T03:04:05Z"] {
            assert_eq!(iso_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        for place in [
            (Key::Text("2026-01-01T00:00:00.000Z".to_owned()), "id-1".to_owned()),
            (Key::Number(4), "x".to_owned()),
        ] {
            assert_eq!(decode_cursor(&encode_cursor(&place)).ok(), Some(place));
        }
        assert!(decode_cursor("zz").is_err());
        assert!(decode_cursor("abc").is_err());
    }
}
