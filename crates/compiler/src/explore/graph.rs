//! The explored state graph: per state its packed words, kind, parent and the choice
//! from the parent, and its edges in compressed-row form (a choice index takes one
//! byte); how a search adds to it, and what the checks and reports read from it.

use threshold_runtime::ir::Story;
use threshold_runtime::{get_bit, set_bit, Runner, State, Stop, DIVERT_LIMIT};

use super::layout::Layout;
use super::scc::{scc, Components};

/// The bytes an entry of the graph holds besides its packed words and edges: kind
/// (1), parent (4), choice from the parent (4) and first edge (4).
const HELD_BYTES_PER_ENTRY: usize = 13;

/// The bytes an entry costs once the search ends, in the strongly connected
/// components and the soundness phase's tables (which outlive the index).
const AFTER_SEARCH_BYTES_PER_ENTRY: usize = 12;

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
    pub(super) packed: Vec<u64>,
    pub kinds: Vec<Kind>,
    pub parent: Vec<u32>,
    /// The index, among the node's choices, of the choice that led here.
    pub parent_choice: Vec<u32>,
    pub(super) edge_start: Vec<u32>,
    /// Successors, and the choice index that leads to each: one byte, or
    /// [`WIDE`] with the index in `wide_choices`.
    pub(super) edges: Vec<u32>,
    pub(super) edge_choice: Vec<u8>,
    /// `(edge, choice index)` for the edges whose index does not fit in a byte,
    /// in edge order.
    pub(super) wide_choices: Vec<(u32, u32)>,
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

/// The parent of the first state.
pub const NO_PARENT: u32 = u32::MAX;

/// No state: what adding one returns when the search must stop.
pub(super) const NO_STATE: u32 = u32::MAX;

/// What bounds a search as it adds to the graph, and the divert loops' markers it has
/// made.
pub(super) struct Bounds {
    /// The marker of the divert loop first entered at each node ([`NO_STATE`] if none).
    pub(super) loops: Vec<u32>,
    pub(super) max_states: usize,
    /// What the search reports when it reaches `max_states`.
    pub(super) stopped: Stopped,
    /// The memory budget in bytes, less what a divert chain may hold.
    pub(super) max_bytes: usize,
}

impl Graph {
    /// An empty graph for states of `layout`, with room for `room` states.
    pub(super) fn empty(story: &Story, layout: Layout, room: usize) -> Graph {
        let w = layout.words();
        let choices = Runner::new(story).choice_count() as usize;
        Graph {
            packed: Vec::with_capacity(room * w),
            kinds: Vec::with_capacity(room),
            parent: Vec::with_capacity(room),
            parent_choice: Vec::with_capacity(room),
            edge_start: Vec::with_capacity(room),
            edges: Vec::with_capacity(room * 2),
            edge_choice: Vec::with_capacity(room * 2),
            wide_choices: Vec::new(),
            entered: vec![0; story.nodes.len().div_ceil(64)],
            offered: vec![0; choices.div_ceil(64)],
            stopped: None,
            state_count: 0,
            layout,
        }
    }

    /// Makes room for `states` states and `edges` edges in all.
    pub(super) fn reserve(&mut self, states: usize, edges: usize) {
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

    /// Ends a search: closes the edge table and gives back unused capacity.
    pub(super) fn finish(mut self) -> Graph {
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

    /// Adds an edge to state `t` by the node's choice `choice`.
    #[inline]
    pub(super) fn push_edge(&mut self, t: u32, choice: u32) {
        if choice < u32::from(WIDE) {
            self.edge_choice.push(choice as u8);
        } else {
            self.edge_choice.push(WIDE);
            self.wide_choices.push((self.edges.len() as u32, choice));
        }
        self.edges.push(t);
    }

    /// The marker of the divert loop first entered at `node`, added if it is new.
    #[inline(never)]
    pub(super) fn divert_loop(
        &mut self,
        node: u32,
        parent: u32,
        choice: u32,
        bounds: &mut Bounds,
    ) -> u32 {
        let slot = &mut bounds.loops[node as usize];
        if *slot != NO_STATE {
            return *slot;
        }
        let id = self.kinds.len() as u32;
        *slot = id;
        let w = self.layout.words();
        let start = self.packed.len();
        self.packed.resize(start + w, 0);
        self.layout.pack_node(node, &mut self.packed[start..]);
        self.push_meta(Kind::DivertLoop, parent, choice);
        id
    }

    /// A divert chain reached the runtime's divert limit: the search stops there,
    /// and nothing is claimed. Returns [`NO_STATE`].
    #[cold]
    #[inline(never)]
    pub(super) fn divert_limit(&mut self, node: u32) -> u32 {
        self.stopped = Some(Stopped::Diverts { node });
        NO_STATE
    }

    /// Whether what the search holds (the graph's tables by their lengths, the
    /// edges as many as there really are, the index, and what each state will
    /// cost the components after) has passed the memory budget; if so, records
    /// it. Checked once a batch: the state limit the budget set up front assumed
    /// a few edges a state, and a story of many choices has more. `index_bytes` is
    /// what the search's index holds, and will take to number the edges.
    #[inline(never)]
    pub(super) fn over_budget(&mut self, bounds: &Bounds, index_bytes: usize) -> bool {
        let states = self.kinds.len();
        let held = self.packed.len() * 8
            + states * (HELD_BYTES_PER_ENTRY + AFTER_SEARCH_BYTES_PER_ENTRY)
            + self.edges.len() * 5
            + self.wide_choices.len() * 8
            + index_bytes;
        if held <= bounds.max_bytes || self.state_count == 0 {
            return false;
        }
        self.stopped = Some(Stopped::Memory {
            states: self.state_count,
            bytes_per_state: held.div_ceil(states),
            max_memory: bounds.max_bytes.div_ceil(1 << 20),
        });
        true
    }

    /// Whether the search has as many states as `bounds` let it hold; if so, records
    /// why it stops.
    #[inline]
    pub(super) fn at_limit(&mut self, bounds: &Bounds) -> bool {
        if self.state_count >= bounds.max_states {
            self.stopped = Some(bounds.stopped);
            return true;
        }
        false
    }

    /// Adds the new state packed as `key`, stopped by `stop` (not a divert loop) and
    /// reached from `parent` by its node's choice `choice`, and returns its number;
    /// the index is left to the caller.
    #[inline]
    pub(super) fn push_state(&mut self, key: &[u64], stop: Stop, parent: u32, choice: u32) -> u32 {
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
    pub(super) fn push_meta(&mut self, kind: Kind, parent: u32, choice: u32) {
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

/// The kind of a state stopped by `stop` (not a divert loop, whose marker is made
/// apart).
#[inline]
pub(super) fn kind_of(stop: Stop) -> Kind {
    match stop {
        Stop::Choice => Kind::Waiting,
        Stop::Outcome => Kind::Outcome,
        Stop::DeadEnd => Kind::DeadEnd,
        Stop::DivertLoop { .. } | Stop::DivertLimit { .. } => {
            unreachable!("handled by divert_loop and divert_limit")
        }
    }
}
