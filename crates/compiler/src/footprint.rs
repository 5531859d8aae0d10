//! What each choice's transition can read or write, as bits of a one-word packed state;
//! and a table of the transitions the search has already run, keyed by those bits.
//!
//! Taking a choice reads and writes only a few variables: its guard, its body, the
//! bodies of the nodes its diverts can reach, and the guards and once-only marks of
//! those nodes' choices (which decide whether play waits or is stuck). Everything else
//! in the state passes through unchanged. So two states at the same node that agree on
//! those bits — the choice's *footprint* — take the choice to targets that agree
//! outside the footprint with their sources and agree with each other inside it. The
//! search runs the runtime's transition once per choice and footprint value, stores
//! the result here, and reuses it for every other state that shares it.
//!
//! The footprint is an over-approximation found from the IR alone: every branch of
//! every `{if}` counts, and every node a divert names. Text is left out: lines and
//! notes are read by the player, never by the transition. Debug builds check each
//! reused result against a fresh run of the transition.

use threshold_runtime::ir::{Block, Expr, NodeId, Stmt, Story};
use threshold_runtime::Stop;

use crate::explore::Layout;

/// The widest footprint (node field excluded) that gets a table: 2^14 entries.
const MAX_KEY_BITS: u32 = 14;
/// The most entries all tables may hold together (eight bytes each).
const MAX_ENTRIES: usize = 1 << 20;
/// The most nodes a choice's diverts may reach for it to get a table.
const MAX_REACH: usize = 64;

/// A choice's footprint: the bits of the packed word its transition may read or
/// write, and how to gather them (without the node field, which is fixed for a
/// choice) into a table index.
#[derive(Debug, Clone)]
struct Footprint {
    mask: u64,
    /// Runs of contiguous bits `(shift, mask)`, gathered low to high.
    runs: Vec<(u32, u64)>,
    bits: u32,
}

impl Footprint {
    #[inline]
    fn index(&self, word: u64) -> usize {
        let mut k = 0u64;
        let mut at = 0u32;
        for &(shift, mask) in &self.runs {
            k |= ((word >> shift) & mask) << at;
            at += mask.count_ones();
        }
        k as usize
    }
}

/// What the table knows about a choice from a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Known {
    /// Not offered there.
    Unavailable,
    /// Offered; the transition stops with `stop` at the state whose word is
    /// `target`.
    Taken { stop: Stop, target: u64 },
}

/// What a table entry holds, in its top three bits (the packed state leaves them
/// free); the bits below hold the target's bits inside the footprint, or a divert
/// loop's node.
const KIND_SHIFT: u32 = 61;
const UNKNOWN: u64 = 0;
const UNAVAILABLE: u64 = 1;
const CHOICE: u64 = 2;
const OUTCOME: u64 = 3;
const DEAD_END: u64 = 4;
const DIVERT_LOOP: u64 = 5;

/// The footprint of every choice that has one small enough, and one table entry for
/// each value of each footprint, all in one vector (its pages are only touched when
/// first used).
#[derive(Debug)]
pub(crate) struct Memo {
    prints: Vec<Option<Footprint>>,
    /// Where each choice's entries start in `table`.
    start: Vec<usize>,
    table: Vec<u64>,
}

impl Memo {
    /// The footprints of `story`'s choices; `None` unless a state packs into one
    /// word with three bits to spare.
    pub fn new(story: &Story, layout: &Layout) -> Option<Memo> {
        if layout.words() != 1 || layout.bits() > KIND_SHIFT as usize {
            return None;
        }
        let nodes: Vec<NodeMask> = story
            .nodes
            .iter()
            .map(|n| NodeMask::new(n, layout))
            .collect();
        let mut choice_base = Vec::with_capacity(story.nodes.len());
        let mut id = 0u32;
        for node in &story.nodes {
            choice_base.push(id);
            id += node.choices.len() as u32;
        }
        let mut prints = Vec::with_capacity(id as usize);
        let mut start = Vec::with_capacity(id as usize);
        let mut entries = 0usize;
        let mut id = 0u32;
        let mut reached = vec![u32::MAX; story.nodes.len()];
        for node in &story.nodes {
            for c in &node.choices {
                let mut fp =
                    choice_footprint(story, layout, &nodes, &choice_base, &mut reached, c, id);
                if let Some(f) = &fp {
                    let size = 1usize << f.bits;
                    if entries + size > MAX_ENTRIES {
                        fp = None;
                    } else {
                        start.push(entries);
                        entries += size;
                    }
                }
                if fp.is_none() {
                    start.push(usize::MAX);
                }
                prints.push(fp);
                id += 1;
            }
        }
        Some(Memo {
            prints,
            start,
            table: vec![UNKNOWN; entries],
        })
    }

    /// Where the entry for taking `choice` from the state `word` is (`None` when the
    /// choice has no table).
    #[inline]
    pub fn locate(&self, choice: u32, word: u64) -> Option<usize> {
        let fp = self.prints[choice as usize].as_ref()?;
        Some(self.start[choice as usize] + fp.index(word))
    }

    /// Reads the entries at `at` before any is needed: the reads do not depend on
    /// each other, so their cache misses overlap.
    pub fn touch(&self, at: impl Iterator<Item = usize>) {
        let mut acc = 0u64;
        for i in at {
            acc ^= self.table[i];
        }
        std::hint::black_box(acc);
    }

    /// What is known of taking `choice` from the state `word`, whose entry is at
    /// `at`; `None` until the transition has run and [`Memo::put`] stored it.
    #[inline]
    pub fn read(&self, choice: u32, at: usize, word: u64) -> Option<Known> {
        let e = self.table[at];
        let r = e & !(u64::MAX << KIND_SHIFT);
        let stop = match e >> KIND_SHIFT {
            UNKNOWN => return None,
            UNAVAILABLE => return Some(Known::Unavailable),
            DIVERT_LOOP => {
                return Some(Known::Taken {
                    stop: Stop::DivertLoop { node: r as NodeId },
                    target: 0,
                })
            }
            CHOICE => Stop::Choice,
            OUTCOME => Stop::Outcome,
            _ => Stop::DeadEnd,
        };
        let mask = self.prints[choice as usize].as_ref().map_or(0, |f| f.mask);
        Some(Known::Taken {
            stop,
            target: (word & !mask) | r,
        })
    }

    /// Stores what taking `choice` from `word` (whose entry is at `at`) came to.
    pub fn put(&mut self, choice: u32, at: usize, word: u64, known: Known) {
        let c = choice as usize;
        let mask = self.prints[c].as_ref().map_or(0, |fp| fp.mask);
        let (kind, r) = match known {
            Known::Unavailable => (UNAVAILABLE, 0),
            Known::Taken { stop, target } => {
                debug_assert!(
                    matches!(stop, Stop::DivertLoop { .. }) || target & !mask == word & !mask,
                    "choice {c} wrote outside its footprint"
                );
                match stop {
                    Stop::Choice => (CHOICE, target & mask),
                    Stop::Outcome => (OUTCOME, target & mask),
                    Stop::DeadEnd => (DEAD_END, target & mask),
                    Stop::DivertLoop { node } => (DIVERT_LOOP, u64::from(node)),
                }
            }
        };
        self.table[at] = (kind << KIND_SHIFT) | r;
    }
}

/// The bits one node contributes to the footprint of a choice whose diverts reach it.
struct NodeMask {
    /// Read or written by the node's body, plus its own `seen` bit.
    body: u64,
    /// Read to decide whether play waits there: its choices' guards and once-only
    /// marks.
    stop: u64,
    /// Nodes the body diverts to, on any branch.
    diverts: Vec<NodeId>,
}

impl NodeMask {
    fn new(node: &threshold_runtime::ir::Node, layout: &Layout) -> NodeMask {
        let mut m = NodeMask {
            body: 0,
            stop: 0,
            diverts: Vec::new(),
        };
        block_mask(&node.body, layout, &mut m.body, &mut m.diverts);
        for c in &node.choices {
            if let Some(g) = &c.guard {
                m.stop |= expr_mask(g, layout);
            }
        }
        m
    }
}

fn choice_footprint(
    story: &Story,
    layout: &Layout,
    nodes: &[NodeMask],
    choice_base: &[u32],
    reached: &mut [u32],
    choice: &threshold_runtime::ir::Choice,
    id: u32,
) -> Option<Footprint> {
    let mut mask = layout.node_mask();
    if let Some(g) = &choice.guard {
        mask |= expr_mask(g, layout);
    }
    mask |= layout.taken_mask(id);
    let mut diverts = Vec::new();
    block_mask(&choice.body, layout, &mut mask, &mut diverts);
    // `reached[n] == id`: node `n` was reached from this choice.
    let mut count = 0;
    while let Some(n) = diverts.pop() {
        if std::mem::replace(&mut reached[n as usize], id) == id {
            continue;
        }
        count += 1;
        if count > MAX_REACH {
            return None;
        }
        let nm = &nodes[n as usize];
        mask |= nm.body | nm.stop | layout.seen_mask(n);
        for (i, c) in story.nodes[n as usize].choices.iter().enumerate() {
            if !c.sticky {
                mask |= layout.taken_mask(choice_base[n as usize] + i as u32);
            }
        }
        diverts.extend_from_slice(&nm.diverts);
    }
    let key = mask & !layout.node_mask();
    let bits = key.count_ones();
    if bits > MAX_KEY_BITS {
        return None;
    }
    let mut runs = Vec::new();
    let mut rest = key;
    while rest != 0 {
        let shift = rest.trailing_zeros();
        let len = (rest >> shift).trailing_ones();
        let run = if len == 64 {
            u64::MAX
        } else {
            (1u64 << len) - 1
        };
        runs.push((shift, run));
        rest &= !(run << shift);
    }
    Some(Footprint { mask, runs, bits })
}

/// Adds the bits a block reads or writes to `mask`, and the nodes it diverts to.
fn block_mask(block: &Block, layout: &Layout, mask: &mut u64, diverts: &mut Vec<NodeId>) {
    for stmt in block {
        match stmt {
            Stmt::Line { .. } | Stmt::Note { .. } => {}
            Stmt::Effects { effects } => {
                for e in effects {
                    *mask |= layout.var_mask(e.var) | expr_mask(&e.value, layout);
                }
            }
            Stmt::Divert { target } => diverts.push(*target),
            Stmt::If {
                branches,
                otherwise,
            } => {
                for b in branches {
                    *mask |= expr_mask(&b.cond, layout);
                    block_mask(&b.body, layout, mask, diverts);
                }
                block_mask(otherwise, layout, mask, diverts);
            }
        }
    }
}

fn expr_mask(e: &Expr, layout: &Layout) -> u64 {
    let mut m = 0;
    e.walk(&mut |x| match x {
        Expr::Var(v) => m |= layout.var_mask(*v),
        Expr::Seen(n) => m |= layout.seen_mask(*n),
        _ => {}
    });
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_story;

    const STORY: &str = r#"title: "Footprints"
start: s
hidden a = 0 in 0..3 "A"
hidden b = 0 in 0..3 "B"
hidden c = false "C"
hidden d = 0 in 0..3 "D"

scene s
+ Raise
  ~ a += 1
  -> t
+ {c} Flag
  -> u
+ Leave
  ~ d = 2
  -> done

scene t
+ {b > 1} Wait
  -> s
* Go
  -> done

scene u
~ c = false
-> s

outcome done good "Done"
Done.
"#;

    #[test]
    fn footprints_cover_what_a_transition_reads_and_writes() {
        let story = test_story(STORY);
        let layout = Layout::new(&story);
        let memo = Memo::new(&story, &layout).expect("one word a state");
        let var = |name: &str| {
            let v = story.variables.iter().position(|v| v.name == name).unwrap();
            layout.var_mask(v as u32)
        };
        let mask = |choice: usize| memo.prints[choice].as_ref().unwrap().mask;
        // Raise: writes `a`, reaches `t`, whose guards read `b` and whose once-only
        // choice's mark decides whether play waits there.
        let go = layout.taken_mask(4);
        assert_ne!(go, 0);
        for bits in [var("a"), var("b"), go, layout.node_mask()] {
            assert_eq!(mask(0) & bits, bits);
        }
        assert_eq!(mask(0) & (var("c") | var("d")), 0);
        // Flag: reads `c`, reaches `u`, which writes `c` and diverts back to `s`,
        // whose guard reads `c`.
        assert_eq!(mask(1) & var("c"), var("c"));
        assert_eq!(mask(1) & (var("a") | var("b") | var("d") | go), 0);
        // Leave: writes `d`; the outcome reads nothing.
        assert_eq!(mask(2) & !layout.node_mask(), var("d"));
    }

    #[test]
    fn a_stored_result_is_reused_for_states_that_share_the_footprint() {
        let story = test_story(STORY);
        let layout = Layout::new(&story);
        let mut memo = Memo::new(&story, &layout).expect("one word a state");
        let mut runner = threshold_runtime::Runner::new(&story);
        let (mut s, _) = runner.start(&mut ());
        let pack = |s: &threshold_runtime::State| {
            let mut w = [0u64];
            layout.pack(s, &mut w);
            w[0]
        };
        // Two states at `s` that differ only in `d`, which Raise never touches.
        s.vars[3] = 0;
        let first = pack(&s);
        s.vars[3] = 1;
        let second = pack(&s);
        let at = memo.locate(0, first).unwrap();
        assert_eq!(memo.locate(0, second), Some(at));
        assert_eq!(memo.read(0, at, first), None);
        let mut next = s.clone();
        next.vars[3] = 0;
        let stop = runner.choose(&mut next, 0, &mut ());
        memo.put(
            0,
            at,
            first,
            Known::Taken {
                stop,
                target: pack(&next),
            },
        );
        // Reused for the second state: its `d` carries over, the rest is Raise's.
        let mut expected = s.clone();
        runner.choose(&mut expected, 0, &mut ());
        assert_eq!(
            memo.read(0, at, second),
            Some(Known::Taken {
                stop,
                target: pack(&expected)
            })
        );
    }
}
