//! The breadth-first search: one loop, generic over the width of a packed state
//! ([`Width`]), the memo of transitions ([`Memoize`], whose entries may be four or
//! eight bytes) and the index that numbers states ([`Numbering`]: the direct table
//! or a hash index). Every transition is the runtime's, run once per choice and
//! footprint value or read-trie path ([`transition`], the memo step) and read from
//! the memo after.
//!
//! States are expanded a batch at a time, in order: first the memo entries of every
//! choice of the batch are located and read ahead, so that their cache misses
//! overlap; then each transition is taken and its target handed to the numbering,
//! which numbers new states in the order a one-at-a-time search would. A state none
//! of whose choices is offered is marked stuck as it is expanded: the memo keeps a
//! stop at a scene without telling waiting from stuck.

use threshold_runtime::ir::Story;
use threshold_runtime::{set_bit, Runner, Sink, State, Stop};

use super::graph::{Bounds, Graph, Kind, NO_PARENT};
use super::layout::{Field, Layout, Width};
use super::memo::{Known, Memoize, NO_ENTRY};
use super::trie::{Read, Trace};

/// How many states are expanded together.
const BATCH: usize = 64;

/// A transition: from which state, by which of its node's choices, and how it
/// stopped.
#[derive(Debug, Clone, Copy)]
pub(super) struct Step {
    pub(super) from: u32,
    pub(super) choice: u32,
    pub(super) stop: Stop,
}

/// How a search numbers the targets of its transitions and records its edges.
pub(super) trait Numbering {
    /// The bytes the index holds, and will take to number the edges when the search
    /// ends, with `states` states and `edges` edges so far.
    fn bytes(&self, states: usize, edges: usize) -> usize;
    /// Before the first state, with the graph empty.
    fn start(&mut self, _g: &mut Graph, _story: &Story, _bounds: &Bounds) {}
    /// Numbers the first state, packed as `key` and stopped by `stop` (not a divert
    /// loop); [`super::graph::NO_STATE`] at the limit.
    fn first(&mut self, g: &mut Graph, key: &[u64], stop: Stop, bounds: &mut Bounds) -> u32;
    /// Before a batch of at most `choices` transitions.
    fn begin(&mut self, g: &mut Graph, choices: usize, bounds: &Bounds);
    /// Before the transitions of each of the batch's states in turn.
    fn state(&mut self, _g: &mut Graph) {}
    /// A transition of the batch, to the state packed as `target` (meaningless for a
    /// divert loop); false when the search must stop.
    fn edge(&mut self, g: &mut Graph, step: Step, target: &[u64], bounds: &mut Bounds) -> bool;
    /// After the batch's transitions from the states `states`; false when the search
    /// must stop.
    fn end(&mut self, g: &mut Graph, states: std::ops::Range<usize>, bounds: &mut Bounds) -> bool;
    /// When the search ends: numbers what is left.
    fn finish(&mut self, _g: &mut Graph) {}
}

/// Marks the nodes a transition enters in the graph's `entered` bitset.
struct Entered<'a>(&'a mut Vec<u64>);

impl Sink for Entered<'_> {
    #[inline]
    fn enter(&mut self, node: u32) {
        set_bit(self.0, node as usize);
    }
}

/// A choice to try from a state of the batch: its memo entry ([`NO_ENTRY`] when
/// the choice has no table), the state, its story-wide id and its index among the
/// node's choices.
struct Try {
    at: usize,
    from: u32,
    id: u32,
    index: u32,
}

/// What running a transition afresh needs: the runtime, the source state unpacked
/// (the state `unpacked` of the graph, if any), room for the target, and room for
/// a trace's path of reads.
struct Fresh<'r, 's> {
    runner: &'r mut Runner<'s>,
    cur: State,
    next: State,
    unpacked: usize,
    reads: Vec<Read>,
}

/// Explores the story from the empty graph `g` within `bounds`: states of `width`,
/// transitions read from and stored in `memo`, states numbered by `numbering`.
pub(super) fn search<W: Width, M: Memoize, N: Numbering>(
    mut g: Graph,
    story: &Story,
    runner: &mut Runner<'_>,
    width: W,
    memo: &mut M,
    numbering: &mut N,
    mut bounds: Bounds,
) -> Graph {
    let w = width.words();
    assert_eq!(w, g.layout.words(), "the search's width is the layout's");
    numbering.start(&mut g, story, &bounds);
    let (first, stop) = runner.start(&mut Entered(&mut g.entered));
    match stop {
        Stop::DivertLoop { node } => {
            g.divert_loop(node, NO_PARENT, 0, &mut bounds);
        }
        Stop::DivertLimit { node } => {
            g.divert_limit(node);
        }
        _ => {
            let mut key = vec![0u64; w];
            g.layout.pack(&first, &mut key);
            numbering.first(&mut g, &key, stop, &mut bounds);
        }
    }
    // Each node's first choice id: a node's choices have the ids that follow.
    let first_id: Vec<u32> = (0..story.nodes.len() as u32)
        .map(|n| runner.choice_id(n, 0))
        .collect();
    let mut fresh = Fresh {
        cur: runner.initial_state(),
        next: runner.initial_state(),
        unpacked: usize::MAX,
        reads: Vec::new(),
        runner,
    };
    // The memo entries of a batch's choices, in order: the state's choices in turn,
    // state by state.
    let mut ats: Vec<usize> = Vec::new();
    // The target of a transition: on the stack for states of one word, where it can
    // stay in a register.
    let mut words = vec![0u64; w];
    let mut one = [0u64; 1];
    let node = g.layout.node_field();
    let mut head = 0usize;
    'search: while head < g.kinds.len()
        && !g.limited()
        && !g.over_budget(&bounds, numbering.bytes(g.kinds.len(), g.edges.len()))
    {
        let end = g.kinds.len().min(head + BATCH);
        ats.clear();
        for h in head..end {
            if g.kinds[h] != Kind::Waiting {
                continue;
            }
            let source = &g.packed[h * w..(h + 1) * w];
            let (n, base) = node_and_first::<W>(node, source, &first_id);
            for id in base..base + story.nodes[n].choices.len() as u32 {
                ats.push(memo.locate::<W>(id, source));
            }
        }
        memo.touch(&ats);
        numbering.begin(&mut g, ats.len(), &bounds);
        let mut ats = ats.iter();
        for h in head..end {
            numbering.state(&mut g);
            if g.kinds[h] != Kind::Waiting {
                continue;
            }
            let (n, base) = node_and_first::<W>(node, &g.packed[h * w..(h + 1) * w], &first_id);
            let mut offered = false;
            for index in 0..story.nodes[n].choices.len() as u32 {
                let t = Try {
                    at: ats.next().copied().unwrap_or(NO_ENTRY),
                    from: h as u32,
                    id: base + index,
                    index,
                };
                let target: &mut [u64] = if W::ONE { &mut one } else { &mut words };
                let known = transition(&mut g, width, &mut fresh, memo, &t, target);
                let Known::Taken(stop) = known else {
                    continue;
                };
                offered = true;
                let step = Step {
                    from: t.from,
                    choice: index,
                    stop,
                };
                if !numbering.edge(&mut g, step, target, &mut bounds) {
                    break 'search;
                }
            }
            if !offered {
                // The memo keeps a stop at a scene without telling waiting from
                // stuck: a state whose choices are none of them offered is stuck.
                g.kinds[h] = Kind::DeadEnd;
            }
        }
        if !numbering.end(&mut g, head..end, &mut bounds) {
            break;
        }
        head = end;
    }
    settle_unexpanded(&mut g, story, &mut fresh, head);
    numbering.finish(&mut g);
    g.finish()
}

/// Tells waiting from stuck for the states from `head` on, which a search stopped at
/// a limit did not finish expanding: a state reached through the memo was kept as
/// waiting, and is stuck if none of its choices is offered.
fn settle_unexpanded(g: &mut Graph, story: &Story, fresh: &mut Fresh<'_, '_>, head: usize) {
    let w = g.layout.words();
    for h in head..g.kinds.len() {
        if g.kinds[h] != Kind::Waiting {
            continue;
        }
        g.layout
            .unpack(&g.packed[h * w..(h + 1) * w], &mut fresh.cur);
        let choices = story.nodes[fresh.cur.node as usize].choices.len();
        if !(0..choices).any(|i| fresh.runner.is_available(&fresh.cur, i)) {
            g.kinds[h] = Kind::DeadEnd;
        }
    }
}

/// The node of the packed state `source`, whose node is the field `node`, and the
/// node's first choice id.
#[inline(always)]
fn node_and_first<W: Width>(node: Field, source: &[u64], first_id: &[u32]) -> (usize, u32) {
    let n = if W::ONE {
        node.get_one(source[0])
    } else {
        node.get(source)
    } as usize;
    (n, first_id[n])
}

/// The memo step: what taking the choice `t` from its state comes to, with the
/// target state in `target` (meaningless for a choice not taken or taken into a
/// divert loop): read from the memo when known, else run by the runtime and stored.
/// A choice offered from a known entry was marked offered when the entry was stored.
#[inline(always)]
fn transition<W: Width, M: Memoize>(
    g: &mut Graph,
    width: W,
    fresh: &mut Fresh<'_, '_>,
    memo: &mut M,
    t: &Try,
    target: &mut [u64],
) -> Known {
    let w = width.words();
    let h = t.from as usize;
    let source = &g.packed[h * w..(h + 1) * w];
    if let Some(known) = memo.read::<W>(t.id, t.at, source, target) {
        if cfg!(debug_assertions) {
            let source = source.to_vec();
            check_reuse(g, fresh, &source, t.index as usize, known, target);
            fresh.unpacked = h;
        }
        return known;
    }
    if fresh.unpacked != h {
        g.layout.unpack(source, &mut fresh.cur);
        fresh.unpacked = h;
    }
    let index = t.index as usize;
    let source = &g.packed[h * w..(h + 1) * w];
    let (cur, next) = (&fresh.cur, &mut fresh.next);
    let known = if memo.traces(t.at) {
        // The path of what the transition reads, for the read trie.
        let reads = std::mem::take(&mut fresh.reads);
        let mut trace = Trace::new(&g.layout, &mut g.entered, reads);
        let known = take_choice(
            fresh.runner,
            &g.layout,
            cur,
            next,
            index,
            &mut trace,
            target,
        );
        if let (Known::Taken(_), Some(bit)) = (known, g.layout.taken_bit(t.id)) {
            trace.write(bit);
        }
        if memoable(known) {
            memo.put(t.id, t.at, source, known, target, Some(&trace));
        }
        fresh.reads = trace.into_reads();
        known
    } else {
        let mut entered = Entered(&mut g.entered);
        let known = take_choice(
            fresh.runner,
            &g.layout,
            cur,
            next,
            index,
            &mut entered,
            target,
        );
        if memoable(known) {
            memo.put(t.id, t.at, source, known, target, None);
        }
        known
    };
    if matches!(known, Known::Taken(_)) {
        set_bit(&mut g.offered, t.id as usize);
    }
    known
}

/// Runs the runtime's transition for choice `index` from `cur`, into `next`, and packs
/// the state it stops at into `target` (left as it was for a divert loop).
fn take_choice<S: Sink>(
    runner: &mut Runner<'_>,
    layout: &Layout,
    cur: &State,
    next: &mut State,
    index: usize,
    sink: &mut S,
    target: &mut [u64],
) -> Known {
    if !runner.is_available_with(cur, index, sink) {
        return Known::Unavailable;
    }
    next.clone_from(cur);
    let stop = runner.choose(next, index, sink);
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

/// For debug builds: runs afresh the transition of the node's choice `index` from
/// the packed state `source`, whose stored result was `known` (and, for a choice
/// taken to a state, the packed `target`), and fails if the two differ.
fn check_reuse(
    g: &mut Graph,
    fresh: &mut Fresh<'_, '_>,
    source: &[u64],
    index: usize,
    known: Known,
    target: &[u64],
) {
    g.layout.unpack(source, &mut fresh.cur);
    let mut fresh_target = source.to_vec();
    let again = take_choice(
        fresh.runner,
        &g.layout,
        &fresh.cur,
        &mut fresh.next,
        index,
        &mut Entered(&mut g.entered),
        &mut fresh_target,
    );
    let node = fresh.cur.node;
    assert_eq!(known.kept(), again.kept(), "choice {index} of node {node}");
    if matches!(known, Known::Taken(stop) if !matches!(stop, Stop::DivertLoop { .. })) {
        assert_eq!(target, &fresh_target[..], "choice {index} of node {node}");
    }
}
