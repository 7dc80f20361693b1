//! Group tables: key → per-operation states, the combine of a chunk's
//! partial table into the running one, and the spill to hash partitions
//! when the running table outgrows the memory budget.
//!
//! Keys are encoded so that comparing encoded keys byte by byte orders
//! them as `sort -k1,1 -k2,2 …` under `LC_ALL=C` orders the fields: one
//! column is its bytes; several columns are each escaped (`00` → `00 01`)
//! and ended by `00 00`. Under `-i` the bytes are upper-cased first, as
//! `sort -f` folds.
//!
//! Spilling (grace hash aggregation): past the budget, every group is
//! written as `key + encoded states` to one of [`PARTITIONS`] spill files
//! chosen by a hash of its key, and the table starts empty. Records of a
//! partition are in chunk order, so re-reading a partition and combining
//! its records in file order gives the same states as memory would. Each
//! partition is then finished on its own, its output lines sorted by key
//! and spilled as a run, and the runs are merged by key.

use super::number::{put_bytes, Reader};
use super::ops::{Kind, Line, Op, State};
use crate::error::{Error, Result};
use crate::shuffle::partition::{partition_of, Partitioner};
use crate::shuffle::spill::{SpillReader, SpillWriter};
use crate::shuffle::tmp::TempDir;
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::PathBuf;

/// An FxHash-style hasher (rustc's): one multiply per 8 bytes. Keys are
/// short byte strings and the table is private, so a DoS-resistant hash
/// (SipHash, the std default) buys nothing and costs ~3× per lookup.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, mut bytes: &[u8]) {
        let mut h = self.0;
        while bytes.len() >= 8 {
            let w = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
            h = (h.rotate_left(5) ^ w).wrapping_mul(SEED);
            bytes = &bytes[8..];
        }
        if !bytes.is_empty() {
            h = (h.rotate_left(5) ^ crate::word::le_word(bytes)).wrapping_mul(SEED);
        }
        self.0 = h;
    }
    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0.rotate_left(5) ^ n as u64).wrapping_mul(SEED);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // Spread the high bits down: hashbrown uses the top 7 bits too.
        self.0 ^ (self.0 >> 29)
    }
}

type Fx = BuildHasherDefault<FxHasher>;

/// Number of hash partitions a spill uses.
pub const PARTITIONS: usize = 64;

/// Fixed cost of one group beyond its key and states (map slot, boxes).
const GROUP_OVERHEAD: usize = 64;

/// Groups and their states: group `g`'s states are
/// `states[g * nops .. (g + 1) * nops]`.
pub struct Table {
    pub index: HashMap<Box<[u8]>, u32, Fx>,
    /// Groups of keys of up to 8 bytes, looked up before `index`.
    recent: ShortKeys,
    pub states: Vec<State>,
    /// Each group's first line, when lines are tracked.
    pub firsts: Vec<Line>,
    pub kinds: Vec<Kind>,
    /// Estimated bytes held.
    pub bytes: usize,
}

impl Table {
    pub fn new(ops: &[Op]) -> Table {
        Table {
            index: HashMap::default(),
            recent: ShortKeys::default(),
            states: Vec::new(),
            firsts: Vec::new(),
            kinds: ops.iter().map(|o| o.kind).collect(),
            bytes: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.firsts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.firsts.is_empty()
    }

    /// The group of `key`, created (with `first` as its first line) if new.
    #[inline]
    pub fn group(&mut self, key: &[u8], first: impl FnOnce() -> Line) -> usize {
        if key.len() <= 8 {
            if let Some(g) = self.recent.get(key) {
                return g;
            }
            let g = self.group_slow(key, first);
            self.recent.put(key, g);
            return g;
        }
        self.group_slow(key, first)
    }

    /// [`Table::group`] of the key `data[key]`: a short one read as one
    /// 8-byte load of `data` when 8 bytes follow its start (bytes past it
    /// masked off), where `le_word` of the key's slice branched on its
    /// length. Always inlined (called per record from the loops compiled
    /// for AVX2 and AVX-512; out of line, each call also paid a
    /// `vzeroupper` and reloaded vector registers), the miss path not.
    #[inline(always)]
    pub fn group_in(
        &mut self,
        data: &[u8],
        key: std::ops::Range<usize>,
        first: impl FnOnce() -> Line,
    ) -> usize {
        let len = key.len();
        if len <= 8 {
            if let Some(b) = data.get(key.start..key.start + 8) {
                let w = u64::from_le_bytes(b.try_into().expect("8 bytes"));
                let bits = 8 * len as u32;
                let w = if bits < 64 { w & ((1 << bits) - 1) } else { w };
                if let Some(g) = self.recent.get_word(w, len) {
                    return g;
                }
            }
        }
        self.group_missed(&data[key], first)
    }

    /// [`Table::group`], out of line: `group_in`'s cache missed.
    #[inline(never)]
    fn group_missed(&mut self, key: &[u8], first: impl FnOnce() -> Line) -> usize {
        self.group(key, first)
    }

    fn group_slow(&mut self, key: &[u8], first: impl FnOnce() -> Line) -> usize {
        if let Some(&g) = self.index.get(key) {
            return g as usize;
        }
        let g = self.firsts.len();
        self.index.insert(key.into(), g as u32);
        for &k in &self.kinds {
            self.states.push(State::new(k));
        }
        let f = first();
        self.bytes += self.group_cost(key.len()) + f.as_ref().map_or(0, |(_, l)| l.len());
        self.firsts.push(f);
        g
    }

    fn group_cost(&self, key_len: usize) -> usize {
        key_len + GROUP_OVERHEAD
    }

    /// Estimated bytes held: keys and state heaps as counted, plus the
    /// tables' capacities (which run up to twice their length).
    pub fn memory(&self) -> usize {
        self.bytes
            + self.index.capacity() * (std::mem::size_of::<Box<[u8]>>() + 8)
            + self.recent.slots.capacity() * std::mem::size_of::<(u64, u32, u32)>()
            + self.states.capacity() * std::mem::size_of::<State>()
            + self.firsts.capacity() * std::mem::size_of::<Line>()
    }

    /// Combines a later partial table into this one.
    pub fn absorb(&mut self, later: Table) {
        let nops = self.kinds.len();
        let Table {
            index,
            states,
            firsts,
            ..
        } = later;
        let mut states: Vec<Option<State>> = states.into_iter().map(Some).collect();
        let mut firsts: Vec<Line> = firsts;
        for (key, g2) in index {
            let g2 = g2 as usize;
            let first = firsts[g2].take();
            // In-memory states: the closure never fails.
            let added = self.add_group(Cow::Owned(key.into_vec()), first, |_, i| {
                Ok(states[g2 * nops + i].take().expect("state present"))
            });
            debug_assert!(added.is_ok());
        }
    }

    /// Adds one group's partial states (`state(kind, i)` gives the i-th)
    /// to this table: merged into the group when the key is known, as a new
    /// group otherwise. Shared by combining in-memory partials and reading
    /// spilled ones back.
    fn add_group(
        &mut self,
        key: Cow<'_, [u8]>,
        first: Line,
        mut state: impl FnMut(Kind, usize) -> Result<State>,
    ) -> Result<()> {
        let nops = self.kinds.len();
        match self.index.get(&*key) {
            Some(&g) => {
                let g = g as usize;
                for i in 0..nops {
                    let later = state(self.kinds[i], i)?;
                    let st = &mut self.states[g * nops + i];
                    let before = st.heap_size();
                    st.merge(self.kinds[i], later);
                    self.bytes += st.heap_size().saturating_sub(before);
                }
            }
            None => {
                let g = self.firsts.len();
                let mut cost = self.group_cost(key.len());
                cost += first.as_ref().map_or(0, |(_, l)| l.len());
                for i in 0..nops {
                    let st = state(self.kinds[i], i)?;
                    cost += st.heap_size();
                    self.states.push(st);
                }
                self.bytes += cost;
                self.firsts.push(first);
                self.index
                    .insert(key.into_owned().into_boxed_slice(), g as u32);
            }
        }
        Ok(())
    }

    /// Takes the keys out (moved, not copied) with their group numbers,
    /// sorted by key; the states stay for finishing.
    pub fn take_sorted(&mut self) -> Vec<(Box<[u8]>, u32)> {
        self.recent = ShortKeys::default();
        let mut v: Vec<(Box<[u8]>, u32)> = std::mem::take(&mut self.index).into_iter().collect();
        v.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        v
    }

    /// Writes every group to the partitions and empties the table.
    pub fn spill_to(&mut self, parts: &mut Partitioner) -> Result<()> {
        let nops = self.kinds.len();
        let mut rec = Vec::new();
        self.recent = ShortKeys::default();
        let index = std::mem::take(&mut self.index);
        for (key, g) in index {
            let g = g as usize;
            rec.clear();
            put_bytes(&mut rec, &key);
            match &self.firsts[g] {
                None => rec.push(0),
                Some((o, l)) => {
                    rec.push(1);
                    rec.extend_from_slice(&o.to_le_bytes());
                    put_bytes(&mut rec, l);
                }
            }
            for st in &self.states[g * nops..(g + 1) * nops] {
                st.encode(&mut rec);
            }
            parts.write(partition_of(&key, parts.len(), 0), &rec)?;
        }
        self.states = Vec::new();
        self.firsts = Vec::new();
        self.bytes = 0;
        Ok(())
    }

    /// Reads a spill record back into this table (combined in order).
    pub fn absorb_record(&mut self, rec: &[u8]) -> Result<()> {
        let bad = || Error::data("corrupt temporary file");
        let mut r = Reader { data: rec };
        let key = r.bytes().ok_or_else(bad)?;
        let first: Line = match r.u8().ok_or_else(bad)? {
            0 => None,
            _ => Some((r.u64().ok_or_else(bad)?, r.bytes().ok_or_else(bad)?.into())),
        };
        self.add_group(Cow::Borrowed(key), first, |kind, _| {
            State::decode(kind, &mut r).ok_or_else(bad)
        })
    }

    fn new_kinds(kinds: Vec<Kind>) -> Table {
        Table {
            index: HashMap::default(),
            recent: ShortKeys::default(),
            states: Vec::new(),
            firsts: Vec::new(),
            kinds,
            bytes: 0,
        }
    }
}

/// A direct-mapped cache of short keys' groups in front of the hash map:
/// a key of up to 8 bytes is one word, so a hit costs a multiply and a
/// compare, without hashing the bytes, probing or calling `memcmp` (a
/// low-cardinality key such as trips.csv's payment_type always hits).
/// Entries stay right while group numbers do: emptied with the table.
#[derive(Clone, Default)]
struct ShortKeys {
    /// `(key as a word, length + 1, group)`; length 0 marks a free slot.
    slots: Vec<(u64, u32, u32)>,
}

const SHORT_SLOTS: usize = 256;

impl ShortKeys {
    #[inline]
    fn slot(key: &[u8]) -> (u64, usize) {
        let w = crate::word::le_word(key);
        let i = (w.wrapping_mul(SEED) >> 56) as usize % SHORT_SLOTS;
        (w, i)
    }

    #[inline]
    fn get(&self, key: &[u8]) -> Option<usize> {
        self.get_word(crate::word::le_word(key), key.len())
    }

    /// The group of the key of `len` bytes (at most 8) whose `le_word`
    /// is `w`.
    #[inline]
    fn get_word(&self, w: u64, len: usize) -> Option<usize> {
        let i = (w.wrapping_mul(SEED) >> 56) as usize % SHORT_SLOTS;
        match self.slots.get(i) {
            Some(&(sw, l, g)) if sw == w && l == len as u32 + 1 => Some(g as usize),
            _ => None,
        }
    }

    #[inline]
    fn put(&mut self, key: &[u8], g: usize) {
        if self.slots.is_empty() {
            self.slots = vec![(0, 0, 0); SHORT_SLOTS];
        }
        let (w, i) = Self::slot(key);
        self.slots[i] = (w, key.len() as u32 + 1, g as u32);
    }
}

/// Tables that workers carry from chunk to chunk (order-free operations
/// only, see [`crate::ops::groupby::Spec::order_free`]): a worker takes
/// one, adds a chunk, and puts it back while its estimated size stays
/// under the limit; past it the table goes to the caller as the chunk's
/// partial. The caller takes the ones left at the end.
pub struct Carried {
    limit: usize,
    tables: std::sync::Mutex<Vec<Table>>,
}

impl Carried {
    /// No table is carried: every chunk's table goes to the caller.
    pub fn none() -> Carried {
        Carried::up_to(0)
    }

    /// Tables are carried while their estimate is under `limit` bytes.
    pub fn up_to(limit: usize) -> Carried {
        Carried {
            limit,
            tables: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// A carried table, if one is free.
    pub fn take(&self) -> Option<Table> {
        self.lock().pop()
    }

    /// Keeps `t` for a later chunk (`None`), or gives it back when it has
    /// grown past the limit.
    pub fn keep(&self, t: Table) -> Option<Table> {
        if t.memory() < self.limit {
            self.lock().push(t);
            None
        } else {
            Some(t)
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Table>> {
        // Tables go in and out whole, so a lock poisoned by a panicking
        // worker still guards whole tables.
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The spilled state of a run: partitions of group records, then sorted
/// runs of output lines.
pub struct Spill {
    pub tmp: TempDir,
    pub parts: Partitioner,
    pub spills: usize,
}

impl Spill {
    pub fn new(tmp_dirs: &[PathBuf]) -> Result<Spill> {
        let tmp = TempDir::new(tmp_dirs)?;
        let parts = Partitioner::new(&tmp, PARTITIONS, "groups")?;
        Ok(Spill {
            tmp,
            parts,
            spills: 0,
        })
    }
}

/// Finishes a spilled run: each partition is read back into `table`,
/// finished by `emit` (key, group → output line bytes), sorted and
/// written as a run; then the runs are merged by key into `out`.
pub fn finish_spilled(
    spill: Spill,
    mut table: Table,
    mut emit: impl FnMut(&mut Table, &[u8], usize, &mut Vec<u8>),
    mut out: impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    let Spill { tmp, mut parts, .. } = spill;
    table.spill_to(&mut parts)?;
    drop(table.states);
    drop(table.firsts);
    release_free_memory();
    let files = parts.finish()?;
    let mut runs = Vec::new();
    let mut rec = Vec::new();
    let mut line = Vec::new();
    for f in files {
        let mut reader = f.reader();
        let mut t = Table::new_kinds(table.kinds.clone());
        while reader.next_into(&mut rec)? {
            t.absorb_record(&rec)?;
        }
        let order = t.take_sorted();
        let mut w = SpillWriter::create(&tmp, "run")?;
        for (k, g) in order {
            line.clear();
            emit(&mut t, &k, g as usize, &mut line);
            rec.clear();
            put_bytes(&mut rec, &k);
            rec.extend_from_slice(&line);
            w.write(&rec)?;
        }
        runs.push(w.finish()?.reader());
    }
    merge_runs(runs, &mut out)
}

/// Hands freed heap back to the system before the finish phase: the
/// partial tables were allocated in the workers' malloc arenas, and glibc
/// keeps their free pages, so without this the finish phase's peak adds to
/// the accumulate phase's (measured: 201 MiB peak at -S 100M on the 1 GB
/// trips.csv before, 185 MiB after).
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// k-way merge of runs of `key + line` records by key (ties: lower run
/// first; keys are unique across partitions anyway).
fn merge_runs(mut runs: Vec<SpillReader>, out: &mut impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let mut heads: Vec<Vec<u8>> = vec![Vec::new(); runs.len()];
    let mut heap = BinaryHeap::new();
    for (i, r) in runs.iter_mut().enumerate() {
        if r.next_into(&mut heads[i])? {
            heap.push(Reverse((key_of(&heads[i]).to_vec(), i)));
        }
    }
    while let Some(Reverse((_, i))) = heap.pop() {
        let rec = &heads[i];
        let klen = key_of(rec).len();
        out(&rec[4 + klen..])?;
        if runs[i].next_into(&mut heads[i])? {
            heap.push(Reverse((key_of(&heads[i]).to_vec(), i)));
        }
    }
    Ok(())
}

fn key_of(rec: &[u8]) -> &[u8] {
    Reader { data: rec }.bytes().unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::groupby::ops::Kind;

    /// Groups found through the short-key cache are the hash map's: keys
    /// that share a word but not a length (`a`, `a\0`), keys that share a
    /// slot, and keys past 8 bytes, asked for in a shuffled order, by
    /// slice and by range of a longer buffer.
    #[test]
    fn short_key_cache_agrees_with_the_map() {
        let ops = [Op {
            kind: Kind::Count,
            name: String::new(),
            field: 0,
        }];
        let mut t = Table::new(&ops);
        let mut keys: Vec<Vec<u8>> =
            vec![b"a".to_vec(), b"a\0".to_vec(), b"".to_vec(), b"\0".to_vec()];
        keys.extend((0..3000u32).map(|i| format!("k{i}").into_bytes()));
        keys.extend((0..50u32).map(|i| format!("a longer key {i}").into_bytes()));
        let mut want = HashMap::new();
        let mut seed = 1u64;
        for _ in 0..40_000 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            let k = &keys[(seed >> 33) as usize % keys.len()];
            let next = want.len();
            let g = *want.entry(k.clone()).or_insert(next);
            // Every other key through `group_in`, from a buffer where 0
            // to 9 bytes of the next key's kind follow it.
            let g2 = if seed >> 63 == 0 {
                t.group(k, || None)
            } else {
                let mut buf = k.clone();
                buf.extend(b"k1\0a9".iter().cycle().take((seed >> 20) as usize % 10));
                t.group_in(&buf, 0..k.len(), || None)
            };
            assert_eq!(g2, g, "{:?}", bstr::BStr::new(k));
        }
        assert_eq!(t.len(), want.len());
    }
}
