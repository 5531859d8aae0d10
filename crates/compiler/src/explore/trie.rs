//! The read trie: the memo of transitions for choices whose footprint is too wide
//! for a table, keyed by what each transition actually read.
//!
//! A transition reads the state a field at a time, and which field it reads next
//! depends only on the values it has read so far: the runtime is deterministic. So
//! the transitions of one choice form a decision tree over the fields they read — a
//! branch for each field read, with a child for each of its values, and a leaf for
//! each path, holding how the transition stopped and the fields it wrote. Another
//! state that agrees with a path's values takes the choice the same way: it reads
//! the same fields, writes the same fields with the same values, and leaves the rest
//! as it was. The tree is built from the runtime's own account of a transition
//! ([`Trace`], a [`Sink`] told every read and write), never from a second reading
//! of the story.
//!
//! A choice with a wide static footprint often reads little on any one path: a
//! choice whose diverts pass a scene that compares many variables only once a
//! counter runs out reads the counter, and the rest only then. What the runtime
//! reads to tell waiting from stuck where play stops (between its
//! [`Sink::waits`] reports) is left off the path, as it is off the footprints: the
//! search decides it for each state. The trie is kept for states of one word; it
//! stops growing at [`MAX_SLOTS`] slots or [`MAX_LEAVES`] leaves, after which paths
//! it does not hold are run every time.

use std::cell::Cell;

use threshold_runtime::{set_bit, Sink, Stop};

use super::layout::Layout;
use super::memo::Known;

/// The most slots (children of branches, and a root per choice) the trie holds:
/// 16 MiB.
const MAX_SLOTS: usize = 1 << 22;
/// The most leaves the trie holds: 24 MiB.
const MAX_LEAVES: usize = 1 << 20;
/// The widest field a branch splits on, in bits: 4,096 children.
const MAX_FIELD_BITS: u32 = 12;
/// The most nodes a traced transition may enter. A longer divert chain compares
/// whole configurations looking for a loop, which a path of reads does not record.
const MAX_HOPS: usize = 32;

/// A slot: [`UNKNOWN`], a branch (its index plus one) or a leaf (its index, tagged
/// [`LEAF`]).
const UNKNOWN: u32 = 0;
const LEAF: u32 = 1 << 31;

/// A branch: the field it splits on, `(state >> shift) & mask`, and where its
/// children's slots start.
#[derive(Debug, Clone, Copy)]
struct Branch {
    shift: u32,
    mask: u64,
    base: u32,
}

/// A leaf: how the transition stopped, and the bits it wrote (`mask`) with their
/// values (`bits`).
#[derive(Debug, Clone, Copy)]
struct Leaf {
    known: Known,
    mask: u64,
    bits: u64,
}

/// How many paths a choice stores between two looks at how often its paths are
/// found again.
const WINDOW: u32 = 1024;

/// A choice's recent use of the trie: the lookups that found a path, and the paths
/// stored, since its window opened; and whether the choice has left the trie.
#[derive(Debug, Clone, Default)]
struct Use {
    hits: Cell<u32>,
    stored: u32,
    closed: bool,
}

/// The decision trees of the choices that use the trie, one root slot each.
///
/// A choice whose paths are seldom found again — whose transitions read values no
/// other state shares — leaves the trie: when a window of [`WINDOW`] stored paths
/// saw fewer than a quarter as many found, its transitions run untraced from then
/// on, and the paths it stored stay unused.
#[derive(Debug)]
pub(super) struct Trie {
    /// A root for each choice (by story-wide id), then the branches' children.
    slots: Vec<u32>,
    branches: Vec<Branch>,
    leaves: Vec<Leaf>,
    uses: Vec<Use>,
}

impl Trie {
    /// An empty trie for `choices` choices.
    pub(super) fn new(choices: usize) -> Trie {
        Trie {
            slots: vec![UNKNOWN; choices],
            branches: Vec::new(),
            leaves: Vec::new(),
            uses: vec![Use::default(); choices],
        }
    }

    /// Whether `choice` still uses the trie.
    #[inline]
    pub(super) fn open(&self, choice: u32) -> bool {
        !self.uses[choice as usize].closed
    }

    /// Whether the trie has room for more paths: once full, transitions it does not
    /// hold run untraced.
    pub(super) fn has_room(&self) -> bool {
        self.leaves.len() < MAX_LEAVES && self.slots.len() < MAX_SLOTS
    }

    /// What taking `choice` from the one-word state `s` comes to, with the bits it
    /// writes and their values, if a path of the trie holds it.
    #[inline]
    pub(super) fn find(&self, choice: u32, s: u64) -> Option<(Known, u64, u64)> {
        let mut slot = self.slots[choice as usize];
        loop {
            if slot & LEAF != 0 {
                let l = self.leaves[(slot & !LEAF) as usize];
                let hits = &self.uses[choice as usize].hits;
                hits.set(hits.get() + 1);
                return Some((l.known, l.mask, l.bits));
            }
            if slot == UNKNOWN {
                return None;
            }
            let b = self.branches[slot as usize - 1];
            slot = self.slots[b.base as usize + ((s >> b.shift) & b.mask) as usize];
        }
    }

    /// Stores what taking `choice` from the one-word state `source` came to, as
    /// `trace` followed it: the path of the fields it read (with their values in
    /// `source`) to a leaf of how it stopped and what it wrote into `target`. A
    /// trace the trie cannot hold, or a full trie, stores nothing.
    pub(super) fn put(
        &mut self,
        choice: u32,
        source: u64,
        known: Known,
        target: u64,
        trace: &Trace<'_>,
    ) {
        if !trace.keeps()
            || matches!(
                known,
                Known::Taken(Stop::DivertLoop { .. } | Stop::DivertLimit { .. })
            )
            || self.leaves.len() >= MAX_LEAVES
        {
            return;
        }
        let mut at = choice as usize;
        for &(shift, mask) in &trace.reads {
            let slot = self.slots[at];
            let b = if slot == UNKNOWN {
                if self.slots.len() + mask as usize + 1 > MAX_SLOTS {
                    return;
                }
                let b = Branch {
                    shift,
                    mask,
                    base: self.slots.len() as u32,
                };
                self.slots
                    .resize(self.slots.len() + mask as usize + 1, UNKNOWN);
                self.branches.push(b);
                self.slots[at] = self.branches.len() as u32;
                b
            } else if slot & LEAF != 0 {
                // The same path was stored while this transition ran.
                return;
            } else {
                self.branches[slot as usize - 1]
            };
            debug_assert_eq!(
                (b.shift, b.mask),
                (shift, mask),
                "choice {choice}: a path reads the fields of its prefix"
            );
            at = b.base as usize + ((source >> shift) & mask) as usize;
        }
        if self.slots[at] != UNKNOWN {
            return;
        }
        let mask = if matches!(known, Known::Unavailable) {
            0
        } else {
            trace.wrote
        };
        self.leaves.push(Leaf {
            known: known.kept(),
            mask,
            bits: target & mask,
        });
        self.slots[at] = LEAF | (self.leaves.len() - 1) as u32;
        let u = &mut self.uses[choice as usize];
        u.stored += 1;
        if u.stored == WINDOW {
            u.closed = u.hits.get() < WINDOW / 4;
            u.hits.set(0);
            u.stored = 0;
        }
    }
}

/// What a transition of a one-word state read and wrote, as the runtime tells it: the
/// fields it read before knowing them, in order, as `(shift, mask)`; the bits it
/// wrote; and the nodes it entered, which it also marks in the graph's `entered`.
pub(super) struct Trace<'a> {
    layout: &'a Layout,
    entered: &'a mut Vec<u64>,
    reads: Vec<(u32, u64)>,
    /// Bits whose value the path knows: read, or written before being read.
    known: u64,
    wrote: u64,
    hops: usize,
    /// A read of a field too wide to branch on, or of bits in more than one word.
    wide: bool,
    /// The runtime is reading whether play waits at the scene it stopped at, which
    /// the path leaves out.
    checking: bool,
}

impl<'a> Trace<'a> {
    /// A trace of a transition from a state at a known node, marking the nodes it
    /// enters in `entered`; `reads` is room for the path, cleared (given back by
    /// [`Trace::into_reads`]).
    pub(super) fn new(
        layout: &'a Layout,
        entered: &'a mut Vec<u64>,
        mut reads: Vec<(u32, u64)>,
    ) -> Trace<'a> {
        let node = layout
            .node_run()
            .map_or(0, |(_, shift, len)| ((1u64 << len) - 1) << shift);
        reads.clear();
        Trace {
            layout,
            entered,
            reads,
            known: node,
            wrote: node,
            hops: 0,
            wide: false,
            checking: false,
        }
    }

    /// The room of the path, to reuse.
    pub(super) fn into_reads(self) -> Vec<(u32, u64)> {
        self.reads
    }

    /// Records that the transition wrote the bits `bits` of word `word`.
    pub(super) fn write(&mut self, (word, bits): (u32, u64)) {
        if word != 0 {
            self.wide = true;
        }
        self.wrote |= bits;
        self.known |= bits;
    }

    /// Whether the trie can hold the path: every read within one word and narrow
    /// enough, and no divert chain long enough to be searched for a loop.
    fn keeps(&self) -> bool {
        !self.wide && self.hops <= MAX_HOPS
    }

    fn read(&mut self, (word, bits): (u32, u64)) {
        if self.checking {
            return;
        }
        if word != 0 {
            self.wide = true;
            return;
        }
        if bits & !self.known == 0 {
            return;
        }
        let shift = bits.trailing_zeros();
        let mask = bits >> shift;
        if mask.count_ones() > MAX_FIELD_BITS {
            self.wide = true;
        }
        self.reads.push((shift, mask));
        self.known |= bits;
    }
}

impl Sink for Trace<'_> {
    #[inline]
    fn enter(&mut self, node: u32) {
        set_bit(self.entered, node as usize);
        self.hops += 1;
        if let Some(bit) = self.layout.seen_bit(node) {
            self.write(bit);
        }
    }

    fn read_var(&mut self, var: u32) {
        if let Some(bits) = self.layout.var_bits(var) {
            self.read(bits);
        }
    }

    fn read_seen(&mut self, node: u32) {
        if let Some(bit) = self.layout.seen_bit(node) {
            self.read(bit);
        }
    }

    fn read_taken(&mut self, once_id: u32) {
        self.read(self.layout.once_bit(once_id));
    }

    fn write_var(&mut self, var: u32) {
        if let Some(bits) = self.layout.var_bits(var) {
            self.write(bits);
        }
    }

    fn waits(&mut self, checking: bool) {
        self.checking = checking;
    }
}
