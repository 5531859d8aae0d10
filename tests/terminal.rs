//! Terminal safety, writer by writer: escape sequences, bells, C1 controls and
//! bidirectional overrides from a story, a test file or a file name never reach the
//! terminal, a transcript, DOT or Mermaid raw (they are shown as `\u{…}`), and every
//! JSON writer escapes the same characters and reads back the text unchanged.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{s, scratch, stderr, stdout, threshold, with_input};
use serde_json::Value;

const HOSTILE: &str = "tests/fixtures/terminal/hostile.scene";
const BROKEN: &str = "tests/fixtures/terminal/broken.scene";
const RLO: char = '\u{202e}';

/// What must never be written raw: the project's one rule (C0 controls but newline and
/// tab, DEL, C1 controls, bidirectional embeddings, overrides, isolates and marks,
/// U+2028 and U+2029), tested on its own in `graph_export`.
use threshold_compiler::graph_export::is_unsafe;

fn assert_safe(what: &str, text: &str) {
    if let Some((i, c)) = text.char_indices().find(|&(_, c)| is_unsafe(c)) {
        panic!("{what}: {c:?} at byte {i}:\n{}", text.escape_debug());
    }
}

/// Both streams are safe; standard output is returned.
fn safe_output(what: &str, o: &Output) -> String {
    let out = stdout(o);
    assert_safe(&format!("{what} (stdout)"), &out);
    assert_safe(&format!("{what} (stderr)"), &stderr(o));
    out
}

/// A copy of the hostile story under a file name with an escape sequence, a bell and a
/// right-to-left override in it.
fn hostile_name(dir: &Path) -> PathBuf {
    let p = dir.join("evil\u{1b}]0;owned\u{7}\u{202e}\u{9b}2J.scene");
    std::fs::copy(HOSTILE, &p).expect("copy the story");
    p
}

/// Every string in a JSON value.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// The JSON text has no unsafe character raw, and its strings keep the story's text.
fn assert_json_keeps_text(what: &str, raw: &str, wanted: &str) {
    assert_safe(what, raw);
    let mut found = Vec::new();
    for line in raw.lines().filter(|l| l.starts_with('{')) {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|_| {
            serde_json::from_str(raw).expect("one JSON document or one a line")
        });
        strings(&v, &mut found);
    }
    if found.is_empty() {
        strings(&serde_json::from_str(raw).expect("JSON"), &mut found);
    }
    assert!(
        found.iter().any(|s| s.contains(wanted)),
        "{what}: no string holds {wanted:?}"
    );
}

// ---------------------------------------------------------------- check

#[test]
fn check_shows_a_hostile_source_and_file_name_visibly() {
    let out = safe_output("check", &threshold(&["check", HOSTILE]));
    assert!(out.contains("unreachable-line"), "{out}");
    // The source line in the report: each unsafe byte becomes `?`, offsets kept.
    assert!(out.contains("Never runs?[2J????."), "{out}");

    let dir = scratch("check-name");
    let p = hostile_name(&dir);
    let out = safe_output("check, a hostile file name", &threshold(&["check", s(&p)]));
    assert!(
        out.contains(r"evil\u{1b}]0;owned\u{7}\u{202e}\u{9b}2J.scene"),
        "{out}"
    );

    let o = threshold(&["check", BROKEN]);
    assert_eq!(o.status.code(), Some(1));
    let out = safe_output("check, errors", &o);
    assert!(out.contains(r"found `\u{202e}`"), "{out}");
}

#[test]
fn check_json_escapes_what_it_quotes() {
    let o = threshold(&["check", "--format", "json", BROKEN]);
    assert_json_keeps_text(
        "check --format json",
        &stdout(&o),
        &format!("found `{RLO}`"),
    );
    assert_safe("check --format json (stderr)", &stderr(&o));
    let dir = scratch("check-json-name");
    let p = hostile_name(&dir);
    let o = threshold(&["check", "--format", "json", s(&p)]);
    assert_json_keeps_text(
        "check --format json, a hostile name",
        &stdout(&o),
        "evil\u{1b}]0;",
    );
}

// ---------------------------------------------------------------- compile and graph

#[test]
fn compile_escapes_del_c1_controls_and_overrides_in_its_json() {
    let o = threshold(&["compile", HOSTILE]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let raw = stdout(&o);
    assert!(raw.contains(r"\u007f") && raw.contains(r"\u009b") && raw.contains(r"\u202e"));
    assert_json_keeps_text("compile", &raw, "Hostile\u{1b}]0;owned\u{7} title\u{202e}");
    assert_json_keeps_text("compile", &raw, "and \u{202e}reversed\u{7f}.");

    let dir = scratch("compile-o");
    let file = dir.join("story.json");
    let o = threshold(&["compile", HOSTILE, "-o", s(&file)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let written = std::fs::read_to_string(&file).unwrap();
    assert_json_keeps_text("compile -o", &written, "Choice\u{85} two\u{7}");
}

#[test]
fn graph_labels_show_controls_visibly_in_dot_and_mermaid() {
    let dot = safe_output("graph dot", &threshold(&["graph", HOSTILE]));
    assert!(
        dot.contains(r"Hostile\\u{1b}]0;owned\\u{7} title\\u{202e}"),
        "{dot}"
    );
    assert!(dot.contains(r"Done\\u{1b}[H\\u{202e}"), "{dot}");
    let mermaid = safe_output(
        "graph mermaid",
        &threshold(&["graph", "--format", "mermaid", HOSTILE]),
    );
    assert!(
        mermaid.starts_with(r"%% Hostile\u{1b}]0;owned\u{7} title\u{202e}"),
        "{mermaid}"
    );
    assert!(mermaid.contains(r"Choice\u#123;85#125; two"), "{mermaid}");
}

// ---------------------------------------------------------------- play

#[test]
fn the_console_player_and_its_debrief_show_controls_visibly() {
    let dir = scratch("play");
    let t = dir.join("t.md");
    let o = with_input(
        &[
            "play",
            "--coach",
            "--reveal",
            "--reflect",
            "--no-pager",
            "--transcript",
            s(&t),
            HOSTILE,
        ],
        "\n1\nwhy\u{1b}[2J not\u{202e}\n",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = safe_output("play", &o);
    for shown in [
        r"Narration \u{1b}[31mred\u{1b}[0m, a bell\u{7}, C1\u{9b}31m and",
        r"reversed\u{7f}.",
        r"Al\u{1b}[31mex\u{202e}:",
        r"Note\u{1b}[?1049h",
        r"why\u{1b}[2J not\u{202e}",
        r"Done\u{1b}[H\u{202e}",
        r"Debrief\u{1b}c note\u{202e}",
    ] {
        assert!(out.contains(shown), "{shown} not in:\n{out}");
    }

    let md = std::fs::read_to_string(&t).unwrap();
    assert_safe("transcript", &md);
    assert!(md.contains(r"Done\\u{1b}\[H\\u{202e}"), "{md}");
    assert!(md.contains(r"why\\u{1b}\[2J not\\u{202e}"), "{md}");
}

#[test]
fn play_json_escapes_the_same_characters_as_compile() {
    let o = threshold(&["play", "--json", "--choices", "2", HOSTILE]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let raw = stdout(&o);
    assert_json_keeps_text(
        "play --json",
        &raw,
        "C1\u{9b}31m and \u{202e}reversed\u{7f}.",
    );
    assert!(raw.contains(r"\u007f") && raw.contains(r"\u202e"));
}

#[test]
fn static_errors_shown_by_play_compile_and_graph_are_safe() {
    for cmd in ["play", "compile", "graph"] {
        let o = threshold(&[cmd, BROKEN]);
        assert_eq!(o.status.code(), Some(1), "{cmd}");
        safe_output(cmd, &o);
        assert!(
            stderr(&o).contains(r"found `\u{202e}`"),
            "{cmd}: {}",
            stderr(&o)
        );
    }
}

// ---------------------------------------------------------------- story tests

#[test]
fn story_test_failures_show_controls_visibly() {
    let o = threshold(&["test", HOSTILE]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = safe_output("test", &o);
    for shown in [
        r"FAIL  Not offered\u{1b}[2J\u{7}\u{202e}",
        r#"expected the choice "No such\u{1b}[2J choice\u{202e}" to be offered"#,
        r"1. Choice\u{1b}[2K one\u{202e}",
        r"2. Choice\u{85} two\u{7}",
        r"FAIL  After a choice\u{9b}2J",
    ] {
        assert!(out.contains(shown), "{shown} not in:\n{out}");
    }
}

// ---------------------------------------------------------------- paths in messages

#[test]
fn messages_that_echo_a_path_show_it_visibly() {
    let dir = scratch("paths");
    let missing = dir.join("gone\u{1b}]0;owned\u{7}\u{202e}.scene");
    for cmd in ["check", "compile", "graph", "play", "analyze", "test"] {
        let o = threshold(&[cmd, s(&missing)]);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {}", stderr(&o));
        safe_output(cmd, &o);
        assert!(
            stderr(&o).contains(r"gone\u{1b}]0;owned\u{7}\u{202e}.scene"),
            "{cmd}: {}",
            stderr(&o)
        );
    }
    // What clap refuses is quoted back safely too.
    let o = threshold(&["check", "--format", "\u{1b}[2J\u{202e}", HOSTILE]);
    assert_eq!(o.status.code(), Some(2));
    safe_output("a refused option", &o);
}

// ---------------------------------------------------------------- analyze

#[test]
fn analyze_shows_controls_visibly() {
    let o = threshold(&["analyze", HOSTILE]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = safe_output("analyze", &o);
    assert!(out.contains(r"Choice\u{1b}[2K one\u{202e}"), "{out}");
}

#[test]
fn analyze_json_escapes_the_same_characters_as_compile() {
    let o = threshold(&["analyze", "--format", "json", HOSTILE]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_json_keeps_text("analyze --format json", &stdout(&o), "Done\u{1b}[H\u{202e}");
}
