//! The memo of transitions: for each choice with a small enough footprint
//! ([`super::footprint`]), a table with one entry per value of the footprint's bits,
//! holding how the transition stopped and the target's footprint bits. The search
//! fills an entry by running the runtime's transition the first time, and reuses it
//! for every other state with the same footprint value.
//!
//! An entry is four bytes when every value fits below the entry's kind, else eight
//! ([`Entry`]). States of one word whose footprints fit in place are read in the flat
//! form ([`WordPrint`]): a key gathered in a fixed number of steps and a result
//! applied with one mask operation.
//!
//! A choice of a one-word state with no table is held by the read trie
//! ([`super::trie`]), which is followed as the batch's entries are located: where a
//! path holds the transition, the choice is located at its leaf ([`TRIE_LEAF`]
//! onwards), so that the paths of a batch's choices are followed side by side, their
//! reads overlapping.

use threshold_runtime::ir::NodeId;
use threshold_runtime::Stop;

use super::footprint::{Footprint, Footprints, VALUE_BITS};
use super::layout::{Layout, Width};
use super::trie::{Trace, Trie};

/// The entry of a choice with no table and no read trie: never written, so it always
/// reads as unknown.
pub(super) const NO_ENTRY: usize = 1;

/// The entry of a choice looked up in the read trie ([`super::trie`]) and not found
/// there: never written either, but a transition run for it is traced for the trie.
const TRIE_ENTRY: usize = 0;

/// The entries the memo keeps for itself, before the footprints' tables.
const OWN_ENTRIES: usize = 2;

/// Where a choice found in the read trie is located: its leaf's index past this,
/// beyond any entry of the table.
const TRIE_LEAF: usize = 1 << 62;

/// The most runs of bits a [`WordPrint`] gathers itself.
const WORD_RUNS: usize = 4;

/// A choice's footprint in the flat form the search's loop for one-word states reads:
/// no vector to follow, and a key gathered in a fixed number of steps.
#[derive(Debug, Clone, Copy)]
pub(super) struct WordPrint {
    /// The entry of the choice's first footprint value.
    start: usize,
    /// `(down, mask)`: the key's runs, each moved down by `down` bits to its place
    /// in the key and masked there (unused runs have a zero mask). Runs go low to
    /// high, so none moves up: each starts at or above the sum of the lengths of
    /// the runs below it.
    runs: [(u32, u64); WORD_RUNS],
    /// The key has more runs than `runs` holds, or the choice has no table, and
    /// the gathered form answers.
    many: bool,
    /// The bits of the state a stored result replaces.
    all: u64,
}

/// What the table knows about a choice from a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Known {
    /// Not offered there.
    Unavailable,
    /// Offered; the transition stops with this stop. The memo gives back a stop at a
    /// scene as [`Stop::Choice`] whether play waits there or is stuck: the search
    /// tells the two apart as it expands the state.
    Taken(Stop),
}

impl Known {
    /// What the memo keeps of this: a stuck stop at a scene as a stop at a scene.
    #[inline]
    pub(super) fn kept(self) -> Known {
        match self {
            Known::Taken(Stop::DeadEnd) => Known::Taken(Stop::Choice),
            k => k,
        }
    }
}

/// What a table entry holds, in its top three bits; the bits below hold the target's
/// footprint bits (as [`Footprint::take`] gives them), or a divert loop's node.
const KIND_SHIFT: u32 = VALUE_BITS;
const UNKNOWN: u64 = 0;
const UNAVAILABLE: u64 = 1;
/// Play stopped at a scene: whether it waits there or is stuck is the target
/// state's own property, which the search decides as it expands the state.
const SCENE: u64 = 2;
const OUTCOME: u64 = SCENE + 1;
const DIVERT_LOOP: u64 = 5;

/// A memo table's entry: eight bytes, or four when every footprint's bits and every
/// node number fit below the kind ([`Entry::KIND_SHIFT`]), which puts twice as many
/// entries in a cache line.
pub(super) trait Entry: Copy + std::fmt::Debug {
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
pub(super) struct Memo<E> {
    prints: Vec<Option<Footprint>>,
    /// Where each choice's entries start in `table`.
    start: Vec<usize>,
    /// Every choice's footprint in the flat form, when states are one word with room
    /// for the entry kind above them (as [`Footprint::word`] says); empty otherwise.
    flat: Vec<WordPrint>,
    table: Vec<E>,
    /// For states of the flat form, the read trie of the choices without a table.
    trie: Option<Trie>,
}

/// What a breadth-first search asks of a memo of transitions, whatever the width of
/// its entries; tests also search with a memo that never knows anything.
pub(super) trait Memoize {
    /// Where the entry for taking `choice` from the state `source` is, read in the
    /// form the width `W` says; [`NO_ENTRY`] when the memo cannot hold it.
    fn locate<W: Width>(&self, choice: u32, source: &[u64]) -> usize;
    /// Reads the entries at `at` before any is needed: the reads do not depend on
    /// each other, so their cache misses overlap.
    fn touch(&self, at: &[usize]);
    /// What is known of taking `choice` from the state `source`, whose entry is at
    /// `at`; `None` until the transition has run and [`Memoize::put`] stored it.
    /// When known, `target` is set to the state the choice leads to (for a choice
    /// taken to a state; otherwise what it holds means nothing).
    fn read<W: Width>(
        &self,
        choice: u32,
        at: usize,
        source: &[u64],
        target: &mut [u64],
    ) -> Option<Known>;
    /// Whether [`Memoize::put`] wants the runtime's [`Trace`] of the transition at
    /// `at`.
    fn traces(&self, at: usize) -> bool;
    /// Stores what taking `choice` from `source` (whose entry is at `at`) came to:
    /// for a taken choice, the stop and the `target` state; `trace` when
    /// [`Memoize::traces`] asked for it.
    fn put(
        &mut self,
        choice: u32,
        at: usize,
        source: &[u64],
        known: Known,
        target: &[u64],
        trace: Option<&Trace<'_>>,
    );
}

impl<E: Entry> Memo<E> {
    /// Whether entries of type `E` hold every value of the footprints `f`.
    pub(super) fn fits(f: &Footprints) -> bool {
        f.width <= E::KIND_SHIFT
    }

    /// The memo of the footprints `f` of states packed by `layout`, with empty
    /// entries of type `E`, which must [`fit`](Self::fits).
    pub(super) fn new(mut f: Footprints, layout: &Layout) -> Memo<E> {
        assert!(Self::fits(&f), "memo entries too narrow");
        for s in f.start.iter_mut().filter(|s| **s != usize::MAX) {
            *s += OWN_ENTRIES;
        }
        let flat = flat_prints(&f).unwrap_or_default();
        let trie = (!flat.is_empty()).then(|| Trie::new(flat.len(), layout));
        let table = vec![E::from_bits(UNKNOWN); OWN_ENTRIES + f.entries];
        Memo {
            prints: f.prints,
            start: f.start,
            flat,
            table,
            trie,
        }
    }

    /// Whether the flat one-word form is there to read ([`Width::ONE`]).
    pub(super) fn flat(&self) -> bool {
        self.prints.is_empty() || !self.flat.is_empty()
    }

    /// Where the entry for taking `choice` from the state `words` is, from the
    /// footprint's runs (`None` when the choice has no table).
    #[inline]
    fn locate_gathered(&self, choice: u32, words: &[u64]) -> Option<usize> {
        let fp = self.prints[choice as usize].as_ref()?;
        Some(self.start[choice as usize] + fp.key_of(words) as usize)
    }
}

/// Every choice's footprint in the flat one-word form, when states are one word with
/// room for the entry kind above them (as [`Footprint::word`] says).
fn flat_prints(f: &Footprints) -> Option<Vec<WordPrint>> {
    let mut out = Vec::with_capacity(f.prints.len());
    for (fp, &start) in f.prints.iter().zip(&f.start) {
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

impl<E: Entry> Memoize for Memo<E> {
    #[inline(always)]
    fn locate<W: Width>(&self, choice: u32, source: &[u64]) -> usize {
        if !W::ONE {
            return self.locate_gathered(choice, source).unwrap_or(NO_ENTRY);
        }
        let p = &self.flat[choice as usize];
        if p.many {
            return match (self.locate_gathered(choice, source), &self.trie) {
                (Some(at), _) => at,
                // The trie is read as the batch is located, so that the paths of
                // the batch's choices are followed side by side.
                (None, Some(t)) if t.open(choice) => t
                    .find(choice, source[0])
                    .map_or(TRIE_ENTRY, |leaf| TRIE_LEAF + leaf as usize),
                (None, _) => NO_ENTRY,
            };
        }
        let s = source[0];
        let mut key = 0u64;
        for &(down, mask) in &p.runs {
            key |= (s >> down) & mask;
        }
        p.start + key as usize
    }

    fn touch(&self, at: &[usize]) {
        let mut acc = 0u64;
        // A choice found in the trie has no entry to read.
        for &i in at.iter().filter(|&&i| i < TRIE_LEAF) {
            acc ^= self.table[i].bits();
        }
        std::hint::black_box(acc);
    }

    /// The common kinds (the two stops that have a target state) are told apart by
    /// a table rather than a branch, which the processor would often guess wrong;
    /// in the flat form the target's bits are put in place without a branch either
    /// (what they come to for a choice not taken is never read).
    #[inline(always)]
    fn read<W: Width>(
        &self,
        choice: u32,
        at: usize,
        source: &[u64],
        target: &mut [u64],
    ) -> Option<Known> {
        const TAKEN: [Stop; 2] = [Stop::Choice, Stop::Outcome];
        if at >= TRIE_LEAF {
            let trie = self.trie.as_ref()?;
            let (known, mask, bits) = trie.leaf(at - TRIE_LEAF);
            target[0] = (source[0] & !mask) | bits;
            return Some(known);
        }
        let e = self.table[at].bits();
        let r = e & !(u64::MAX << E::KIND_SHIFT);
        let kind = e >> E::KIND_SHIFT;
        let known = if kind.wrapping_sub(SCENE) < TAKEN.len() as u64 {
            Known::Taken(TAKEN[(kind - SCENE) as usize])
        } else {
            match kind {
                UNKNOWN => return None,
                UNAVAILABLE => Known::Unavailable,
                _ => Known::Taken(Stop::DivertLoop { node: r as NodeId }),
            }
        };
        if W::ONE {
            let all = self.flat[choice as usize].all;
            target[0] = (source[0] & !all) | r;
        } else if let (Some(fp), Known::Taken(Stop::Choice | Stop::Outcome)) =
            (&self.prints[choice as usize], known)
        {
            target.copy_from_slice(source);
            fp.give(r, target);
        }
        Some(known)
    }

    fn traces(&self, at: usize) -> bool {
        at == TRIE_ENTRY && self.trie.as_ref().is_some_and(Trie::has_room)
    }

    fn put(
        &mut self,
        choice: u32,
        at: usize,
        source: &[u64],
        known: Known,
        target: &[u64],
        trace: Option<&Trace<'_>>,
    ) {
        if at == TRIE_ENTRY {
            if let (Some(trie), Some(trace)) = (self.trie.as_mut(), trace) {
                trie.put(choice, source[0], known, target[0], trace);
            }
            return;
        }
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
                    Stop::Outcome => OUTCOME,
                    _ => SCENE,
                };
                (kind << E::KIND_SHIFT) | fp.take(target)
            }
        };
        self.table[at] = E::from_bits(entry);
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::explore::footprint::tests::STORY;
    use crate::explore::layout::{Layout, OneWord, Words};
    use crate::test_story;

    #[test]
    fn a_stored_result_is_reused_for_states_that_share_the_footprint() {
        let story = test_story(STORY);
        let layout = Layout::new(&story);
        let mut memo = Memo::<u64>::new(Footprints::new(&story, &layout), &layout);
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
        let at = memo.locate::<Words>(0, &first);
        assert_ne!(at, NO_ENTRY);
        assert_eq!(memo.locate::<Words>(0, &second), at);
        assert_eq!(memo.locate::<OneWord>(0, &second), at);
        assert_eq!(memo.read::<OneWord>(0, at, &first, &mut [0]), None);
        let mut next = s.clone();
        next.vars[3] = 0;
        let stop = runner.choose(&mut next, 0, &mut ());
        memo.put(0, at, &first, Known::Taken(stop), &pack(&next), None);
        // Reused for the second state: its `d` carries over, the rest is Raise's,
        // in the flat form and the gathered one alike.
        let mut expected = s.clone();
        runner.choose(&mut expected, 0, &mut ());
        for flat in [true, false] {
            let mut target = [0];
            let known = if flat {
                memo.read::<OneWord>(0, at, &second, &mut target)
            } else {
                memo.read::<Words>(0, at, &second, &mut target)
            };
            assert_eq!(known, Some(Known::Taken(stop)));
            assert_eq!(target, pack(&expected));
        }
    }

    /// A choice that flips five variables with others between them: a footprint of
    /// five runs, more than a [`WordPrint`] gathers itself.
    pub(crate) const SCATTERED: &str = r#"title: "Scattered"
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
    /// many runs to the gathered form.
    #[test]
    fn word_prints_locate_what_footprints_locate() {
        let mut forms = (false, false);
        for text in [STORY, SCATTERED] {
            let story = test_story(text);
            let layout = Layout::new(&story);
            let memo = Memo::<u64>::new(Footprints::new(&story, &layout), &layout);
            assert!(memo.flat(), "one-word states");
            let mut x = 0x9E37_79B9_7F4A_7C15u64;
            for _ in 0..2_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let state = x & (u64::MAX >> (64 - layout.bits()));
                for id in 0..memo.flat.len() as u32 {
                    assert_eq!(
                        memo.locate::<OneWord>(id, &[state]),
                        memo.locate::<Words>(id, &[state]),
                        "choice {id} from {state:#x}"
                    );
                }
            }
            for (p, fp) in memo.flat.iter().zip(&memo.prints) {
                if let Some(fp) = fp {
                    assert_eq!(p.all, fp.word.unwrap());
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
        assert!(Memo::<u32>::fits(&f) && Memo::<u64>::fits(&f));
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
        assert!(!Memo::<u32>::fits(&f) && Memo::<u64>::fits(&f));
    }
}
