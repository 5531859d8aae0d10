//! Every `dead-end` and `no-outcome` the checker reports for the unsound stories under
//! `tests/fixtures/unsound/` is replayed in the runtime, choosing by rendered text: it
//! must reach the state it names, and its path must be the shortest one with the
//! smallest choice numbers, as a brute-force search over runtime states finds it.

mod common;

use std::path::{Path, PathBuf};

use common::{assert_agrees, check_text, replay, Model};
use threshold_compiler::{Code, DEFAULT_MAX_STATES};
use threshold_runtime::Stop;

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixture folder")
        .map(|e| e.expect("fixture entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "scene"))
        .collect();
    out.sort();
    out
}

#[test]
fn every_unsound_fixture_agrees_with_brute_force() {
    let files = fixtures("unsound");
    assert!(files.len() >= 8, "the unsound corpus is missing");
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let checked = check_text(&name, &text, DEFAULT_MAX_STATES);
        let static_errors: Vec<_> = checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error() && !d.code.is_soundness())
            .collect();
        assert!(
            static_errors.is_empty(),
            "{name}: static errors {static_errors:?}"
        );
        let unsound = checked
            .diagnostics
            .iter()
            .filter(|d| matches!(d.code, Code::DeadEnd | Code::NoOutcome))
            .count();
        assert!(
            unsound > 0,
            "{name}: an unsound fixture must be reported unsound"
        );
        let story = checked.lowered.story.as_ref().unwrap();
        let model = Model::build(story, 1_000_000);
        assert_agrees(&name, &checked, &model);
    }
}

/// The corpus covers each kind of trap at least once.
#[test]
fn the_corpus_covers_each_kind_of_trap() {
    let mut divert_loops = 0;
    let mut state_loops = 0;
    let mut dead_ends = 0;
    let mut start_loops = 0;
    for path in fixtures("unsound") {
        let text = std::fs::read_to_string(&path).unwrap();
        let checked = check_text("f", &text, DEFAULT_MAX_STATES);
        let story = checked.lowered.story.as_ref().unwrap();
        for d in &checked.diagnostics {
            let p = d.path.clone().unwrap_or_default();
            match d.code {
                Code::DeadEnd => dead_ends += 1,
                Code::NoOutcome => match replay(story, &p).1 {
                    Stop::DivertLoop { .. } if p.is_empty() => start_loops += 1,
                    Stop::DivertLoop { .. } => divert_loops += 1,
                    _ => state_loops += 1,
                },
                _ => {}
            }
        }
    }
    assert!(dead_ends >= 4, "dead ends: {dead_ends}");
    assert!(state_loops >= 3, "closed loops of states: {state_loops}");
    assert!(divert_loops >= 2, "divert loops: {divert_loops}");
    assert!(start_loops >= 1, "divert loops at the start: {start_loops}");
}

/// The shipped stories are sound, and the brute force finds as many states.
#[test]
fn shipped_stories_agree_with_brute_force() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../stories");
    let Ok(entries) = std::fs::read_dir(&root) else {
        return;
    };
    for entry in entries {
        let dir = entry.unwrap().path();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "scene"))
            .collect();
        files.sort();
        if files.is_empty() {
            continue;
        }
        let sources: Vec<_> = files
            .iter()
            .map(|f| threshold_compiler::Source {
                name: f.display().to_string(),
                text: std::fs::read_to_string(f).unwrap(),
            })
            .collect();
        let checked = threshold_compiler::check(&sources, Default::default());
        let Some(story) = checked.lowered.story.as_ref() else {
            continue;
        };
        let model = Model::build(story, 1_000_000);
        assert_agrees(&dir.display().to_string(), &checked, &model);
    }
}

/// A scene with more choices than fit in a byte: the graph keeps their indices exactly.
#[test]
fn a_scene_with_hundreds_of_choices_agrees_with_brute_force() {
    let mut text = String::from("title: Many\nshown n = 0 in 0..3\nscene hub\n");
    for k in 0..300 {
        match k % 3 {
            0 => text.push_str(&format!("+ {{n < 3}} Step {k}.\n  ~ n += 1\n  -> hub\n")),
            1 => text.push_str(&format!("+ {{n == 3}} Stay {k}.\n  -> hub\n")),
            _ => text.push_str(&format!("+ {{n == 0}} Leave {k}.\n  -> done\n")),
        }
    }
    text.push_str("* Once, late in the list.\n  -> hub\n");
    text.push_str("* {n == 3} The last way out.\n  -> trap\n");
    text.push_str("scene trap\n+ Wait.\n  -> trap\noutcome done good \"Done\"\nDone.\n");
    let checked = check_text("many", &text, 100_000);
    let story = checked.lowered.story.as_ref().expect("compiles");
    let model = Model::build(story, 100_000);
    assert_agrees("many", &checked, &model);
    let loops = common::reported(&checked, Code::NoOutcome);
    assert_eq!(loops.keys().collect::<Vec<_>>(), ["trap"]);
}
