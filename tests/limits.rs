//! Every bound ends in a coded error, never a crash, a hang or unbounded memory: the
//! full 64-bit range, divert chains at the divert limit, and `analyze`'s own bounds
//! (issue #15, "Crashes and unbounded work").

mod common;

use std::process::Output;
use std::time::{Duration, Instant};

use common::{code, diagnostics, json, with_input};
use serde_json::Value;

const DIR: &str = "tests/fixtures/limits";

/// Runs `threshold ARGS` with `input` on standard input: what it printed, and how long
/// it took.
fn run(args: &[&str], input: &str) -> (Output, Duration) {
    let started = Instant::now();
    let out = with_input(args, input);
    (out, started.elapsed())
}

fn fixture(name: &str) -> String {
    format!("{DIR}/{name}")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The last JSON event of `play --json`.
fn last_event(o: &Output) -> Value {
    let out = String::from_utf8_lossy(&o.stdout);
    let line = out.lines().last().expect("some event");
    serde_json::from_str(line).expect("a JSON event")
}

// ---------------------------------------------------------------------------
// The full 64-bit range: 2^64 values used to overflow the packing and panic.

#[test]
fn full_range_checks() {
    let (o, _) = run(&["check", &fixture("full-range.scene")], "");
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(!text(&o).contains("panicked"));
}

#[test]
fn full_range_analyzes() {
    let (o, _) = run(&["analyze", &fixture("full-range.scene")], "");
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("ends good 100%"), "{}", text(&o));
}

#[test]
fn full_range_maps() {
    let (o, _) = run(&["graph", &fixture("full-range.scene")], "");
    assert_eq!(code(&o), 0, "{}", text(&o));
}

#[test]
fn full_range_plays_in_the_console() {
    let (o, _) = run(&["play", &fixture("full-range.scene")], "2\n");
    assert_eq!(code(&o), 0, "{}", text(&o));
    let (o, _) = run(
        &[
            "play",
            "--json",
            "--choices",
            "2",
            &fixture("full-range.scene"),
        ],
        "",
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    let end = last_event(&o);
    assert_eq!(end["event"], "outcome");
    assert_eq!(end["variables"]["t"], -9223372036854775807i64);
}

// ---------------------------------------------------------------------------
// Divert chains: a loop is found at or before the 1,000,000th divert; the
// 1,000,001st divert is the limit.

#[test]
fn a_four_billion_divert_chain_is_a_state_limit_for_check() {
    let path = fixture("divert-counter.scene");
    let (o, took) = run(
        &["check", "--max-states", "10", "--max-memory", "16", &path],
        "",
    );
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("state-limit"), "{}", text(&o));
    assert!(text(&o).contains("1,000,001st divert"), "{}", text(&o));
    assert!(took < Duration::from_secs(60), "took {took:?}");
    let (o, _) = run(&["check", "--format", "json", &path], "");
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let d = &v["stories"][0]["diagnostics"];
    assert_eq!(d.as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(d[0]["code"], "state-limit");
    // At the start scene's header, with no node or path.
    assert_eq!(d[0]["line"], 7);
    assert!(
        d[0].get("node").is_none() && d[0].get("path").is_none(),
        "{v}"
    );
}

#[test]
fn a_four_billion_divert_chain_is_a_divert_limit_for_play() {
    let (o, _) = run(&["play", "--json", &fixture("divert-counter.scene")], "");
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert_eq!(
        last_event(&o),
        serde_json::json!({"event": "stuck", "node": "count", "reason": "divert-limit"})
    );
}

#[test]
fn a_four_billion_divert_chain_ends_graph_and_analyze() {
    let path = fixture("divert-counter.scene");
    let (o, _) = run(&["graph", &path], "");
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("1,000,001st divert"), "{}", text(&o));
    let (o, _) = run(&["analyze", &path], "");
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("1,000,001st divert"), "{}", text(&o));
}

/// `play --json` on a fixture: the reason play is stuck, and where.
fn stuck(name: &str) -> (String, String) {
    let (o, _) = run(&["play", "--json", &fixture(name)], "");
    assert_eq!(code(&o), 3, "{name}: {}", text(&o));
    let end = last_event(&o);
    (
        end["reason"].as_str().unwrap_or_default().to_string(),
        end["node"].as_str().unwrap_or_default().to_string(),
    )
}

#[test]
fn a_loop_first_repeated_at_the_millionth_divert_is_a_loop() {
    // 999,999 diverts to `stay`, whose divert to itself repeats at the 1,000,000th.
    assert_eq!(
        stuck("tail-999999.scene"),
        ("divert-loop".into(), "stay".into())
    );
    // A loop of a million configurations comes back to the first at the millionth.
    assert_eq!(
        stuck("cycle-1000000.scene"),
        ("divert-loop".into(), "turn".into())
    );
    let (o, _) = run(
        &["check", "--format", "json", &fixture("tail-999999.scene")],
        "",
    );
    let v = json(&o);
    let codes: Vec<&str> = diagnostics(&v)
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert!(codes.contains(&"no-outcome"), "{v}");
}

#[test]
fn a_loop_first_repeated_past_the_millionth_divert_is_the_limit() {
    assert_eq!(
        stuck("tail-1000000.scene"),
        ("divert-limit".into(), "stay".into())
    );
    assert_eq!(
        stuck("cycle-1000001.scene"),
        ("divert-limit".into(), "turn".into())
    );
}

// ---------------------------------------------------------------------------
// `analyze`: correct figures or none, and the limits the user sets.

#[test]
fn analyze_solves_a_300_state_loop() {
    let (o, _) = run(&["analyze", &fixture("walk-300.scene")], "");
    assert_eq!(code(&o), 0, "{}", text(&o));
    let t = text(&o);
    assert!(!t.contains("NOT CONVERGED"), "{t}");
    assert!(t.contains("ends good 100%"), "{t}");
    // From place 0, held at 0, to place 299: 299 · 300 choices on average.
    assert!(t.contains("makes 89700.00 choices"), "{t}");
    let (o, _) = run(
        &["analyze", "--format", "json", &fixture("walk-300.scene")],
        "",
    );
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["converged"], true);
    let p = v["ratings"]["good"]["value"].as_f64().expect("a figure");
    assert!((p - 1.0).abs() < 1e-9, "{p}");
}

#[test]
fn analyze_over_max_states_stops_with_a_clear_error() {
    let (o, _) = run(
        &["analyze", "--max-states", "50", &fixture("walk-300.scene")],
        "",
    );
    assert_eq!(code(&o), 1, "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("more than 50 states"), "{t}");
    assert!(t.contains("--max-states"), "{t}");
    assert!(o.stdout.is_empty(), "no figures: {t}");
}

#[test]
fn analyze_keeps_to_the_memory_budget() {
    // 300 states fit in 1 MiB; what the analysis needs on top is checked too.
    let (o, _) = run(
        &["analyze", "--max-memory", "1", &fixture("walk-300.scene")],
        "",
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
}
