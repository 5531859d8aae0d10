//! The search's variants held to one another: every index, memo and width finds the
//! same graph, and the parts each variant leans on do what they say.

use threshold_runtime::{set_bit, Runner};
use threshold_testgen::{generate, Params};

use super::footprint::Footprints;
use super::memo::{Known, Memo, Memoize, NO_ENTRY};
use super::trie::Trace;
use super::*;
use crate::test_story;

/// A memo that never knows anything: every transition runs.
struct NoMemo;

impl Memoize for NoMemo {
    fn locate<W: Width>(&self, _choice: u32, _source: &[u64]) -> usize {
        NO_ENTRY
    }
    fn touch(&self, _at: &[usize]) {}
    fn read<W: Width>(&self, _: u32, _: usize, _: &[u64], _: &mut [u64]) -> Option<Known> {
        None
    }
    fn traces(&self, _at: usize) -> bool {
        false
    }
    fn put(&mut self, _: u32, _: usize, _: &[u64], _: Known, _: &[u64], _: Option<&Trace<'_>>) {}
}

/// The variants of the search the tests cross.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// As `threshold check` runs it.
    Best,
    /// A direct table of bits only, read a batch ahead and numbered in parts of 32
    /// combinations, so that small stories cross parts.
    Bits,
    /// A direct table of bits only, numbered by rank however many states it has.
    Ranked,
    /// The one-word hash table, footprints flat.
    Keys,
    /// The one-word hash table, footprints gathered run by run.
    Gathered,
    /// The hash table of numbers.
    Ids,
    /// The best index, memo entries of eight bytes even where four would do.
    Wide,
    /// No memo: every transition runs; the hash table of numbers, words gathered.
    NoMemo,
    /// No footprint tables: every choice of a one-word state goes to the read trie.
    Trie,
}

const FORMS: [Form; 9] = [
    Form::Best,
    Form::Bits,
    Form::Ranked,
    Form::Keys,
    Form::Gathered,
    Form::Ids,
    Form::Wide,
    Form::NoMemo,
    Form::Trie,
];

/// Explores `story` within `limits` with the variant `form`; a form whose index
/// does not fit the story falls back to the index the search would pick.
fn explore_as(story: &Story, limits: Limits, form: Form) -> Graph {
    let plan = Plan::new(story, limits);
    let mut memo = Memo::<u64>::new(Footprints::new(story, &plan.layout), &plan.layout);
    let w = plan.layout.words();
    let flat = memo.flat() && w == 1;
    let keys = (w == 1).then(|| KeyIndex::new(plan.room, plan.layout.bits() as u32));
    let ids = IdIndex::new(plan.room, plan.max_entries());
    match form {
        Form::Best => Graph::explore_within(story, limits),
        Form::Wide => plan.run(story, memo),
        Form::Bits => {
            let cells = Cells::Bits {
                part_bits: 5,
                rank_states: 0,
            };
            match DirectIndex::new(&plan.layout, direct_bytes(limits, cells), cells) {
                Some(x) if flat => plan.search(story, OneWord, &mut memo, &mut ReadAhead::new(x)),
                _ => plan.run(story, memo),
            }
        }
        Form::Ranked => {
            let cells = Cells::Bits {
                part_bits: PART_BITS,
                rank_states: usize::MAX,
            };
            match DirectIndex::new(&plan.layout, direct_bytes(limits, cells), cells) {
                Some(mut x) if flat => plan.search(story, OneWord, &mut memo, &mut x),
                _ => plan.run(story, memo),
            }
        }
        Form::Keys | Form::Gathered
            if keys.is_some() && matches!(plan.index(flat), Index::Keys(_) | Index::Direct(_)) =>
        {
            let mut x = Hashed::new(keys.unwrap());
            if form == Form::Keys && flat {
                plan.search(story, OneWord, &mut memo, &mut x)
            } else {
                plan.search(story, Words(w), &mut memo, &mut x)
            }
        }
        Form::Ids | Form::Keys | Form::Gathered => {
            plan.with_width(story, flat, &mut memo, &mut Hashed::new(ids))
        }
        Form::NoMemo => plan.search(story, Words(w), &mut NoMemo, &mut Hashed::new(ids)),
        Form::Trie => {
            let mut f = Footprints::new(story, &plan.layout);
            f.prints.iter_mut().for_each(|p| *p = None);
            f.start.iter_mut().for_each(|s| *s = usize::MAX);
            f.entries = 0;
            {
                let memo = Memo::<u64>::new(f, &plan.layout);
                plan.run(story, memo)
            }
        }
    }
}

/// Everything a search records, as plain data: packed states, kinds, parents,
/// choices from the parents, and successors.
type Record = (
    Vec<u64>,
    Vec<Kind>,
    Vec<u32>,
    Vec<u32>,
    Vec<Vec<(u32, u32)>>,
);

fn record(g: &Graph) -> Record {
    let succ = (0..g.len() as u32)
        .map(|i| g.successors(i).collect())
        .collect();
    (
        g.packed.clone(),
        g.kinds.clone(),
        g.parent.clone(),
        g.parent_choice.clone(),
        succ,
    )
}

/// Whether two searches found the same graph, and marked the same nodes entered and
/// choices offered.
fn same_search(a: &Graph, b: &Graph) -> bool {
    record(a) == record(b)
        && a.entered == b.entered
        && a.offered == b.offered
        && a.stopped == b.stopped
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 200, ..Default::default() })]

    /// On random stories (dead ends, loops, divert loops, once-only choices, `seen()`),
    /// every variant of the search finds the same graph as the search that runs
    /// every transition.
    #[test]
    fn the_memo_changes_nothing_on_random_stories(seed in proptest::prelude::any::<u64>(), sound in proptest::prelude::any::<bool>()) {
        let p = if sound {
            let mut p = Params::sound(seed, 2 + (seed % 6) as usize).with_int_vars(2, 0, 3);
            p.once_only = 20;
            p
        } else {
            Params::wild(seed)
        };
        let story = test_story(&generate(&p));
        let plain = explore_as(&story, Limits::states(20_000), Form::NoMemo);
        for form in FORMS {
            let g = explore_as(&story, Limits::states(20_000), form);
            proptest::prop_assert!(same_search(&g, &plain), "seed {}, {:?}", seed, form);
        }
    }
}

/// The variants find the same states in the same order, through every growth of
/// the hash tables' slots, and stop at the same state limit.
#[test]
fn index_forms_agree() {
    for (name, p) in Params::explore_bench() {
        for (scenes, max) in [(30, 40_000), (30, 5_000), (12, 1_000_000)] {
            let story = test_story(&generate(&Params {
                scenes,
                ..p.clone()
            }));
            let limits = Limits::states(max);
            let best = explore_as(&story, limits, Form::Best);
            assert_eq!(best.layout.words(), 1, "{name}: one word a state");
            assert_eq!(
                best.limited(),
                scenes == 30,
                "{name}: {} states",
                best.len()
            );
            for form in FORMS {
                let g = explore_as(&story, limits, form);
                assert!(
                    same_search(&best, &g),
                    "{name}, {scenes} scenes, at most {max} states: {form:?}"
                );
                assert_eq!(best.state_count, g.state_count, "{name} {form:?}");
            }
        }
    }
}

/// A direct table numbers every combination of fields once, below the number of
/// combinations; it is chosen only within its share of the memory budget.
#[test]
fn direct_table_numbers_each_combination_once() {
    let story = test_story(
        r#"title: "Combinations"
start: s
hidden n = 1 in 1..3 "N"
hidden flag = false "Flag"

scene s
{if seen(t)}
  Again.
{end}
* Once
  ~ n += 1
  -> t
+ Flip
  ~ flag = not flag
  -> t

scene t
* Back
  -> s
+ Leave
  -> done

outcome done good "Done"
Done.
"#,
    );
    let layout = Layout::new(&story);
    let x = DirectIndex::new(&layout, DIRECT_MAX_BYTES, Cells::Slots).expect("a small table");
    // 3 nodes, 3 values of `n`, 2 of `flag`, 2 once-only marks, 1 seen mark.
    let combos = 3 * 3 * 2 * 8;
    assert_eq!(x.slots.len(), combos);
    let mut seen = vec![false; combos];
    let mut state = Runner::new(&story).initial_state();
    let mut word = [0u64];
    for node in 0..3 {
        for n in 1..=3 {
            for flag in 0..2 {
                for marks in 0..8u32 {
                    state.node = node;
                    state.vars = vec![n, flag];
                    state.taken.fill(0);
                    state.seen.fill(0);
                    if marks & 1 != 0 {
                        set_bit(&mut state.taken, 0);
                    }
                    if marks & 2 != 0 {
                        set_bit(&mut state.taken, 1);
                    }
                    if marks & 4 != 0 {
                        set_bit(&mut state.seen, 1);
                    }
                    layout.pack(&state, &mut word);
                    let code = x.code(word[0]) as usize;
                    assert!(code < combos, "{code}");
                    assert!(!std::mem::replace(&mut seen[code], true), "{code}");
                }
            }
        }
    }
    assert!(DirectIndex::new(&layout, combos * 4 - 1, Cells::Slots).is_none());
    // A table of bits only takes a bit a combination.
    let cells = Cells::Bits {
        part_bits: 5,
        rank_states: 0,
    };
    let bits = DirectIndex::new(&layout, combos.div_ceil(8), cells).expect("bits fit");
    assert!(bits.slots.is_empty());
    assert_eq!(bits.present.len(), combos.div_ceil(64));
    assert!(DirectIndex::new(&layout, combos.div_ceil(8) - 1, cells).is_none());
    // Numbered in parts of 32 combinations, the last of the 144 half full and
    // holding states, the search finds the graph the table of slots gives.
    let slots = explore_as(&story, Limits::default(), Form::Best);
    let parts = explore_as(&story, Limits::default(), Form::Bits);
    assert!(slots.packed.iter().any(|&w| x.code(w) >= 128));
    assert_eq!(record(&slots), record(&parts));
    // And numbered by rank.
    let ranked = explore_as(&story, Limits::default(), Form::Ranked);
    assert_eq!(record(&slots), record(&ranked));
    // The search picks the direct table for the benchmark story of four variables
    // (about 3 million combinations), but not within a budget of 1 MiB.
    let (_, p) = &Params::explore_bench()[0];
    let story = test_story(&generate(p));
    let pick = |max_memory: usize| {
        let limits = Limits {
            max_states: 10,
            max_memory,
        };
        matches!(Plan::new(&story, limits).index(true), Index::Direct(_))
    };
    assert!(pick(DEFAULT_MAX_MEMORY_MIB));
    assert!(!pick(1));
    // The story with once-only choices has too many combinations for slots, and
    // takes a table of bits when its footprints are flat, and a hash table when
    // they are not.
    let (_, p) = &Params::explore_bench()[1];
    let plan = Plan::new(&test_story(&generate(p)), Limits::default());
    // Its table spans hundreds of parts (with its 600,000 states, its edges are
    // numbered by rank), and `index_forms_agree` holds the graph equal to the
    // other forms', numbered in parts and by rank.
    let bits = |x: &DirectIndex| x.slots.is_empty() && x.combos >> PART_BITS > 100;
    assert!(matches!(plan.index(true), Index::Direct(x) if bits(&x)));
    assert!(matches!(plan.index(false), Index::Keys(_)));
}

/// A node with more choices than a byte counts: the edges past the 255th keep
/// their choice index, in both loops of the search.
#[test]
fn choice_indices_past_a_byte() {
    let mut text =
        String::from("title: \"Wide\"\nstart: s\nhidden n = 0 in 0..3 \"N\"\n\nscene s\n");
    for i in 0..299 {
        text.push_str(&format!("+ Choice {i}\n  ~ n = {}\n  -> s\n", i % 4));
    }
    text.push_str("+ Leave\n  -> done\n\noutcome done good \"Done\"\nDone.\n");
    let story = test_story(&text);
    let best = explore_as(&story, Limits::default(), Form::Best);
    let ids = explore_as(&story, Limits::default(), Form::Ids);
    assert!(record(&best) == record(&ids));
    // The scene and the outcome, each with `n` at 0, 1, 2 and 3.
    assert_eq!(best.state_count, 8);
    for i in 0..best.len() as u32 {
        if best.kinds[i as usize] != Kind::Waiting {
            continue;
        }
        let succ: Vec<(u32, u32)> = best.successors(i).collect();
        assert_eq!(succ.len(), 300);
        for (k, &(t, choice)) in succ.iter().enumerate() {
            assert_eq!(choice, k as u32);
            let kind = best.kinds[t as usize];
            assert_eq!(kind == Kind::Outcome, k == 299, "choice {k} from state {i}");
        }
    }
    let outcome = (0..best.len() as u32)
        .find(|&i| best.kinds[i as usize] == Kind::Outcome)
        .unwrap();
    assert_eq!(best.route(&story, outcome).0, ["Leave"]);
}

/// A state of more than one word is found again by the index.
#[test]
fn states_of_several_words() {
    let mut src = String::from("title: \"Wide\"\nstart: a\n");
    for i in 0..5 {
        src.push_str(&format!("hidden v{i} = 0 in 0..1000000 \"V{i}\"\n"));
    }
    src.push_str(
        "scene a\n+ {v0 < 3} Up\n  ~ v0 += 1, v4 += 1\n  -> b\n+ Leave\n  -> out\n\
         scene b\n+ {v0 < 3} Again\n  -> a\n+ Back\n  -> a\n\
         outcome out good \"Out\"\nDone.\n",
    );
    let story = test_story(&src);
    let g = Graph::explore(&story, 100);
    assert!(g.layout.words() > 1);
    let plain = explore_as(&story, Limits::states(100), Form::NoMemo);
    assert!(record(&g) == record(&plain), "the memo changes nothing");
    // a for v0 = 0..=3, b for v0 = 1..=3, and the outcome reached from each a.
    assert_eq!(g.state_count, 4 + 3 + 4, "{:?}", g.kinds);
    assert!(!g.limited());
}

/// Whether every waiting state reaches an outcome, from the components: the
/// answer the sweeps must give.
fn reach_by_components(g: &Graph) -> bool {
    let comps = g.components();
    (0..g.len())
        .all(|i| g.kinds[i] != Kind::Waiting || comps.reaches_outcome[comps.comp[i] as usize])
}

/// States of several words: the footprints gather their bits across words, and
/// the graph is the same with and without the memo.
#[test]
fn footprints_of_states_of_several_words() {
    for seed in [3, 5, 6] {
        let p = Params::sound(seed, 12).with_int_vars(12, 0, 50);
        let story = test_story(&generate(&p));
        let limits = Limits::states(30_000);
        let best = explore_as(&story, limits, Form::Best);
        let plain = explore_as(&story, limits, Form::NoMemo);
        assert!(best.layout.words() >= 2, "seed {seed}");
        assert!(best.len() > 2_000, "seed {seed}: {} states", best.len());
        assert!(record(&best) == record(&plain), "seed {seed}");
        assert_eq!(best.entered, plain.entered);
        assert_eq!(best.offered, plain.offered);
    }
}

/// The sweeps agree with the components on sound and unsound stories; cut short,
/// they say they have not settled rather than guess.
#[test]
fn sweeps_agree_with_components() {
    let (mut sound, mut unsound, mut cut) = (0, 0, 0);
    for seed in 0..60 {
        let p = if seed % 2 == 0 {
            Params::wild(seed)
        } else {
            Params::sound(seed, 8).with_int_vars(2, 0, 3)
        };
        let text = generate(&p);
        let lowered = crate::lower(&[crate::Source {
            name: "g.scene".into(),
            text,
        }]);
        let Some(story) = lowered.story else { continue };
        let g = Graph::explore(&story, 50_000);
        if g.limited() {
            continue;
        }
        let truth = reach_by_components(&g);
        assert_eq!(g.all_reach_outcome(usize::MAX), Some(truth), "seed {seed}");
        if truth {
            sound += 1;
        } else {
            unsound += 1;
        }
        match g.all_reach_outcome(1) {
            None => cut += 1,
            Some(v) => assert_eq!(v, truth, "seed {seed}, one sweep"),
        }
    }
    assert!(
        sound > 10 && unsound > 5 && cut > 0,
        "{sound} {unsound} {cut}"
    );
}

/// On small stories whose footprints take the flat form and the gathered one, every
/// variant of the search finds the same graph.
#[test]
fn the_variants_agree_on_small_stories() {
    use super::footprint::tests::STORY;
    use super::memo::tests::SCATTERED;
    for text in [STORY, SCATTERED] {
        let story = test_story(text);
        let best = explore_as(&story, Limits::default(), Form::Best);
        assert!(best.len() > 3, "{} states: {text}", best.len());
        for form in FORMS {
            let g = explore_as(&story, Limits::default(), form);
            assert!(same_search(&best, &g), "{form:?}");
        }
    }
}

/// The read trie holds what the shapes' wide choices read on each path: on small
/// six-dial and once-only-hub stories, every variant finds the same graph, and the
/// trie's paths are reused (debug builds check each reuse against a fresh run).
#[test]
fn the_shapes_agree_across_variants() {
    use threshold_testgen::{once_only_hub, six_dials_with};
    for text in [six_dials_with(3, 6), once_only_hub(7)] {
        let story = test_story(&text);
        let plain = explore_as(&story, Limits::default(), Form::NoMemo);
        assert!(plain.state_count > 100, "{}", plain.state_count);
        for form in FORMS {
            let g = explore_as(&story, Limits::default(), form);
            assert!(same_search(&plain, &g), "{form:?}");
        }
    }
}
