//! Explicit-state exploration: every reachable choice-point state of a story, packed
//! into a few machine words, found breadth-first with the runtime's transition
//! function.
//!
//! The search, a concept to a module, imports running one way
//! (`layout` ← `footprint`, `trie` ← `memo` ← `bfs` ← `direct`, `hashed` ← this plan):
//!
//! - [`layout`]: how a state packs into words (fields, once-only and `seen` bitsets).
//! - `footprint`: which bits each choice's transition reads or writes.
//! - `memo`: the memo of transitions, keyed by footprint bits.
//! - `trie`: the read trie, the memo of wide choices, keyed by what each
//!   transition read and the conditions it tested, as the runtime reports them.
//! - `linear`: the exact linear form of a condition, for the trie's tests.
//! - `bfs`: the one breadth-first search, generic over width, memo and index.
//! - `direct`: the direct table (mixed-radix slots or a bitset, read a batch ahead
//!   when large) and the rank directory or radix partition that numbers its edges
//!   in the cache.
//! - `hashed`: hash indexes (open addressing, linear probing, prefetched batches).
//! - [`graph`]: the explored graph (compressed-row edges) and what reads it.
//! - `scc`: strongly connected components (Pearce's variant of Tarjan's).
//!
//! Memory is the limit on what can be explored, so the graph keeps per state only its
//! packed words, its kind, its parent and the choice from the parent, and its edges in
//! compressed-row form. The index that finds a packed state's number is dropped when
//! the search ends, before the strongly connected components are computed. This
//! module settles how a search runs — its bounds, its memo's entry width, its index
//! and its width — and runs it.

use threshold_runtime::ir::Story;
use threshold_runtime::Runner;

mod bfs;
mod bits;
mod direct;
mod footprint;
pub mod graph;
mod hashed;
pub mod layout;
mod linear;
mod memo;
mod scc;
#[cfg(test)]
mod tests;
mod trie;

pub use graph::{Graph, Kind, Stopped, NO_PARENT};
pub use layout::Layout;
pub use scc::Components;

use direct::{
    Cells, DirectIndex, ReadAhead, DIRECT_BITS_MAX_BYTES, DIRECT_MAX_BYTES, NUMBERED, PART_BITS,
    RANK_MAX_STATES,
};
use footprint::Footprints;
use graph::{Bounds, NO_STATE};
use hashed::{Hashed, IdIndex, KeyIndex};
use layout::{bits_for, OneWord, Width, Words};
use memo::{Entry, Memo, Memoize};

/// The default for `--max-states`.
pub const DEFAULT_MAX_STATES: usize = 10_000_000;

/// The default memory budget of a search, in MiB (`--max-memory`).
pub const DEFAULT_MAX_MEMORY_MIB: usize = 2048;

/// The bytes a state costs in the graph besides its packed words, for the memory
/// budget: its kind (1), parent (4), choice from the parent (4) and first edge (4),
/// about three edges (5 bytes each), and its share of the index while the search
/// runs (about 12).
const BYTES_PER_STATE: usize = 40;

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

/// The most bytes a direct table of `cells` may take within `limits`: a quarter of
/// the budget at most.
fn direct_bytes(limits: Limits, cells: Cells) -> usize {
    let most = match cells {
        Cells::Slots => DIRECT_MAX_BYTES,
        Cells::Bits { .. } => DIRECT_BITS_MAX_BYTES,
    };
    most.min(limits.max_memory.saturating_mul(1 << 20) / 4)
}

impl Graph {
    /// Explores every state reachable from the start, up to `max_states` states and
    /// within the default memory budget.
    pub fn explore(story: &Story, max_states: usize) -> Graph {
        Graph::explore_within(story, Limits::states(max_states))
    }

    /// Explores every state reachable from the start, within `limits`, with the memo
    /// of transitions at the narrowest entries that hold its values.
    pub fn explore_within(story: &Story, limits: Limits) -> Graph {
        let plan = Plan::new(story, limits);
        let f = Footprints::new(story, &plan.layout);
        if Memo::<u32>::fits(&f) {
            {
                let memo = Memo::<u32>::new(f, &plan.layout);
                plan.run(story, memo)
            }
        } else {
            {
                let memo = Memo::<u64>::new(f, &plan.layout);
                plan.run(story, memo)
            }
        }
    }
}

/// The index from packed states to their numbers, in one of three forms. When every
/// combination of node, values and marks a state can take is few enough, a table has
/// a slot (or a bit) for each, and a lookup is one read. Otherwise the index is a
/// hash table: when a packed state and a state number fit in one word together, each
/// slot holds both, and a lookup reads nothing else; otherwise each slot holds the
/// number and seven bits of the hash, and a lookup reads the packed state the number
/// names.
enum Index {
    Direct(DirectIndex),
    Keys(KeyIndex),
    Ids(IdIndex),
}

/// How a search runs, settled before its memo, index and width are chosen: the
/// layout of its states, its limits, the state limit they come to and what reaching
/// it reports, and the room the graph's tables start with.
pub(super) struct Plan {
    layout: Layout,
    limits: Limits,
    max_states: usize,
    stopped: Stopped,
    room: usize,
    nodes: usize,
}

impl Plan {
    /// The plan of a search of `story` within `limits`: the states the memory budget
    /// affords, at the bytes a state of this story costs, and the tighter of the two
    /// limits.
    fn new(story: &Story, limits: Limits) -> Plan {
        let layout = Layout::new(story);
        let bytes_per_state = layout.words() * 8 + BYTES_PER_STATE;
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
        Plan {
            layout,
            limits,
            max_states,
            stopped,
            // Room for the first states; the tables grow as the search finds more.
            room: max_states.clamp(1, 1 << 14),
            nodes: story.nodes.len(),
        }
    }

    /// How many numbers the graph's entries may take: the states and a divert loop's
    /// marker at each node.
    fn max_entries(&self) -> usize {
        self.max_states.saturating_add(self.nodes)
    }

    /// The index that fits best: a direct table of slots when one fits in its share
    /// of the budget, or of bits only for states of the flat one-word form (`flat`);
    /// else the one-word hash table when a state and its number fit in a word
    /// together; else the hash table of numbers.
    fn index(&self, flat: bool) -> Index {
        // Edges of a search with a direct table hold a combination or a number below
        // `NUMBERED` until the end.
        if self.max_entries() < NUMBERED as usize {
            let slots = DirectIndex::new(
                &self.layout,
                direct_bytes(self.limits, Cells::Slots),
                Cells::Slots,
            );
            let bits = || {
                let cells = Cells::Bits {
                    part_bits: PART_BITS,
                    rank_states: RANK_MAX_STATES,
                };
                DirectIndex::new(&self.layout, direct_bytes(self.limits, cells), cells)
                    .filter(|_| flat)
            };
            if let Some(x) = slots.or_else(bits) {
                return Index::Direct(x);
            }
        }
        // Slots of the one-word table hold a number plus one, up to `max_entries + 1`.
        let id_bits = bits_for(self.max_entries() as u128 + 2) as usize;
        if self.layout.words() == 1 && self.layout.bits() + id_bits < 64 {
            Index::Keys(KeyIndex::new(self.room, self.layout.bits() as u32))
        } else {
            Index::Ids(IdIndex::new(self.room, self.max_entries()))
        }
    }

    /// Runs the search with `memo` and the index that fits best.
    fn run<E: Entry>(self, story: &Story, mut memo: Memo<E>) -> Graph {
        let flat = memo.flat() && self.layout.words() == 1;
        match self.index(flat) {
            Index::Direct(x) if x.reads_ahead() => {
                self.with_width(story, flat, &mut memo, &mut ReadAhead::new(x))
            }
            Index::Direct(mut x) => self.with_width(story, flat, &mut memo, &mut x),
            Index::Keys(x) => self.with_width(story, flat, &mut memo, &mut Hashed::new(x)),
            Index::Ids(x) => self.with_width(story, flat, &mut memo, &mut Hashed::new(x)),
        }
    }

    /// Runs the search with states read in the flat one-word form if `flat`.
    fn with_width<M: Memoize, N: bfs::Numbering>(
        self,
        story: &Story,
        flat: bool,
        memo: &mut M,
        numbering: &mut N,
    ) -> Graph {
        if flat {
            self.search(story, OneWord, memo, numbering)
        } else {
            let w = Words(self.layout.words());
            self.search(story, w, memo, numbering)
        }
    }

    /// Runs the breadth-first search with states of `width`, `memo` and `numbering`.
    fn search<W: Width, M: Memoize, N: bfs::Numbering>(
        self,
        story: &Story,
        width: W,
        memo: &mut M,
        numbering: &mut N,
    ) -> Graph {
        let mut runner = Runner::new(story);
        let bounds = Bounds {
            loops: vec![NO_STATE; story.nodes.len()],
            max_states: self.max_states,
            stopped: self.stopped,
            max_bytes: self
                .limits
                .max_memory
                .saturating_mul(1 << 20)
                .saturating_sub(runner.chain_bytes()),
        };
        let g = Graph::empty(story, self.layout, self.room);
        bfs::search(g, story, &mut runner, width, memo, numbering, bounds)
    }
}
