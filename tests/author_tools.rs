//! The author tools as users meet them: `threshold analyze`, `threshold graph`,
//! `threshold test`, and the teaching lints of `threshold check --teaching`, on small
//! stories under `tests/fixtures/tools/` whose answers are worked out by hand.

use serde_json::Value;

mod common;

use common::{code_and_line, diagnostics, json, stderr, stdout, threshold};

const SIXTHS: &str = "tests/fixtures/tools/sixths.scene";
const GIFT: &str = "tests/fixtures/tools/gift.scene";
const TRY_AGAIN: &str = "tests/fixtures/tools/try-again.scene";
const MANY: &str = "tests/fixtures/tools/many-states.scene";

fn outcome<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["outcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .find(|o| o["id"] == id)
        .unwrap_or_else(|| panic!("no outcome {id}"))
}

// ---------------------------------------------------------------------------
// analyze

#[test]
fn analyze_gives_exact_probabilities_of_one_half_one_third_one_sixth() {
    let o = threshold(&["analyze", "--format", "json", SIXTHS]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc = json(&o);
    assert_eq!(doc["exact"], true);
    assert_eq!(outcome(&doc, "half")["probability"]["exact"], "1/2");
    assert_eq!(outcome(&doc, "third")["probability"]["exact"], "1/3");
    assert_eq!(outcome(&doc, "sixth")["probability"]["exact"], "1/6");
    let p = outcome(&doc, "sixth")["probability"]["value"]
        .as_f64()
        .unwrap();
    assert!((p - 1.0 / 6.0).abs() < 1e-15);
    assert_eq!(doc["ratings"]["good"]["exact"], "1/2");
    assert_eq!(doc["stuck"]["total"]["exact"], "0");
    // One choice half the time, two otherwise.
    assert_eq!(doc["expected_choices"]["exact"], "3/2");
    assert_eq!(outcome(&doc, "third")["expected_choices"]["exact"], "2");
}

#[test]
fn analyze_gives_the_fewest_choices_with_the_path() {
    let doc = json(&threshold(&["analyze", "--format", "json", SIXTHS]));
    let sixth = outcome(&doc, "sixth");
    assert_eq!(sixth["fewest_choices"], 2);
    let path: Vec<(u64, &str)> = sixth["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["number"].as_u64().unwrap(), s["text"].as_str().unwrap()))
        .collect();
    assert_eq!(path, [(2, "Change the subject."), (3, "Walk away.")]);
    // The numbers replay the path.
    let o = threshold(&["play", "--json", "--choices", "2,3", SIXTHS]);
    let last = stdout(&o).lines().last().unwrap().to_string();
    let event: Value = serde_json::from_str(&last).unwrap();
    assert_eq!(
        (event["event"].as_str(), event["id"].as_str()),
        (Some("outcome"), Some("sixth"))
    );
}

#[test]
fn analyze_gives_hidden_variable_ranges_at_each_outcome() {
    let doc = json(&threshold(&["analyze", "--format", "json", SIXTHS]));
    assert_eq!(
        doc["hidden"],
        serde_json::json!(["trust"]),
        "shown variables are left out"
    );
    assert_eq!(
        outcome(&doc, "half")["hidden"]["trust"],
        serde_json::json!({"min": 7, "max": 7})
    );
    assert_eq!(
        outcome(&doc, "third")["hidden"]["trust"],
        serde_json::json!({"min": 4, "max": 6})
    );
    let gift = json(&threshold(&["analyze", "--format", "json", GIFT]));
    assert_eq!(
        outcome(&gift, "taken")["hidden"]["thanked"],
        serde_json::json!({"min": true, "max": true})
    );
    assert_eq!(outcome(&gift, "lost")["hidden"], Value::Null);
    assert_eq!(outcome(&gift, "lost")["reachable"], false);
    assert_eq!(outcome(&gift, "lost")["probability"]["exact"], "0");
}

#[test]
fn analyze_says_which_ratings_remain_after_each_choice() {
    let doc = json(&threshold(&["analyze", "--format", "json", SIXTHS]));
    let choices = doc["choices"].as_array().unwrap();
    let find = |node: &str, index: u64| {
        choices
            .iter()
            .find(|c| c["node"] == node && c["index"] == index)
            .unwrap_or_else(|| panic!("no choice {node} {index}"))
    };
    assert_eq!(find("a", 1)["reachable"], serde_json::json!(["good"]));
    assert_eq!(
        find("a", 2)["reachable"],
        serde_json::json!(["mixed", "bad"])
    );
    assert_eq!(find("b", 3)["reachable"], serde_json::json!(["bad"]));
    assert_eq!(find("b", 3)["line"], 27);
    let gift = json(&threshold(&["analyze", "--format", "json", GIFT]));
    let never = gift["choices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["text"] == "Accept it [warmly].")
        .unwrap();
    assert_eq!(never["offered_in"], 0);
    assert_eq!(never["reachable"], serde_json::json!([]));
}

#[test]
fn analyze_solves_a_loop_in_closed_form() {
    // tries reaches 2 with probability 1/4; from there "Finish" and "Give up" are
    // equally likely to end it first: 1/8. Expected visits 1 + 1/2 + 1/4 + 1/8.
    let doc = json(&threshold(&["analyze", "--format", "json", TRY_AGAIN]));
    assert_eq!(outcome(&doc, "done")["probability"]["exact"], "1/8");
    assert_eq!(outcome(&doc, "quit")["probability"]["exact"], "7/8");
    assert_eq!(doc["expected_choices"]["exact"], "15/8");
    assert_eq!(outcome(&doc, "done")["expected_choices"]["exact"], "7/2");
    assert_eq!(
        outcome(&doc, "done")["hidden"]["tries"],
        serde_json::json!({"min": 2, "max": 3})
    );
    // Play circles in "Talking it over" with probability 1/2 each round: 2 choices on
    // average, 3 for the plays that end declined.
    let gift = json(&threshold(&["analyze", "--format", "json", GIFT]));
    assert_eq!(gift["expected_choices"]["exact"], "2");
    assert_eq!(outcome(&gift, "declined")["expected_choices"]["exact"], "3");
}

#[test]
fn analyze_prints_aligned_tables() {
    let o = threshold(&["analyze", SIXTHS]);
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!("analyze_sixths", stdout(&o));
    insta::assert_snapshot!("analyze_gift", stdout(&threshold(&["analyze", GIFT])));
}

#[test]
fn analyze_exit_codes() {
    let o = threshold(&["analyze", "tests/fixtures/tools/no-such.scene"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no such file or folder"),
        "{}",
        stderr(&o)
    );
    let o = threshold(&["analyze", "--max-states", "3", TRY_AGAIN]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("more than 3 states"), "{}", stderr(&o));
    let o = threshold(&["analyze", "--max-memory", "1", MANY]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("memory budget of 1 MiB") && stderr(&o).contains("`--max-memory`"),
        "{}",
        stderr(&o)
    );
    let o = threshold(&["analyze", "tests/fixtures/tools/malformed/bad.test"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a file that is not a scene has errors"
    );
}

// ---------------------------------------------------------------------------
// graph

#[test]
fn graph_dot_colours_outcomes_and_marks_what_no_play_reaches() {
    let o = threshold(&["graph", GIFT]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let dot = stdout(&o);
    let line = |needle: &str| {
        dot.lines()
            .find(|l| l.trim_start().starts_with(needle))
            .unwrap_or_else(|| panic!("no line starting {needle} in\n{dot}"))
            .to_string()
    };
    assert!(line("\"declined\" [").contains("#c8e6c9"), "good is green");
    assert!(line("\"taken\" [").contains("#ffe0b2"), "mixed is amber");
    let lost = line("\"lost\" [");
    assert!(
        lost.contains("dashed") && lost.contains("never reached"),
        "{lost}"
    );
    let never = line("\"door\" -> \"taken\"");
    assert!(
        never.contains("style=dashed") && never.contains("{trust > 7}"),
        "{never}"
    );
    assert!(line("\"door\" -> \"later\"").contains(r#"Say \"thank you\" and take it."#));
    assert!(line("\"later\" -> \"taken\"").contains("if thanked"));
    assert!(line("\"later\" -> \"declined\"").contains("else"));
    insta::assert_snapshot!("graph_gift_dot", dot);
}

#[test]
fn graph_mermaid_quotes_and_escapes_every_label() {
    let o = threshold(&["graph", "--format", "mermaid", GIFT]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.lines().nth(1) == Some("flowchart TD"));
    for line in text.lines().filter(|l| l.contains('"')) {
        // Exactly one quoted label per line, with nothing inside that could end it.
        assert_eq!(line.matches('"').count(), 2, "{line}");
        let inside = line.split('"').nth(1).unwrap();
        assert!(
            !inside
                .replace("<br/>", "")
                .contains(['[', ']', '{', '}', '|', '<', '>']),
            "{line}"
        );
    }
    assert!(text.contains("Say #quot;thank you#quot; and take it."));
    assert!(text.contains(
        "n0 -.->|\"Accept it #91;warmly#93;.<br/>#123;trust #gt; 7#125;<br/>never offered\"| n3"
    ));
    assert!(text.contains("n5([\"Never happens<br/>bad · lost<br/>never reached\"]):::unreached"));
    insta::assert_snapshot!("graph_gift_mermaid", text);
}

#[test]
fn graph_refuses_a_story_with_errors() {
    let o = threshold(&["graph", "tests/fixtures/tools/malformed/bad.test"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
}

// ---------------------------------------------------------------------------
// test

#[test]
fn story_tests_pass_beside_a_single_file_story() {
    let o = threshold(&["test", SIXTHS]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).ends_with("tests: 3 passed, 0 failed\n"),
        "{}",
        stdout(&o)
    );
    // The same file, named directly.
    let o = threshold(&["test", "tests/fixtures/tools/sixths.test"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("(story: tests/fixtures/tools/sixths.scene)"));
}

#[test]
fn story_tests_report_each_failure_with_its_line() {
    let o = threshold(&["test", "tests/fixtures/tools/failing"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.ends_with("tests: 1 passed, 10 failed\n"), "{out}");
    assert!(out.contains("failing.test:14: expect outcome held\n"));
    assert!(out.contains("but play ended at the outcome `caved` (bad)"));
    assert!(out.contains("expected trust >= 5\n        but trust is 4"));
    assert!(out.contains("(did you mean \"Name the fear.\"? the text must match exactly)"));
    insta::assert_snapshot!("test_failing", out);
}

#[test]
fn story_tests_with_mistakes_exit_2_and_run_nothing() {
    let o = threshold(&["test", "tests/fixtures/tools/malformed"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    for line in [1, 4, 5, 6] {
        assert!(
            err.contains(&format!("bad.test:{line}: ")),
            "line {line} in {err}"
        );
    }
    let o = threshold(&["test", "tests/fixtures/tools/names"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("names.test:3: the story has no outcome `fine` (did you mean `fin`?)"),
        "{err}"
    );
    assert!(
        err.contains("names.test:4: the story has no variable `trusst` (did you mean `trust`?)")
    );
    assert!(err.contains("names.test:5: `trust` is a number"));
}

#[test]
fn story_tests_across_several_stories() {
    let o = threshold(&["test", SIXTHS, GIFT, "tests/fixtures/tools/failing"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("tests/fixtures/tools/gift.scene: no tests\n"),
        "{out}"
    );
    assert!(out.ends_with("tests: 4 passed, 10 failed\n"), "{out}");
    let o = threshold(&["test", GIFT]);
    assert_eq!(o.status.code(), Some(0), "a story without tests passes");
    // A test file named by itself, with no scene of its name beside it, runs against
    // its folder.
    let o = threshold(&["test", "tests/fixtures/tools/failing/failing.test"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).starts_with(
        "tests/fixtures/tools/failing/failing.test (story: tests/fixtures/tools/failing)\n"
    ));
    let o = threshold(&["test", "tests/fixtures/tools/nowhere"]);
    assert_eq!(o.status.code(), Some(2));
}

// ---------------------------------------------------------------------------
// check --teaching

#[test]
fn teaching_lints_find_choices_without_feedback_and_outcomes_without_debrief() {
    let story = "tests/fixtures/tools/teaching.scene";
    let o = threshold(&["check", "--teaching", "--format", "json", story]);
    assert_eq!(o.status.code(), Some(0), "teaching lints are warnings");
    let doc = json(&o);
    let found: Vec<(String, u64)> = diagnostics(&doc).iter().map(code_and_line).collect();
    assert_eq!(
        found,
        [
            ("gameable".to_string(), 2),
            ("gameable".to_string(), 2),
            ("missing-feedback".to_string(), 7),
            ("missing-debrief".to_string(), 11)
        ]
    );
    // The surface strategies that win, in strategy order: the shortest text, the first.
    let messages: Vec<&str> = diagnostics(&doc)
        .iter()
        .take(2)
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(messages[0].contains("shortest"), "{messages:?}");
    assert!(messages[1].contains("first"), "{messages:?}");
    let o = threshold(&["check", "--teaching", "--deny-warnings", story]);
    assert_eq!(o.status.code(), Some(1));
    // Without the flag, the same story is clean.
    let o = threshold(&["check", "--deny-warnings", story]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // A story with feedback under every choice and a debrief in every outcome has no
    // `missing-*` warnings.
    let o = threshold(&["check", "--teaching", "--format", "json", SIXTHS]);
    let doc = json(&o);
    let codes: Vec<&str> = diagnostics(&doc)
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(
        !codes.iter().any(|c| c.starts_with("missing-")),
        "{codes:?}"
    );
}

#[test]
fn graph_past_the_memory_budget_warns_and_marks_nothing() {
    let o = threshold(&["graph", "--max-memory", "1", MANY]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("memory budget of 1 MiB; the map marks nothing as unreachable"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).starts_with("digraph"), "{}", stdout(&o));
}
