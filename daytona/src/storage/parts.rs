//! Cutting a context tar into upload parts while it is written, so that it is uploaded
//! as it is read: no temporary copy, and memory bounded by the client's part permits.
//!
//! The tar is written on a blocking thread ([`PartWriter`] is its `Write`); each full
//! part goes to the async uploader through a channel. A part buffer holds a permit from
//! the client's semaphore from the moment it starts filling until its `PUT` is done, so
//! all the uploads of one client together hold at most [`PARTS_IN_MEMORY`] parts,
//! however many contexts upload at once.

use std::io::{self, Write};
use std::sync::Arc;

use bytes::Bytes;
use tokio::runtime::Handle;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

/// The size of the first parts: S3's minimum for every part but the last, and what
/// the Python SDK uploads.
pub(crate) const PART_BYTES: usize = 5 << 20;

/// Part buffers one client holds at most (30 MiB of 5 MiB parts): enough to keep
/// four `PUT`s in flight while two contexts are being read.
pub(crate) const PARTS_IN_MEMORY: usize = 6;

/// S3 refuses more parts than this in one upload.
pub(crate) const MAX_PARTS: u32 = 10_000;

/// The size of part `number` (1-based): 5 MiB for the first 2,000 parts (9.8 GiB),
/// then doubling every 2,000 parts up to 80 MiB, so that the 10,000 parts S3 allows
/// hold about 300 GiB while contexts under 9.8 GiB keep the memory bound of 30 MiB.
pub(crate) fn part_size(number: u32) -> usize {
    PART_BYTES << (number.saturating_sub(1) / 2_000).min(4)
}

/// A part of the tar, with the permit its buffer holds (released when it is dropped,
/// i.e. once its `PUT` is done).
pub(crate) struct Part {
    /// 1-based, in tar order.
    pub number: u32,
    pub bytes: Bytes,
    /// Held, not read: dropping the part frees its buffer's place.
    _permit: OwnedSemaphorePermit,
}

/// The `Write` the tar goes into, on a blocking thread: fills a part buffer and sends it
/// on when full. What is left at the end (the last, possibly short, part) is returned
/// by [`finish`](Self::finish), so the uploader decides after the hash is checked.
pub(crate) struct PartWriter {
    runtime: Handle,
    permits: Arc<Semaphore>,
    sender: mpsc::UnboundedSender<Part>,
    /// The part being filled, with its permit (taken when the first byte comes).
    current: Option<(Vec<u8>, OwnedSemaphorePermit)>,
    number: u32,
}

impl PartWriter {
    /// Must be created on a thread that may block (`spawn_blocking`): it waits for
    /// permits with `runtime.block_on`.
    pub(crate) fn new(runtime: Handle, permits: Arc<Semaphore>, sender: mpsc::UnboundedSender<Part>) -> Self {
        PartWriter { runtime, permits, sender, current: None, number: 1 }
    }

    /// The last part: the bytes written since the last full part, if any.
    pub(crate) fn finish(mut self) -> Option<Part> {
        let (buffer, permit) = self.current.take()?;
        Some(Part { number: self.number, bytes: Bytes::from(buffer), _permit: permit })
    }

    fn permit(&self) -> io::Result<OwnedSemaphorePermit> {
        self.runtime
            .block_on(self.permits.clone().acquire_owned())
            .map_err(|_| io::Error::other("the upload was stopped"))
    }

    fn send_full(&mut self) -> io::Result<()> {
        if self.number >= MAX_PARTS {
            return Err(io::Error::other(
                "the context is too large for one upload (over 10,000 parts, about 300 GiB); exclude \
                 files from it",
            ));
        }
        if let Some((buffer, permit)) = self.current.take() {
            let part = Part { number: self.number, bytes: Bytes::from(buffer), _permit: permit };
            // The receiver is gone when the upload failed; that error is the one reported.
            self.sender.send(part).map_err(|_| io::Error::other("the upload was stopped"))?;
            self.number += 1;
        }
        Ok(())
    }
}

impl Write for PartWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        let size = part_size(self.number);
        if self.current.is_none() {
            self.current = Some((Vec::with_capacity(size), self.permit()?));
        }
        let Some((buffer, _)) = self.current.as_mut() else { return Ok(0) };
        let taken = (size - buffer.len()).min(data.len());
        buffer.extend_from_slice(data.get(..taken).unwrap_or_default());
        if buffer.len() == size {
            self.send_full()?;
        }
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_sizes_hold_300_gib_in_10000_parts() {
        assert_eq!(part_size(1), 5 << 20);
        assert_eq!(part_size(2_000), 5 << 20);
        assert_eq!(part_size(2_001), 10 << 20);
        assert_eq!(part_size(MAX_PARTS), 80 << 20);
        let total: u64 = (1..=MAX_PARTS).map(|n| part_size(n) as u64).sum();
        assert!(total > 300 << 30, "{total}");
    }

    #[test]
    fn writes_cut_into_full_parts_and_a_remainder_within_the_permits() {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap_or_else(|e| panic!("{e}"));
        let permits = Arc::new(Semaphore::new(PARTS_IN_MEMORY));
        let (sender, mut parts) = mpsc::unbounded_channel();
        let mut writer = PartWriter::new(runtime.handle().clone(), permits.clone(), sender);
        let data: Vec<u8> = (0..(2 * PART_BYTES + 100)).map(|i| (i % 251) as u8).collect();
        // Uneven writes, as the tar crate does them.
        for chunk in data.chunks(8 * 1024 + 512) {
            writer.write_all(chunk).unwrap_or_else(|e| panic!("{e}"));
        }
        let last = writer.finish().unwrap_or_else(|| panic!("100 bytes are left"));
        let mut received = Vec::new();
        while let Ok(part) = parts.try_recv() {
            received.push(part);
        }
        assert_eq!(
            received.iter().map(|p| (p.number, p.bytes.len())).collect::<Vec<_>>(),
            [(1, PART_BYTES), (2, PART_BYTES)]
        );
        assert_eq!((last.number, last.bytes.len()), (3, 100));
        assert_eq!(permits.available_permits(), PARTS_IN_MEMORY - 3, "each buffer holds a permit");
        let joined: Vec<u8> = received.iter().chain([&last]).flat_map(|p| p.bytes.iter().copied()).collect();
        assert_eq!(joined, data);
        drop((received, last));
        assert_eq!(permits.available_permits(), PARTS_IN_MEMORY, "dropping a part frees its permit");
    }

    #[test]
    fn a_stopped_upload_stops_the_writer() {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap_or_else(|e| panic!("{e}"));
        let (sender, parts) = mpsc::unbounded_channel();
        drop(parts);
        let mut writer = PartWriter::new(runtime.handle().clone(), Arc::new(Semaphore::new(2)), sender);
        let error = writer.write_all(&vec![0; PART_BYTES + 1]).err().map(|e| e.to_string());
        assert_eq!(error.as_deref(), Some("the upload was stopped"));
    }
}
