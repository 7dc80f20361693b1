//! Hash partitioning into spill files, for grace-style group-by and join:
//! when the state for all keys does not fit the budget, records go to
//! `n` partition files by a hash of their key, and each partition is then
//! finished on its own, within the budget.
//!
//! The hash is fixed (SipHash with zero keys), so the same key lands in the
//! same partition in every process: a coordinator and its cluster workers
//! agree on partitions.

use super::spill::{SpillFile, SpillWriter};
use super::tmp::TempDir;
use crate::error::Result;
use std::hash::{Hash, Hasher};

/// The partition of `key` among `n`; `level` salts the hash so that a
/// partition that is still too big can be split again differently.
#[inline]
pub fn partition_of(key: &[u8], n: usize, level: u32) -> usize {
    #[allow(deprecated)]
    let mut h = std::hash::SipHasher::new_with_keys(u64::from(level), 0);
    key.hash(&mut h);
    (h.finish() % n as u64) as usize
}

/// `n` spill files that records are routed into.
pub struct Partitioner {
    writers: Vec<SpillWriter>,
}

impl Partitioner {
    pub fn new(tmp: &TempDir, n: usize, stem: &str) -> Result<Partitioner> {
        let writers = (0..n)
            .map(|i| SpillWriter::create(tmp, &format!("{stem}-p{i}")))
            .collect::<Result<_>>()?;
        Ok(Partitioner { writers })
    }

    pub fn len(&self) -> usize {
        self.writers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.writers.is_empty()
    }

    /// Writes `record` to partition `p`.
    #[inline]
    pub fn write(&mut self, p: usize, record: &[u8]) -> Result<()> {
        self.writers[p].write(record)
    }

    /// Writes a record made of two parts to partition `p`.
    #[inline]
    pub fn write_parts(&mut self, p: usize, a: &[u8], b: &[u8]) -> Result<()> {
        self.writers[p].write_parts(a, b)
    }

    /// Finishes every partition, for reading back one at a time.
    pub fn finish(self) -> Result<Vec<SpillFile>> {
        self.writers.into_iter().map(SpillWriter::finish).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_same_partition() {
        for n in [1, 2, 16, 97] {
            let a = partition_of(b"key-17", n, 0);
            assert_eq!(a, partition_of(b"key-17", n, 0));
            assert!(a < n);
        }
        let spread: std::collections::HashSet<_> = (0..1000)
            .map(|i| partition_of(format!("{i}").as_bytes(), 8, 0))
            .collect();
        assert_eq!(spread.len(), 8);
    }
}
