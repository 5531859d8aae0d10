//! The hash indexes from packed states to their numbers, open addressing with linear
//! probing: a slot holds a one-word state and its number together ([`KeyIndex`]), or
//! a number and seven bits of the hash ([`IdIndex`]); and how a search with either
//! numbers a batch's targets, reading all their slots first so that the cache misses
//! overlap.

use threshold_runtime::Stop;

use super::bfs::{Numbering, Step};
use super::graph::{Bounds, Graph, Kind, NO_PARENT, NO_STATE};

#[inline]
pub(super) fn hash_words(w: &[u64]) -> u64 {
    let mut h = 0x243F_6A88_85A3_08D3u64;
    for &x in w {
        h = (h ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h ^= h >> 29;
    }
    h ^= h >> 32;
    h = h.wrapping_mul(0xD6E8_FEB8_6659_FD93);
    h ^ (h >> 32)
}

#[inline]
fn same_words(a: &[u64], b: &[u64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

const EMPTY: u32 = u32::MAX;

/// number, or else the first empty slot.
#[inline]
fn probe<T: Copy + PartialEq>(
    slots: &[T],
    h: u64,
    empty: T,
    mut hit: impl FnMut(T) -> Option<u32>,
) -> Result<u32, usize> {
    let mask = slots.len() - 1;
    let mut i = h as usize & mask;
    loop {
        let slot = slots[i];
        if slot == empty {
            return Err(i);
        }
        if let Some(id) = hit(slot) {
            return Ok(id);
        }
        i = (i + 1) & mask;
    }
}

/// The first free slot of the probe sequence of `h`.
fn free_slot<T: Copy + PartialEq>(slots: &[T], h: u64, empty: T) -> usize {
    match probe(slots, h, empty, |_| None) {
        Err(free) => free,
        Ok(_) => unreachable!("a probe that accepts no slot ends at an empty one"),
    }
}

fn slot_count(room: usize) -> usize {
    (room * 8 / 7 + 1).next_power_of_two().max(16)
}

/// An empty slot of a [`KeyIndex`]: zero, so that a new table is memory the system
/// hands out zeroed, written only where states go.
const KEY_EMPTY: u64 = 0;

/// Open addressing with linear probing over one `u64` a slot, which holds a packed
/// state of one word in its low `key_bits` bits and the state's number plus one above
/// them, so that no slot in use is zero.
pub(super) struct KeyIndex {
    slots: Vec<u64>,
    len: usize,
    key_bits: u32,
    key_mask: u64,
}

impl KeyIndex {
    pub(super) fn new(room: usize, key_bits: u32) -> Self {
        KeyIndex {
            slots: vec![KEY_EMPTY; slot_count(room)],
            len: 0,
            key_bits,
            key_mask: if key_bits == 0 {
                0
            } else {
                u64::MAX >> (64 - key_bits)
            },
        }
    }
}

/// Open addressing with linear probing over one `u32` a slot, which holds the state's
/// number and, in its top bits, seven bits of the key's hash, so that a probe seldom
/// reads a packed state that does not match. (When state numbers may need more than
/// 25 bits, slots hold the number alone.)
pub(super) struct IdIndex {
    slots: Vec<u32>,
    len: usize,
    tag_bits: u32,
    id_mask: u32,
}

impl IdIndex {
    pub(super) fn new(room: usize, max_entries: usize) -> Self {
        let tag_bits = if max_entries < (1 << 25) - 1 { 7 } else { 0 };
        IdIndex {
            slots: vec![EMPTY; slot_count(room)],
            len: 0,
            tag_bits,
            id_mask: u32::MAX >> tag_bits,
        }
    }

    #[inline]
    fn tag(&self, h: u64) -> u32 {
        if self.tag_bits == 0 {
            0
        } else {
            ((h >> (64 - self.tag_bits)) as u32) << (32 - self.tag_bits)
        }
    }
}

/// What a search asks of a hash index.
pub(super) trait Table {
    /// The number of the state whose packed words are `key` (looked up by its hash
    /// `h`), or the free slot where it would go.
    fn find(&self, h: u64, key: &[u64], packed: &[u64]) -> Result<u32, usize>;
    /// Reads the slots each hash will probe (and, for a table of numbers, the packed
    /// state a matching slot names) before any is needed: the reads for different
    /// hashes do not depend on each other, so their cache misses overlap.
    fn touch(&self, hashes: impl Iterator<Item = u64>, packed: &[u64], w: usize);
    fn put(&mut self, slot: usize, h: u64, key: &[u64], id: u32);
    /// Whether one more state would fill the table beyond seven eighths.
    fn full(&self) -> bool;
    /// Doubles the slots; `packed` and `kinds` are the graph's states so far.
    fn grow(&mut self, packed: &[u64], w: usize, kinds: &[Kind]);
    /// The first free slot of the probe sequence of `h`.
    fn free_slot(&self, h: u64) -> usize;
    /// The bytes the table holds.
    fn bytes(&self) -> usize;
}

impl Table for KeyIndex {
    #[inline(always)]
    fn find(&self, h: u64, key: &[u64], _packed: &[u64]) -> Result<u32, usize> {
        probe(&self.slots, h, KEY_EMPTY, |slot| {
            (slot & self.key_mask == key[0]).then_some(((slot >> self.key_bits) - 1) as u32)
        })
    }

    /// Reads the cache line of each hash's home slot, and the line after it, where
    /// a probe that runs past the end of the first goes on.
    fn touch(&self, hashes: impl Iterator<Item = u64>, _packed: &[u64], _w: usize) {
        let mask = self.slots.len() - 1;
        let mut acc = 0u64;
        for h in hashes {
            let i = h as usize & mask;
            acc ^= self.slots[i] ^ self.slots[((i | 7) + 1) & mask];
        }
        std::hint::black_box(acc);
    }

    #[inline]
    fn put(&mut self, slot: usize, _h: u64, key: &[u64], id: u32) {
        self.slots[slot] = key[0] | ((u64::from(id) + 1) << self.key_bits);
        self.len += 1;
    }

    #[inline]
    fn full(&self) -> bool {
        (self.len + 1) * 8 > self.slots.len() * 7
    }

    /// Each slot holds its key, so the old slots are read in order and the new ones
    /// written near two advancing positions (a key's new home is its old home, or
    /// that plus the old size): both sweeps read memory in order, so growing costs
    /// little beyond the copy.
    fn grow(&mut self, _packed: &[u64], _w: usize, _kinds: &[Kind]) {
        let size = self.slots.len() * 2;
        let old = std::mem::replace(&mut self.slots, vec![KEY_EMPTY; size]);
        for &slot in &old {
            if slot != KEY_EMPTY {
                let h = hash_words(&[slot & self.key_mask]);
                let free = free_slot(&self.slots, h, KEY_EMPTY);
                self.slots[free] = slot;
            }
        }
    }

    fn free_slot(&self, h: u64) -> usize {
        free_slot(&self.slots, h, KEY_EMPTY)
    }

    fn bytes(&self) -> usize {
        std::mem::size_of_val(&self.slots[..])
    }
}

impl Table for IdIndex {
    #[inline(always)]
    fn find(&self, h: u64, key: &[u64], packed: &[u64]) -> Result<u32, usize> {
        let w = key.len();
        let tag = self.tag(h);
        probe(&self.slots, h, EMPTY, |slot| {
            let id = (slot & self.id_mask) as usize;
            (slot & !self.id_mask == tag && same_words(&packed[id * w..(id + 1) * w], key))
                .then_some(id as u32)
        })
    }

    fn touch(&self, hashes: impl Iterator<Item = u64>, packed: &[u64], w: usize) {
        let mask = self.slots.len() - 1;
        let mut acc = 0u64;
        for h in hashes {
            let tag = self.tag(h);
            let mut i = h as usize & mask;
            loop {
                let slot = self.slots[i];
                if slot == EMPTY {
                    break;
                }
                if slot & !self.id_mask == tag {
                    let id = (slot & self.id_mask) as usize;
                    acc ^= packed.get(id * w).copied().unwrap_or(0);
                    break;
                }
                i = (i + 1) & mask;
            }
        }
        std::hint::black_box(acc);
    }

    #[inline]
    fn put(&mut self, slot: usize, h: u64, _key: &[u64], id: u32) {
        self.slots[slot] = self.tag(h) | id;
        self.len += 1;
    }

    #[inline]
    fn full(&self) -> bool {
        (self.len + 1) * 8 > self.slots.len() * 7
    }

    /// The table of numbers frees its old slots first (so the two are never held at
    /// once) and puts every state of `packed` (but the divert-loop markers) back in.
    fn grow(&mut self, packed: &[u64], w: usize, kinds: &[Kind]) {
        let size = self.slots.len() * 2;
        self.slots = Vec::new();
        self.slots = vec![EMPTY; size];
        self.len = 0;
        for (id, kind) in kinds.iter().enumerate() {
            if *kind != Kind::DivertLoop {
                let h = hash_words(&packed[id * w..(id + 1) * w]);
                let slot = free_slot(&self.slots, h, EMPTY);
                self.put(slot, h, &[], id as u32);
            }
        }
    }

    fn free_slot(&self, h: u64) -> usize {
        free_slot(&self.slots, h, EMPTY)
    }

    fn bytes(&self) -> usize {
        std::mem::size_of_val(&self.slots[..])
    }
}

/// A hash index and the transitions of the batch it has yet to number: each step
/// with its target's hash (zero for a divert loop, which is not looked up), and the
/// targets packed one after another in `keys`.
pub(super) struct Hashed<T> {
    table: T,
    steps: Vec<(Step, u64)>,
    keys: Vec<u64>,
}

impl<T: Table> Hashed<T> {
    pub(super) fn new(table: T) -> Self {
        Hashed {
            table,
            steps: Vec::new(),
            keys: Vec::new(),
        }
    }

    /// The number of the state packed as `key` (with hash `h`; both ignored for a
    /// divert loop), adding it if it is new; [`NO_STATE`] when the search must stop.
    #[inline(always)]
    fn intern(
        &mut self,
        g: &mut Graph,
        key: &[u64],
        h: u64,
        step: Step,
        bounds: &mut Bounds,
    ) -> u32 {
        match step.stop {
            Stop::DivertLoop { node } => {
                return g.divert_loop(node, step.from, step.choice, bounds)
            }
            Stop::DivertLimit { node } => return g.divert_limit(node),
            _ => {}
        }
        match self.table.find(h, key, &g.packed) {
            Ok(id) => id,
            Err(slot) => self.add(g, slot, key, h, step, bounds),
        }
    }

    /// Adds the new state packed as `key` (with hash `h`), whose slot would be
    /// `slot`; or, at the limit, records why the search stops and returns
    /// [`NO_STATE`].
    #[inline]
    fn add(
        &mut self,
        g: &mut Graph,
        mut slot: usize,
        key: &[u64],
        h: u64,
        step: Step,
        bounds: &Bounds,
    ) -> u32 {
        if g.at_limit(bounds) {
            return NO_STATE;
        }
        if self.table.full() {
            slot = self.grow(g, h);
        }
        let id = g.push_state(key, step.stop, step.from, step.choice);
        self.table.put(slot, h, key, id);
        id
    }

    /// Doubles the table's slots; returns the free slot for hash `h` after.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, g: &Graph, h: u64) -> usize {
        self.table.grow(&g.packed, g.layout.words(), &g.kinds);
        self.table.free_slot(h)
    }
}

/// A batch's transitions are run first and their targets packed; then the slots (and
/// the packed states they name) of all the targets are read, so that their cache
/// misses overlap; then the targets are numbered one by one, in order.
impl<T: Table> Numbering for Hashed<T> {
    fn bytes(&self, _states: usize, _edges: usize) -> usize {
        self.table.bytes()
    }

    fn first(&mut self, g: &mut Graph, key: &[u64], stop: Stop, bounds: &mut Bounds) -> u32 {
        let step = Step {
            from: NO_PARENT,
            choice: 0,
            stop,
        };
        self.intern(g, key, hash_words(key), step, bounds)
    }

    fn begin(&mut self, _g: &mut Graph, _choices: usize, _bounds: &Bounds) {
        self.steps.clear();
        self.keys.clear();
    }

    #[inline(always)]
    fn edge(&mut self, _g: &mut Graph, step: Step, target: &[u64], _bounds: &mut Bounds) -> bool {
        let h = if matches!(
            step.stop,
            Stop::DivertLoop { .. } | Stop::DivertLimit { .. }
        ) {
            0
        } else {
            hash_words(target)
        };
        self.steps.push((step, h));
        if let [word] = target {
            self.keys.push(*word);
        } else {
            self.keys.extend_from_slice(target);
        }
        true
    }

    /// Numbers the batch's targets in order, and records the edges of the batch's
    /// states `states`; stops at the limit.
    fn end(&mut self, g: &mut Graph, states: std::ops::Range<usize>, bounds: &mut Bounds) -> bool {
        let w = g.layout.words();
        self.table
            .touch(self.steps.iter().map(|&(_, h)| h), &g.packed, w);
        let steps = std::mem::take(&mut self.steps);
        let keys = std::mem::take(&mut self.keys);
        let mut pending = steps.iter().zip(keys.chunks_exact(w)).peekable();
        let mut go_on = true;
        'states: for h in states {
            g.edge_start.push(g.edges.len() as u32);
            while let Some((&(step, hash), key)) =
                pending.next_if(|((s, _), _)| s.from as usize == h)
            {
                let t = self.intern(g, key, hash, step, bounds);
                if t == NO_STATE {
                    go_on = false;
                    break 'states;
                }
                g.push_edge(t, step.choice);
            }
        }
        self.steps = steps;
        self.keys = keys;
        go_on
    }
}
