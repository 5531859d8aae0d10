//! Explicit-state exploration: every reachable choice-point state of a story, packed
//! into a few machine words, found breadth-first with the runtime's transition function.
//!
//! Memory is the limit on what can be explored, so the graph keeps per state only its
//! packed words, its kind, its parent and the choice from the parent, and its edges in
//! compressed-row form; the choice index of an edge takes one byte. The index that finds
//! a packed state's number holds one word a slot (the packed state and its number, when
//! they fit together) or one `u32` (the number and hash bits), and is dropped when the
//! search ends, before the strongly connected components are computed.

use threshold_runtime::ir::{NodeKind, Story, VarType};
use threshold_runtime::{get_bit, set_bit, Runner, Sink, State, Stop, DIVERT_LIMIT};

use crate::footprint::{Entry, Footprints, Known, Memo, WordPrint};

mod bits;
use bits::{or_bits, read_bits};

/// The default for `--max-states`.
pub const DEFAULT_MAX_STATES: usize = 10_000_000;

/// The default memory budget of a search, in MiB (`--max-memory`).
pub const DEFAULT_MAX_MEMORY_MIB: usize = 2048;

/// The bytes a state costs in the graph besides its packed words, for the memory
/// budget: its kind (1), parent (4), choice from the parent (4) and first edge (4),
/// about three edges (5 bytes each), and its share of the index while the search
/// runs (about 12).
const BYTES_PER_STATE: usize = 40;

/// The bytes an entry of the graph holds besides its packed words and edges: kind
/// (1), parent (4), choice from the parent (4) and first edge (4).
const HELD_BYTES_PER_ENTRY: usize = 13;

/// The bytes an entry costs once the search ends, in the strongly connected
/// components and the soundness phase's tables (which outlive the index).
const AFTER_SEARCH_BYTES_PER_ENTRY: usize = 12;

/// How far a search may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_states: usize,
    /// In MiB.
    pub max_memory: usize,
}

impl Limits {
    /// At most `max_states` states, within the default memory budget.
    pub fn states(max_states: usize) -> Limits {
        Limits {
            max_states,
            max_memory: DEFAULT_MAX_MEMORY_MIB,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::states(DEFAULT_MAX_STATES)
    }
}

impl std::fmt::Display for Stopped {
    /// What the search reached, as a clause: "the story has more than 10 states".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Stopped::States(max) => write!(f, "the story has more than {max} states"),
            Stopped::Memory {
                states,
                bytes_per_state,
                max_memory,
            } => write!(
                f,
                "exploration stopped after {states} states: a state of this story takes \
                 {bytes_per_state} bytes, and more would pass the memory budget of \
                 {max_memory} MiB"
            ),
            Stopped::Diverts { .. } => write!(
                f,
                "a divert chain reached its 1,000,001st divert in one transition without \
                 repeating a configuration"
            ),
        }
    }
}

/// Why a search stopped before it had seen every reachable state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// It reached `max_states` states.
    States(usize),
    /// It reached `states` states, at `bytes_per_state` bytes each, and more would
    /// pass the memory budget of `max_memory` MiB.
    Memory {
        states: usize,
        bytes_per_state: usize,
        max_memory: usize,
    },
    /// A divert chain reached the runtime's divert limit ([`Stop::DivertLimit`]);
    /// `node` is the node its last divert enters.
    Diverts { node: u32 },
}

// The message of `Stopped::Diverts` spells the limit out.
const _: () = assert!(DIVERT_LIMIT == 1_000_000);

/// Bit `i` of a packed state, as `(word, bit)`.
fn single_bit(i: usize) -> (u32, u64) {
    ((i / 64) as u32, 1 << (i % 64))
}

/// A field of a packed state: `mask` is zero for a field of no bits (a node count of
/// one, or a variable with a one-value range), which then reads as zero.
#[derive(Debug, Clone, Copy)]
struct Field {
    word: u32,
    shift: u32,
    mask: u64,
}

impl Field {
    #[inline]
    fn put(self, out: &mut [u64], v: u64) {
        out[self.word as usize] |= (v & self.mask) << self.shift;
    }

    #[inline]
    fn get(self, words: &[u64]) -> u64 {
        (words[self.word as usize] >> self.shift) & self.mask
    }
}

/// How a [`State`] is packed: a field for the node and each variable, then one bit per
/// once-only choice, then one bit per node that some `seen()` names.
#[derive(Debug, Clone)]
pub struct Layout {
    words: usize,
    /// Bits in use.
    bits: usize,
    node: Field,
    /// How many nodes there are.
    nodes: u64,
    vars: Vec<(Field, i64)>,
    /// How many values each variable can take (up to 2^64, for the full range).
    values: Vec<u128>,
    /// First bit of the once-only bits: the runtime's [`State::taken`], bit for bit
    /// (`taken_of[choice_id]` is a choice's number there, [`NONE`] for a sticky one).
    taken_start: usize,
    taken_of: Vec<u32>,
    /// How many once-only choices there are.
    taken_len: usize,
    seen_start: usize,
    seen_nodes: Vec<u32>,
}

const NONE: u32 = u32::MAX;

fn bits_for(values: u128) -> u32 {
    if values <= 1 {
        0
    } else {
        128 - (values - 1).leading_zeros()
    }
}

impl Layout {
    pub fn new(story: &Story) -> Self {
        let mut cursor = 0usize;
        let mut alloc = |bits: u32| -> Field {
            if bits == 0 {
                return Field {
                    word: 0,
                    shift: 0,
                    mask: 0,
                };
            }
            if cursor % 64 + bits as usize > 64 {
                cursor = cursor.div_ceil(64) * 64;
            }
            let f = Field {
                word: (cursor / 64) as u32,
                shift: (cursor % 64) as u32,
                mask: if bits == 64 {
                    u64::MAX
                } else {
                    (1u64 << bits) - 1
                },
            };
            cursor += bits as usize;
            f
        };
        let node = alloc(bits_for(story.nodes.len() as u128));
        let values: Vec<u128> = story
            .variables
            .iter()
            .map(|v| match v.ty {
                VarType::Int { lo, hi } => (i128::from(hi) - i128::from(lo) + 1).max(1) as u128,
                VarType::Bool => 2,
            })
            .collect();
        let vars = story
            .variables
            .iter()
            .zip(&values)
            .map(|(v, &n)| {
                let lo = match v.ty {
                    VarType::Int { lo, .. } => lo,
                    VarType::Bool => 0,
                };
                (alloc(bits_for(n)), lo)
            })
            .collect();
        // The runtime's numbering of once-only choices, so that its bits are copied
        // as one run.
        let runner = Runner::new(story);
        let taken_of: Vec<u32> = (0..runner.choice_count())
            .map(|c| runner.once_only_id(c).unwrap_or(NONE))
            .collect();
        let taken_len = runner.once_only_count() as usize;
        let taken_start = cursor;
        cursor += taken_len;
        let seen_nodes = story.seen_nodes();
        let seen_start = cursor;
        cursor += seen_nodes.len();
        Layout {
            words: cursor.div_ceil(64).max(1),
            bits: cursor,
            node,
            nodes: story.nodes.len() as u64,
            vars,
            values,
            taken_start,
            taken_of,
            taken_len,
            seen_start,
            seen_nodes,
        }
    }

    /// Words per packed state.
    #[inline]
    pub fn words(&self) -> usize {
        self.words
    }

    #[inline]
    pub fn pack(&self, s: &State, out: &mut [u64]) {
        if self.words == 1 {
            // Every field is in the one word.
            let mut x = (u64::from(s.node) & self.node.mask) << self.node.shift;
            for ((f, lo), &v) in self.vars.iter().zip(&s.vars) {
                x |= (v.wrapping_sub(*lo) as u64 & f.mask) << f.shift;
            }
            out[0] = x;
        } else {
            for o in out.iter_mut() {
                *o = 0;
            }
            self.node.put(out, u64::from(s.node));
            for ((f, lo), &v) in self.vars.iter().zip(&s.vars) {
                f.put(out, v.wrapping_sub(*lo) as u64);
            }
        }
        if self.taken_len != 0 {
            or_bits(out, self.taken_start, &s.taken, self.taken_len);
        }
        // Without a branch: whether a node was seen follows no pattern.
        for (i, &n) in self.seen_nodes.iter().enumerate() {
            let bit = self.seen_start + i;
            out[bit / 64] |= u64::from(s.has_seen(n)) << (bit % 64);
        }
    }

    /// Unpacks into `s`, which must have the story's shape (from [`Runner::initial_state`]).
    #[inline]
    pub fn unpack(&self, words: &[u64], s: &mut State) {
        s.node = self.node.get(words) as u32;
        for ((f, lo), v) in self.vars.iter().zip(s.vars.iter_mut()) {
            *v = (f.get(words) as i64).wrapping_add(*lo);
        }
        read_bits(words, self.taken_start, self.taken_len, &mut s.taken);
        // Only the nodes some `seen()` names have bits in a state: each is written,
        // and nothing else of `seen` needs clearing.
        for (i, &n) in self.seen_nodes.iter().enumerate() {
            let bit = self.seen_start + i;
            let (w, b) = (n as usize / 64, n % 64);
            let v = (words[bit / 64] >> (bit % 64)) & 1;
            s.seen[w] = (s.seen[w] & !(1 << b)) | (v << b);
        }
    }

    /// Bits in use.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// How many bits hold the node.
    pub(crate) fn node_bits(&self) -> u32 {
        self.node.mask.count_ones()
    }

    /// The node field as `(word, shift, length)`, if it has bits.
    pub(crate) fn node_run(&self) -> Option<(u32, u32, u32)> {
        (self.node.mask != 0).then_some((self.node.word, self.node.shift, self.node_bits()))
    }

    /// The bits that hold variable `v`, as `(word, bits)`.
    pub(crate) fn var_bits(&self, v: u32) -> Option<(u32, u64)> {
        let f = self.vars[v as usize].0;
        (f.mask != 0).then_some((f.word, f.mask << f.shift))
    }

    /// The bit that marks once-only choice `choice_id` as taken (none for a sticky
    /// choice), as `(word, bit)`.
    pub(crate) fn taken_bit(&self, choice_id: u32) -> Option<(u32, u64)> {
        match self.taken_of[choice_id as usize] {
            NONE => None,
            t => Some(single_bit(self.taken_start + t as usize)),
        }
    }

    /// The bit that records whether `node` was entered (none if no `seen()` names
    /// it), as `(word, bit)`.
    pub(crate) fn seen_bit(&self, node: u32) -> Option<(u32, u64)> {
        let i = self.seen_nodes.binary_search(&node).ok()?;
        Some(single_bit(self.seen_start + i))
    }

    /// The node of a packed state.
    #[inline]
    fn node_of(&self, words: &[u64]) -> u32 {
        self.node.get(words) as u32
    }
}

/// What an explored state is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Waits for a choice; at least one is available.
    Waiting,
    Outcome,
    DeadEnd,
    /// Not a state: stands for "the diverts from here run in a circle"; its node is
    /// the first node of the circle.
    DivertLoop,
}

/// The explored state graph. States are numbered in breadth-first order, choices in
/// source order, so following [`Graph::parent`] gives the shortest path whose choice
/// numbers are lexicographically smallest.
#[derive(Debug)]
pub struct Graph {
    pub layout: Layout,
    /// The packed states, `layout.words()` words each; a divert-loop marker holds
    /// only its node (the loop's first node).
    packed: Vec<u64>,
    pub kinds: Vec<Kind>,
    pub parent: Vec<u32>,
    /// The index, among the node's choices, of the choice that led here.
    pub parent_choice: Vec<u32>,
    edge_start: Vec<u32>,
    /// Successors, and the choice index that leads to each: one byte, or
    /// [`WIDE`] with the index in `wide_choices`.
    edges: Vec<u32>,
    edge_choice: Vec<u8>,
    /// `(edge, choice index)` for the edges whose index does not fit in a byte,
    /// in edge order.
    wide_choices: Vec<(u32, u32)>,
    /// Nodes entered by some play.
    pub entered: Vec<u64>,
    /// Choices (story-wide ids) offered in some state.
    pub offered: Vec<u64>,
    /// Why exploration stopped before it had seen every reachable state, if it did.
    pub stopped: Option<Stopped>,
    /// States where play waits or ends (divert-loop markers excluded).
    pub state_count: usize,
}

const WIDE: u8 = u8::MAX;

struct Entered<'a>(&'a mut Vec<u64>);

impl Sink for Entered<'_> {
    #[inline]
    fn enter(&mut self, node: u32) {
        set_bit(self.0, node as usize);
    }
}

#[inline]
fn hash_words(w: &[u64]) -> u64 {
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

pub const NO_PARENT: u32 = u32::MAX;

const EMPTY: u32 = u32::MAX;

/// The search's index from packed states to their numbers, in one of three forms.
/// When every combination of node, values and marks a state can take is few enough,
/// a table has a slot for each, and a lookup is one read. Otherwise the index is a
/// hash table: when a packed state and a state number fit in one word together, each
/// slot holds both, and a lookup reads nothing else; otherwise each slot holds the
/// number and seven bits of the hash, and a lookup reads the packed state the number
/// names.
enum Index {
    Direct(DirectIndex),
    Keys(KeyIndex),
    Ids(IdIndex),
}

impl Index {
    /// An index with room for `room` states, whose numbers stay below `max_entries`,
    /// for states of `layout`; a direct table only if it takes at most `direct_bytes`,
    /// and one of bits only if the search takes the one-word loop (`words_loop`),
    /// which numbers states without the index.
    fn new(
        room: usize,
        max_entries: usize,
        layout: &Layout,
        form: IndexForm,
        direct_bytes: usize,
        words_loop: bool,
    ) -> Self {
        if matches!(form, IndexForm::Best | IndexForm::NoMemo) {
            if let Some(x) = DirectIndex::new(layout, direct_bytes, false) {
                return Index::Direct(x);
            }
        }
        let bits = matches!(form, IndexForm::Best | IndexForm::Bits);
        if bits && words_loop && max_entries < NUMBERED as usize {
            if let Some(x) = DirectIndex::new(layout, direct_bytes, true) {
                return Index::Direct(x);
            }
        }
        // Slots of the second form hold a number plus one, up to `max_entries + 1`.
        let id_bits = bits_for(max_entries as u128 + 2) as usize;
        if form != IndexForm::Ids && layout.words == 1 && layout.bits + id_bits < 64 {
            Index::Keys(KeyIndex::new(room, layout.bits as u32))
        } else {
            Index::Ids(IdIndex::new(room, max_entries))
        }
    }

    /// What the index looks a packed state up by: its number among all combinations
    /// for a direct table, its hash otherwise.
    #[inline]
    fn hash(&self, key: &[u64]) -> u64 {
        match self {
            Index::Direct(x) => x.code(key[0]),
            Index::Keys(_) | Index::Ids(_) => hash_words(key),
        }
    }

    /// The number of the state whose packed words are `key` (looked up by `h`, from
    /// [`Index::hash`]), or the free slot where it would go.
    #[inline(always)]
    fn find(&self, h: u64, key: &[u64], packed: &[u64]) -> Result<u32, usize> {
        match self {
            Index::Direct(x) => x.find(h),
            Index::Keys(x) => x.find(h, key[0]),
            Index::Ids(x) => x.find(h, key, packed),
        }
    }

    /// Reads the slots each hash will probe (and, for the second form, the packed
    /// state a matching slot names) before any is needed: the reads for different
    /// hashes do not depend on each other, so their cache misses overlap.
    fn touch(&self, hashes: impl Iterator<Item = u64>, packed: &[u64], w: usize) {
        match self {
            Index::Direct(x) => x.touch(hashes),
            Index::Keys(x) => x.touch(hashes),
            Index::Ids(x) => x.touch(hashes, packed, w),
        }
    }

    /// The bytes numbering the edges takes when the search ends, for a table of bits
    /// only ([`Graph::number_in_parts`]: the states' words and a copy of the edges,
    /// sorted by part).
    fn numbering_bytes(&self, states: usize, edges: usize) -> usize {
        match self {
            Index::Direct(x) if x.slots.is_empty() => states * 8 + edges * 4,
            _ => 0,
        }
    }

    /// The bytes the index holds.
    fn bytes(&self) -> usize {
        match self {
            Index::Direct(x) => {
                std::mem::size_of_val(&x.slots[..]) + std::mem::size_of_val(&x.present[..])
            }
            Index::Keys(x) => std::mem::size_of_val(&x.slots[..]),
            Index::Ids(x) => std::mem::size_of_val(&x.slots[..]),
        }
    }

    /// Whether one more state would fill a hash table beyond seven eighths (a direct
    /// table has a slot for every state already).
    #[inline]
    fn full(&self) -> bool {
        let (len, slots) = match self {
            Index::Direct(_) => return false,
            Index::Keys(x) => (x.len, x.slots.len()),
            Index::Ids(x) => (x.len, x.slots.len()),
        };
        (len + 1) * 8 > slots * 7
    }

    #[inline]
    fn put(&mut self, slot: usize, h: u64, key: &[u64], id: u32) {
        match self {
            Index::Direct(x) => x.put(slot, id),
            Index::Keys(x) => x.put(slot, key[0], id),
            Index::Ids(x) => x.put(slot, h, id),
        }
    }

    fn free_slot(&self, h: u64) -> usize {
        match self {
            Index::Direct(_) => h as usize,
            Index::Keys(x) => free_slot(&x.slots, h, KEY_EMPTY),
            Index::Ids(x) => free_slot(&x.slots, h, EMPTY),
        }
    }

    /// Doubles the slots of a hash table. The one-word table reads its keys back from
    /// the old slots; the table of numbers frees its old slots first (so the two are
    /// never held at once) and puts every state of `packed` (but the divert-loop
    /// markers) back in.
    fn grow(&mut self, packed: &[u64], w: usize, kinds: &[Kind]) {
        match self {
            Index::Direct(_) => unreachable!("a direct table is never full"),
            Index::Keys(x) => x.grow(),
            Index::Ids(x) => {
                let size = x.slots.len() * 2;
                x.slots = Vec::new();
                x.slots = vec![EMPTY; size];
                x.len = 0;
                for (id, kind) in kinds.iter().enumerate() {
                    if *kind != Kind::DivertLoop {
                        let h = hash_words(&packed[id * w..(id + 1) * w]);
                        let slot = free_slot(&x.slots, h, EMPTY);
                        x.put(slot, h, id as u32);
                    }
                }
            }
        }
    }
}

/// The most bytes a [`DirectIndex`] may take (within the memory budget, a quarter of
/// it at most).
const DIRECT_MAX_BYTES: usize = 16 << 20;

/// The most bytes a direct table may take within `limits`.
fn direct_bytes(limits: Limits) -> usize {
    DIRECT_MAX_BYTES.min(limits.max_memory.saturating_mul(1 << 20) / 4)
}

/// A slot for every combination of node, variable values, once-only marks and `seen`
/// marks a state of one word can take, found by the combination's number in mixed
/// radix: a lookup is one read, with no hashing, probing or growth. A slot holds the
/// state's number plus one, so that zero is empty and a new table is memory the
/// system hands out zeroed, whose pages are touched only where states go.
///
/// The number is linear in the bits of the packed word (a field's value times the
/// field's stride is the sum of its set bits' weights), so it is read a byte at a
/// time from small tables: `bytes[k][b]` is what byte `k` of the word adds when it
/// is `b`. A table is only made for states of at most [`DIRECT_WORD_BYTES`] bytes,
/// so that the number is always the sum of that many reads.
///
/// When a slot for every combination would take too much room, a table of bits
/// only (no `slots`) may still fit, at a bit a combination: the one-word loop
/// tells new states by their bits and leaves numbering its edges to the end of the
/// search ([`Graph::number_edges`]), which numbers them a part of the combinations
/// at a time ([`Graph::number_in_parts`]).
struct DirectIndex {
    /// Empty for a table of bits only.
    slots: Vec<u32>,
    /// A bit for each combination, set when it is a state found: an eighth of a
    /// byte a combination, so that the one-word loop tells new targets from known
    /// ones without reading the slots.
    present: Vec<u64>,
    /// How many combinations there are.
    combos: usize,
    bytes: Box<[[u32; 256]; DIRECT_WORD_BYTES]>,
}

/// The most bytes of a packed state a direct table reads its number from.
const DIRECT_WORD_BYTES: usize = 4;

impl DirectIndex {
    /// A table for states of `layout`, if they are one word and the table takes at
    /// most `max_bytes`: a slot for each combination, or a bit only (`bits_only`).
    fn new(layout: &Layout, max_bytes: usize, bits_only: bool) -> Option<DirectIndex> {
        if layout.words != 1 || layout.bits > 8 * DIRECT_WORD_BYTES {
            return None;
        }
        let marks = layout.bits - layout.taken_start;
        let mut fields = vec![(layout.node.shift, layout.node.mask, 1u64)];
        let mut combos = layout.nodes.max(1);
        for ((f, _), &n) in layout.vars.iter().zip(&layout.values) {
            fields.push((f.shift, f.mask, combos));
            combos = combos.checked_mul(u64::try_from(n).ok()?)?;
        }
        let mask = if marks == 0 {
            0
        } else {
            u64::MAX >> (64 - marks)
        };
        fields.push((layout.taken_start as u32, mask, combos));
        combos = combos.checked_mul(1u64.checked_shl(marks as u32)?)?;
        let slots = usize::try_from(combos).ok()?;
        // The one-word loop's edges hold a combination below `NUMBERED` until they
        // are numbered.
        if combos >= u64::from(NUMBERED) {
            return None;
        }
        let bytes_needed = if bits_only {
            slots.div_ceil(8)
        } else {
            slots.checked_mul(4)?
        };
        if bytes_needed > max_bytes {
            return None;
        }
        // The weight of each bit of the word: its place in its field, times the
        // field's stride.
        let mut weight = [0u64; 64];
        for (shift, mask, stride) in fields {
            for j in 0..mask.count_ones() {
                weight[(shift + j) as usize] = stride << j;
            }
        }
        // A state's number is below `slots`, below 2^31; what a byte adds fits in
        // `u32` (a byte no state has may add more than `slots`).
        let mut bytes = Box::new([[0u32; 256]; DIRECT_WORD_BYTES]);
        for (k, t) in bytes.iter_mut().enumerate() {
            for (b, sum) in t.iter_mut().enumerate() {
                let w: u64 = (0..8)
                    .filter(|j| b & (1 << j) != 0)
                    .map(|j| weight[k * 8 + j])
                    .sum();
                *sum = u32::try_from(w).ok()?;
            }
        }
        Some(DirectIndex {
            slots: if bits_only {
                Vec::new()
            } else {
                vec![0; slots]
            },
            present: vec![0; slots.div_ceil(64)],
            combos: slots,
            bytes,
        })
    }

    /// The number of the combination the one-word state `word` is.
    #[inline]
    fn code(&self, word: u64) -> u64 {
        let [t0, t1, t2, t3] = &*self.bytes;
        let byte = |k: u32| ((word >> (8 * k)) & 0xFF) as usize;
        u64::from(t0[byte(0)])
            + u64::from(t1[byte(1)])
            + u64::from(t2[byte(2)])
            + u64::from(t3[byte(3)])
    }

    #[inline]
    fn find(&self, code: u64) -> Result<u32, usize> {
        if self.slots.is_empty() {
            // A table of bits only is looked up here just once, for the first
            // state, while it is empty; the one-word loop numbers the rest.
            assert!(!self.has(code), "a table of bits only gives no numbers");
            return Err(code as usize);
        }
        match self.slots[code as usize] {
            0 => Err(code as usize),
            v => Ok(v - 1),
        }
    }

    fn touch(&self, codes: impl Iterator<Item = u64>) {
        let mut acc = 0u32;
        for c in codes {
            acc ^= self.slots[c as usize];
        }
        std::hint::black_box(acc);
    }

    /// Whether the combination `code` is a state found.
    #[inline]
    fn has(&self, code: u64) -> bool {
        get_bit(&self.present, code as usize)
    }

    #[inline]
    fn put(&mut self, slot: usize, id: u32) {
        if let Some(s) = self.slots.get_mut(slot) {
            *s = id + 1;
        }
        set_bit(&mut self.present, slot);
    }
}

/// Linear probing from the slot of `h`: the first slot that `hit` turns into a state
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
struct KeyIndex {
    slots: Vec<u64>,
    len: usize,
    key_bits: u32,
    key_mask: u64,
}

impl KeyIndex {
    fn new(room: usize, key_bits: u32) -> Self {
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

    #[inline]
    fn find(&self, h: u64, key: u64) -> Result<u32, usize> {
        probe(&self.slots, h, KEY_EMPTY, |slot| {
            (slot & self.key_mask == key).then_some(((slot >> self.key_bits) - 1) as u32)
        })
    }

    /// Reads the cache line of each hash's home slot, and the line after it, where
    /// a probe that runs past the end of the first goes on.
    fn touch(&self, hashes: impl Iterator<Item = u64>) {
        let mask = self.slots.len() - 1;
        let mut acc = 0u64;
        for h in hashes {
            let i = h as usize & mask;
            acc ^= self.slots[i] ^ self.slots[((i | 7) + 1) & mask];
        }
        std::hint::black_box(acc);
    }

    #[inline]
    fn put(&mut self, slot: usize, key: u64, id: u32) {
        self.slots[slot] = key | ((u64::from(id) + 1) << self.key_bits);
        self.len += 1;
    }

    /// Doubles the slots. Each slot holds its key, so the old slots are read in
    /// order and the new ones written near two advancing positions (a key's new
    /// home is its old home, or that plus the old size): both sweeps read memory in
    /// order, so growing costs little beyond the copy.
    fn grow(&mut self) {
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
}

/// Open addressing with linear probing over one `u32` a slot, which holds the state's
/// number and, in its top bits, seven bits of the key's hash, so that a probe seldom
/// reads a packed state that does not match. (When state numbers may need more than
/// 25 bits, slots hold the number alone.)
struct IdIndex {
    slots: Vec<u32>,
    len: usize,
    tag_bits: u32,
    id_mask: u32,
}

impl IdIndex {
    fn new(room: usize, max_entries: usize) -> Self {
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

    #[inline]
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
    fn put(&mut self, slot: usize, h: u64, id: u32) {
        self.slots[slot] = self.tag(h) | id;
        self.len += 1;
    }
}

/// How a search runs: with the best index form that fits and with the memo of
/// transitions, or (so that tests can hold the ways equal) with a direct table of
/// bits only, the one-word hash table, the hash table of numbers, or without the
/// memo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IndexForm {
    Best,
    /// A direct table of bits only, whose edges are numbered in parts of
    /// [`TEST_PART_BITS`], so that small stories cross parts.
    #[cfg_attr(not(test), allow(dead_code))]
    Bits,
    #[cfg_attr(not(test), allow(dead_code))]
    Keys,
    #[cfg_attr(not(test), allow(dead_code))]
    Ids,
    #[cfg_attr(not(test), allow(dead_code))]
    NoMemo,
    /// As `Best`, with memo entries of eight bytes even where four would do.
    #[cfg_attr(not(test), allow(dead_code))]
    WideMemo,
}

/// What the index looks a transition's target up by (zero for a divert loop, which
/// is not looked up).
#[inline]
fn step_hash(index: &Index, stop: Stop, key: &[u64]) -> u64 {
    if matches!(stop, Stop::DivertLoop { .. } | Stop::DivertLimit { .. }) {
        0
    } else {
        index.hash(key)
    }
}

/// Runs the runtime's transition for choice `index` from `cur`, into `next`, and packs
/// the state it stops at into `target` (left as it is for a divert loop).
fn take_choice(
    runner: &mut Runner<'_>,
    layout: &Layout,
    cur: &State,
    next: &mut State,
    index: usize,
    entered: &mut Vec<u64>,
    target: &mut [u64],
) -> Known {
    if !runner.is_available(cur, index) {
        return Known::Unavailable;
    }
    next.clone_from(cur);
    let stop = runner.choose(next, index, &mut Entered(entered));
    if !matches!(stop, Stop::DivertLoop { .. } | Stop::DivertLimit { .. }) {
        layout.pack(next, target);
    }
    Known::Taken(stop)
}

/// Whether the memo may keep what a transition came to: not a chain stopped at the
/// divert limit, which ends the search.
#[inline]
fn memoable(known: Known) -> bool {
    !matches!(known, Known::Taken(Stop::DivertLimit { .. }))
}

/// How many states are expanded together.
const BATCH: usize = 64;

/// A transition of a batch: from which state, by which choice, how it stopped, and
/// the hash of its target's packed words.
struct Step {
    from: u32,
    choice: u32,
    stop: Stop,
    hash: u64,
}

/// A choice to try from a state of the batch: its memo entry (`usize::MAX` when the
/// choice has no table), the state, its story-wide id and its index among the node's
/// choices.
struct Try {
    at: usize,
    from: u32,
    id: u32,
    index: u32,
}

/// Tags an edge of the one-word loop with a direct table whose target's number was
/// known when the edge was added (a state it found, or a divert loop's marker): the
/// rest of the edge is that number, not the target's combination.
const NUMBERED: u32 = 1 << 31;

/// The combinations of one part of [`Graph::number_in_parts`], in bits: a part's
/// table of numbers takes 512 KiB.
const PART_BITS: u32 = 17;

/// The parts' size, in bits, under [`IndexForm::Bits`]: 32 combinations.
const TEST_PART_BITS: u32 = 5;

/// Gives each edge of the one-word loop with a direct table its target's number:
/// `number_of(combination)` for an edge that holds a combination, the rest of the
/// edge for one tagged [`NUMBERED`]. A tagged edge looks up combination zero, in
/// the cache, so that the loop has no branch to guess.
#[inline]
fn number_tagged(edges: &mut [u32], number_of: impl Fn(usize) -> u32) {
    for e in edges {
        let numbered = *e & NUMBERED != 0;
        let code = if numbered { 0 } else { *e as usize };
        let found = number_of(code);
        *e = if numbered { *e & !NUMBERED } else { found };
    }
}

/// The node of the one-word state `s`, whose node is the field `node`, and the
/// node's first choice id, from `first`.
#[inline(always)]
fn word_node(s: u64, node: Field, first: &[u32]) -> (usize, u32) {
    let n = ((s >> node.shift) & node.mask) as usize;
    (n, first[n])
}

/// The kind of a state stopped by `stop` (not a divert loop, whose marker is made
/// apart).
#[inline]
fn kind_of(stop: Stop) -> Kind {
    match stop {
        Stop::Choice => Kind::Waiting,
        Stop::Outcome => Kind::Outcome,
        Stop::DeadEnd => Kind::DeadEnd,
        Stop::DivertLoop { .. } | Stop::DivertLimit { .. } => {
            unreachable!("handled by divert_loop and divert_limit")
        }
    }
}

/// The new states a batch of the one-word loop with a direct table has found and
/// not yet added to the graph (`states[..len]`; the rest is room, and scratch for
/// targets that turned out not to be new). Their numbers follow the graph's.
struct Stage {
    states: Vec<(u64, u32, u32, Kind)>,
    len: usize,
    /// How many more states the search may add, staged ones included.
    room: usize,
}

/// What running a transition afresh needs in the one-word loop: the runtime, the
/// source state unpacked (the state `unpacked` of the graph, if any) and room for
/// the target.
struct Fresh<'r, 's> {
    runner: &'r mut Runner<'s>,
    cur: State,
    next: State,
    unpacked: usize,
}

/// How a search runs, settled before its memo's entry width is chosen: the limits,
/// the index form, the state limit and what reaching it reports, and the room the
/// graph's tables start with.
struct Plan {
    limits: Limits,
    form: IndexForm,
    max_states: usize,
    stopped: Stopped,
    room: usize,
}

/// The search's working set, dropped when the search ends.
struct Search {
    index: Index,
    /// The marker of the divert loop first entered at each node.
    loops: Vec<u32>,
    key: Vec<u64>,
    max_states: usize,
    /// What the search reports when it reaches `max_states`.
    stopped: Stopped,
    /// The size of a part of [`Graph::number_in_parts`], in bits.
    part_bits: u32,
    /// The memory budget in bytes, less what a divert chain may hold.
    max_bytes: usize,
}

impl Graph {
    /// Explores every state reachable from the start, up to `max_states` states.
    /// Explores every state reachable from the start, up to `max_states` states and
    /// within the default memory budget.
    pub fn explore(story: &Story, max_states: usize) -> Graph {
        Graph::explore_within(story, Limits::states(max_states))
    }

    /// Explores every state reachable from the start, within `limits`.
    pub fn explore_within(story: &Story, limits: Limits) -> Graph {
        Graph::explore_with(story, limits, IndexForm::Best)
    }

    pub(crate) fn explore_with(story: &Story, limits: Limits, form: IndexForm) -> Graph {
        let layout = Layout::new(story);
        let w = layout.words();
        // The states the memory budget affords; the tighter of the two limits holds.
        let bytes_per_state = w * 8 + BYTES_PER_STATE;
        let affordable = limits.max_memory.saturating_mul(1 << 20) / bytes_per_state;
        let (max_states, stopped) = if affordable < limits.max_states {
            let stopped = Stopped::Memory {
                states: affordable,
                bytes_per_state,
                max_memory: limits.max_memory,
            };
            (affordable, stopped)
        } else {
            (limits.max_states, Stopped::States(limits.max_states))
        };
        let runner = Runner::new(story);
        // Room for the first states; the tables grow as the search finds more.
        let room = max_states.clamp(1, 1 << 14);
        let g = Graph {
            packed: Vec::with_capacity(room * w),
            kinds: Vec::with_capacity(room),
            parent: Vec::with_capacity(room),
            parent_choice: Vec::with_capacity(room),
            edge_start: Vec::with_capacity(room),
            edges: Vec::with_capacity(room * 2),
            edge_choice: Vec::with_capacity(room * 2),
            wide_choices: Vec::new(),
            entered: vec![0; story.nodes.len().div_ceil(64)],
            offered: vec![0; (runner.choice_count() as usize).div_ceil(64)],
            stopped: None,
            state_count: 0,
            layout,
        };
        let footprints = (form != IndexForm::NoMemo).then(|| Footprints::new(story, &g.layout));
        let narrow = form != IndexForm::WideMemo;
        let form = if narrow { form } else { IndexForm::Best };
        let run = Plan {
            limits,
            form,
            max_states,
            stopped,
            room,
        };
        match footprints {
            Some(f) if narrow && f.fit::<u32>() => {
                Graph::search_with(g, story, runner, Some(f.memo::<u32>()), run)
            }
            Some(f) => Graph::search_with(g, story, runner, Some(f.memo::<u64>()), run),
            None => Graph::search_with::<u64>(g, story, runner, None, run),
        }
    }

    /// The search of [`Graph::explore_with`] from the empty graph `g`, as `run`
    /// says, with the memo of transitions (if any) and its entries of type `E`.
    fn search_with<E: Entry>(
        mut g: Graph,
        story: &Story,
        mut runner: Runner<'_>,
        mut memo: Option<Memo<E>>,
        run: Plan,
    ) -> Graph {
        let Plan {
            limits,
            form,
            max_states,
            stopped,
            room,
        } = run;
        let w = g.layout.words();
        let prints = memo.as_ref().and_then(Memo::word_prints);
        let mut search = Search {
            index: Index::new(
                room,
                max_states.saturating_add(story.nodes.len()),
                &g.layout,
                form,
                direct_bytes(limits),
                prints.is_some(),
            ),
            loops: vec![NONE; story.nodes.len()],
            key: vec![0u64; w],
            max_states,
            stopped,
            part_bits: if form == IndexForm::Bits {
                TEST_PART_BITS
            } else {
                PART_BITS
            },
            max_bytes: limits
                .max_memory
                .saturating_mul(1 << 20)
                .saturating_sub(runner.chain_bytes()),
        };

        let (first, stop) = runner.start(&mut Entered(&mut g.entered));
        g.intern(story, &first, stop, NO_PARENT, 0, &mut search);

        // States are expanded a batch at a time: first every transition of the batch
        // runs and its target is packed; then the index slots (and the packed states
        // they name) of all the targets are read, so that their cache misses overlap;
        // then the targets are numbered one by one, in the order a one-at-a-time
        // search would number them.
        if let (Some(m), Some(prints), Index::Direct(_) | Index::Keys(_)) =
            (&mut memo, &prints, &search.index)
        {
            g.search_words(story, &mut runner, &mut search, m, prints);
            return g.finish(search);
        }
        let mut pending: Vec<Try> = Vec::new();
        let mut cur = runner.initial_state();
        let mut next = cur.clone();
        let mut batch: Vec<Step> = Vec::new();
        let mut keys: Vec<u64> = Vec::new();
        let mut head = 0usize;
        while head < g.kinds.len() && !g.limited() && !g.over_budget(&search) {
            let end = g.kinds.len().min(head + BATCH);
            batch.clear();
            keys.clear();
            // The choices of the batch's states, each with its memo entry, whose
            // cache lines are read before any is needed.
            pending.clear();
            for h in head..end {
                if g.kinds[h] != Kind::Waiting {
                    continue;
                }
                let words = &g.packed[h * w..(h + 1) * w];
                let node = g.layout.node_of(words);
                for i in 0..story.nodes[node as usize].choices.len() {
                    let id = runner.choice_id(node, i);
                    let at = memo.as_ref().and_then(|m| m.locate(id, words));
                    pending.push(Try {
                        at: at.unwrap_or(usize::MAX),
                        from: h as u32,
                        id,
                        index: i as u32,
                    });
                }
            }
            if let Some(m) = &memo {
                m.touch(pending.iter().map(|t| t.at).filter(|&at| at != usize::MAX));
            }
            let mut unpacked = usize::MAX;
            for t in &pending {
                let (h, i, id) = (t.from as usize, t.index as usize, t.id);
                let at = (t.at != usize::MAX).then_some(t.at);
                let source = &g.packed[h * w..(h + 1) * w];
                let stored = match (&memo, at) {
                    (Some(m), Some(at)) => m.read(at),
                    _ => None,
                };
                // The target starts as a copy of the source: a stored result replaces
                // the footprint's bits; a fresh run packs over it.
                let k = keys.len();
                if let [word] = source {
                    keys.push(*word);
                } else {
                    keys.extend_from_slice(source);
                }
                if let (Some((Known::Taken(stop), bits)), Some(m)) = (stored, &memo) {
                    if !matches!(stop, Stop::DivertLoop { .. }) {
                        m.apply(id, bits, &mut keys[k..]);
                    }
                }
                let stored = stored.map(|(known, _)| known);
                let known = if let Some(known) = stored {
                    if cfg!(debug_assertions) {
                        let source = source.to_vec();
                        g.check_reuse(
                            &mut runner,
                            &mut cur,
                            &mut next,
                            &source,
                            i,
                            known,
                            &keys[k..],
                        );
                        unpacked = h;
                    }
                    known
                } else {
                    if unpacked != h {
                        g.layout.unpack(source, &mut cur);
                        unpacked = h;
                    }
                    let known = take_choice(
                        &mut runner,
                        &g.layout,
                        &cur,
                        &mut next,
                        i,
                        &mut g.entered,
                        &mut keys[k..],
                    );
                    if let (Some(m), Some(at), true) = (memo.as_mut(), at, memoable(known)) {
                        m.put(id, at, &g.packed[h * w..(h + 1) * w], known, &keys[k..]);
                    }
                    known
                };
                match known {
                    Known::Unavailable => keys.truncate(k),
                    Known::Taken(stop) => {
                        set_bit(&mut g.offered, id as usize);
                        batch.push(Step {
                            from: h as u32,
                            choice: i as u32,
                            stop,
                            hash: step_hash(&search.index, stop, &keys[k..]),
                        });
                    }
                }
            }
            search
                .index
                .touch(batch.iter().map(|s| s.hash), &g.packed, w);
            g.number_batch(head..end, &batch, &keys, &mut search);
            head = end;
        }
        g.finish(search)
    }

    /// Makes room for `states` states and `edges` edges in all.
    fn reserve(&mut self, states: usize, edges: usize) {
        let w = self.layout.words();
        let more = states.saturating_sub(self.kinds.len());
        self.packed.reserve(more * w);
        self.kinds.reserve(more);
        self.parent.reserve(more);
        self.parent_choice.reserve(more);
        self.edge_start.reserve(more + 1);
        let more = edges.saturating_sub(self.edges.len());
        self.edges.reserve(more);
        self.edge_choice.reserve(more);
    }

    /// Ends a search: drops its working set, closes the edge table and gives back
    /// unused capacity.
    fn finish(mut self, search: Search) -> Graph {
        drop(search);
        while self.edge_start.len() <= self.kinds.len() {
            self.edge_start.push(self.edges.len() as u32);
        }
        self.packed.shrink_to_fit();
        self.kinds.shrink_to_fit();
        self.parent.shrink_to_fit();
        self.parent_choice.shrink_to_fit();
        self.edge_start.shrink_to_fit();
        self.edges.shrink_to_fit();
        self.edge_choice.shrink_to_fit();
        self
    }

    /// The search's loop when a state is one word and every footprint has the flat
    /// one-word form (`prints`): the same batches, in the same order, and so the same
    /// graph as the general loop in [`Graph::explore_with`], with less work an edge.
    /// A known transition is one table read and one mask operation; a choice offered
    /// from a known entry was already marked offered when the entry was stored.
    ///
    /// With a direct table the targets are numbered as their transitions are read,
    /// in one pass: whether a target is new is one bit of [`DirectIndex::present`],
    /// and an edge to a known target holds its combination until the search ends,
    /// when [`Graph::number_edges`] turns it into the number.
    fn search_words(
        &mut self,
        story: &Story,
        runner: &mut Runner<'_>,
        search: &mut Search,
        memo: &mut Memo<impl Entry>,
        prints: &[WordPrint],
    ) {
        let first: Vec<u32> = (0..story.nodes.len() as u32)
            .map(|n| runner.choice_id(n, 0))
            .collect();
        // Edge values below `NUMBERED` are combinations (a direct table has fewer
        // than that) or numbers, which stay below the state limit.
        let direct = matches!(search.index, Index::Direct(_))
            && search.max_states.saturating_add(story.nodes.len()) < NUMBERED as usize;
        if let (true, Index::Direct(x)) = (direct, &search.index) {
            // A direct table bounds the states, and each has at most its node's
            // choices: room for that many up front (for at most four edges a state)
            // spares the vectors' growth, which in a long-running process copies
            // them. The room is only address space until states fill it.
            let states = x.combos.min(search.max_states);
            let choices = runner.choice_count() as usize;
            let edges = (states / story.nodes.len().max(1) * choices).min(states * 4);
            self.reserve(states, edges);
        }
        let mut run = Fresh {
            cur: runner.initial_state(),
            next: runner.initial_state(),
            unpacked: usize::MAX,
            runner,
        };
        if direct {
            self.words_loop::<true>(story, &mut run, search, memo, prints, &first);
            self.number_edges(search);
        } else {
            self.words_loop::<false>(story, &mut run, search, memo, prints, &first);
        }
    }

    /// The batches of [`Graph::search_words`], with a direct table (`DIRECT`) or a
    /// hash index; `first` holds each node's first choice id.
    fn words_loop<const DIRECT: bool>(
        &mut self,
        story: &Story,
        run: &mut Fresh<'_, '_>,
        search: &mut Search,
        memo: &mut Memo<impl Entry>,
        prints: &[WordPrint],
        first: &[u32],
    ) {
        let node = self.layout.node;
        // The memo entries of a batch's choices, in order: the state's choices in
        // turn, state by state.
        let mut ats: Vec<usize> = Vec::new();
        let mut steps: Vec<Step> = Vec::new();
        let mut keys: Vec<u64> = Vec::new();
        let mut stage = Stage {
            states: Vec::new(),
            len: 0,
            room: search.max_states.saturating_sub(self.state_count),
        };
        let mut head = 0usize;
        'search: while head < self.kinds.len() && !self.limited() && !self.over_budget(search) {
            let end = self.kinds.len().min(head + BATCH);
            ats.clear();
            for h in head..end {
                if self.kinds[h] != Kind::Waiting {
                    continue;
                }
                let s = self.packed[h];
                let (n, base) = word_node(s, node, first);
                for id in base..base + story.nodes[n].choices.len() as u32 {
                    ats.push(memo.word_locate(id, &prints[id as usize], s));
                }
            }
            memo.touch(ats.iter().copied().filter(|&at| at != usize::MAX));
            steps.clear();
            keys.clear();
            if DIRECT && stage.states.len() < ats.len() {
                // Room for a new state from every choice of the batch.
                stage.states.resize(ats.len(), (0, 0, 0, Kind::Waiting));
            }
            let mut ats = ats.iter();
            for h in head..end {
                if DIRECT {
                    self.edge_start.push(self.edges.len() as u32);
                }
                if self.kinds[h] != Kind::Waiting {
                    continue;
                }
                let (n, base) = word_node(self.packed[h], node, first);
                for index in 0..story.nodes[n].choices.len() as u32 {
                    let t = Try {
                        at: ats.next().copied().unwrap_or(usize::MAX),
                        from: h as u32,
                        id: base + index,
                        index,
                    };
                    let (known, target) = self.word_transition(run, memo, prints, &t);
                    let Known::Taken(stop) = known else {
                        continue;
                    };
                    if DIRECT {
                        if !self.number_direct(target, stop, &t, search, &mut stage) {
                            break 'search;
                        }
                    } else {
                        steps.push(Step {
                            from: t.from,
                            choice: t.index,
                            stop,
                            hash: step_hash(&search.index, stop, &[target]),
                        });
                        keys.push(target);
                    }
                }
            }
            if DIRECT {
                self.add_staged(&mut stage);
            } else {
                search
                    .index
                    .touch(steps.iter().map(|s| s.hash), &self.packed, 1);
                self.number_batch(head..end, &steps, &keys, search);
            }
            head = end;
        }
    }

    /// What taking the choice `t` from its one-word state comes to, and the target
    /// state (the source, for a choice not taken or taken into a divert loop): read
    /// from the memo when known, else run and stored.
    #[inline(always)]
    fn word_transition(
        &mut self,
        run: &mut Fresh<'_, '_>,
        memo: &mut Memo<impl Entry>,
        prints: &[WordPrint],
        t: &Try,
    ) -> (Known, u64) {
        let h = t.from as usize;
        let s = self.packed[h];
        let stored = if t.at == usize::MAX {
            None
        } else {
            memo.read(t.at)
        };
        let mut target = [s];
        let known = match stored {
            Some((known, bits)) => {
                target[0] = (s & !prints[t.id as usize].all) | bits;
                if cfg!(debug_assertions) {
                    self.check_reuse(
                        run.runner,
                        &mut run.cur,
                        &mut run.next,
                        &[s],
                        t.index as usize,
                        known,
                        &target,
                    );
                    run.unpacked = h;
                }
                known
            }
            None => {
                if run.unpacked != h {
                    self.layout.unpack(&[s], &mut run.cur);
                    run.unpacked = h;
                }
                let known = take_choice(
                    run.runner,
                    &self.layout,
                    &run.cur,
                    &mut run.next,
                    t.index as usize,
                    &mut self.entered,
                    &mut target,
                );
                if t.at != usize::MAX && memoable(known) {
                    memo.put(t.id, t.at, &[s], known, &target);
                }
                if matches!(known, Known::Taken(_)) {
                    set_bit(&mut self.offered, t.id as usize);
                }
                known
            }
        };
        (known, target[0])
    }

    /// Adds the edge of the choice `t`, taken to the one-word state `target` (which
    /// stopped by `stop`), numbering the target if it is new, with a direct table:
    /// the edge holds the target's combination, or, tagged with [`NUMBERED`], the
    /// number of a target it adds or of a divert loop's marker. A new target waits
    /// in `stage`. Returns false at the limit.
    ///
    /// Whether a target is new is not branched on: the processor would guess it
    /// wrong about a third of the time, each time after waiting for the table's
    /// bit, and throw away the work it began. The target is written to the stage
    /// either way and counted only if new, and the edge chooses its value.
    #[inline(always)]
    fn number_direct(
        &mut self,
        target: u64,
        stop: Stop,
        t: &Try,
        search: &mut Search,
        stage: &mut Stage,
    ) -> bool {
        match stop {
            Stop::DivertLoop { node } => {
                self.add_staged(stage);
                let id = self.divert_loop(node, t.from, t.index, search);
                self.push_edge(NUMBERED | id, t.index);
                return true;
            }
            Stop::DivertLimit { node } => {
                self.add_staged(stage);
                self.divert_limit(node);
                return false;
            }
            _ => {}
        }
        let Index::Direct(x) = &mut search.index else {
            unreachable!("numbered directly only with a direct table")
        };
        let code = x.code(target) as usize;
        let (word, bit) = (x.present[code / 64], 1u64 << (code % 64));
        let new = word & bit == 0;
        if stage.len >= stage.room && new {
            self.add_staged(stage);
            self.stopped = Some(search.stopped);
            return false;
        }
        x.present[code / 64] = word | bit;
        let id = (self.kinds.len() + stage.len) as u32;
        stage.states[stage.len] = (target, t.from, t.index, kind_of(stop));
        stage.len += usize::from(new);
        self.push_edge(if new { NUMBERED | id } else { code as u32 }, t.index);
        true
    }

    /// Adds the states waiting in `stage` to the graph, in order.
    fn add_staged(&mut self, stage: &mut Stage) {
        for &(word, parent, choice, kind) in &stage.states[..stage.len] {
            self.packed.push(word);
            self.push_meta(kind, parent, choice);
        }
        self.state_count += stage.len;
        stage.room -= stage.len;
        stage.len = 0;
    }

    /// Ends the one-word loop with a direct table: fills the table's slots from the
    /// states found, then gives each edge that holds its target's combination the
    /// target's number, and untags the others. Both passes are plain loops whose
    /// reads and writes do not wait on each other, so their cache misses overlap
    /// ([`number_tagged`]). A table of bits only has no slots to fill: its edges
    /// are numbered a part of the combinations at a time.
    fn number_edges(&mut self, search: &mut Search) {
        let Index::Direct(x) = &mut search.index else {
            return;
        };
        if x.slots.is_empty() {
            // The bits are not needed any more: their room goes to the parts.
            x.present = Vec::new();
            self.number_in_parts(x, search.part_bits);
            return;
        }
        let mut slots = std::mem::take(&mut x.slots);
        self.each_state_code(x, |id, code| slots[code] = id + 1);
        number_tagged(&mut self.edges, |code| slots[code].wrapping_sub(1));
        x.slots = slots;
    }

    /// Numbers the edges of the one-word loop with a table of bits only, a part of
    /// the table's combinations (`2^part_bits` of them) at a time. Two passes sort
    /// the states (each with its combination's place in its part) and the edges
    /// still to number (by where they are) by part, reading them in order and
    /// writing a stream for each part. Then each part's states fill a table of
    /// numbers that stays in the processor's second-level cache, and its edges read
    /// their targets' numbers from it. What is left to miss the cache is one read of
    /// each edge, and those reads do not wait on each other.
    ///
    /// A part's table is never cleared: an edge only looks up a combination that is
    /// a state found, which its part's states have just written.
    fn number_in_parts(&mut self, x: &DirectIndex, part_bits: u32) {
        let parts = x.combos.div_ceil(1 << part_bits);
        let low = (1u64 << part_bits) - 1;
        // Each part's start in `states` and in `tagged`; an edge already numbered
        // counts in an extra part, last, which keeps none.
        let mut state_at = vec![0usize; parts + 2];
        let mut edge_at = vec![0usize; parts + 2];
        self.each_state_code(x, |_, code| state_at[(code >> part_bits) + 1] += 1);
        let part_of = |e: u32| {
            if e & NUMBERED != 0 {
                parts
            } else {
                (e >> part_bits) as usize
            }
        };
        for &e in &self.edges {
            edge_at[part_of(e) + 1] += 1;
        }
        for p in 0..=parts {
            state_at[p + 1] += state_at[p];
            edge_at[p + 1] += edge_at[p];
        }
        // A state's entry: its number above its combination's place in its part.
        let mut states = vec![0u64; state_at[parts]];
        let mut next = state_at.clone();
        self.each_state_code(x, |id, code| {
            let p = code >> part_bits;
            states[next[p]] = (u64::from(id) << 32) | (code as u64 & low);
            next[p] += 1;
        });
        // An edge's entry: where it is (it holds its target's combination). The
        // numbered edges' entries are all written to one place past the rest.
        let mut tagged = vec![0u32; edge_at[parts] + 1];
        let mut next = edge_at.clone();
        for (at, e) in self.edges.iter_mut().enumerate() {
            let p = part_of(*e);
            tagged[next[p]] = at as u32;
            next[p] += usize::from(p != parts);
            *e &= !NUMBERED;
        }
        let mut number = vec![0u32; 1 << part_bits];
        for p in 0..parts {
            for &s in &states[state_at[p]..state_at[p + 1]] {
                number[(s & low) as usize] = (s >> 32) as u32;
            }
            for &at in &tagged[edge_at[p]..edge_at[p + 1]] {
                let e = &mut self.edges[at as usize];
                *e = number[(u64::from(*e) & low) as usize];
            }
        }
    }

    /// Calls `f(number, combination)` for every state of one word found (divert
    /// loops' markers left out), in order, with its combination in table `x`.
    fn each_state_code(&self, x: &DirectIndex, mut f: impl FnMut(u32, usize)) {
        for (id, (&word, &kind)) in self.packed.iter().zip(&self.kinds).enumerate() {
            if kind != Kind::DivertLoop {
                f(id as u32, x.code(word) as usize);
            }
        }
    }

    /// Numbers the targets of a batch's transitions (`steps`, whose targets are
    /// packed one after another in `keys`) in order, and records the edges of the
    /// batch's states `states`; stops at the limit.
    #[inline(always)]
    fn number_batch(
        &mut self,
        states: std::ops::Range<usize>,
        steps: &[Step],
        keys: &[u64],
        search: &mut Search,
    ) {
        let w = self.layout.words();
        let mut steps = steps.iter().zip(keys.chunks_exact(w)).peekable();
        for h in states {
            self.edge_start.push(self.edges.len() as u32);
            while let Some((step, key)) = steps.next_if(|(s, _)| s.from as usize == h) {
                let t =
                    self.intern_packed(key, step.hash, step.stop, step.from, step.choice, search);
                if t == NONE {
                    return;
                }
                self.push_edge(t, step.choice);
            }
        }
    }

    /// For debug builds: runs afresh the transition of the node's choice `index`
    /// from the packed state `source`, whose stored result was `known` (and, for a
    /// choice taken to a state, the packed `target`), and fails if the two differ.
    #[allow(clippy::too_many_arguments)]
    fn check_reuse(
        &mut self,
        runner: &mut Runner<'_>,
        cur: &mut State,
        next: &mut State,
        source: &[u64],
        index: usize,
        known: Known,
        target: &[u64],
    ) {
        self.layout.unpack(source, cur);
        let mut fresh_target = source.to_vec();
        let fresh = take_choice(
            runner,
            &self.layout,
            cur,
            next,
            index,
            &mut self.entered,
            &mut fresh_target,
        );
        assert_eq!(known, fresh, "choice {index} of node {}", cur.node);
        if matches!(known, Known::Taken(stop) if !matches!(stop, Stop::DivertLoop { .. })) {
            assert_eq!(
                target,
                &fresh_target[..],
                "choice {index} of node {}",
                cur.node
            );
        }
    }

    /// Adds an edge to state `t` by the node's choice `choice`.
    #[inline]
    fn push_edge(&mut self, t: u32, choice: u32) {
        if choice < u32::from(WIDE) {
            self.edge_choice.push(choice as u8);
        } else {
            self.edge_choice.push(WIDE);
            self.wide_choices.push((self.edges.len() as u32, choice));
        }
        self.edges.push(t);
    }

    /// The number of the state `s` (stopped by `stop`), adding it if it is new.
    fn intern(
        &mut self,
        story: &Story,
        s: &State,
        stop: Stop,
        parent: u32,
        choice: u32,
        search: &mut Search,
    ) -> u32 {
        let mut key = std::mem::take(&mut search.key);
        self.layout.pack(s, &mut key);
        let h = search.index.hash(&key);
        let id = self.intern_packed(&key, h, stop, parent, choice, search);
        search.key = key;
        debug_assert!(
            self.limited()
                || self.kinds[id as usize] != Kind::Outcome
                || matches!(story.nodes[s.node as usize].kind, NodeKind::Outcome { .. })
        );
        id
    }

    /// The number of the state packed as `key` (with hash `h`; both ignored for a
    /// divert loop), adding it if it is new.
    #[inline(always)]
    fn intern_packed(
        &mut self,
        key: &[u64],
        h: u64,
        stop: Stop,
        parent: u32,
        choice: u32,
        search: &mut Search,
    ) -> u32 {
        match stop {
            Stop::DivertLoop { node } => return self.divert_loop(node, parent, choice, search),
            Stop::DivertLimit { node } => return self.divert_limit(node),
            _ => {}
        }
        match search.index.find(h, key, &self.packed) {
            Ok(id) => id,
            Err(slot) => self.add_state(slot, key, h, stop, parent, choice, search),
        }
    }

    /// The marker of the divert loop first entered at `node`, added if it is new.
    #[inline(never)]
    fn divert_loop(&mut self, node: u32, parent: u32, choice: u32, search: &mut Search) -> u32 {
        let slot = &mut search.loops[node as usize];
        if *slot != NONE {
            return *slot;
        }
        let id = self.kinds.len() as u32;
        *slot = id;
        let w = self.layout.words();
        let start = self.packed.len();
        self.packed.resize(start + w, 0);
        self.layout
            .node
            .put(&mut self.packed[start..], u64::from(node));
        self.push_meta(Kind::DivertLoop, parent, choice);
        id
    }

    /// A divert chain reached the runtime's divert limit: the search stops there,
    /// and nothing is claimed. Returns [`NONE`].
    #[cold]
    #[inline(never)]
    fn divert_limit(&mut self, node: u32) -> u32 {
        self.stopped = Some(Stopped::Diverts { node });
        NONE
    }

    /// Doubles the index's slots; returns the free slot for hash `h` after.
    #[cold]
    #[inline(never)]
    fn grow_index(&self, h: u64, search: &mut Search) -> usize {
        search
            .index
            .grow(&self.packed, self.layout.words(), &self.kinds);
        search.index.free_slot(h)
    }

    /// Adds the new state packed as `key` (with hash `h`), whose index slot would be
    /// `slot`; or, at the limit, records why the search stops and returns [`NONE`].
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn add_state(
        &mut self,
        mut slot: usize,
        key: &[u64],
        h: u64,
        stop: Stop,
        parent: u32,
        choice: u32,
        search: &mut Search,
    ) -> u32 {
        if self.at_limit(search.max_states, search.stopped) {
            return NONE;
        }
        if search.index.full() {
            slot = self.grow_index(h, search);
        }
        let id = self.push_state(key, stop, parent, choice);
        search.index.put(slot, h, key, id);
        id
    }

    /// Whether what the search holds (the graph's tables by their lengths, the
    /// edges as many as there really are, the index, and what each state will
    /// cost the components after) has passed the memory budget; if so, records
    /// it. Checked once a batch: the state limit the budget set up front assumed
    /// a few edges a state, and a story of many choices has more.
    #[inline(never)]
    fn over_budget(&mut self, search: &Search) -> bool {
        let states = self.kinds.len();
        let held = self.packed.len() * 8
            + states * (HELD_BYTES_PER_ENTRY + AFTER_SEARCH_BYTES_PER_ENTRY)
            + self.edges.len() * 5
            + self.wide_choices.len() * 8
            + search.index.bytes()
            + search.index.numbering_bytes(states, self.edges.len());
        if held <= search.max_bytes || self.state_count == 0 {
            return false;
        }
        self.stopped = Some(Stopped::Memory {
            states: self.state_count,
            bytes_per_state: held.div_ceil(states),
            max_memory: search.max_bytes.div_ceil(1 << 20),
        });
        true
    }

    /// Whether the search has as many states as it may hold (`max_states`); if so,
    /// records why it stops (`stopped`).
    #[inline]
    fn at_limit(&mut self, max_states: usize, stopped: Stopped) -> bool {
        if self.state_count >= max_states {
            self.stopped = Some(stopped);
            return true;
        }
        false
    }

    /// Adds the new state packed as `key`, stopped by `stop` (not a divert loop) and
    /// reached from `parent` by its node's choice `choice`, and returns its number;
    /// the index is left to the caller.
    #[inline]
    fn push_state(&mut self, key: &[u64], stop: Stop, parent: u32, choice: u32) -> u32 {
        let id = self.kinds.len() as u32;
        if let [word] = key {
            self.packed.push(*word);
        } else {
            self.packed.extend_from_slice(key);
        }
        self.state_count += 1;
        self.push_meta(kind_of(stop), parent, choice);
        id
    }

    #[inline]
    fn push_meta(&mut self, kind: Kind, parent: u32, choice: u32) {
        self.kinds.push(kind);
        self.parent.push(parent);
        self.parent_choice.push(choice);
    }

    /// The bytes the graph's tables hold on the heap (their capacities).
    pub fn heap_bytes(&self) -> usize {
        fn cap<T>(v: &Vec<T>) -> usize {
            v.capacity() * std::mem::size_of::<T>()
        }
        cap(&self.packed)
            + cap(&self.kinds)
            + cap(&self.parent)
            + cap(&self.parent_choice)
            + cap(&self.edge_start)
            + cap(&self.edges)
            + cap(&self.edge_choice)
            + cap(&self.wide_choices)
            + cap(&self.entered)
            + cap(&self.offered)
    }

    /// Whether exploration stopped at the state limit or the memory budget.
    pub fn limited(&self) -> bool {
        self.stopped.is_some()
    }

    /// How many entries the graph holds (states and divert-loop markers).
    pub fn len(&self) -> usize {
        self.kinds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    /// The node of state `i` (for a divert loop, the loop's first node).
    #[inline]
    pub fn node(&self, i: u32) -> u32 {
        let w = self.layout.words();
        self.layout
            .node_of(&self.packed[i as usize * w..(i as usize + 1) * w])
    }

    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    /// The number, in the flat list of all edges, of state `i`'s first edge: its
    /// [`Graph::successors`] are numbered from there on.
    pub fn first_edge(&self, i: u32) -> usize {
        self.edge_start[i as usize] as usize
    }

    /// The successors of state `i`, each with the index of the choice that leads there.
    pub fn successors(&self, i: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        let (a, b) = (
            self.edge_start[i as usize] as usize,
            self.edge_start[i as usize + 1] as usize,
        );
        (a..b).map(move |e| (self.edges[e], self.edge_choice_at(e)))
    }

    #[inline]
    fn edge_choice_at(&self, e: usize) -> u32 {
        match self.edge_choice[e] {
            WIDE => {
                let k = self
                    .wide_choices
                    .binary_search_by_key(&(e as u32), |&(edge, _)| edge)
                    .expect("a wide choice index is recorded");
                self.wide_choices[k].1
            }
            c => u32::from(c),
        }
    }

    /// Unpacks state `i` into `s` (shaped by [`Runner::initial_state`]).
    pub fn state_into(&self, i: u32, s: &mut State) {
        let w = self.layout.words();
        self.layout
            .unpack(&self.packed[i as usize * w..(i as usize + 1) * w], s);
    }

    /// The states from the start to `i`: `[start, …, i]`.
    pub fn trail(&self, i: u32) -> Vec<u32> {
        let mut v = vec![i];
        let mut at = i;
        while self.parent[at as usize] != NO_PARENT {
            at = self.parent[at as usize];
            v.push(at);
        }
        v.reverse();
        v
    }

    /// The path to state `i` as choice texts and as the numbers `play --choices` takes
    /// (1-based among the choices offered at each step).
    pub fn route(&self, story: &Story, i: u32) -> (Vec<String>, Vec<u32>) {
        let trail = self.trail(i);
        let steps: Vec<(u32, u32)> = trail
            .windows(2)
            .map(|w| (w[0], self.parent_choice[w[1] as usize]))
            .collect();
        self.route_along(story, &steps)
    }

    /// Choices taken at explored states — each a state and the index of a choice of
    /// its node — as the texts the trainee read there and the numbers `play
    /// --choices` takes (1-based among the choices offered in that state).
    pub fn route_along(&self, story: &Story, steps: &[(u32, u32)]) -> (Vec<String>, Vec<u32>) {
        let runner = Runner::new(story);
        let mut s = runner.initial_state();
        let mut offered = Vec::new();
        steps
            .iter()
            .map(|&(at, index)| {
                let index = index as usize;
                self.state_into(at, &mut s);
                runner.available(&s, &mut offered);
                let number = offered.iter().take_while(|&&k| k < index).count() as u32 + 1;
                let choice = &story.nodes[s.node as usize].choices[index];
                (story.render(&choice.text, &s), number)
            })
            .unzip()
    }

    /// Whether every waiting state can reach an outcome, found by sweeping over the
    /// states, deepest first, marking those with an edge to a marked state, until a
    /// sweep marks nothing new: the usual case of a sound story costs a few passes
    /// over the edges and one bit a state. `None` when the sweeps have not settled
    /// after `max_sweeps` (long chains of loops back to earlier states).
    pub fn all_reach_outcome(&self, max_sweeps: usize) -> Option<bool> {
        let n = self.len();
        let mut reach = vec![0u64; n.div_ceil(64)];
        for (i, k) in self.kinds.iter().enumerate() {
            if *k == Kind::Outcome {
                set_bit(&mut reach, i);
            }
        }
        for _ in 0..max_sweeps {
            let mut changed = false;
            for i in (0..n).rev() {
                if self.kinds[i] != Kind::Waiting || get_bit(&reach, i) {
                    continue;
                }
                let (a, b) = (self.edge_start[i] as usize, self.edge_start[i + 1] as usize);
                if self.edges[a..b]
                    .iter()
                    .any(|&t| get_bit(&reach, t as usize))
                {
                    set_bit(&mut reach, i);
                    changed = true;
                }
            }
            if !changed {
                return Some((0..n).all(|i| self.kinds[i] != Kind::Waiting || get_bit(&reach, i)));
            }
        }
        None
    }

    /// For each state: whether some outcome can be reached from it; and for each state
    /// the strongly connected component it belongs to, with which components are
    /// closed (no edge leaves them).
    pub fn components(&self) -> Components {
        scc(self)
    }
}

/// Strongly connected components of the state graph.
#[derive(Debug)]
pub struct Components {
    /// Component of each state; components are numbered in reverse topological order
    /// (every edge goes to a component with a smaller or equal number).
    pub comp: Vec<u32>,
    /// Per component: whether an outcome is reachable from it.
    pub reaches_outcome: Vec<bool>,
    /// Per component: no edge leaves it.
    pub closed: Vec<bool>,
    /// Per component: it holds a cycle (more than one state, or a state with an edge to itself).
    pub cyclic: Vec<bool>,
}

/// Reads the entries of a state's successors before they are needed, so that their
/// cache misses overlap rather than follow one another.
#[inline]
fn touch_successors(rindex: &[u32], succ: &[u32]) {
    let mut acc = 0u32;
    for &t in succ {
        acc ^= rindex[t as usize];
    }
    std::hint::black_box(acc);
}

/// Strongly connected components with Pearce's space-efficient variant of Tarjan's
/// algorithm (iterative): one word per state (`rindex`, which ends up holding the
/// component) and one bit (`root`), besides the two stacks.
///
/// While a state is on the search path or waiting on the stack, `rindex` holds its
/// low index (counted up from 1); once its component is complete, it holds the
/// component's value, counted down from `n - 1`, which is always larger than any live
/// index, so a finished state never lowers a live one.
fn scc(g: &Graph) -> Components {
    let n = g.len();
    let mut rindex = vec![0u32; n];
    let mut root = vec![0u64; n.div_ceil(64)];
    let mut stack: Vec<u32> = Vec::new();
    let mut calls: Vec<(u32, u32)> = Vec::new();
    let mut index = 1u32;
    let mut value = n as u32;
    let mut reaches = Vec::new();
    let mut closed = Vec::new();
    let mut cyclic = Vec::new();
    let edges = &g.edges;
    let starts = &g.edge_start;
    for r in 0..n as u32 {
        // Only the last component to finish can hold the value 0 (it is the n-th,
        // so every state is in a component by then); 0 also marks "not visited".
        if value == 0 {
            break;
        }
        if rindex[r as usize] != 0 {
            continue;
        }
        rindex[r as usize] = index;
        index += 1;
        set_bit(&mut root, r as usize);
        calls.push((r, starts[r as usize]));
        while let Some(&mut (v, ref mut e)) = calls.last_mut() {
            let vi = v as usize;
            if *e < starts[vi + 1] {
                let t = edges[*e as usize] as usize;
                *e += 1;
                if rindex[t] == 0 {
                    rindex[t] = index;
                    index += 1;
                    set_bit(&mut root, t);
                    calls.push((t as u32, starts[t]));
                    touch_successors(&rindex, &edges[starts[t] as usize..starts[t + 1] as usize]);
                } else if rindex[t] < rindex[vi] {
                    rindex[vi] = rindex[t];
                    root[vi / 64] &= !(1 << (vi % 64));
                }
                continue;
            }
            calls.pop();
            if get_bit(&root, vi) {
                // `v` roots a component: it and the stack's states above its index.
                index -= 1;
                let rv = rindex[vi];
                let mut start = stack.len();
                while start > 0 && rv <= rindex[stack[start - 1] as usize] {
                    start -= 1;
                    index -= 1;
                }
                value -= 1;
                let c = value;
                rindex[vi] = c;
                for &m in &stack[start..] {
                    rindex[m as usize] = c;
                }
                let mut reach = false;
                let mut is_closed = true;
                let mut self_loop = false;
                let members = std::iter::once(v).chain(stack[start..].iter().copied());
                for m in members {
                    let mi = m as usize;
                    if g.kinds[mi] == Kind::Outcome {
                        reach = true;
                    }
                    for &t in &edges[starts[mi] as usize..starts[mi + 1] as usize] {
                        let tc = rindex[t as usize];
                        if tc != c {
                            is_closed = false;
                            reach |= reaches[(n as u32 - 1 - tc) as usize];
                        } else if t == m {
                            self_loop = true;
                        }
                    }
                }
                let size = stack.len() - start + 1;
                stack.truncate(start);
                reaches.push(reach);
                closed.push(is_closed);
                cyclic.push(size > 1 || self_loop);
            } else {
                stack.push(v);
            }
            if let Some(&(u, _)) = calls.last() {
                let ui = u as usize;
                if rindex[vi] < rindex[ui] {
                    rindex[ui] = rindex[vi];
                    root[ui / 64] &= !(1 << (ui % 64));
                }
            }
        }
    }
    // Number components in the order they finished: every edge leads to a component
    // that finished no later.
    for x in &mut rindex {
        *x = n as u32 - 1 - *x;
    }
    Components {
        comp: rindex,
        reaches_outcome: reaches,
        closed,
        cyclic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_story;
    use threshold_testgen::{generate, Params};

    /// Everything a search records, as plain data: packed states, kinds, parents,
    /// choices from the parents, and successors.
    type Record = (
        Vec<u64>,
        Vec<Kind>,
        Vec<u32>,
        Vec<u32>,
        Vec<Vec<(u32, u32)>>,
    );

    fn record(g: &Graph) -> Record {
        let succ = (0..g.len() as u32)
            .map(|i| g.successors(i).collect())
            .collect();
        (
            g.packed.clone(),
            g.kinds.clone(),
            g.parent.clone(),
            g.parent_choice.clone(),
            succ,
        )
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 200, ..Default::default() })]

        /// On random stories (dead ends, loops, divert loops, once-only choices, `seen()`),
        /// the search with its memo of transitions finds the same graph as the search
        /// that runs every transition.
        #[test]
        fn the_memo_changes_nothing_on_random_stories(seed in proptest::prelude::any::<u64>(), sound in proptest::prelude::any::<bool>()) {
            let p = if sound {
                let mut p = Params::sound(seed, 2 + (seed % 6) as usize).with_int_vars(2, 0, 3);
                p.once_only = 20;
                p
            } else {
                Params::wild(seed)
            };
            let story = test_story(&generate(&p));
            let memo = Graph::explore_with(&story, Limits::states(20_000), IndexForm::Best);
            let plain = Graph::explore_with(&story, Limits::states(20_000), IndexForm::NoMemo);
            proptest::prop_assert!(record(&memo) == record(&plain), "seed {}", seed);
            proptest::prop_assert_eq!(&memo.entered, &plain.entered);
            proptest::prop_assert_eq!(&memo.offered, &plain.offered);
            proptest::prop_assert_eq!(memo.stopped, plain.stopped);
        }
    }

    /// The forms of the index find the same states in the same order, through every
    /// growth of their slots, and stop at the same state limit; the memo of
    /// transitions changes nothing either, whatever the width of its entries.
    #[test]
    fn index_forms_agree() {
        for (name, p) in Params::explore_bench() {
            for (scenes, max) in [(30, 40_000), (30, 5_000), (12, 1_000_000)] {
                let story = test_story(&generate(&Params {
                    scenes,
                    ..p.clone()
                }));
                let best = Graph::explore_with(&story, Limits::states(max), IndexForm::Best);
                let wide = Graph::explore_with(&story, Limits::states(max), IndexForm::WideMemo);
                let bits = Graph::explore_with(&story, Limits::states(max), IndexForm::Bits);
                let keys = Graph::explore_with(&story, Limits::states(max), IndexForm::Keys);
                let ids = Graph::explore_with(&story, Limits::states(max), IndexForm::Ids);
                let plain = Graph::explore_with(&story, Limits::states(max), IndexForm::NoMemo);
                assert!(
                    record(&best) == record(&keys),
                    "{name}: the direct table and the hash table agree"
                );
                assert!(
                    record(&bits) == record(&keys),
                    "{name}: the table of bits and the hash table agree"
                );
                assert!(
                    record(&best) == record(&wide),
                    "{name}: memo entries of four bytes and of eight agree"
                );
                assert_eq!(bits.stopped, keys.stopped, "{name}");
                assert!(
                    record(&best) == record(&plain),
                    "{name}: the memo changes nothing"
                );
                assert_eq!(best.entered, plain.entered, "{name}");
                assert_eq!(best.offered, plain.offered, "{name}");
                assert_eq!(best.layout.words(), 1, "{name}: one word a state");
                assert_eq!(
                    best.limited(),
                    scenes == 30,
                    "{name}: {} states",
                    best.len()
                );
                assert_eq!(best.limited(), ids.limited(), "{name}");
                assert_eq!(best.state_count, ids.state_count, "{name}");
                assert!(
                    record(&best) == record(&ids),
                    "{name}, {scenes} scenes, at most {max} states"
                );
            }
        }
    }

    /// A direct table numbers every combination of fields once, below the number of
    /// combinations; it is chosen only within its share of the memory budget.
    #[test]
    fn direct_table_numbers_each_combination_once() {
        let story = test_story(
            r#"title: "Combinations"
start: s
hidden n = 1 in 1..3 "N"
hidden flag = false "Flag"

scene s
{if seen(t)}
  Again.
{end}
* Once
  ~ n += 1
  -> t
+ Flip
  ~ flag = not flag
  -> t

scene t
* Back
  -> s
+ Leave
  -> done

outcome done good "Done"
Done.
"#,
        );
        let layout = Layout::new(&story);
        let x = DirectIndex::new(&layout, DIRECT_MAX_BYTES, false).expect("a small table");
        // 3 nodes, 3 values of `n`, 2 of `flag`, 2 once-only marks, 1 seen mark.
        let combos = 3 * 3 * 2 * 8;
        assert_eq!(x.slots.len(), combos);
        let mut seen = vec![false; combos];
        let mut state = Runner::new(&story).initial_state();
        let mut word = [0u64];
        for node in 0..3 {
            for n in 1..=3 {
                for flag in 0..2 {
                    for marks in 0..8u32 {
                        state.node = node;
                        state.vars = vec![n, flag];
                        state.taken.fill(0);
                        state.seen.fill(0);
                        if marks & 1 != 0 {
                            set_bit(&mut state.taken, 0);
                        }
                        if marks & 2 != 0 {
                            set_bit(&mut state.taken, 1);
                        }
                        if marks & 4 != 0 {
                            set_bit(&mut state.seen, 1);
                        }
                        layout.pack(&state, &mut word);
                        let code = x.code(word[0]) as usize;
                        assert!(code < combos, "{code}");
                        assert!(!std::mem::replace(&mut seen[code], true), "{code}");
                    }
                }
            }
        }
        assert!(DirectIndex::new(&layout, combos * 4 - 1, false).is_none());
        // A table of bits only takes a bit a combination.
        let bits = DirectIndex::new(&layout, combos.div_ceil(8), true).expect("bits fit");
        assert!(bits.slots.is_empty());
        assert_eq!(bits.present.len(), combos.div_ceil(64));
        assert!(DirectIndex::new(&layout, combos.div_ceil(8) - 1, true).is_none());
        // Numbered in parts of 32 combinations, the last of the 144 half full and
        // holding states, the search finds the graph the table of slots gives.
        let slots = Graph::explore_with(&story, Limits::default(), IndexForm::Best);
        let parts = Graph::explore_with(&story, Limits::default(), IndexForm::Bits);
        assert!(slots.packed.iter().any(|&w| x.code(w) >= 128));
        assert_eq!(record(&slots), record(&parts));
        // The search picks the direct table for the benchmark story of four variables
        // (about 3 million combinations), but not within a budget of 1 MiB.
        let (_, p) = &Params::explore_bench()[0];
        let story = test_story(&generate(p));
        let layout = Layout::new(&story);
        let pick = |max_memory: usize| {
            let limits = Limits {
                max_states: 10,
                max_memory,
            };
            matches!(
                Index::new(
                    16,
                    100,
                    &layout,
                    IndexForm::Best,
                    direct_bytes(limits),
                    false
                ),
                Index::Direct(_)
            )
        };
        assert!(pick(DEFAULT_MAX_MEMORY_MIB));
        assert!(!pick(1));
        // The story with once-only choices has too many combinations for slots, and
        // takes a table of bits when the one-word loop runs, and a hash table when
        // it does not.
        let (_, p) = &Params::explore_bench()[1];
        let layout = Layout::new(&test_story(&generate(p)));
        let limits = Limits::default();
        let index = |words_loop| {
            Index::new(
                16,
                100,
                &layout,
                IndexForm::Best,
                direct_bytes(limits),
                words_loop,
            )
        };
        // Its edges are numbered in hundreds of parts, and `index_forms_agree` holds
        // the graph equal to the other forms'.
        let bits = |x: &DirectIndex| x.slots.is_empty() && x.combos >> PART_BITS > 100;
        assert!(matches!(index(true), Index::Direct(x) if bits(&x)));
        assert!(matches!(index(false), Index::Keys(_)));
    }

    /// A node with more choices than a byte counts: the edges past the 255th keep
    /// their choice index, in both loops of the search.
    #[test]
    fn choice_indices_past_a_byte() {
        let mut text =
            String::from("title: \"Wide\"\nstart: s\nhidden n = 0 in 0..3 \"N\"\n\nscene s\n");
        for i in 0..299 {
            text.push_str(&format!("+ Choice {i}\n  ~ n = {}\n  -> s\n", i % 4));
        }
        text.push_str("+ Leave\n  -> done\n\noutcome done good \"Done\"\nDone.\n");
        let story = test_story(&text);
        let best = Graph::explore_with(&story, Limits::default(), IndexForm::Best);
        let ids = Graph::explore_with(&story, Limits::default(), IndexForm::Ids);
        assert!(record(&best) == record(&ids));
        // The scene and the outcome, each with `n` at 0, 1, 2 and 3.
        assert_eq!(best.state_count, 8);
        for i in 0..best.len() as u32 {
            if best.kinds[i as usize] != Kind::Waiting {
                continue;
            }
            let succ: Vec<(u32, u32)> = best.successors(i).collect();
            assert_eq!(succ.len(), 300);
            for (k, &(t, choice)) in succ.iter().enumerate() {
                assert_eq!(choice, k as u32);
                let kind = best.kinds[t as usize];
                assert_eq!(kind == Kind::Outcome, k == 299, "choice {k} from state {i}");
            }
        }
        let outcome = (0..best.len() as u32)
            .find(|&i| best.kinds[i as usize] == Kind::Outcome)
            .unwrap();
        assert_eq!(best.route(&story, outcome).0, ["Leave"]);
    }

    /// A state of more than one word is found again by the index.
    #[test]
    fn states_of_several_words() {
        let mut src = String::from("title: \"Wide\"\nstart: a\n");
        for i in 0..5 {
            src.push_str(&format!("hidden v{i} = 0 in 0..1000000 \"V{i}\"\n"));
        }
        src.push_str(
            "scene a\n+ {v0 < 3} Up\n  ~ v0 += 1, v4 += 1\n  -> b\n+ Leave\n  -> out\n\
             scene b\n+ {v0 < 3} Again\n  -> a\n+ Back\n  -> a\n\
             outcome out good \"Out\"\nDone.\n",
        );
        let story = test_story(&src);
        let g = Graph::explore(&story, 100);
        assert!(g.layout.words() > 1);
        let plain = Graph::explore_with(&story, Limits::states(100), IndexForm::NoMemo);
        assert!(record(&g) == record(&plain), "the memo changes nothing");
        // a for v0 = 0..=3, b for v0 = 1..=3, and the outcome reached from each a.
        assert_eq!(g.state_count, 4 + 3 + 4, "{:?}", g.kinds);
        assert!(!g.limited());
    }

    /// Whether every waiting state reaches an outcome, from the components: the
    /// answer the sweeps must give.
    fn reach_by_components(g: &Graph) -> bool {
        let comps = g.components();
        (0..g.len())
            .all(|i| g.kinds[i] != Kind::Waiting || comps.reaches_outcome[comps.comp[i] as usize])
    }

    /// States of several words: the footprints gather their bits across words, and
    /// the graph is the same with and without the memo.
    #[test]
    fn footprints_of_states_of_several_words() {
        for seed in [3, 5, 6] {
            let p = Params::sound(seed, 12).with_int_vars(12, 0, 50);
            let story = test_story(&generate(&p));
            let limits = Limits::states(30_000);
            let best = Graph::explore_with(&story, limits, IndexForm::Best);
            let plain = Graph::explore_with(&story, limits, IndexForm::NoMemo);
            assert!(best.layout.words() >= 2, "seed {seed}");
            assert!(best.len() > 2_000, "seed {seed}: {} states", best.len());
            assert!(record(&best) == record(&plain), "seed {seed}");
            assert_eq!(best.entered, plain.entered);
            assert_eq!(best.offered, plain.offered);
        }
    }

    /// The sweeps agree with the components on sound and unsound stories; cut short,
    /// they say they have not settled rather than guess.
    #[test]
    fn sweeps_agree_with_components() {
        let (mut sound, mut unsound, mut cut) = (0, 0, 0);
        for seed in 0..60 {
            let p = if seed % 2 == 0 {
                Params::wild(seed)
            } else {
                Params::sound(seed, 8).with_int_vars(2, 0, 3)
            };
            let text = generate(&p);
            let lowered = crate::lower(&[crate::Source {
                name: "g.scene".into(),
                text,
            }]);
            let Some(story) = lowered.story else { continue };
            let g = Graph::explore(&story, 50_000);
            if g.limited() {
                continue;
            }
            let truth = reach_by_components(&g);
            assert_eq!(g.all_reach_outcome(usize::MAX), Some(truth), "seed {seed}");
            if truth {
                sound += 1;
            } else {
                unsound += 1;
            }
            match g.all_reach_outcome(1) {
                None => cut += 1,
                Some(v) => assert_eq!(v, truth, "seed {seed}, one sweep"),
            }
        }
        assert!(
            sound > 10 && unsound > 5 && cut > 0,
            "{sound} {unsound} {cut}"
        );
    }
}
