//! Version 2 end to end: every `check-failed`, `gameable` and `dead-end` path that
//! `check` prints replays with `play --choices` to the node it names, and the move
//! counts of `play --json` follow the rated notes.

mod common;

use common::{code_and_line, diagnostics, json, threshold};
use serde_json::Value;

const STORIES: [&str; 2] = [
    "tests/fixtures/teaching/number.scene",
    "tests/corpus/fail/v2-checks.scene",
];

/// Plays `choices` and returns the node play ended or waits at.
fn replay(story: &str, choices: &[u64]) -> String {
    let list: Vec<String> = choices.iter().map(u64::to_string).collect();
    let list = list.join(",");
    let mut args = vec!["play", "--json"];
    if !list.is_empty() {
        args.extend(["--choices", list.as_str()]);
    }
    args.push(story);
    let o = threshold(&args);
    let events: Vec<Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let last = events.last().expect("some event");
    match last["event"].as_str().unwrap() {
        "outcome" => last["id"].as_str().unwrap().to_string(),
        "stuck" | "paused" => last["node"].as_str().unwrap().to_string(),
        other => panic!("{story}: play ended with {other}"),
    }
}

#[test]
fn printed_paths_replay_to_the_node_named() {
    let mut replayed = 0;
    for story in STORIES {
        let o = threshold(&["check", "--teaching", "--format", "json", story]);
        let doc = json(&o);
        for d in diagnostics(&doc) {
            let code = d["code"].as_str().unwrap();
            if !["check-failed", "gameable", "dead-end", "no-outcome"].contains(&code) {
                continue;
            }
            let Some(node) = d.get("node") else {
                assert!(d.get("path").is_none(), "{d}");
                continue;
            };
            let choices: Vec<u64> = d["choices"]
                .as_array()
                .expect("a path carries its numbers")
                .iter()
                .map(|c| c.as_u64().unwrap())
                .collect();
            assert_eq!(choices.len(), d["path"].as_array().unwrap().len(), "{d}");
            assert_eq!(
                replay(story, &choices),
                node.as_str().unwrap(),
                "{story}: {d}"
            );
            replayed += 1;
        }
    }
    assert!(replayed >= 6, "only {replayed} paths replayed");
}

#[test]
fn the_fixture_breaks_exactly_where_it_should() {
    let o = threshold(&["check", "--teaching", "--format", "json", STORIES[0]]);
    assert_eq!(o.status.code(), Some(1));
    let doc = json(&o);
    let story = &doc["stories"][0];
    let found: Vec<(String, u64, Value)> = diagnostics(&doc)
        .iter()
        .map(|d| {
            let (code, line) = code_and_line(d);
            (code, line, d.get("choices").cloned().unwrap_or(Value::Null))
        })
        .collect();
    // Every surface strategy wins here, in strategy order: longest, shortest, first,
    // last. The `whenever` check breaks at the good outcome reached after the plan: a
    // state where risk was heard and the plan is behind.
    let want: Vec<(String, u64, Value)> = vec![
        ("gameable".into(), 2, serde_json::json!([3, 1])),
        ("gameable".into(), 2, serde_json::json!([2, 1])),
        ("gameable".into(), 2, serde_json::json!([1, 1])),
        ("gameable".into(), 2, serde_json::json!([3, 1])),
        ("check-failed".into(), 8, serde_json::json!([2, 1])),
        ("check-failed".into(), 9, serde_json::json!([1, 1])),
    ];
    assert_eq!(found, want);
    assert_eq!(
        story["stats"]["checks"],
        serde_json::json!({"total": 3, "hold": 1})
    );
    // The nearest breaking state's values are in the message.
    let msg = story["diagnostics"][4]["message"].as_str().unwrap();
    assert!(
        msg.contains("given = true, trust = 2, risk = false"),
        "{msg}"
    );
    assert!(
        msg.contains("\"Handing it over is never rewarded\""),
        "{msg}"
    );
}

#[test]
fn moves_are_counted_by_rating() {
    let o = threshold(&["play", "--json", "--choices", "1,1", STORIES[0]]);
    let text = String::from_utf8_lossy(&o.stdout);
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["id"], "held");
    assert_eq!(
        last["moves"],
        serde_json::json!({"good": 2, "mixed": 0, "bad": 0, "unrated": 0})
    );
    // A rating that depends on the state: the same goodbye is mixed or bad.
    let o = threshold(&["play", "--json", "--choices", "1,2,1", STORIES[0]]);
    let text = String::from_utf8_lossy(&o.stdout);
    let notes: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["event"] == "note")
        .collect();
    let ratings: Vec<&Value> = notes.iter().map(|n| &n["rating"]).collect();
    assert_eq!(
        ratings,
        [
            &serde_json::json!("good"),
            &serde_json::json!("bad"),
            &serde_json::json!("bad"),
            &Value::Null
        ]
    );
}
