//! Property tests: over generated stories, the checker's verdict agrees with brute force.
//!
//! - A story the checker passes never gets stuck in random playthroughs.
//! - Every reported dead end and closed loop is reached by replaying its path, and is
//!   exactly what a brute-force search over runtime states finds, path included.
//! - The brute force finds as many states as the checker counts.

mod common;

use common::{assert_agrees, check_text, Model};
use proptest::prelude::*;
use threshold_compiler::{Checked, Code};
use threshold_runtime::ir::Story;
use threshold_runtime::{Runner, Stop};
use threshold_testgen::{generate, Params, Rng};

/// The most states a generated story may have for the comparison to run.
const LIMIT: usize = 20_000;

fn static_errors(checked: &Checked) -> Vec<String> {
    checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error() && !d.code.is_soundness())
        .map(|d| format!("{}: {}", d.code.as_str(), d.message))
        .collect()
}

fn passes(checked: &Checked) -> bool {
    !checked.diagnostics.iter().any(|d| d.is_error())
}

/// Plays `walks` random playthroughs of at most `steps` choices each; returns the
/// first stuck stop met, if any.
fn random_walks(story: &Story, seed: u64, walks: usize, steps: usize) -> Option<Stop> {
    let mut rng = Rng::new(seed);
    let mut runner = Runner::new(story);
    let mut avail = Vec::new();
    for _ in 0..walks {
        let (mut s, mut stop) = runner.start(&mut ());
        for _ in 0..steps {
            match stop {
                Stop::Choice => {}
                Stop::Outcome => break,
                stuck @ (Stop::DeadEnd | Stop::DivertLoop { .. } | Stop::DivertLimit { .. }) => {
                    return Some(stuck)
                }
            }
            runner.available(&s, &mut avail);
            let i = *rng.pick(&avail);
            stop = runner.choose(&mut s, i, &mut ());
        }
        if matches!(stop, Stop::DeadEnd | Stop::DivertLoop { .. }) {
            return Some(stop);
        }
    }
    None
}

fn compare(name: &str, text: &str, seed: u64) -> Result<(), TestCaseError> {
    let checked = check_text(name, text, LIMIT);
    let errors = static_errors(&checked);
    prop_assert!(
        errors.is_empty(),
        "{name}: generated story has static errors {errors:?}\n{text}"
    );
    let limited = checked.graph.as_ref().is_some_and(|g| g.limited());
    if limited {
        prop_assert!(checked
            .diagnostics
            .iter()
            .any(|d| d.code == Code::StateLimit));
        return Ok(());
    }
    let story = checked.lowered.story.as_ref().expect("compiles");
    let model = Model::build(story, LIMIT + 1);
    assert_agrees(name, &checked, &model);
    if passes(&checked) {
        let stuck = random_walks(story, seed, 20, 200);
        prop_assert!(
            stuck.is_none(),
            "{name}: passes the check but got stuck: {stuck:?}\n{text}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Small arbitrary stories: dead ends, closed loops and divert loops abound.
    #[test]
    fn wild_stories_agree_with_brute_force(seed in any::<u64>()) {
        let text = generate(&Params::wild(seed));
        compare(&format!("wild-{seed}"), &text, seed)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Sound stories pass, and agree with brute force on their states.
    #[test]
    fn sound_stories_pass_and_agree(seed in any::<u64>(), scenes in 2usize..8) {
        let mut p = Params::sound(seed, scenes).with_int_vars(2, 0, 2);
        p.bool_vars = 1;
        p.once_only = 15;
        let text = generate(&p);
        let checked = check_text("sound", &text, LIMIT);
        if !checked.graph.as_ref().is_some_and(|g| g.limited()) {
            prop_assert!(passes(&checked), "a sound story fails the check: {:?}\n{text}", checked.diagnostics);
        }
        compare(&format!("sound-{seed}"), &text, seed)?;
    }
}

/// The wild generator really produces each kind of verdict, so the property above
/// covers them all.
#[test]
fn wild_stories_cover_every_verdict() {
    let (mut pass, mut dead, mut loops, mut limited) = (0, 0, 0, 0);
    for seed in 0..300u64 {
        let checked = check_text("wild", &generate(&Params::wild(seed)), LIMIT);
        assert!(static_errors(&checked).is_empty(), "seed {seed}");
        if checked.graph.as_ref().is_some_and(|g| g.limited()) {
            limited += 1;
        } else if passes(&checked) {
            pass += 1;
        }
        dead += usize::from(checked.diagnostics.iter().any(|d| d.code == Code::DeadEnd));
        loops += usize::from(
            checked
                .diagnostics
                .iter()
                .any(|d| d.code == Code::NoOutcome),
        );
    }
    assert!(pass >= 20, "passing: {pass}");
    assert!(dead >= 20, "with dead ends: {dead}");
    assert!(loops >= 20, "with closed loops: {loops}");
    assert!(limited <= 15, "over the limit: {limited}");
}
