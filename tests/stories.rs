//! The shipped doorway stories, every folder under `stories/`: each is sound, passes the
//! teaching lints, states checks that hold, has outcomes of every rating and story tests
//! that pass; across them, the look of a choice carries no signal of its rating.

use std::path::{Path, PathBuf};
use std::process::Command;

use threshold_compiler::explore::Kind;
use threshold_compiler::reach::edge_ratings;
use threshold_compiler::{check, CheckOptions, Graph, Source};
use threshold_runtime::ir::{Rating, Story};
use threshold_runtime::Runner;

fn stories() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("stories");
    let mut out: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, ext, out);
            } else if p.extension().is_some_and(|x| x == ext) {
                out.push(p);
            }
        }
    }
    let mut v = Vec::new();
    walk(dir, ext, &mut v);
    v.sort();
    v
}

fn sources(dir: &Path) -> Vec<Source> {
    files(dir, "scene")
        .into_iter()
        .map(|p| Source {
            name: p.display().to_string(),
            text: std::fs::read_to_string(&p).unwrap(),
        })
        .collect()
}

fn name(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn there_are_six_stories() {
    assert!(stories().len() >= 6, "{:?}", stories());
}

#[test]
fn every_story_is_sound_teaches_and_states_its_checks() {
    for dir in stories() {
        let name = name(&dir);
        let checked = check(
            &sources(&dir),
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
        assert!(checked.stats.checks >= 2, "{name} states too few checks");
        assert_eq!(checked.stats.checks_hold, Some(checked.stats.checks));
        let story = checked.lowered.story.unwrap();
        let scenes = story.nodes.iter().filter(|n| !n.is_outcome()).count();
        assert!(scenes >= 8, "{name} has {scenes} scenes");
        for rating in [Rating::Good, Rating::Mixed, Rating::Bad] {
            assert!(
                story.nodes.iter().any(|n| n.rating() == Some(rating)),
                "{name}: no {rating:?} outcome"
            );
        }
    }
}

#[test]
fn every_story_has_tests_that_pass() {
    for dir in stories() {
        let name = name(&dir);
        assert!(!files(&dir, "test").is_empty(), "{name} has no story tests");
        let o = Command::new(env!("CARGO_BIN_EXE_threshold"))
            .arg("test")
            .arg(&dir)
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(0), "{name}: {out}");
        assert!(out.contains(" passed, 0 failed"), "{name}: {out}");
    }
}

/// Per scene with differently rated choices (at the first state play waits there):
/// whether the longest choice is a best-rated one.
fn longest_is_best(story: &Story) -> Vec<bool> {
    let graph = Graph::explore(story, 1_000_000);
    assert!(!graph.limited());
    let ratings = edge_ratings(story, &graph);
    let runner = Runner::new(story);
    let mut s = runner.initial_state();
    let mut done = vec![false; story.nodes.len()];
    let mut out = Vec::new();
    let mut e = 0;
    for i in 0..graph.len() as u32 {
        let succ: Vec<(u32, u32)> = graph.successors(i).collect();
        let rated = &ratings[e..e + succ.len()];
        e += succ.len();
        let node = graph.node(i) as usize;
        if graph.kinds[i as usize] != Kind::Waiting || std::mem::replace(&mut done[node], true) {
            continue;
        }
        graph.state_into(i, &mut s);
        // A missing rating counts as worst; `Rating` orders good < mixed < bad.
        let rank = |r: Option<Rating>| r.map_or(3, |r| r as u8);
        if rated.iter().all(|r| *r == rated[0]) {
            continue;
        }
        let len = |c: u32| {
            let t = story.render(&story.nodes[node].choices[c as usize].text, &s);
            t.trim().chars().count()
        };
        let longest = (0..succ.len()).fold(0, |b, k| {
            if len(succ[k].1) > len(succ[b].1) {
                k
            } else {
                b
            }
        });
        let best = rated.iter().map(|r| rank(*r)).min().unwrap();
        out.push(rank(rated[longest]) == best);
    }
    out
}

#[test]
fn the_look_of_a_choice_carries_no_signal() {
    let (mut scenes, mut longest_best) = (0, 0);
    for dir in stories() {
        let lowered = threshold_compiler::lower(&sources(&dir));
        let story = lowered.story.expect("the story compiles");
        for node in &story.nodes {
            for c in &node.choices {
                let n = c.text.plain().chars().count();
                assert!(n <= 200, "{}: a choice of {n} characters", name(&dir));
            }
        }
        let v = longest_is_best(&story);
        scenes += v.len();
        longest_best += v.iter().filter(|b| **b).count();
    }
    println!("the longest choice is a best-rated one in {longest_best} of {scenes} scenes");
    assert!(
        scenes >= 30,
        "{scenes} scenes with differently rated choices"
    );
    assert!(
        longest_best * 3 <= scenes,
        "the longest choice is a best-rated one in {longest_best} of {scenes} scenes"
    );
}
