//! Footprints: what each choice's transition can read or write, as runs of bits of a
//! packed state.
//!
//! Taking a choice reads and writes only a few variables: its guard, its body and the
//! bodies of the nodes its diverts can reach. Everything else in the state passes
//! through unchanged. (Where play stops, the guards and once-only marks of the
//! scene's choices decide whether it waits or is stuck; that is a property of the
//! state it stops in, which the search decides as it expands the state, so the
//! footprint leaves them out.) So two states at the same node that agree on
//! those bits — the choice's *footprint* — take the choice to targets that agree
//! outside the footprint with their sources and agree with each other inside it. The
//! memo ([`super::memo`]) runs the runtime's transition once per choice and footprint
//! value and reuses the result for every other state that shares it.
//!
//! The footprint is an over-approximation found from the IR alone: every branch of
//! every `{if}` counts, and every node a divert names. Text is left out: lines and
//! notes are read by the player, never by the transition. [`expr_mask`] and
//! [`block_mask`] match every expression and statement form without a wildcard, so a
//! new form that reads state does not compile until its footprint is written; debug
//! builds check each reused result against a fresh run of the transition, and a
//! property test holds the memoised search to one without the memo.

use threshold_runtime::ir::{AssignOp, Block, Expr, NodeId, Stmt, Story};

use super::layout::Layout;

/// The most bits a memo entry holds below its kind: a footprint of more bits gets no
/// table, and a one-word state of more bits keeps its footprints gathered.
pub(super) const VALUE_BITS: u32 = 61;
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
pub(super) struct Run {
    pub(super) word: u32,
    pub(super) shift: u32,
    pub(super) len: u32,
    pub(super) mask: u64,
}

/// Gathers the bits of `runs` from `words`, low to high.
#[inline]
pub(super) fn gather(runs: &[Run], words: &[u64]) -> u64 {
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
pub(super) fn scatter(runs: &[Run], mut bits: u64, words: &mut [u64]) {
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
pub(super) struct Footprint {
    pub(super) key: Vec<Run>,
    pub(super) all: Vec<Run>,
    pub(super) word: Option<u64>,
    /// Bits in `key`.
    pub(super) bits: u32,
    /// Bits in `all`.
    pub(super) all_bits: u32,
}

impl Footprint {
    /// The key of the source state `words`: its footprint bits that can matter,
    /// gathered low to high.
    #[inline]
    pub(super) fn key_of(&self, words: &[u64]) -> u64 {
        match self.word {
            // One word: no word index to look up for each run.
            Some(_) => self
                .key
                .iter()
                .rev()
                .fold(0, |k, r| (k << r.len) | ((words[0] >> r.shift) & r.mask)),
            None => gather(&self.key, words),
        }
    }

    /// The target's footprint bits, as a table entry holds them.
    #[inline]
    pub(super) fn take(&self, target: &[u64]) -> u64 {
        match self.word {
            Some(m) => target[0] & m,
            None => gather(&self.all, target),
        }
    }

    /// Puts footprint bits taken by [`Footprint::take`] into `target`.
    #[inline]
    pub(super) fn give(&self, bits: u64, target: &mut [u64]) {
        match self.word {
            Some(m) => target[0] = (target[0] & !m) | bits,
            None => scatter(&self.all, bits, target),
        }
    }
}

/// The footprints of a story's choices (by story-wide id; `None` for a choice that
/// gets no table) and where each one's memo entries start, before the width of an
/// entry is chosen.
#[derive(Debug)]
pub(super) struct Footprints {
    pub(super) prints: Vec<Option<Footprint>>,
    /// Where each choice's entries start (`usize::MAX` for a choice without a table).
    pub(super) start: Vec<usize>,
    pub(super) entries: usize,
    /// The widest value an entry holds below its kind, in bits.
    pub(super) width: u32,
}

impl Footprints {
    /// The footprints of `story`'s choices packed by `layout`.
    pub(super) fn new(story: &Story, layout: &Layout) -> Footprints {
        let nodes: Vec<NodeMask> = story
            .nodes
            .iter()
            .map(|n| NodeMask::new(n, layout))
            .collect();
        let choices: usize = story.nodes.iter().map(|n| n.choices.len()).sum();
        let mut prints = Vec::with_capacity(choices);
        let mut start = Vec::with_capacity(choices);
        let mut entries = 0usize;
        let mut id = 0u32;
        let mut scratch = Scratch {
            reached: vec![u32::MAX; story.nodes.len()],
            mask: vec![0; layout.words()],
        };
        for node in &story.nodes {
            for c in &node.choices {
                let mut fp = choice_footprint(layout, &nodes, &mut scratch, c, id);
                if let Some(f) = &fp {
                    let size = 1usize << f.bits;
                    if f.all_bits > VALUE_BITS || entries + size > MAX_ENTRIES {
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
}

/// The bits every number below `n` fits in.
fn bits_of(n: usize) -> u32 {
    usize::BITS - n.saturating_sub(1).leading_zeros()
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
    /// Read or written by the node's body.
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
        m
    }
}

fn choice_footprint(
    layout: &Layout,
    nodes: &[NodeMask],
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
    let word = (layout.words() == 1 && layout.bits() <= VALUE_BITS as usize)
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
pub(super) mod tests {
    use super::*;
    use crate::test_story;

    pub(crate) const STORY: &str = r#"title: "Footprints"
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
        let memo = Footprints::new(&story, &layout);
        let var = |name: &str| {
            let v = story.variables.iter().position(|v| v.name == name).unwrap();
            layout.var_bits(v as u32).unwrap().1
        };
        let key = |choice: usize| mask_of(&memo.prints[choice].as_ref().unwrap().key, 1)[0];
        let all = |choice: usize| mask_of(&memo.prints[choice].as_ref().unwrap().all, 1)[0];
        let (word, shift, len) = layout.node_run().unwrap();
        assert_eq!(word, 0);
        let node = ((1u64 << len) - 1) << shift;
        // Raise: writes `a` and reaches `t`, whose guards and once-only mark decide
        // only whether play waits there, which the search decides as it expands
        // the state.
        assert_eq!(key(0), var("a"));
        assert_eq!(all(0), key(0) | node);
        // Flag: reads `c` in its guard, reaches `u`, which writes `c` and diverts
        // back to `s`.
        assert_eq!(key(1), var("c"));
        // Leave: sets `d` before anything reads it, so its value in the source does
        // not matter: `d` is out of the key but in what a result replaces; the
        // outcome reads nothing.
        assert_eq!(key(2), 0);
        assert_eq!(all(2), var("d") | node);
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
