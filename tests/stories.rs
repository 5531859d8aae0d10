//! The shipped doorway stories: each is sound, teaches on every choice and outcome, and
//! its key paths end where they should with the hidden variables moving the right way.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use threshold_compiler::{check, CheckOptions, Source};
use threshold_runtime::ir::{Rating, Story};
use threshold_runtime::{Runner, Stop};

fn story_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("stories")
        .join(name)
}

fn sources(dir: &Path) -> Vec<Source> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "scene") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| Source {
            name: p.display().to_string(),
            text: std::fs::read_to_string(&p).unwrap(),
        })
        .collect()
}

fn compile(name: &str) -> Story {
    let lowered = threshold_compiler::lower(&sources(&story_dir(name)));
    assert!(
        lowered.diagnostics.iter().all(|d| !d.is_error()),
        "{name}: {:?}",
        lowered.diagnostics
    );
    lowered.story.expect("the story compiles")
}

/// Variable values by name, at each step: the start, then after each choice.
struct Played {
    steps: Vec<HashMap<String, i64>>,
    outcome: Option<(String, Rating)>,
}

impl Played {
    fn first(&self, var: &str) -> i64 {
        self.steps[0][var]
    }
    fn after(&self, step: usize, var: &str) -> i64 {
        self.steps[step][var]
    }
    fn last(&self, var: &str) -> i64 {
        self.steps.last().unwrap()[var]
    }
    fn ended(&self, id: &str, rating: Rating) {
        assert_eq!(
            self.outcome.as_ref().map(|(i, r)| (i.as_str(), *r)),
            Some((id, rating))
        );
    }
}

/// Plays choices by their number among those offered, as `--choices` does.
fn play(story: &Story, choices: &[usize]) -> Played {
    let mut runner = Runner::new(story);
    let values = |s: &threshold_runtime::State| -> HashMap<String, i64> {
        story
            .variables
            .iter()
            .zip(&s.vars)
            .map(|(v, &x)| (v.name.clone(), x))
            .collect()
    };
    let (mut state, mut stop) = runner.start(&mut ());
    let mut steps = vec![values(&state)];
    let mut offered = Vec::new();
    for &n in choices {
        assert_eq!(stop, Stop::Choice, "play stopped before choice {n}");
        runner.available(&state, &mut offered);
        assert!(
            n >= 1 && n <= offered.len(),
            "choice {n} of {} offered",
            offered.len()
        );
        stop = runner.choose(&mut state, offered[n - 1], &mut ());
        steps.push(values(&state));
    }
    let node = &story.nodes[state.node as usize];
    let outcome = (stop == Stop::Outcome).then(|| (node.id.clone(), node.rating().unwrap()));
    Played { steps, outcome }
}

const STORIES: [&str; 4] = [
    "doorway-phone-number",
    "doorknob-disclosure",
    "doorway-gift",
    "doorway-over-time",
];

#[test]
fn every_story_is_sound_and_teaches() {
    for name in STORIES {
        let checked = check(
            &sources(&story_dir(name)),
            CheckOptions {
                teaching: true,
                ..CheckOptions::default()
            },
        );
        assert!(
            checked.diagnostics.is_empty(),
            "{name}: {:#?}",
            checked.diagnostics
        );
        let story = checked.lowered.story.unwrap();
        let scenes = story.nodes.iter().filter(|n| !n.is_outcome()).count();
        let min = if name == "doorway-phone-number" {
            12
        } else {
            8
        };
        assert!(scenes >= min, "{name} has {scenes} scenes");
        for rating in [Rating::Good, Rating::Mixed, Rating::Bad] {
            let n = story
                .nodes
                .iter()
                .filter(|n| n.rating() == Some(rating))
                .count();
            let want = if name == "doorway-phone-number" { 2 } else { 1 };
            assert!(n >= want, "{name}: {n} {rating:?} outcomes");
        }
    }
}

#[test]
fn phone_number_weak_moves_cost_frame_and_trust() {
    let s = compile("doorway-phone-number");
    // The policy defence lowers frame and trust.
    let p = play(&s, &[1]);
    assert!(p.after(1, "frame") < p.first("frame"));
    assert!(p.after(1, "trust") < p.first("trust"));
    // Over-justification raises the pull to rescue and weakens the frame.
    let p = play(&s, &[2]);
    assert!(p.after(1, "pull") > p.first("pull"));
    assert!(p.after(1, "frame") < p.first("frame"));
    // The weak alternative feels like being brushed off.
    let p = play(&s, &[3]);
    assert!(p.after(1, "trust") < p.first("trust"));
    // The partial cave-in ends in months of late-night texts.
    let p = play(&s, &[4, 1]);
    p.ended("texts_at_night", Rating::Bad);
    assert_eq!(p.last("frame"), 0);
    assert!(p.last("pull") > p.first("pull"));
    assert_eq!(p.last("given"), 1);
    // Handing the number over makes the clinician the crisis service.
    let p = play(&s, &[5, 1]);
    p.ended("lifeline", Rating::Bad);
    assert_eq!(p.last("given"), 2);
    assert!(p.last("pull") > p.first("pull"));
}

#[test]
fn phone_number_effective_move_holds_and_rehearses() {
    let s = compile("doorway-phone-number");
    let p = play(&s, &[6, 1, 1, 1]);
    p.ended("held_and_used", Rating::Good);
    assert_eq!(p.last("rehearsed"), 1);
    assert_eq!(p.last("carried"), 1);
    assert!(p.last("frame") > p.first("frame"));
    assert!(p.last("trust") > p.first("trust"));
    assert!(p.last("pull") <= p.first("pull"));
}

#[test]
fn phone_number_repair_after_a_weak_start_costs_something() {
    let s = compile("doorway-phone-number");
    let best = play(&s, &[6, 1, 1, 1]);
    for start in [1, 2, 3] {
        let p = play(&s, &[start, 3, 1, 1, 1]);
        p.ended("discount_worked", Rating::Good);
        assert!(
            p.last("trust") < best.last("trust"),
            "repair from move {start}"
        );
    }
}

#[test]
fn phone_number_request_comes_back_and_has_exits() {
    let s = compile("doorway-phone-number");
    let p = play(&s, &[1, 1, 1, 1, 1]);
    p.ended("stalemate", Rating::Mixed);
    assert_eq!(p.last("asks"), 3);
    play(&s, &[1, 1, 2]).ended("pattern_named", Rating::Good);
    play(&s, &[1, 1, 3]).ended("reopened", Rating::Bad);
}

#[test]
fn phone_number_acute_risk_needs_escalation_not_the_script() {
    let s = compile("doorway-phone-number");
    let p = play(&s, &[3, 1, 2, 1]);
    p.ended("escalated", Rating::Good);
    assert_eq!(p.last("acute"), 1);
    let p = play(&s, &[3, 1, 1]);
    p.ended("script_over_risk", Rating::Bad);
    assert!(p.last("trust") < p.first("trust"));
}

#[test]
fn doorknob_disclosure_paths() {
    let s = compile("doorknob-disclosure");
    let p = play(&s, &[3, 1, 1, 1, 1, 2, 1, 1]);
    p.ended("safe_tonight", Rating::Good);
    assert_eq!(p.last("plan_made"), 1);
    assert_eq!(p.last("means_safe"), 1);
    play(&s, &[1, 1]).ended("deferred", Rating::Bad);
    let p = play(&s, &[4]);
    p.ended("overreach", Rating::Mixed);
    assert!(p.last("trust") < p.first("trust"));
}

#[test]
fn doorway_gift_paths() {
    let s = compile("doorway-gift");
    let p = play(&s, &[1, 1, 1, 2, 1, 1]);
    p.ended("gift_understood", Rating::Good);
    assert_eq!(p.last("explored"), 1);
    assert_eq!(p.last("consulted"), 1);
    let p = play(&s, &[2, 2]);
    p.ended("shamed", Rating::Bad);
    assert!(p.last("trust") < p.first("trust"));
    let p = play(&s, &[1, 1, 1, 1]);
    p.ended("in_her_debt", Rating::Bad);
    assert_eq!(p.last("owed"), 1);
}

#[test]
fn doorway_over_time_paths() {
    let s = compile("doorway-over-time");
    let p = play(&s, &[3, 1, 1, 1]);
    p.ended("door_understood", Rating::Good);
    assert_eq!(p.last("checked"), 1);
    assert_eq!(p.last("held"), 1);
    let p = play(&s, &[1, 2, 1, 1]);
    p.ended("door_ritual", Rating::Bad);
    assert!(p.last("pattern") > p.first("pattern"));
    assert!(p.last("frame") < p.first("frame"));
    play(&s, &[4, 1, 2]).ended("rule_given", Rating::Mixed);
}
