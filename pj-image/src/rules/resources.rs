//! Daytona's limits on a snapshot's resources.
//!
//! ```
//! use pj_image::Resources;
//! use pj_image::rules::resources;
//! let findings = resources::check(&Resources { gpu: 2, ..Resources::default() });
//! assert_eq!(findings[0].0, "gpu");
//! assert_eq!(findings[0].1.message, "gpu = 2 is outside Daytona's limits; use 0 to 1 GPUs");
//! ```

use super::Finding;
use crate::{Resources, Rule};

/// Every resource outside Daytona's limits ([`Resources::MAX`], at least one vCPU,
/// GB of memory and GB of disk), as `(field name, finding)`.
pub fn check(resources: &Resources) -> Vec<(&'static str, Finding)> {
    let max = Resources::MAX;
    let fields = [
        ("cpu", resources.cpu, 1, max.cpu, "vCPUs"),
        ("memory", resources.memory, 1, max.memory, "GB of memory"),
        ("disk", resources.disk, 1, max.disk, "GB of disk"),
        ("gpu", resources.gpu, 0, max.gpu, "GPUs"),
    ];
    fields
        .into_iter()
        .filter(|(_, value, min, max, _)| value < min || value > max)
        .map(|(name, value, min, max, unit)| {
            (
                name,
                Finding::new(
                    Rule::Resources,
                    format!("{name} = {value} is outside Daytona's limits; use {min} to {max} {unit}"),
                ),
            )
        })
        .collect()
}
