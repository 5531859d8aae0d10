//! The direct table: a slot (or only a bit) for every combination of fields a
//! one-word state can take, found by the combination's number in mixed radix; and
//! how a search with it numbers its edges, staging new states and leaving the
//! numbers of known targets to the end, when a table of bits numbers them by rank
//! (few states) or by a radix partition of the edges by part of the table, in the
//! cache either way.

use threshold_runtime::ir::Story;
use threshold_runtime::{set_bit, Runner, Stop};

use super::bfs::{Numbering, Step};
use super::graph::{kind_of, Bounds, Graph, Kind, NO_PARENT, NO_STATE};
use super::layout::Layout;

/// The most bytes a [`DirectIndex`] of slots may take (within the memory budget, a
/// quarter of it at most).
pub(super) const DIRECT_MAX_BYTES: usize = 16 << 20;

/// The most bytes a [`DirectIndex`] of bits only may take (within the memory budget,
/// a quarter of it at most): a bit for each of 2^29 combinations. Its pages are
/// touched only where states fall.
pub(super) const DIRECT_BITS_MAX_BYTES: usize = 64 << 20;

/// The combinations of one part of [`DirectIndex::number_in_parts`], in bits: a
/// part's table of numbers takes 512 KiB.
pub(super) const PART_BITS: u32 = 17;

/// A table of bits only numbers its edges by rank ([`DirectIndex::number_by_rank`])
/// while there are at most this many states, whose numbers by rank then take 8 MiB
/// at most; past it, in parts.
pub(super) const RANK_MAX_STATES: usize = 1 << 21;

/// A table whose bitset is larger than this is read a batch at a time ahead of
/// numbering: its reads would miss the cache.
const READ_AHEAD_BYTES: usize = 16 << 20;

/// Tags an edge whose target's number was known when the edge was added (a state
/// it found, or a divert loop's marker): the rest of the edge is that number, not
/// the target's combination.
pub(super) const NUMBERED: u32 = 1 << 31;

/// What a direct table keeps for each combination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cells {
    /// A slot holding the state's number.
    Slots,
    /// A bit only; edges are numbered at the end, by rank while there are at most
    /// `rank_states` states, else in parts of `2^part_bits` combinations.
    Bits { part_bits: u32, rank_states: usize },
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
/// only (no `slots`) may still fit, at a bit a combination: the search tells new
/// states by their bits and leaves numbering its edges to its end
/// ([`DirectIndex::number_edges`]), which numbers them by the rank of their
/// target's bit ([`DirectIndex::number_by_rank`]) or a part of the combinations at
/// a time ([`DirectIndex::number_in_parts`]).
pub(super) struct DirectIndex {
    /// Empty for a table of bits only.
    pub(super) slots: Vec<u32>,
    /// A bit for each combination, set when it is a state found: an eighth of a
    /// byte a combination, so that the search tells new targets from known
    /// ones without reading the slots.
    pub(super) present: Vec<u64>,
    /// How many combinations there are.
    pub(super) combos: usize,
    /// The size of a part of [`DirectIndex::number_in_parts`], in bits.
    part_bits: u32,
    /// The most states [`DirectIndex::number_by_rank`] numbers.
    rank_states: usize,
    bytes: Box<[[u32; 256]; DIRECT_WORD_BYTES]>,
    /// The new states of the batch not yet added to the graph.
    stage: Stage,
}

/// The most bytes of a packed state a direct table reads its number from.
const DIRECT_WORD_BYTES: usize = 4;

impl DirectIndex {
    /// A table for states of `layout`, if they are one word and the table takes at
    /// most `max_bytes`, with `cells` for each combination.
    pub(super) fn new(layout: &Layout, max_bytes: usize, cells: Cells) -> Option<DirectIndex> {
        if layout.words() != 1 || layout.bits() > 8 * DIRECT_WORD_BYTES {
            return None;
        }
        let (fields, combos) = layout.mixed_radix()?;
        let slots = usize::try_from(combos).ok()?;
        // Edges hold a combination below `NUMBERED` until they are numbered.
        if combos >= u64::from(NUMBERED) {
            return None;
        }
        let bits_only = cells != Cells::Slots;
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
        let (part_bits, rank_states) = match cells {
            Cells::Slots => (0, 0),
            Cells::Bits {
                part_bits,
                rank_states,
            } => (part_bits, rank_states),
        };
        Some(DirectIndex {
            slots: if bits_only {
                Vec::new()
            } else {
                vec![0; slots]
            },
            present: vec![0; slots.div_ceil(64)],
            combos: slots,
            part_bits,
            rank_states,
            bytes,
            stage: Stage::default(),
        })
    }

    /// Whether the table's bitset is too large to stay in the cache, so that a search
    /// reads it a batch ahead ([`ReadAhead`]).
    pub(super) fn reads_ahead(&self) -> bool {
        self.present.len() * 8 > READ_AHEAD_BYTES
    }

    /// The number of the combination the one-word state `word` is.
    #[inline]
    pub(super) fn code(&self, word: u64) -> u64 {
        let [t0, t1, t2, t3] = &*self.bytes;
        let byte = |k: u32| ((word >> (8 * k)) & 0xFF) as usize;
        u64::from(t0[byte(0)])
            + u64::from(t1[byte(1)])
            + u64::from(t2[byte(2)])
            + u64::from(t3[byte(3)])
    }

    /// Numbers the edges when the search ends: fills the table's slots from the
    /// states found, then gives each edge that holds its target's combination the
    /// target's number, and untags the others. Both passes are plain loops whose
    /// reads and writes do not wait on each other, so their cache misses overlap
    /// ([`number_tagged`]). A table of bits only has no slots to fill: its edges
    /// are numbered by rank, or a part of the combinations at a time.
    fn number_edges(&mut self, g: &mut Graph) {
        if self.slots.is_empty() {
            if g.kinds.len() <= self.rank_states {
                self.number_by_rank(g);
            } else {
                // The bits are not needed any more: their room goes to the parts.
                self.present = Vec::new();
                self.number_in_parts(g);
            }
            return;
        }
        let mut slots = std::mem::take(&mut self.slots);
        self.each_state_code(g, |id, code| slots[code] = id + 1);
        number_tagged(&mut g.edges, |code| slots[code].wrapping_sub(1));
        self.slots = slots;
    }

    /// Numbers the edges with a table of bits only, by rank: a state's rank is how
    /// many states found have a lower combination — the ones of the bitset before
    /// its bit, the count kept for each word (a rank directory) plus a popcount in
    /// the word. A table of the states' numbers by rank takes four bytes a state, so
    /// for few states it stays in the cache; an edge's number is then a read of the
    /// directory, the bitset and that table, and no edge's reads wait on another's.
    fn number_by_rank(&mut self, g: &mut Graph) {
        let present = std::mem::take(&mut self.present);
        let mut before = Vec::with_capacity(present.len());
        let mut ones = 0u32;
        for w in &present {
            before.push(ones);
            ones += w.count_ones();
        }
        let rank = |code: usize| {
            let (w, bit) = (code / 64, code % 64);
            (before[w] + (present[w] & ((1u64 << bit) - 1)).count_ones()) as usize
        };
        let mut number = vec![0u32; ones as usize];
        self.each_state_code(g, |id, code| number[rank(code)] = id);
        number_tagged(&mut g.edges, |code| number[rank(code)]);
    }

    /// Numbers the edges with a table of bits only, a part of the table's
    /// combinations (`2^part_bits` of them) at a time, by radix partition. Two
    /// passes sort the states (each with its combination's place in its part) and
    /// the edges still to number (by where they are) by part, reading them in order
    /// and writing a stream for each part. Then each part's states fill a table of
    /// numbers that stays in the processor's second-level cache, and its edges read
    /// their targets' numbers from it. What is left to miss the cache is one read of
    /// each edge, and those reads do not wait on each other.
    ///
    /// A part's table is never cleared: an edge only looks up a combination that is
    /// a state found, which its part's states have just written.
    fn number_in_parts(&self, g: &mut Graph) {
        let part_bits = self.part_bits;
        let parts = self.combos.div_ceil(1 << part_bits);
        let low = (1u64 << part_bits) - 1;
        // Each part's start in `states` and in `tagged`; an edge already numbered
        // counts in an extra part, last, which keeps none.
        let mut state_at = vec![0usize; parts + 2];
        let mut edge_at = vec![0usize; parts + 2];
        self.each_state_code(g, |_, code| state_at[(code >> part_bits) + 1] += 1);
        let part_of = |e: u32| {
            if e & NUMBERED != 0 {
                parts
            } else {
                (e >> part_bits) as usize
            }
        };
        for &e in &g.edges {
            edge_at[part_of(e) + 1] += 1;
        }
        for p in 0..=parts {
            state_at[p + 1] += state_at[p];
            edge_at[p + 1] += edge_at[p];
        }
        // A state's entry: its number above its combination's place in its part.
        let mut states = vec![0u64; state_at[parts]];
        let mut next = state_at.clone();
        self.each_state_code(g, |id, code| {
            let p = code >> part_bits;
            states[next[p]] = (u64::from(id) << 32) | (code as u64 & low);
            next[p] += 1;
        });
        // An edge's entry: where it is (it holds its target's combination). The
        // numbered edges' entries are all written to one place past the rest.
        let mut tagged = vec![0u32; edge_at[parts] + 1];
        let mut next = edge_at.clone();
        for (at, e) in g.edges.iter_mut().enumerate() {
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
                let e = &mut g.edges[at as usize];
                *e = number[(u64::from(*e) & low) as usize];
            }
        }
    }

    /// Calls `f(number, combination)` for every state found (divert loops' markers
    /// left out), in order.
    fn each_state_code(&self, g: &Graph, mut f: impl FnMut(u32, usize)) {
        for (id, (&word, &kind)) in g.packed.iter().zip(&g.kinds).enumerate() {
            if kind != Kind::DivertLoop {
                f(id as u32, self.code(word) as usize);
            }
        }
    }

    /// Adds the edge of `step`, to the one-word state `target`, numbering the target if it is new: the edge holds the target's
    /// combination, or, tagged with [`NUMBERED`], the number of a target it adds or
    /// of a divert loop's marker. A new target waits in the stage. Returns false
    /// when the search must stop.
    ///
    /// Whether a target is new is not branched on: the processor would guess it
    /// wrong about a third of the time, each time after waiting for the table's
    /// bit, and throw away the work it began. The target is written to the stage
    /// either way and counted only if new, and the edge chooses its value.
    #[inline(always)]
    fn number(&mut self, g: &mut Graph, step: Step, target: u64, bounds: &mut Bounds) -> bool {
        match step.stop {
            Stop::DivertLoop { node } => {
                self.add_staged(g);
                let id = g.divert_loop(node, step.from, step.choice, bounds);
                g.push_edge(NUMBERED | id, step.choice);
                return true;
            }
            Stop::DivertLimit { node } => {
                self.add_staged(g);
                g.divert_limit(node);
                return false;
            }
            _ => {}
        }
        let code = self.code(target) as usize;
        let (word, bit) = (self.present[code / 64], 1u64 << (code % 64));
        let new = word & bit == 0;
        let stage = &mut self.stage;
        if stage.len >= stage.room && new {
            self.add_staged(g);
            g.stopped = Some(bounds.stopped);
            return false;
        }
        self.present[code / 64] = word | bit;
        let id = (g.kinds.len() + stage.len) as u32;
        stage.states[stage.len] = (target, step.from, step.choice, kind_of(step.stop));
        stage.len += usize::from(new);
        g.push_edge(if new { NUMBERED | id } else { code as u32 }, step.choice);
        true
    }

    /// Opens the edge list of every state before `h` that has none yet (ending the
    /// list of the one before): their edges are all added.
    #[inline(always)]
    fn close_states(&mut self, g: &mut Graph, h: usize) {
        while g.edge_start.len() < h {
            g.edge_start.push(g.edges.len() as u32);
        }
    }

    /// Adds the states waiting in the stage to the graph, in order.
    fn add_staged(&mut self, g: &mut Graph) {
        let stage = &mut self.stage;
        for &(word, parent, choice, kind) in &stage.states[..stage.len] {
            g.packed.push(word);
            g.push_meta(kind, parent, choice);
        }
        g.state_count += stage.len;
        stage.room -= stage.len;
        stage.len = 0;
    }
}

/// The new states a batch has found and not yet added to the graph
/// (`states[..len]`; the rest is room, and scratch for targets that turned out not
/// to be new). Their numbers follow the graph's.
#[derive(Debug, Default)]
struct Stage {
    states: Vec<(u64, u32, u32, Kind)>,
    len: usize,
    /// How many more states the search may add, staged ones included.
    room: usize,
}

/// Gives each edge its target's number: `number_of(combination)` for an edge that
/// holds a combination, the rest of the edge for one tagged [`NUMBERED`]. A tagged
/// edge looks up combination zero, in the cache, so that the loop has no branch to
/// guess.
#[inline]
fn number_tagged(edges: &mut [u32], number_of: impl Fn(usize) -> u32) {
    for e in edges {
        let numbered = *e & NUMBERED != 0;
        let code = if numbered { 0 } else { *e as usize };
        let found = number_of(code);
        *e = if numbered { *e & !NUMBERED } else { found };
    }
}

/// Whether a target is new is found by one bit of [`DirectIndex::present`], a batch
/// at a time; an edge to a known target holds its combination until the search ends,
/// when [`DirectIndex::number_edges`] turns it into the number.
impl Numbering for DirectIndex {
    fn bytes(&self, states: usize, edges: usize) -> usize {
        let numbering = if !self.slots.is_empty() {
            0
        } else if states <= self.rank_states {
            // The rank directory and the numbers by rank.
            self.present.len() * 4 + states * 4
        } else {
            // The states' words and a copy of the edges, sorted by part.
            states * 8 + edges * 4
        };
        std::mem::size_of_val(&self.slots[..])
            + std::mem::size_of_val(&self.present[..])
            + numbering
    }

    /// A direct table bounds the states, and each has at most its node's choices:
    /// room for that many up front (for at most four edges a state) spares the
    /// vectors' growth, which in a long-running process copies them. The room is
    /// only address space until states fill it.
    fn start(&mut self, g: &mut Graph, story: &Story, bounds: &Bounds) {
        let states = self.combos.min(bounds.max_states);
        let choices = Runner::new(story).choice_count() as usize;
        let edges = (states / story.nodes.len().max(1) * choices).min(states * 4);
        g.reserve(states, edges);
    }

    fn first(&mut self, g: &mut Graph, key: &[u64], stop: Stop, bounds: &mut Bounds) -> u32 {
        if g.at_limit(bounds) {
            return NO_STATE;
        }
        let code = self.code(key[0]) as usize;
        let id = g.push_state(key, stop, NO_PARENT, 0);
        if let Some(s) = self.slots.get_mut(code) {
            *s = id + 1;
        }
        set_bit(&mut self.present, code);
        id
    }

    fn begin(&mut self, g: &mut Graph, choices: usize, bounds: &Bounds) {
        // Room for a new state from every choice of the batch.
        if self.stage.states.len() < choices {
            self.stage.states.resize(choices, (0, 0, 0, Kind::Waiting));
        }
        self.stage.room = bounds.max_states.saturating_sub(g.state_count);
    }

    #[inline(always)]
    fn state(&mut self, g: &mut Graph) {
        g.edge_start.push(g.edges.len() as u32);
    }

    /// Numbers the target at once: the table is small enough to stay in the cache.
    #[inline(always)]
    fn edge(&mut self, g: &mut Graph, step: Step, target: &[u64], bounds: &mut Bounds) -> bool {
        self.number(g, step, target[0], bounds)
    }

    fn end(
        &mut self,
        g: &mut Graph,
        _states: std::ops::Range<usize>,
        _bounds: &mut Bounds,
    ) -> bool {
        self.add_staged(g);
        true
    }

    fn finish(&mut self, g: &mut Graph) {
        self.number_edges(g);
    }
}

/// A direct table too large to stay in the cache, numbering a batch's targets after
/// reading the words of its bitset they test — a software prefetch, a batch ahead —
/// so that their cache misses overlap.
pub(super) struct ReadAhead {
    pub(super) table: DirectIndex,
    /// The batch's transitions to number: each with its target and the target's
    /// combination.
    batch: Vec<(Step, u64, u32)>,
}

impl ReadAhead {
    pub(super) fn new(table: DirectIndex) -> ReadAhead {
        ReadAhead {
            table,
            batch: Vec::new(),
        }
    }
}

impl Numbering for ReadAhead {
    fn bytes(&self, states: usize, edges: usize) -> usize {
        self.table.bytes(states, edges)
    }

    fn start(&mut self, g: &mut Graph, story: &Story, bounds: &Bounds) {
        self.table.start(g, story, bounds);
    }

    fn first(&mut self, g: &mut Graph, key: &[u64], stop: Stop, bounds: &mut Bounds) -> u32 {
        self.table.first(g, key, stop, bounds)
    }

    fn begin(&mut self, g: &mut Graph, choices: usize, bounds: &Bounds) {
        self.table.begin(g, choices, bounds);
        self.batch.clear();
    }

    #[inline(always)]
    fn edge(&mut self, _g: &mut Graph, step: Step, target: &[u64], _bounds: &mut Bounds) -> bool {
        let code = match step.stop {
            Stop::DivertLoop { .. } | Stop::DivertLimit { .. } => 0,
            _ => self.table.code(target[0]) as u32,
        };
        self.batch.push((step, target[0], code));
        true
    }

    /// Numbers the batch's targets in order, opening each state's edge list as its
    /// first edge comes, and the edge lists of the states `states` that have none.
    fn end(&mut self, g: &mut Graph, states: std::ops::Range<usize>, bounds: &mut Bounds) -> bool {
        let table = &mut self.table;
        let mut acc = 0u64;
        for &(_, _, code) in &self.batch {
            acc ^= table.present[code as usize / 64];
        }
        std::hint::black_box(acc);
        let mut go_on = true;
        for &(step, target, _) in &self.batch {
            table.close_states(g, step.from as usize + 1);
            if !table.number(g, step, target, bounds) {
                go_on = false;
                break;
            }
        }
        if go_on {
            table.close_states(g, states.end);
        }
        table.add_staged(g);
        go_on
    }

    fn finish(&mut self, g: &mut Graph) {
        self.table.finish(g);
    }
}
