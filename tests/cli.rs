//! The `threshold` command as users meet it: exit codes, JSON documents, and the
//! rendered diagnostics (snapshots that show the source and the report together).

use std::path::Path;

use serde_json::Value;

mod common;

use common::{json, stderr, stdout, threshold};

const PASS: &str = "tests/corpus/pass/door-minimal.scene";
const FAIL: &str = "tests/corpus/fail/dead-end.scene";
const WARN: &str = "tests/corpus/pass/narration-forms.scene";

#[test]
fn a_sound_story_exits_0() {
    let o = threshold(&["check", PASS]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).starts_with("ok: "), "{}", stdout(&o));
}

#[test]
fn a_story_with_errors_exits_1() {
    let o = threshold(&["check", FAIL]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("FAILED: "));
}

#[test]
fn warnings_pass_unless_denied() {
    let o = threshold(&["check", "--format", "json", WARN]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(json(&o)["stories"][0]["ok"], true);
    let o = threshold(&["check", "--deny-warnings", "--format", "json", WARN]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(json(&o)["stories"][0]["ok"], false);
}

#[test]
fn a_missing_path_exits_2_with_a_clear_message() {
    let o = threshold(&["check", "tests/corpus/no-such-story.scene"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("no-such-story.scene"), "{err}");
    assert!(err.contains("no such file or folder"), "{err}");
}

#[test]
fn a_file_that_is_not_utf8_exits_2() {
    let dir = std::env::temp_dir().join(format!("threshold-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("latin1.scene");
    std::fs::write(&bad, b"title: Caf\xe9\nscene a\n-> a\n").unwrap();
    let o = threshold(&["check", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not UTF-8"), "{}", stderr(&o));
    assert!(stderr(&o).contains("line 1"), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_empty_folder_exits_2() {
    let dir = std::env::temp_dir().join(format!("threshold-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let o = threshold(&["check", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no `.scene` files"), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn several_stories_exit_with_the_highest_code() {
    let o = threshold(&["check", "--format", "json", PASS, FAIL, "missing.scene"]);
    assert_eq!(o.status.code(), Some(2));
    let doc = json(&o);
    let stories = doc["stories"].as_array().unwrap();
    assert_eq!(stories.len(), 3);
    assert_eq!(stories[0]["ok"], true);
    assert_eq!(stories[1]["ok"], false);
    assert_eq!(stories[2]["ok"], false);
    let o = threshold(&["check", PASS, FAIL]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn json_has_the_contract_shape() {
    let o = threshold(&["check", "--format", "json", FAIL]);
    let doc = json(&o);
    let story = &doc["stories"][0];
    assert_eq!(story["story"], FAIL);
    assert_eq!(story["ok"], false);
    let keys: Vec<&str> = story
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["story", "ok", "diagnostics", "stats"]);
    let d = &story["diagnostics"][0];
    let keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "code", "severity", "message", "file", "line", "column", "node", "path", "choices",
            "help"
        ]
    );
    assert_eq!(d["code"], "dead-end");
    assert_eq!(d["file"], FAIL);
    assert_eq!(d["path"], serde_json::json!(["Walk them out."]));
    // The same path as the numbers `play --choices` takes.
    assert_eq!(d["choices"], serde_json::json!([1]));
    assert!(d["help"]
        .as_str()
        .unwrap()
        .starts_with("make sure some choice"));
    let stats = &story["stats"];
    assert_eq!(stats["nodes"], 6);
    assert_eq!(stats["choices"], 5);
    assert!(stats["states"].as_u64().unwrap() > 0);
    // Static diagnostics carry neither node nor path.
    let o = threshold(&["check", "--format", "json", "tests/corpus/fail/types.scene"]);
    for d in json(&o)["stories"][0]["diagnostics"].as_array().unwrap() {
        assert!(d.get("node").is_none() && d.get("path").is_none());
    }
}

#[test]
fn diagnostics_are_sorted_by_file_line_column_code() {
    let o = threshold(&[
        "check",
        "--format",
        "json",
        "tests/corpus/fail/syntax.scene",
    ]);
    let doc = json(&o);
    let keys: Vec<(u64, u64, String)> = doc["stories"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
                d["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn folder_stories_report_each_file() {
    let dir = std::env::temp_dir().join(format!("threshold-folder-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(
        dir.join("a.scene"),
        "title: Two files\nscene a\n* Go.\n  -> b\n",
    )
    .unwrap();
    std::fs::write(dir.join("sub/b.scene"), "scene b\n-> nowhere\n").unwrap();
    let o = threshold(&["check", "--format", "json", dir.to_str().unwrap()]);
    let doc = json(&o);
    let d = &doc["stories"][0]["diagnostics"][0];
    assert_eq!(d["code"], "unknown-target");
    assert!(d["file"].as_str().unwrap().ends_with("sub/b.scene"), "{d}");
    assert_eq!(d["line"], 2);
    assert_eq!(d["column"], 4);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn compile_writes_the_versioned_ir() {
    let dir = std::env::temp_dir().join(format!("threshold-compile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("story.json");
    let o = threshold(&["compile", PASS, "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let ir: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(ir["format"], 2);
    assert_eq!(ir["title"], "Two ways out");
    assert_eq!(ir["nodes"].as_array().unwrap().len(), 3);
    let o = threshold(&["compile", FAIL.replace("dead-end", "types").as_str()]);
    assert_eq!(o.status.code(), Some(1));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_output_carries_no_terminal_control_sequences() {
    let dir = std::env::temp_dir().join(format!("threshold-esc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let story = dir.join("esc.scene");
    std::fs::write(
        &story,
        "title: Esc\nscene a\n\u{1b}[31mred\u{1b}[0m {nope}\n* \u{9b}2JGo\n  -> a\n",
    )
    .unwrap();
    for format in ["human", "json"] {
        let o = threshold(&["check", "--format", format, story.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1));
        let out = stdout(&o);
        assert!(out.contains("nope"), "{out}");
        assert!(
            !out.chars().any(|c| c == '\u{1b}' || c == '\u{9b}'),
            "{format}: {out:?}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The source and its rendered report, side by side in one snapshot.
fn source_and_report(story: &str) -> String {
    let source =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(story)).unwrap();
    let numbered: String = source
        .lines()
        .enumerate()
        .map(|(i, l)| format!("{:>3} | {l}\n", i + 1))
        .collect();
    let o = threshold(&["check", story]);
    format!("{numbered}\n{}", stdout(&o))
}

#[test]
fn rendered_static_diagnostics() {
    for name in [
        "types",
        "unknown-names",
        "misplaced",
        "syntax",
        "duplicates",
        "warnings",
    ] {
        let story = format!("tests/corpus/fail/{name}.scene");
        insta::assert_snapshot!(format!("static_{name}"), source_and_report(&story));
    }
}

#[test]
fn rendered_soundness_diagnostics() {
    for name in ["dead-end", "divert-loop", "once-only-exhausted"] {
        let story = format!("tests/corpus/fail/{name}.scene");
        insta::assert_snapshot!(format!("soundness_{name}"), source_and_report(&story));
    }
}

const MANY: &str = "tests/fixtures/tools/many-states.scene";

/// Checks `MANY` with `flags`, expecting one `state-limit` error and nothing else;
/// returns its message and the states explored.
fn state_limit(flags: &[&str]) -> (String, Value) {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(flags);
    args.push(MANY);
    let o = threshold(&args);
    assert_eq!(o.status.code(), Some(1));
    let story = &json(&o)["stories"][0];
    let diags = story["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], "state-limit");
    assert_eq!(diags[0]["line"], 6);
    let message = diags[0]["message"].as_str().unwrap().to_string();
    (message, story["stats"]["states"].clone())
}

#[test]
fn the_state_limit_stops_exploration_and_claims_nothing() {
    let (message, states) = state_limit(&["--max-states", "1000"]);
    assert!(message.contains("more than 1000 states"), "{message}");
    assert_eq!(states, 1000);
}

#[test]
fn the_memory_budget_stops_exploration_too() {
    // 1 MiB affords at most 1 MiB / (8 + 40) bytes = 21,845 states of one word; with
    // the edges, the index and the tables the search really holds, fewer.
    let (message, states) = state_limit(&["--max-memory", "1"]);
    let states = states.as_u64().unwrap();
    assert!(message.contains("memory budget of 1 MiB"), "{message}");
    assert!(
        message.contains(&format!("after {states} states")),
        "{message}"
    );
    assert!((10_000..21_845).contains(&states), "{states}");
    let o = threshold(&["check", "--max-memory", "1", MANY]);
    assert!(stdout(&o).contains("`--max-memory`"), "{}", stdout(&o));
    // With room enough, the same story is proved: 2^16 ways to stand at the door,
    // and as many to leave.
    let o = threshold(&["check", "--format", "json", MANY]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(json(&o)["stories"][0]["stats"]["states"], 2 * 65536);
}

#[test]
fn a_memory_budget_of_nothing_is_a_usage_error() {
    let o = threshold(&["check", "--max-memory", "0", MANY]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--max-memory"), "{}", stderr(&o));
}
