//! Sandbox resources of a snapshot (their limits are a rule: `rules/resources.rs`).

use serde::{Deserialize, Serialize};

use crate::rules::Finding;

/// The resources of sandboxes created from the snapshot: vCPUs, memory and disk in GB,
/// GPUs. They are fixed per snapshot, so they belong to the definition's identity.
/// Defaults are Daytona's: 1 vCPU, 1 GB memory, 3 GB disk, no GPU.
///
/// ```
/// use pj_image::Resources;
/// let r = Resources { cpu: 2, memory: 4, disk: 8, ..Resources::default() };
/// assert!(r.check().is_empty());
/// assert_eq!(Resources { cpu: 64, ..r }.check()[0].0, "cpu");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Resources {
    /// vCPUs.
    pub cpu: u32,
    /// Memory in GB.
    pub memory: u32,
    /// Disk in GB.
    pub disk: u32,
    /// GPUs.
    pub gpu: u32,
}

impl Default for Resources {
    fn default() -> Self {
        Resources { cpu: 1, memory: 1, disk: 3, gpu: 0 }
    }
}

impl Resources {
    /// The largest values Daytona accepts: 16 vCPU, 192 GB memory, 512 GB disk (its GPU
    /// sandbox tier), and one GPU (the server's `gpu` range).
    pub const MAX: Resources = Resources { cpu: 16, memory: 192, disk: 512, gpu: 1 };

    /// Every resource outside Daytona's limits, as `(field name, finding)`; the rule is
    /// [`rules::resources::check`](crate::rules::resources::check).
    pub fn check(&self) -> Vec<(&'static str, Finding)> {
        crate::rules::resources::check(self)
    }
}
