//! Sandbox resources of a snapshot, and Daytona's limits on them.

use serde::{Deserialize, Serialize};

use crate::Rule;
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

    /// Every resource outside Daytona's limits, as `(field name, finding)`.
    pub fn check(&self) -> Vec<(&'static str, Finding)> {
        let fields = [
            ("cpu", self.cpu, 1, Self::MAX.cpu, "vCPUs"),
            ("memory", self.memory, 1, Self::MAX.memory, "GB of memory"),
            ("disk", self.disk, 1, Self::MAX.disk, "GB of disk"),
            ("gpu", self.gpu, 0, Self::MAX.gpu, "GPUs"),
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
}
