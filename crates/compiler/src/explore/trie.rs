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
//! counter runs out reads the counter, and the rest only then.
//!
//! A condition that can read several fields the path does not know yet (a guard or
//! an `if` comparing sums, say) is one *test* on the path rather than a read of each
//! field: play takes only whether it holds, so the branch has two children, and
//! finding a path evaluates the condition over the packed state as the transition
//! had changed it by then — with the runtime's own [`eval_in`], or the condition's
//! exact linear form ([`Linear`]). States that differ in what the condition reads
//! but agree on whether it holds share the path (a predicate node of a decision
//! diagram).
//!
//! What the runtime reads to tell waiting from stuck where play stops (between its
//! [`Sink::waits`] reports) is left off the path, as it is off the footprints: the
//! search decides it for each state. The trie is kept for states of one word; it
//! stops growing at [`MAX_SLOTS`] slots, [`MAX_LEAVES`] leaves or [`MAX_TESTS`]
//! tests, after which the paths it does not hold are run every time.

use std::cell::Cell;

use rustc_hash::FxHashMap;
use threshold_runtime::ir::Expr;
use threshold_runtime::{eval_in, set_bit, Sink, State, Stop};

use super::layout::{Layout, WordEnv};
use super::linear::Linear;
use super::memo::Known;

/// The most slots (children of branches, and a root per choice) the trie holds:
/// 16 MiB.
const MAX_SLOTS: usize = 1 << 22;
/// The most leaves the trie holds: 24 MiB.
const MAX_LEAVES: usize = 1 << 20;
/// The most tests the trie holds, and the most terms of their linear forms: under
/// 4 MiB and 6 MiB.
const MAX_TESTS: usize = 1 << 16;
const MAX_TERMS: usize = 1 << 18;
/// The widest field a branch splits on, in bits: 4,096 children.
const MAX_FIELD_BITS: u32 = 12;
/// The most nodes a traced transition may enter. A longer divert chain compares
/// whole configurations looking for a loop, which a path of reads does not record.
const MAX_HOPS: usize = 32;

/// A slot: [`UNKNOWN`], a branch (its index plus one) or a leaf (its index, tagged
/// [`LEAF`]).
const UNKNOWN: u32 = 0;
const LEAF: u32 = 1 << 31;

/// A branch: the field it splits on, `(state >> shift) & mask`, or the test it
/// makes (then its children are "fails" and "holds"); and where its children's
/// slots start.
#[derive(Debug, Clone, Copy)]
struct Branch {
    shift: u32,
    /// [`FIELD`], or the test's index.
    test: u32,
    mask: u64,
    base: u32,
}

/// A branch's mark of a field read.
const FIELD: u32 = u32::MAX;

/// A test: the condition (its index among the trie's conditions), evaluated in the
/// source state with the bits `mask` the transition had written by then set to
/// `bits` — in its linear form with those bits fixed, where it has one.
#[derive(Debug, Clone)]
struct Test {
    cond: u32,
    mask: u64,
    bits: u64,
    linear: Option<Linear>,
}

/// A step of a transition's path: a field it read before knowing it, or a condition
/// it tested that can read more than one field it did not know (`cond` names the
/// condition by its address in the story, which stays put while the search runs),
/// with whether it held, and the bits `mask` written by then with their values
/// `bits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Read {
    Field {
        shift: u32,
        mask: u64,
    },
    Test {
        cond: usize,
        holds: bool,
        mask: u64,
        bits: u64,
    },
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
    tests: Vec<Test>,
    /// The terms of the tests' linear forms.
    terms: usize,
    /// The conditions tests evaluate, with their linear forms where they have one,
    /// and each one's index by its address.
    conds: Vec<(Expr, Option<Linear>)>,
    cond_at: FxHashMap<usize, u32>,
    layout: Layout,
}

impl Trie {
    /// An empty trie for `choices` choices of states packed by `layout`.
    pub(super) fn new(choices: usize, layout: &Layout) -> Trie {
        Trie {
            slots: vec![UNKNOWN; choices],
            branches: Vec::new(),
            leaves: Vec::new(),
            uses: vec![Use::default(); choices],
            tests: Vec::new(),
            terms: 0,
            conds: Vec::new(),
            cond_at: FxHashMap::default(),
            layout: layout.clone(),
        }
    }

    /// Which child of branch `b` the one-word state `s` goes to.
    #[inline]
    fn child(&self, b: Branch, s: u64) -> u64 {
        if b.test == FIELD {
            return (s >> b.shift) & b.mask;
        }
        let t = &self.tests[b.test as usize];
        if let Some(linear) = &t.linear {
            return u64::from(linear.holds(s));
        }
        let env = WordEnv {
            layout: &self.layout,
            word: (s & !t.mask) | t.bits,
        };
        u64::from(eval_in(&self.conds[t.cond as usize].0, &env, &mut ()) != 0)
    }

    /// Whether `choice` still uses the trie.
    #[inline]
    pub(super) fn open(&self, choice: u32) -> bool {
        !self.uses[choice as usize].closed
    }

    /// Whether the trie has room for more paths: once full, transitions it does not
    /// hold run untraced.
    pub(super) fn has_room(&self) -> bool {
        self.leaves.len() < MAX_LEAVES
            && self.slots.len() < MAX_SLOTS
            && self.tests.len() < MAX_TESTS
            && self.terms < MAX_TERMS
    }

    /// The leaf of the path of the trie that holds taking `choice` from the
    /// one-word state `s`, if one does.
    #[inline]
    pub(super) fn find(&self, choice: u32, s: u64) -> Option<u32> {
        let mut slot = self.slots[choice as usize];
        loop {
            if slot & LEAF != 0 {
                let hits = &self.uses[choice as usize].hits;
                hits.set(hits.get() + 1);
                return Some(slot & !LEAF);
            }
            if slot == UNKNOWN {
                return None;
            }
            let b = self.branches[slot as usize - 1];
            slot = self.slots[b.base as usize + self.child(b, s) as usize];
        }
    }

    /// What the transition of leaf `leaf` comes to, with the bits it writes and
    /// their values.
    #[inline]
    pub(super) fn leaf(&self, leaf: usize) -> (Known, u64, u64) {
        let l = &self.leaves[leaf];
        (l.known, l.mask, l.bits)
    }

    /// A new branch for the step `read` of `trace`'s path, its children's slots
    /// unknown.
    fn new_branch(&mut self, read: Read, trace: &Trace<'_>) -> Branch {
        let base = self.slots.len() as u32;
        let b = match read {
            Read::Field { shift, mask } => Branch {
                shift,
                test: FIELD,
                mask,
                base,
            },
            Read::Test {
                cond, mask, bits, ..
            } => {
                let next = self.conds.len() as u32;
                let c = *self.cond_at.entry(cond).or_insert(next);
                if c == next {
                    let (_, expr) = trace
                        .conds
                        .iter()
                        .find(|(at, _)| *at == cond)
                        .expect("a trace keeps the conditions it tested");
                    self.conds
                        .push((expr.clone(), Linear::of(expr, &self.layout)));
                }
                let linear = self.conds[c as usize]
                    .1
                    .as_ref()
                    .and_then(|l| l.fixing(mask, bits));
                self.terms += linear.as_ref().map_or(0, Linear::terms);
                self.tests.push(Test {
                    cond: c,
                    mask,
                    bits,
                    linear,
                });
                Branch {
                    shift: 0,
                    test: self.tests.len() as u32 - 1,
                    mask: 1,
                    base,
                }
            }
        };
        self.slots
            .resize(self.slots.len() + b.mask as usize + 1, UNKNOWN);
        self.branches.push(b);
        b
    }

    /// Whether the branch `b` makes the step `read`.
    fn makes(&self, b: Branch, read: Read) -> bool {
        match read {
            Read::Field { shift, mask } => b.test == FIELD && (b.shift, b.mask) == (shift, mask),
            Read::Test {
                cond, mask, bits, ..
            } => {
                b.test != FIELD && {
                    let t = &self.tests[b.test as usize];
                    self.cond_at.get(&cond) == Some(&t.cond) && (t.mask, t.bits) == (mask, bits)
                }
            }
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
        for &read in &trace.reads {
            let slot = self.slots[at];
            let b = if slot == UNKNOWN {
                let room = match read {
                    Read::Field { mask, .. } => self.slots.len() + (mask as usize) < MAX_SLOTS,
                    Read::Test { .. } => {
                        self.slots.len() + 1 < MAX_SLOTS
                            && self.tests.len() < MAX_TESTS
                            && self.terms < MAX_TERMS
                    }
                };
                if !room {
                    return;
                }
                let b = self.new_branch(read, trace);
                self.slots[at] = self.branches.len() as u32;
                b
            } else if slot & LEAF != 0 {
                // The same path was stored while this transition ran.
                return;
            } else {
                self.branches[slot as usize - 1]
            };
            debug_assert!(
                self.makes(b, read),
                "choice {choice}: a path makes the steps of its prefix"
            );
            let child = match read {
                Read::Field { shift, mask } => (source >> shift) & mask,
                Read::Test { holds, .. } => u64::from(holds),
            };
            at = b.base as usize + child as usize;
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

/// What a transition of a one-word state read and wrote, as the runtime tells it: its
/// path (the fields it read before knowing them and the conditions it tested, in
/// order); the bits it wrote; and the nodes it entered, which it also marks in the
/// graph's `entered`.
pub(super) struct Trace<'a> {
    layout: &'a Layout,
    entered: &'a mut Vec<u64>,
    reads: Vec<Read>,
    /// The conditions of the path's tests, by address.
    conds: Vec<(usize, Expr)>,
    /// Bits whose value the path knows: read, or written before being read.
    known: u64,
    wrote: u64,
    hops: usize,
    /// A read of a field too wide to branch on, or of bits in more than one word.
    wide: bool,
    /// The runtime is reading whether play waits at the scene it stopped at, which
    /// the path leaves out.
    checking: bool,
    /// While a condition is evaluated: the unknown bits it has read.
    testing: Option<u64>,
}

impl<'a> Trace<'a> {
    /// A trace of a transition from a state at a known node, marking the nodes it
    /// enters in `entered`; `reads` is room for the path, cleared (given back by
    /// [`Trace::into_reads`]).
    pub(super) fn new(
        layout: &'a Layout,
        entered: &'a mut Vec<u64>,
        mut reads: Vec<Read>,
    ) -> Trace<'a> {
        let node = layout
            .node_run()
            .map_or(0, |(_, shift, len)| ((1u64 << len) - 1) << shift);
        reads.clear();
        Trace {
            layout,
            entered,
            reads,
            conds: Vec::new(),
            known: node,
            wrote: node,
            hops: 0,
            wide: false,
            checking: false,
            testing: None,
        }
    }

    /// The room of the path, to reuse.
    pub(super) fn into_reads(self) -> Vec<Read> {
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
        if let Some(unknown) = &mut self.testing {
            // A condition's reads are the path's only if it can read one field (see
            // `tested`).
            *unknown |= bits;
            return;
        }
        self.field(bits);
    }

    /// The path reads the field of the bits `bits`.
    fn field(&mut self, bits: u64) {
        let shift = bits.trailing_zeros();
        let mask = bits >> shift;
        if mask.count_ones() > MAX_FIELD_BITS {
            self.wide = true;
        }
        self.reads.push(Read::Field { shift, mask });
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

    fn test(&mut self) {
        self.testing = Some(0);
    }

    /// A condition that can read nothing the path does not know adds nothing to it;
    /// one that can read one such field adds the field if it read it, and later
    /// steps may read it again; one that can read more adds a test. What it *can*
    /// read decides, not what it did: a short-circuit reads less on some paths, and
    /// the kind of step must depend only on the path so far.
    fn tested(&mut self, cond: &Expr, state: &State, holds: bool) {
        let Some(unknown) = self.testing.take() else {
            return;
        };
        if self.checking {
            return;
        }
        let (mut can, mut fields, mut wide) = (0u64, 0u32, self.layout.words() != 1);
        let mut may_read = |bits: Option<(u32, u64)>| match bits {
            Some((0, bits)) if bits & !self.known != 0 && bits & can == 0 => {
                can |= bits;
                fields += 1;
            }
            Some((0, _)) | None => {}
            Some(_) => wide = true,
        };
        cond.walk(&mut |e| match e {
            Expr::Var(v) => may_read(self.layout.var_bits(*v)),
            Expr::Seen(n) => may_read(self.layout.seen_bit(*n)),
            Expr::Const(_) | Expr::At(_) | Expr::Not(_) | Expr::Neg(_) | Expr::Bin(..) => {}
        });
        if wide {
            // Only states of one word are traced; a path of another is not kept.
            self.wide = true;
            return;
        }
        match fields {
            0 => return,
            1 => {
                if unknown != 0 {
                    self.field(unknown);
                }
                return;
            }
            _ => {}
        }
        let mut now = [0u64];
        self.layout.pack(state, &mut now);
        let at = std::ptr::from_ref(cond) as usize;
        if !self.conds.iter().any(|(c, _)| *c == at) {
            self.conds.push((at, cond.clone()));
        }
        self.reads.push(Read::Test {
            cond: at,
            holds,
            mask: self.wrote,
            bits: now[0] & self.wrote,
        });
    }

    fn waits(&mut self, checking: bool) {
        self.checking = checking;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_story;
    use threshold_runtime::{Runner, State};

    const STORY: &str = r#"title: "Tests"
start: hub
hidden a = 0 in 0..6 "A"
hidden b = 0 in 0..6 "B"
hidden n = 0 in 0..3 "N"

scene hub
+ Go on
  ~ n += 1
  -> judge

scene judge
{if n > 1 and a + b > 6}
  -> high
{end}
-> low

outcome high good "High"
Done.

outcome low bad "Low"
Done.
"#;

    /// Takes the hub's choice from the state with `a`, `b` and `n`, traced, into the
    /// trie; returns the packed source, what it came to and its packed target.
    fn take(
        runner: &mut Runner<'_>,
        layout: &Layout,
        (a, b, n): (i64, i64, i64),
        trie: Option<&mut Trie>,
    ) -> (u64, Known, u64) {
        let mut cur: State = runner.initial_state();
        cur.vars = vec![a, b, n];
        let (mut source, mut target) = ([0u64], [0u64]);
        layout.pack(&cur, &mut source);
        let mut entered = vec![0u64; 1];
        let mut trace = Trace::new(layout, &mut entered, Vec::new());
        assert!(runner.is_available_with(&cur, 0, &mut trace));
        let mut next = cur.clone();
        let known = Known::Taken(runner.choose(&mut next, 0, &mut trace));
        layout.pack(&next, &mut target);
        if let Some(trie) = trie {
            trie.put(0, source[0], known, target[0], &trace);
        }
        (source[0], known, target[0])
    }

    /// A condition that can read two fields the path does not know is one test with
    /// two children: states that disagree on the fields but agree on the test share
    /// the path; one that the other way of the test would take finds nothing yet.
    #[test]
    fn a_condition_over_several_fields_is_one_test() {
        let story = test_story(STORY);
        let layout = Layout::new(&story);
        let mut runner = Runner::new(&story);
        let mut trie = Trie::new(runner.choice_count() as usize, &layout);
        take(&mut runner, &layout, (3, 4, 1), Some(&mut trie));
        assert_eq!(trie.tests.len(), 1, "one test: {:?}", trie.branches);
        for (a, b) in [(5, 2), (6, 6), (1, 6)] {
            let (source, known, target) = take(&mut runner, &layout, (a, b, 1), None);
            let leaf = trie.find(0, source).expect("the path is shared");
            let (found, mask, bits) = trie.leaf(leaf as usize);
            assert_eq!(
                (found, (source & !mask) | bits),
                (known, target),
                "{a} + {b}"
            );
        }
        let (source, ..) = take(&mut runner, &layout, (2, 4, 1), None);
        assert!(
            trie.find(0, source).is_none(),
            "the test fails: not stored yet"
        );
        // From `n` at 0, `and` stops before the sum, yet the step is a test (what
        // the condition can read decides), which fails whatever `a` and `b` are.
        take(&mut runner, &layout, (0, 0, 0), Some(&mut trie));
        assert_eq!(trie.tests.len(), 2);
        let (source, known, target) = take(&mut runner, &layout, (6, 6, 0), None);
        let leaf = trie.find(0, source).expect("the path is shared");
        let (found, mask, bits) = trie.leaf(leaf as usize);
        assert_eq!((found, (source & !mask) | bits), (known, target));
    }
}
