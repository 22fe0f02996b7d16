//! Cutting a context tar into upload parts while it is written, so that it is uploaded
//! as it is read: no temporary copy, and memory bounded by the client's part permits.
//!
//! The tar is written on a blocking thread ([`PartWriter`] is its `Write`); each full
//! part goes to the async uploader through a channel. A part buffer holds a permit of the
//! client's [`PartBuffers`] from the moment it starts filling until its `PUT` is done, so
//! all the uploads of one client together hold at most [`PARTS_IN_MEMORY`] parts,
//! however many contexts upload at once. Buffers go back to the pool and are reused: a
//! 1 GiB upload allocates six buffers, not two hundred (freed and reallocated across
//! threads, they would leave the allocator's arenas growing).

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
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

/// The part buffers of one client: permits bound how many exist at once, and the free
/// ones wait for reuse.
#[derive(Debug)]
pub(crate) struct PartBuffers {
    permits: Arc<Semaphore>,
    free: Mutex<Vec<BytesMut>>,
}

impl PartBuffers {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(PartBuffers {
            permits: Arc::new(Semaphore::new(PARTS_IN_MEMORY)),
            free: Mutex::new(Vec::new()),
        })
    }

    /// An empty buffer of at least `size` bytes and its permit, waiting for one (on a
    /// thread that may block).
    fn take(self: &Arc<Self>, runtime: &Handle, size: usize) -> io::Result<(BytesMut, Lease)> {
        let permit = runtime
            .block_on(self.permits.clone().acquire_owned())
            .map_err(|_| io::Error::other("the upload was stopped"))?;
        let reused = self.free.lock().ok().and_then(|mut free| free.pop());
        let buffer = match reused {
            Some(buffer) if buffer.capacity() >= size => buffer,
            _ => BytesMut::with_capacity(size),
        };
        Ok((buffer, Lease { _permit: permit, pool: self.clone() }))
    }

    #[cfg(test)]
    fn available(&self) -> usize {
        self.permits.available_permits()
    }
}

/// A buffer's place in the pool, given back when its part is dropped.
struct Lease {
    /// Held, not read: dropping it frees the place.
    _permit: OwnedSemaphorePermit,
    pool: Arc<PartBuffers>,
}

/// A part of the tar, holding its buffer's place until dropped (once its `PUT` is done).
pub(crate) struct Part {
    /// 1-based, in tar order.
    pub number: u32,
    pub bytes: Bytes,
    lease: Option<Lease>,
}

impl Drop for Part {
    fn drop(&mut self) {
        let Some(lease) = self.lease.take() else { return };
        // The buffer is reusable once no request holds a view of it any more.
        if let Ok(mut buffer) = std::mem::take(&mut self.bytes).try_into_mut() {
            buffer.clear();
            if let Ok(mut free) = lease.pool.free.lock() {
                free.push(buffer);
            }
        }
    }
}

/// The `Write` the tar goes into, on a blocking thread: fills a part buffer and sends it
/// on when full. What is left at the end (the last, possibly short, part) is returned
/// by [`finish`](Self::finish), so the uploader decides after the hash is checked.
pub(crate) struct PartWriter {
    runtime: Handle,
    buffers: Arc<PartBuffers>,
    sender: mpsc::UnboundedSender<Part>,
    /// The part being filled, with its place (taken when the first byte comes).
    current: Option<(BytesMut, Lease)>,
    number: u32,
}

impl PartWriter {
    /// Must be created on a thread that may block (`spawn_blocking`): it waits for
    /// permits with `runtime.block_on`.
    pub(crate) fn new(
        runtime: Handle,
        buffers: Arc<PartBuffers>,
        sender: mpsc::UnboundedSender<Part>,
    ) -> Self {
        PartWriter { runtime, buffers, sender, current: None, number: 1 }
    }

    /// The last part: the bytes written since the last full part, if any.
    pub(crate) fn finish(mut self) -> Option<Part> {
        let (buffer, lease) = self.current.take()?;
        Some(Part { number: self.number, bytes: buffer.freeze(), lease: Some(lease) })
    }

    fn send_full(&mut self) -> io::Result<()> {
        if self.number >= MAX_PARTS {
            return Err(io::Error::other(
                "the context is too large for one upload (over 10,000 parts, about 300 GiB); exclude \
                 files from it",
            ));
        }
        if let Some((buffer, lease)) = self.current.take() {
            let part = Part { number: self.number, bytes: buffer.freeze(), lease: Some(lease) };
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
            self.current = Some(self.buffers.take(&self.runtime, size)?);
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
        let buffers = PartBuffers::new();
        let (sender, mut parts) = mpsc::unbounded_channel();
        let mut writer = PartWriter::new(runtime.handle().clone(), buffers.clone(), sender);
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
        assert_eq!(buffers.available(), PARTS_IN_MEMORY - 3, "each buffer holds a place");
        let joined: Vec<u8> = received.iter().chain([&last]).flat_map(|p| p.bytes.iter().copied()).collect();
        assert_eq!(joined, data);
        drop((received, last));
        assert_eq!(buffers.available(), PARTS_IN_MEMORY, "dropping a part frees its place");
        let free = buffers.free.lock().map(|f| f.len()).unwrap_or(0);
        assert_eq!(free, 3, "and gives its buffer back for reuse");
    }

    #[test]
    fn a_stopped_upload_stops_the_writer() {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap_or_else(|e| panic!("{e}"));
        let (sender, parts) = mpsc::unbounded_channel();
        drop(parts);
        let mut writer = PartWriter::new(runtime.handle().clone(), PartBuffers::new(), sender);
        let error = writer.write_all(&vec![0; PART_BYTES + 1]).err().map(|e| e.to_string());
        assert_eq!(error.as_deref(), Some("the upload was stopped"));
    }
}
