//! The hash table of the in-memory join: distinct build-side keys to
//! their rank (their place in key order).
//!
//! Open addressing with linear probing, each slot holding the key's first
//! 16 bytes (ASCII upper-cased with `-i`), its length, its rank and how
//! many probes found it, so a probe for a key of at most 16 bytes touches
//! one cache line and never the key bytes themselves; a longer key is
//! confirmed against the build line of that rank. Probes come in batches
//! whose slots are prefetched first, so the cache misses of a batch
//! overlap. Slots are 32 bytes, aligned: one never straddles two cache
//! lines, so the prefetched line holds the whole slot.
//!
//! Measured on the 10M × 2M benchmark join (2 cores): hashbrown with a
//! key reference per entry spent ~3 cache misses per matched probe and
//! the probe phase took about 60% of the run; this table takes about a
//! third of that time. Hits are counted in the slot (already in cache)
//! rather than in an array indexed by rank, which cost one more cache
//! miss per matched probe; with that and the build side's key runs found
//! on all threads (`memory::hash_match`), the benchmark join (scale 1,
//! 2 cores, side by side, 3 runs each) went from 2.54–2.65 s to
//! 2.12–2.29 s.

use super::gnu::compare_keys;
use crate::word::le_word;
use rayon::prelude::*;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// Atomics throughout so that keys are inserted from all threads
/// (claiming a free slot by its rank) and hits counted from all threads;
/// the relaxed loads and stores compile to plain moves.
#[repr(C, align(32))]
struct Slot {
    w0: AtomicU64,
    w1: AtomicU64,
    len: AtomicU32,
    /// `EMPTY` for a free slot.
    rank: AtomicU32,
    /// Probes that found this key ([`KeyTable::find`]).
    hits: AtomicU32,
}

const EMPTY: u32 = u32::MAX;

/// A key's first 16 bytes as two words (zero padded), and its hash.
#[derive(Clone, Copy, Default)]
pub struct Probe {
    w0: u64,
    w1: u64,
    len: u32,
    hash: u64,
}

const K: u64 = 0x9E37_79B9_7F4A_7C15;

#[inline]
fn word(bytes: &[u8], ic: bool) -> u64 {
    let w = le_word(bytes);
    if ic {
        let mut b = w.to_le_bytes();
        b.make_ascii_uppercase();
        u64::from_le_bytes(b)
    } else {
        w
    }
}

impl Probe {
    #[inline]
    pub fn new(key: &[u8], ic: bool) -> Probe {
        let n = key.len();
        let w0 = word(&key[..n.min(8)], ic);
        let w1 = if n > 8 {
            word(&key[8..n.min(16)], ic)
        } else {
            0
        };
        let mut h = (w0 ^ (n as u64).rotate_left(40)).wrapping_mul(K);
        h = (h.rotate_left(23) ^ w1).wrapping_mul(K);
        let mut rest = if n > 16 { &key[16..] } else { &[][..] };
        while !rest.is_empty() {
            let m = rest.len().min(8);
            h = (h.rotate_left(23) ^ word(&rest[..m], ic)).wrapping_mul(K);
            rest = &rest[m..];
        }
        Probe {
            w0,
            w1,
            len: n as u32,
            hash: h ^ (h >> 29),
        }
    }
}

/// Distinct keys → ranks.
pub struct KeyTable {
    slots: Vec<Slot>,
    mask: usize,
    ic: bool,
}

impl KeyTable {
    /// A table for up to `n` keys (load factor at most 1/2).
    pub fn with_capacity(n: usize, ic: bool) -> KeyTable {
        let cap = (n * 2).next_power_of_two().max(16);
        // Filled on all threads: 2M keys take 128 MiB of fresh pages.
        KeyTable {
            slots: (0..cap)
                .into_par_iter()
                .map(|_| Slot {
                    w0: AtomicU64::new(0),
                    w1: AtomicU64::new(0),
                    len: AtomicU32::new(0),
                    rank: AtomicU32::new(EMPTY),
                    hits: AtomicU32::new(0),
                })
                .collect(),
            mask: cap - 1,
            ic,
        }
    }

    #[inline]
    fn home(&self, p: &Probe) -> usize {
        (p.hash as usize) & self.mask
    }

    /// Adds a key known to be new (the build side's keys are distinct
    /// once grouped), given its probe. Threads may insert at once: each
    /// claims the first free slot from the key's home by swapping in its
    /// rank. Lookups ([`KeyTable::find`]) must start after every insert
    /// has returned (a join of the inserting threads orders them).
    pub fn insert(&self, p: &Probe, rank: u32) {
        let mut i = self.home(p);
        loop {
            let s = &self.slots[i];
            if s.rank.load(Ordering::Relaxed) == EMPTY
                && s.rank
                    .compare_exchange(EMPTY, rank, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
            {
                s.w0.store(p.w0, Ordering::Relaxed);
                s.w1.store(p.w1, Ordering::Relaxed);
                s.len.store(p.len, Ordering::Relaxed);
                return;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Hints the CPU to fetch `p`'s home slot.
    #[inline]
    pub fn prefetch(&self, p: &Probe) {
        #[cfg(target_arch = "x86_64")]
        {
            let ptr = self.slots.as_ptr().wrapping_add(self.home(p)) as *const i8;
            // SAFETY: prefetching is a hint; it never faults, whatever
            // the address, and `ptr` is inside the slot array anyway.
            unsafe { std::arch::x86_64::_mm_prefetch(ptr, std::arch::x86_64::_MM_HINT_T0) };
        }
    }

    /// The rank of `key` (whose probe is `p`), if present, counting the
    /// hit ([`KeyTable::hits`]). `rank_key` gives a rank's key, to confirm
    /// keys longer than 16 bytes.
    #[inline]
    pub fn find<'k>(
        &self,
        key: &[u8],
        p: &Probe,
        rank_key: impl Fn(u32) -> &'k [u8],
    ) -> Option<u32> {
        let mut i = self.home(p);
        loop {
            let s = &self.slots[i];
            let rank = s.rank.load(Ordering::Relaxed);
            if rank == EMPTY {
                return None;
            }
            if s.w0.load(Ordering::Relaxed) == p.w0
                && s.w1.load(Ordering::Relaxed) == p.w1
                && s.len.load(Ordering::Relaxed) == p.len
                && (p.len <= 16 || compare_keys(key, rank_key(rank), self.ic).is_eq())
            {
                s.hits.fetch_add(1, Ordering::Relaxed);
                return Some(rank);
            }
            i = (i + 1) & self.mask;
        }
    }

    /// How many probes found each rank's key, indexed by rank (`ranks`
    /// keys were inserted, ranked `0..ranks`).
    pub fn hits(&self, ranks: usize) -> Vec<u32> {
        let mut counts = vec![0; ranks];
        for s in &self.slots {
            let rank = s.rank.load(Ordering::Relaxed);
            if rank != EMPTY {
                counts[rank as usize] = s.hits.load(Ordering::Relaxed);
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_was_inserted_and_nothing_else() {
        let keys: Vec<Vec<u8>> = (0..2000u32)
            .map(|i| format!("key-{i}-{}", "x".repeat((i % 23) as usize)).into_bytes())
            .collect();
        for ic in [false, true] {
            let t = KeyTable::with_capacity(keys.len(), ic);
            for (r, k) in keys.iter().enumerate() {
                t.insert(&Probe::new(k, ic), r as u32);
            }
            let rk = |r: u32| keys[r as usize].as_slice();
            for (r, k) in keys.iter().enumerate() {
                assert_eq!(t.find(k, &Probe::new(k, ic), rk), Some(r as u32));
                let mut other = k.clone();
                other.push(b'!');
                assert_eq!(t.find(&other, &Probe::new(&other, ic), rk), None);
                let upper = k.to_ascii_uppercase();
                let want = if ic { Some(r as u32) } else { None };
                assert_eq!(t.find(&upper, &Probe::new(&upper, ic), rk), want);
            }
            // Each key found once as itself, and once more upper-cased
            // under -i.
            let want = if ic { 2 } else { 1 };
            assert!(t.hits(keys.len()).iter().all(|&h| h == want));
        }
    }
}
