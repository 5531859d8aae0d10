//! What each choice's transition can read or write, as bits of a packed state; and a
//! table of the transitions the search has already run, keyed by those bits.
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

use threshold_runtime::ir::{AssignOp, Block, Expr, NodeId, Stmt, Story};
use threshold_runtime::Stop;

use crate::explore::Layout;

/// The widest footprint key (node field excluded) that gets a table: 2^18 entries,
/// a megabyte of four-byte entries whose pages are touched only where keys fall.
/// A choice without a table runs the transition every time, which costs about a
/// thousand instructions against a handful for a table read.
const MAX_KEY_BITS: u32 = 18;
/// The most entries all tables may hold together (four or eight bytes each).
const MAX_ENTRIES: usize = 1 << 20;
/// The most nodes a choice's diverts may reach for it to get a table.
const MAX_REACH: usize = 64;

/// Contiguous bits of a packed state: `mask` (of `len` low bits) shifted by `shift`
/// in word `word`.
#[derive(Debug, Clone, Copy)]
struct Run {
    word: u32,
    shift: u32,
    len: u32,
    mask: u64,
}

/// Gathers the bits of `runs` from `words`, low to high.
#[inline]
fn gather(runs: &[Run], words: &[u64]) -> u64 {
    let mut k = 0u64;
    let mut at = 0u32;
    for r in runs {
        k |= ((words[r.word as usize] >> r.shift) & r.mask) << at;
        at += r.len;
    }
    k
}

/// Puts bits gathered by [`gather`] back into `words`.
#[inline]
fn scatter(runs: &[Run], mut bits: u64, words: &mut [u64]) {
    for r in runs {
        let w = &mut words[r.word as usize];
        *w = (*w & !(r.mask << r.shift)) | ((bits & r.mask) << r.shift);
        bits >>= r.len;
    }
}

/// The runs of set bits of a mask over the words of a packed state.
fn runs_of(mask: &[u64]) -> Vec<Run> {
    let mut runs = Vec::new();
    for (word, &m) in mask.iter().enumerate() {
        let mut rest = m;
        while rest != 0 {
            let shift = rest.trailing_zeros();
            let len = (rest >> shift).trailing_ones();
            let bits = if len == 64 {
                u64::MAX
            } else {
                (1u64 << len) - 1
            };
            runs.push(Run {
                word: word as u32,
                shift,
                len,
                mask: bits,
            });
            rest &= !(bits << shift);
        }
    }
    runs
}

/// A choice's footprint: the bits of the packed state its transition may read or
/// write (`all`, with the node field: what a stored result replaces), and of those
/// the bits whose value in the source can matter (`key`, gathered into a table
/// index: `all` without the node field and without the variables the choice sets
/// before anything reads them).
///
/// When a state is one word with three bits to spare, `word` is the mask of `all`,
/// and stored results keep the target's bits in place rather than gathered, which
/// makes applying one a single mask operation.
#[derive(Debug, Clone)]
struct Footprint {
    key: Vec<Run>,
    all: Vec<Run>,
    word: Option<u64>,
    /// Bits in `key`.
    bits: u32,
    /// Bits in `all`.
    all_bits: u32,
}

impl Footprint {
    /// The target's footprint bits, as a table entry holds them.
    #[inline]
    fn take(&self, target: &[u64]) -> u64 {
        match self.word {
            Some(m) => target[0] & m,
            None => gather(&self.all, target),
        }
    }

    /// Puts footprint bits taken by [`Footprint::take`] into `target`.
    #[inline]
    fn give(&self, bits: u64, target: &mut [u64]) {
        match self.word {
            Some(m) => target[0] = (target[0] & !m) | bits,
            None => scatter(&self.all, bits, target),
        }
    }
}

/// The most runs of bits a [`WordPrint`] gathers itself.
const WORD_RUNS: usize = 4;

/// A choice's footprint in the flat form the search's loop for one-word states reads:
/// no vector to follow, and a key gathered in a fixed number of steps.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WordPrint {
    /// The entry of the choice's first footprint value.
    start: usize,
    /// `(down, mask)`: the key's runs, each moved down by `down` bits to its place
    /// in the key and masked there (unused runs have a zero mask). Runs go low to
    /// high, so none moves up: each starts at or above the sum of the lengths of
    /// the runs below it.
    runs: [(u32, u64); WORD_RUNS],
    /// The key has more runs than `runs` holds, or the choice has no table, and
    /// [`Memo::locate`] answers.
    many: bool,
    /// The bits of the state a stored result replaces.
    pub all: u64,
}

/// What the table knows about a choice from a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Known {
    /// Not offered there.
    Unavailable,
    /// Offered; the transition stops with this stop.
    Taken(Stop),
}

/// What a table entry holds, in its top three bits; the bits below hold the target's
/// footprint bits (as [`Footprint::take`] gives them), or a divert loop's node.
const KIND_SHIFT: u32 = 61;
const UNKNOWN: u64 = 0;
const UNAVAILABLE: u64 = 1;
const CHOICE: u64 = 2;
const OUTCOME: u64 = CHOICE + 1;
const DEAD_END: u64 = CHOICE + 2;
const DIVERT_LOOP: u64 = 5;

/// A memo table's entry: eight bytes, or four when every footprint's bits and every
/// node number fit below the kind ([`Entry::KIND_SHIFT`]), which puts twice as many
/// entries in a cache line.
pub(crate) trait Entry: Copy + std::fmt::Debug {
    /// Where the entry's kind starts.
    const KIND_SHIFT: u32;
    fn from_bits(e: u64) -> Self;
    fn bits(self) -> u64;
}

impl Entry for u64 {
    const KIND_SHIFT: u32 = KIND_SHIFT;
    #[inline]
    fn from_bits(e: u64) -> Self {
        e
    }
    #[inline]
    fn bits(self) -> u64 {
        self
    }
}

impl Entry for u32 {
    const KIND_SHIFT: u32 = 29;
    #[inline]
    fn from_bits(e: u64) -> Self {
        e as u32
    }
    #[inline]
    fn bits(self) -> u64 {
        u64::from(self)
    }
}

/// The footprint of every choice that has one small enough, and one table entry for
/// each value of each footprint, all in one vector (its pages are only touched when
/// first used).
#[derive(Debug)]
pub(crate) struct Memo<E> {
    prints: Vec<Option<Footprint>>,
    /// Where each choice's entries start in `table`.
    start: Vec<usize>,
    table: Vec<E>,
}

/// The footprints of a story's choices and where each one's entries start, before
/// the width of an entry is chosen.
#[derive(Debug)]
pub(crate) struct Footprints {
    prints: Vec<Option<Footprint>>,
    start: Vec<usize>,
    entries: usize,
    /// The widest value an entry holds below its kind, in bits.
    width: u32,
}

impl Footprints {
    /// The footprints of `story`'s choices packed by `layout`.
    pub fn new(story: &Story, layout: &Layout) -> Footprints {
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
        let mut scratch = Scratch {
            reached: vec![u32::MAX; story.nodes.len()],
            mask: vec![0; layout.words()],
        };
        for node in &story.nodes {
            for c in &node.choices {
                let mut fp =
                    choice_footprint(story, layout, &nodes, &choice_base, &mut scratch, c, id);
                if let Some(f) = &fp {
                    let size = 1usize << f.bits;
                    if f.all_bits > KIND_SHIFT || entries + size > MAX_ENTRIES {
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
        // What `take` gives: the bits in place for a one-word footprint, gathered
        // otherwise; a divert loop's entry holds its node.
        let width = prints
            .iter()
            .flatten()
            .map(|f| match f.word {
                Some(_) => layout.bits() as u32,
                None => f.all_bits,
            })
            .chain([bits_of(story.nodes.len())])
            .max()
            .unwrap_or(0);
        Footprints {
            prints,
            start,
            entries,
            width,
        }
    }

    /// Whether entries of type `E` hold every value of these footprints.
    pub fn fit<E: Entry>(&self) -> bool {
        self.width <= E::KIND_SHIFT
    }

    /// The memo, with empty entries of type `E`, which must [`fit`](Self::fit).
    pub fn memo<E: Entry>(self) -> Memo<E> {
        assert!(self.fit::<E>(), "memo entries too narrow");
        Memo {
            prints: self.prints,
            start: self.start,
            table: vec![E::from_bits(UNKNOWN); self.entries],
        }
    }
}

/// The bits every number below `n` fits in.
fn bits_of(n: usize) -> u32 {
    usize::BITS - n.saturating_sub(1).leading_zeros()
}

impl<E: Entry> Memo<E> {
    /// Where the entry for taking `choice` from the state `words` is (`None` when the
    /// choice has no table).
    #[inline]
    pub fn locate(&self, choice: u32, words: &[u64]) -> Option<usize> {
        let fp = self.prints[choice as usize].as_ref()?;
        let key = match fp.word {
            // One word: no word index to look up for each run.
            Some(_) => fp
                .key
                .iter()
                .rev()
                .fold(0, |k, r| (k << r.len) | ((words[0] >> r.shift) & r.mask)),
            None => gather(&fp.key, words),
        };
        Some(self.start[choice as usize] + key as usize)
    }

    /// Every choice's footprint in the flat one-word form, when states are one word
    /// with room for the entry kind above them (as [`Footprint::word`] says).
    pub fn word_prints(&self) -> Option<Vec<WordPrint>> {
        let mut out = Vec::with_capacity(self.prints.len());
        for (fp, &start) in self.prints.iter().zip(&self.start) {
            let Some(fp) = fp else {
                out.push(WordPrint {
                    start,
                    runs: [(0, 0); WORD_RUNS],
                    many: true,
                    all: 0,
                });
                continue;
            };
            let mut runs = [(0, 0); WORD_RUNS];
            let mut at = 0;
            let mut down_only = true;
            for (slot, r) in runs.iter_mut().zip(&fp.key) {
                down_only &= r.shift >= at;
                *slot = (r.shift.saturating_sub(at), r.mask << at);
                at += r.len;
            }
            out.push(WordPrint {
                start,
                runs,
                many: fp.key.len() > WORD_RUNS || !down_only,
                all: fp.word?,
            });
        }
        Some(out)
    }

    /// Where the entry for taking `choice` (whose flat footprint is `p`) from the
    /// one-word state `s` is; `usize::MAX` when the choice has no table.
    #[inline]
    pub fn word_locate(&self, choice: u32, p: &WordPrint, s: u64) -> usize {
        if p.many {
            return self.locate(choice, &[s]).unwrap_or(usize::MAX);
        }
        let mut key = 0u64;
        for &(down, mask) in &p.runs {
            key |= (s >> down) & mask;
        }
        p.start + key as usize
    }

    /// Reads the entries at `at` before any is needed: the reads do not depend on
    /// each other, so their cache misses overlap.
    pub fn touch(&self, at: impl Iterator<Item = usize>) {
        let mut acc = 0u64;
        for i in at {
            acc ^= self.table[i].bits();
        }
        std::hint::black_box(acc);
    }

    /// What is known of taking `choice` from a state whose entry is at `at`, with
    /// the target's footprint bits for [`Memo::apply`]; `None` until the transition
    /// has run and [`Memo::put`] stored it.
    ///
    /// The common kinds (the three stops that have a target state) are told apart by
    /// a table rather than a branch, which the processor would often guess wrong.
    #[inline]
    pub fn read(&self, at: usize) -> Option<(Known, u64)> {
        const TAKEN: [Stop; 3] = [Stop::Choice, Stop::Outcome, Stop::DeadEnd];
        let e = self.table[at].bits();
        let r = e & !(u64::MAX << E::KIND_SHIFT);
        let kind = e >> E::KIND_SHIFT;
        if kind.wrapping_sub(CHOICE) < TAKEN.len() as u64 {
            return Some((Known::Taken(TAKEN[(kind - CHOICE) as usize]), r));
        }
        match kind {
            UNKNOWN => None,
            UNAVAILABLE => Some((Known::Unavailable, 0)),
            _ => Some((Known::Taken(Stop::DivertLoop { node: r as NodeId }), r)),
        }
    }

    /// Turns `target`, a copy of the source state, into the target state, given the
    /// footprint bits [`Memo::read`] returned for a choice taken (not to a divert
    /// loop).
    #[inline]
    pub fn apply(&self, choice: u32, bits: u64, target: &mut [u64]) {
        if let Some(fp) = &self.prints[choice as usize] {
            fp.give(bits, target);
        }
    }

    /// Stores what taking `choice` from `source` (whose entry is at `at`) came to:
    /// for a taken choice, the stop and the `target` state.
    pub fn put(&mut self, choice: u32, at: usize, source: &[u64], known: Known, target: &[u64]) {
        let Some(fp) = &self.prints[choice as usize] else {
            return;
        };
        let entry = match known {
            Known::Unavailable => UNAVAILABLE << E::KIND_SHIFT,
            Known::Taken(Stop::DivertLoop { node }) => {
                (DIVERT_LOOP << E::KIND_SHIFT) | u64::from(node)
            }
            Known::Taken(stop) => {
                if cfg!(debug_assertions) {
                    let mut outside = source.to_vec();
                    fp.give(fp.take(target), &mut outside);
                    assert_eq!(
                        outside, target,
                        "choice {choice} wrote outside its footprint"
                    );
                }
                let kind = match stop {
                    Stop::Choice => CHOICE,
                    Stop::Outcome => OUTCOME,
                    _ => DEAD_END,
                };
                (kind << E::KIND_SHIFT) | fp.take(target)
            }
        };
        self.table[at] = E::from_bits(entry);
    }
}

/// Working space for finding footprints: which nodes a choice has reached, and the
/// footprint's mask so far, one `u64` for each word of a packed state.
struct Scratch {
    reached: Vec<u32>,
    mask: Vec<u64>,
}

/// Bits of a packed state: `(word, bits)` pairs.
type Sparse = Vec<(u32, u64)>;

/// The bits one node contributes to the footprint of a choice whose diverts reach it.
struct NodeMask {
    /// Read or written by the node's body, and read by its choices' guards (which
    /// decide, with the once-only marks, whether play waits there).
    bits: Sparse,
    /// Nodes the body diverts to, on any branch.
    diverts: Vec<NodeId>,
}

impl NodeMask {
    fn new(node: &threshold_runtime::ir::Node, layout: &Layout) -> NodeMask {
        let mut m = NodeMask {
            bits: Vec::new(),
            diverts: Vec::new(),
        };
        block_mask(&node.body, layout, &mut m.bits, &mut m.diverts);
        for c in &node.choices {
            if let Some(g) = &c.guard {
                expr_mask(g, layout, &mut m.bits);
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
    scratch: &mut Scratch,
    choice: &threshold_runtime::ir::Choice,
    id: u32,
) -> Option<Footprint> {
    let mut bits: Sparse = Vec::new();
    if let Some(g) = &choice.guard {
        expr_mask(g, layout, &mut bits);
    }
    bits.extend(layout.taken_bit(id));
    let mut diverts = Vec::new();
    block_mask(&choice.body, layout, &mut bits, &mut diverts);
    // `reached[n] == id`: node `n` was reached from this choice.
    let mut count = 0;
    while let Some(n) = diverts.pop() {
        if std::mem::replace(&mut scratch.reached[n as usize], id) == id {
            continue;
        }
        count += 1;
        if count > MAX_REACH {
            return None;
        }
        let nm = &nodes[n as usize];
        bits.extend_from_slice(&nm.bits);
        bits.extend(layout.seen_bit(n));
        for (i, c) in story.nodes[n as usize].choices.iter().enumerate() {
            if !c.sticky {
                bits.extend(layout.taken_bit(choice_base[n as usize] + i as u32));
            }
        }
        diverts.extend_from_slice(&nm.diverts);
    }
    let mask = &mut scratch.mask;
    for &(w, b) in &bits {
        mask[w as usize] |= b;
    }
    let mut all = runs_of(mask);
    let overwritten: Sparse = overwritten_first(choice)
        .into_iter()
        .filter_map(|v| layout.var_bits(v))
        .collect();
    for &(w, b) in &overwritten {
        mask[w as usize] &= !b;
    }
    let key = runs_of(mask);
    for &(w, b) in &bits {
        mask[w as usize] &= !b;
    }
    let key_bits: u32 = key.iter().map(|r| r.len).sum();
    if key_bits > MAX_KEY_BITS {
        return None;
    }
    all.extend(layout.node_run().map(|(word, shift, len)| Run {
        word,
        shift,
        len,
        mask: if len == 64 {
            u64::MAX
        } else {
            (1u64 << len) - 1
        },
    }));
    let word = (layout.words() == 1 && layout.bits() <= KIND_SHIFT as usize)
        .then(|| all.iter().fold(0, |m, r| m | (r.mask << r.shift)));
    let all_bits = all.iter().map(|r| r.len).sum();
    Some(Footprint {
        key,
        all,
        word,
        bits: key_bits,
        all_bits,
    })
}

/// The variables a choice sets before anything in its transition reads them: by `=`
/// at the top of its body (before any `{if}` or divert), with a value that does not
/// read them, when neither its guard nor an earlier effect has read them. Their values
/// in the source state cannot change the transition.
fn overwritten_first(choice: &threshold_runtime::ir::Choice) -> Vec<u32> {
    let mut read: Vec<u32> = Vec::new();
    let note_reads = |e: &Expr, read: &mut Vec<u32>| {
        e.walk(&mut |x| {
            if let Expr::Var(v) = x {
                read.push(*v);
            }
        });
    };
    if let Some(g) = &choice.guard {
        note_reads(g, &mut read);
    }
    let mut set = Vec::new();
    for stmt in &choice.body {
        match stmt {
            Stmt::Line { .. } | Stmt::Note { .. } => {}
            Stmt::Effects { effects } => {
                for e in effects {
                    note_reads(&e.value, &mut read);
                    if e.op == AssignOp::Set && !read.contains(&e.var) {
                        set.push(e.var);
                    }
                    // Later reads see the value just set, not the source's.
                    read.push(e.var);
                }
            }
            Stmt::Divert { .. } | Stmt::If { .. } => break,
        }
    }
    set
}

/// Adds the bits a block reads or writes, and the nodes it diverts to.
fn block_mask(block: &Block, layout: &Layout, bits: &mut Sparse, diverts: &mut Vec<NodeId>) {
    for stmt in block {
        match stmt {
            Stmt::Line { .. } | Stmt::Note { .. } => {}
            Stmt::Effects { effects } => {
                for e in effects {
                    bits.extend(layout.var_bits(e.var));
                    expr_mask(&e.value, layout, bits);
                }
            }
            Stmt::Divert { target } => diverts.push(*target),
            Stmt::If {
                branches,
                otherwise,
            } => {
                for b in branches {
                    expr_mask(&b.cond, layout, bits);
                    block_mask(&b.body, layout, bits, diverts);
                }
                block_mask(otherwise, layout, bits, diverts);
            }
        }
    }
}

/// Adds the bits an expression reads.
fn expr_mask(e: &Expr, layout: &Layout, bits: &mut Sparse) {
    e.walk(&mut |x| match x {
        Expr::Var(v) => bits.extend(layout.var_bits(*v)),
        Expr::Seen(n) => bits.extend(layout.seen_bit(*n)),
        // Only checks hold `at()`, but a transition that read it would read the node.
        Expr::At(_) => bits.extend(
            layout
                .node_run()
                .map(|(word, shift, len)| (word, ((1u64 << len) - 1) << shift)),
        ),
        Expr::Const(_) | Expr::Not(_) | Expr::Neg(_) | Expr::Bin(..) => {}
    });
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

    /// The bits of `runs`, as one mask per word.
    fn mask_of(runs: &[Run], words: usize) -> Vec<u64> {
        let mut m = vec![0; words];
        scatter(runs, u64::MAX, &mut m);
        m
    }

    #[test]
    fn footprints_cover_what_a_transition_reads_and_writes() {
        let story = test_story(STORY);
        let layout = Layout::new(&story);
        assert_eq!(layout.words(), 1);
        let memo = Footprints::new(&story, &layout).memo::<u64>();
        let var = |name: &str| {
            let v = story.variables.iter().position(|v| v.name == name).unwrap();
            layout.var_bits(v as u32).unwrap().1
        };
        let key = |choice: usize| mask_of(&memo.prints[choice].as_ref().unwrap().key, 1)[0];
        let all = |choice: usize| mask_of(&memo.prints[choice].as_ref().unwrap().all, 1)[0];
        let (word, shift, len) = layout.node_run().unwrap();
        assert_eq!(word, 0);
        let node = ((1u64 << len) - 1) << shift;
        // Raise: writes `a`, reaches `t`, whose guards read `b` and whose once-only
        // choice's mark decides whether play waits there.
        let go = layout.taken_bit(4).unwrap().1;
        assert_eq!(key(0), var("a") | var("b") | go);
        assert_eq!(all(0), key(0) | node);
        // Flag: reads `c`, reaches `u`, which writes `c` and diverts back to `s`,
        // whose guard reads `c`.
        assert_eq!(key(1), var("c"));
        // Leave: sets `d` before anything reads it, so its value in the source does
        // not matter: `d` is out of the key but in what a result replaces; the
        // outcome reads nothing.
        assert_eq!(key(2), 0);
        assert_eq!(all(2), var("d") | node);
    }

    #[test]
    fn a_stored_result_is_reused_for_states_that_share_the_footprint() {
        let story = test_story(STORY);
        let layout = Layout::new(&story);
        let mut memo = Footprints::new(&story, &layout).memo::<u64>();
        let mut runner = threshold_runtime::Runner::new(&story);
        let (mut s, _) = runner.start(&mut ());
        let pack = |s: &threshold_runtime::State| {
            let mut w = [0u64];
            layout.pack(s, &mut w);
            w
        };
        // Two states at `s` that differ only in `d`, which Raise never touches.
        s.vars[3] = 0;
        let first = pack(&s);
        s.vars[3] = 1;
        let second = pack(&s);
        let at = memo.locate(0, &first).unwrap();
        assert_eq!(memo.locate(0, &second), Some(at));
        assert_eq!(memo.read(at), None);
        let mut next = s.clone();
        next.vars[3] = 0;
        let stop = runner.choose(&mut next, 0, &mut ());
        memo.put(0, at, &first, Known::Taken(stop), &pack(&next));
        // Reused for the second state: its `d` carries over, the rest is Raise's.
        let mut expected = s.clone();
        runner.choose(&mut expected, 0, &mut ());
        let (known, bits) = memo.read(at).unwrap();
        assert_eq!(known, Known::Taken(stop));
        let mut target = second;
        memo.apply(0, bits, &mut target);
        assert_eq!(target, pack(&expected));
    }

    /// A choice that flips five variables with others between them: a footprint of
    /// five runs, more than a [`WordPrint`] gathers itself.
    const SCATTERED: &str = r#"title: "Scattered"
start: s
hidden v0 = false "V0"
hidden v1 = false "V1"
hidden v2 = false "V2"
hidden v3 = false "V3"
hidden v4 = false "V4"
hidden v5 = false "V5"
hidden v6 = false "V6"
hidden v7 = false "V7"
hidden v8 = false "V8"

scene s
+ Every other
  ~ v0 = not v0, v2 = not v2, v4 = not v4, v6 = not v6, v8 = not v8
  -> t
+ {v0 or v3} Two
  ~ v5 = true
  -> s
+ Leave
  ~ v7 = true
  -> done

scene t
+ Back
  -> s

outcome done good "Done"
Done.
"#;

    /// The flat one-word form finds the same entry as the general form, for every
    /// choice and many states, whether it gathers the key itself or leaves a key of
    /// many runs to [`Memo::locate`].
    #[test]
    fn word_prints_locate_what_footprints_locate() {
        let mut forms = (false, false);
        for text in [STORY, SCATTERED] {
            let story = test_story(text);
            let layout = Layout::new(&story);
            let memo = Footprints::new(&story, &layout).memo::<u64>();
            let prints = memo.word_prints().expect("one-word states");
            let mut x = 0x9E37_79B9_7F4A_7C15u64;
            for _ in 0..2_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let state = x & (u64::MAX >> (64 - layout.bits()));
                for (id, p) in prints.iter().enumerate() {
                    let id = id as u32;
                    assert_eq!(
                        memo.word_locate(id, p, state),
                        memo.locate(id, &[state]).unwrap_or(usize::MAX),
                        "choice {id} from {state:#x}"
                    );
                }
            }
            for (p, fp) in prints.iter().zip(&memo.prints) {
                if let Some(fp) = fp {
                    assert_eq!(p.all, mask_of(&fp.all, 1)[0]);
                    if p.many {
                        forms.1 = true;
                    } else {
                        forms.0 = true;
                    }
                }
            }
        }
        assert_eq!(forms, (true, true), "both forms of key are tried");
    }

    /// Memo entries take four bytes while every footprint's bits fit below the
    /// entry's kind, and eight once a state of one word is wider than that.
    #[test]
    fn memo_entries_are_narrow_while_the_bits_fit() {
        let small = test_story(STORY);
        let f = Footprints::new(&small, &Layout::new(&small));
        assert!(f.fit::<u32>() && f.fit::<u64>());
        // Ten variables of three bits each: 30 bits and the node's, in one word.
        let mut text = String::from("title: \"Wide\"\nstart: s\n");
        for i in 0..10 {
            text.push_str(&format!("hidden v{i} = 0 in 0..7 \"V{i}\"\n"));
        }
        text.push_str("\nscene s\n+ Raise\n");
        for i in 0..10 {
            text.push_str(&format!("  ~ v{i} += 1\n"));
        }
        text.push_str("  -> s\n+ Leave\n  -> done\n\noutcome done good \"Done\"\nDone.\n");
        let wide = test_story(&text);
        let layout = Layout::new(&wide);
        assert_eq!(layout.words(), 1);
        let f = Footprints::new(&wide, &layout);
        assert!(!f.fit::<u32>() && f.fit::<u64>());
    }

    /// The search's loop for one-word states, which reads these forms, finds the
    /// same graph as the general loop, without the memo or with a hash index, with
    /// a direct table of slots or of bits only, and with memo entries of either
    /// width.
    #[test]
    fn the_one_word_loop_finds_the_general_graph() {
        use crate::explore::{Graph, IndexForm, Limits};
        for text in [STORY, SCATTERED] {
            let story = test_story(text);
            let [best, plain, ids, bits, wide] = [
                IndexForm::Best,
                IndexForm::NoMemo,
                IndexForm::Ids,
                IndexForm::Bits,
                IndexForm::WideMemo,
            ]
            .map(|form| Graph::explore_with(&story, Limits::default(), form));
            assert!(best.len() > 3, "{} states: {text}", best.len());
            for other in [&plain, &ids, &bits, &wide] {
                assert_eq!(best.len(), other.len());
                assert_eq!(best.kinds, other.kinds);
                assert_eq!(best.parent, other.parent);
                assert_eq!(best.parent_choice, other.parent_choice);
                assert_eq!(best.offered, other.offered);
                assert_eq!(best.entered, other.entered);
                for i in 0..best.len() as u32 {
                    assert!(best.successors(i).eq(other.successors(i)), "state {i}");
                }
            }
        }
    }

    /// Only a variable set at the top of the body before anything reads it is left
    /// out of the key.
    #[test]
    fn variables_set_before_they_are_read_are_left_out_of_the_key() {
        let story = test_story(
            r#"title: "Overwritten"
start: s
hidden a = 0 in 0..3 "A"
hidden b = 0 in 0..3 "B"
hidden c = 0 in 0..3 "C"
hidden d = 0 in 0..3 "D"
hidden e = 0 in 0..3 "E"

scene s
+ {e < 3} Several
  Said first.
  ~ a = 1, b += 1, c = a + 1, e = 0
  {if d > 0}
    ~ d = 0
  {end}
  ~ b = 2
  -> done
+ Self
  ~ a = a + 1
  -> done

outcome done good "Done"
Done.
"#,
        );
        let names = |vars: Vec<u32>| -> Vec<String> {
            vars.iter()
                .map(|&v| story.variables[v as usize].name.clone())
                .collect()
        };
        let choices = &story.nodes[story.start as usize].choices;
        // `a` and `c` are set first (`c` from the new `a`); `b` is read by `+=`; `e`
        // is read by the guard; `d` is set only under an `{if}`, and `b = 2` comes
        // after it.
        assert_eq!(names(overwritten_first(&choices[0])), ["a", "c"]);
        assert!(overwritten_first(&choices[1]).is_empty());
    }

    #[test]
    fn gather_and_scatter_cross_words() {
        let runs = runs_of(&[0b1100, 0, u64::MAX << 60 | 1]);
        assert_eq!(runs.len(), 3);
        let words = [0b0100, 7, 0xA000_0000_0000_0001];
        let k = gather(&runs, &words);
        // Bits 2..3 of word 0 (01), bit 0 of word 2 (1), bits 60..63 of word 2 (1010).
        assert_eq!(k, (0b1010 << 3) | (1 << 2) | 0b01);
        let mut back = [0, 7, 0];
        scatter(&runs, k, &mut back);
        assert_eq!(back, [0b0100, 7, 0xA000_0000_0000_0001]);
    }
}
