//! The version-2 player end to end: the debrief's first screen with the moves by rating,
//! the pager and `--no-pager`, the other doors with each move's rating, note and
//! recommended outcome, undo kept in the record, `--assess`, the confirmed restart, and
//! `analyze`'s surface strategies and recommended path.

mod common;

use std::process::{Command, Stdio};

use common::{command, json, s, scratch, stderr, stdout, threshold, with_input};
use serde_json::{json, Value};

const RATED: &str = "tests/fixtures/play/rated.scene";

/// The debrief: from its heading rule to the end.
fn debrief(out: &str) -> &str {
    let at = out
        .find("── Debrief")
        .unwrap_or_else(|| panic!("no debrief in:\n{out}"));
    &out[at..]
}

// ---------------------------------------------------------------- the first screen

#[test]
fn the_first_screen_shows_the_outcome_its_note_and_the_moves_by_rating() {
    // The policy defence (mixed), the repair, the plan, writing it down.
    let o = with_input(&["play", "--choices", "2,2,1,1", RATED], "");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let d = debrief(&out);
    let first: Vec<&str> = d.lines().take(24).collect();
    let screen = first.join("\n");
    assert!(first.iter().all(|l| l.chars().count() <= 80), "{screen}");
    assert_eq!(first[1], "Outcome: Held and heard (good)");
    assert_eq!(first[2], "  ! The frame held and the worry was heard.");
    assert!(
        screen.contains("Your moves: 3 good, 1 mixed, 0 bad"),
        "{screen}"
    );
    assert!(
        screen.contains(
            "The recommended path reaches Held and heard (good) in 3 choices, all rated\n  good."
        ),
        "{screen}"
    );
    // The details come after the summary.
    let summary_end = d.find("Your moves").unwrap();
    assert!(d.find("Your path").unwrap() > summary_end);
    assert!(d.contains("   1. [mixed] That's against policy, I'm afraid."));
}

#[test]
fn moves_on_the_outcome_event_match_the_debrief() {
    let o = with_input(&["play", "--json", "--choices", "1,2", RATED], "");
    let last: Value = serde_json::from_str(stdout(&o).lines().last().unwrap()).unwrap();
    assert_eq!(
        last["moves"],
        json!({"good": 0, "mixed": 0, "bad": 2, "unrated": 0})
    );
    let o = with_input(&["play", "--choices", "1,2", RATED], "");
    assert!(stdout(&o).contains("Your moves: 0 good, 0 mixed, 2 bad"));
}

#[test]
fn without_a_terminal_or_with_no_pager_everything_is_printed() {
    // A pager that would mark what it shows: not used when the output is a pipe.
    for extra in [&[][..], &["--no-pager"][..]] {
        let mut args = vec!["play", "--choices", "3,1,1"];
        args.extend_from_slice(extra);
        args.push(RATED);
        let o = command()
            .args(&args)
            .env("PAGER", "sed 's/^/PAGED: /'")
            .env("LINES", "10")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let out = stdout(&o);
        assert!(!out.contains("PAGED"), "{out}");
        assert!(out.contains("The recommended path\n"), "{out}");
        assert!(out.contains("You took the recommended path."));
    }
}

/// Runs `threshold ARGS` in a pseudo-terminal (through `script`), `None` when `script`
/// is not available.
fn in_terminal(args: &str, pager: &str) -> Option<String> {
    let bin = env!("CARGO_BIN_EXE_threshold");
    let o = Command::new("script")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("COLUMNS", "80")
        .env("LINES", "24")
        .env("NO_COLOR", "1")
        .env("PAGER", pager)
        .args(["-qec", &format!("{bin} {args}"), "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).replace('\r', ""))
}

#[test]
fn on_a_terminal_a_long_debrief_goes_through_the_pager_unless_no_pager() {
    let pager = "sed 's/^/PAGED: /'";
    let Some(out) = in_terminal(&format!("play --choices 2,2,1,1 {RATED}"), pager) else {
        eprintln!("skipped: `script` is not available");
        return;
    };
    // The pager got the whole debrief, summary first; the summary stays on screen.
    assert!(
        out.contains("PAGED: Outcome: Held and heard (good)"),
        "{out}"
    );
    assert!(out.contains("PAGED: Where the other doors led"), "{out}");
    assert!(
        out.contains("The full debrief was shown in a pager"),
        "{out}"
    );
    let after = out.rsplit_once("PAGED:").unwrap().1;
    assert!(
        after.contains("Your moves: 3 good, 1 mixed, 0 bad"),
        "{out}"
    );

    let out = in_terminal(&format!("play --no-pager --choices 2,2,1,1 {RATED}"), pager).unwrap();
    assert!(!out.contains("PAGED"), "{out}");
    assert!(out.contains("Where the other doors led"));

    // A pager that cannot run: everything is printed.
    let out = in_terminal(
        &format!("play --choices 2,2,1,1 {RATED}"),
        "no-such-pager-here",
    )
    .unwrap();
    assert!(out.contains("Where the other doors led"), "{out}");
}

// ---------------------------------------------------------------- the other doors

#[test]
fn other_doors_show_the_move_rating_its_note_and_the_recommended_outcome() {
    let o = with_input(&["play", "--choices", "2,1", RATED], "");
    let out = stdout(&o);
    let d = debrief(&out);
    assert!(d.starts_with("── Debrief"));
    assert!(d.contains("Outcome: Refused (mixed)"));
    // Handing over the number: rated bad first, with its note as it would have run,
    // and only then what is still reachable, by the recommended path.
    assert!(
        d.contains(
            "    not taken 1. [bad] Here, take my mobile number.\n\
             \x20                ! bad: Handing over a personal number blurs the frame it is\n\
             \x20                  meant to protect.\n\
             \x20                → good: Held and heard, by 1 more choice (not rated good)\n"
        ),
        "{d}"
    );
    assert!(d.contains(
        "    not taken 3. [good] It sounds like the gaps between sessions feel long\n\
         \x20                right now.\n\
         \x20                ! good: Naming the worry opens the real conversation.\n\
         \x20                → good: Held and heard, by 2 more choices\n"
    ));
    // At the policy point, the door taken ended at once; the repair leads on.
    assert!(d.contains(
        "    you took  1. [bad] Leave it there.\n                 → mixed: Refused, at once\n"
    ));
    assert!(d.contains(
        "    not taken 2. [good] Rules aside, what worries you about the gap?\n\
         \x20                ! good: A repair: back to the worry.\n\
         \x20                → good: Held and heard, by 2 more choices\n"
    ));
    // The recommended path, never the shortest through poor moves (1,1 is shorter).
    let rec = d.split_once("The recommended path\n").unwrap().1;
    assert!(rec.contains(
        "   1. [good] It sounds like the gaps between sessions feel long right now.\n\
         \x20  2. [good] Let's make a plan"
    ));
    assert!(rec.contains(
        "→ Held and heard (good) in 3 choices, all rated good. Replay it with\n        --choices 3,1,1"
    ));
    assert!(!d.contains("Fewest choices"));
}

#[test]
fn a_door_with_no_good_outcome_ahead_says_the_best_rating() {
    // After the number, "Great, see you next week." ends bad at once; the repair is
    // mixed but still reaches good.
    let o = with_input(&["play", "--choices", "1,1", RATED], "");
    let d = stdout(&o);
    let d = debrief(&d);
    assert!(d.contains(
        "    not taken 2. [bad] Great, see you next week.\n\
         \x20                ! bad: The blurred frame goes unspoken.\n\
         \x20                → bad: A blurred frame, at once\n"
    ));
    assert!(d.contains("Your moves: 0 good, 1 mixed, 1 bad"));
}

// ---------------------------------------------------------------- undo and restart

#[test]
fn an_undone_choice_stays_in_the_transcript_and_the_debrief_with_its_reflection() {
    let dir = scratch("undo");
    let t = dir.join("t.md");
    let save = dir.join("s.json");
    let o = with_input(
        &[
            "play",
            "--reflect",
            "--transcript",
            s(&t),
            "--save",
            s(&save),
            RATED,
        ],
        "1\nThey sounded scared.\nu\n3\n\n1\nA plan helps.\n1\n\n",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let d = debrief(&out);
    assert!(d.contains("You changed your mind once."), "{d}");
    assert!(
        d.contains(
            "Your path\n      ↶ changed your mind: [bad] “Here, take my mobile number.”\n\
             \x20       Your reflection then: They sounded scared.\n\
             \x20  1. [good] It sounds like the gaps"
        ),
        "{d}"
    );
    let md = std::fs::read_to_string(&t).unwrap();
    assert!(md.contains("- Mode: practice\n"), "{md}");
    assert!(md.contains(
        "*Changed your mind:* took “Here, take my mobile number.” (bad), then took it back.\n\n\
         *Reflection then:* They sounded scared.\n"
    ));
    assert!(
        md.contains("- *Changed your mind:* \\[bad\\] “Here, take my mobile number.”")
            || md.contains("- *Changed your mind:* [bad] “Here, take my mobile number.”"),
        "{md}"
    );
    assert!(md.contains("**Moves:** 3 good, 0 mixed, 0 bad"));
    // The save keeps the undone choice's rating and reflection for a resumed record.
    let saved: Value = serde_json::from_slice(&std::fs::read(&save).unwrap()).unwrap();
    assert_eq!(
        saved["taken_back"],
        json!([{"at": 0, "restart": false, "choices": ["Here, take my mobile number."],
                "ratings": ["bad"], "reflections": ["They sounded scared."]}])
    );
    assert!(saved.get("assess").is_none());
}

#[test]
fn restart_asks_first_and_keeps_the_record() {
    // `r`, then Enter: nothing happens; `r`, then `y`: back to the start.
    let o = with_input(&["play", RATED], "2\nr\n\nr\ny\n3\n1\n1\n");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(
        out.matches("Restart from the beginning? Your choices so far stay in the record. [y/N]")
            .count(),
        2
    );
    assert!(out.contains("Carrying on from here."));
    assert_eq!(
        out.matches("↺ Starting again from the beginning.").count(),
        1
    );
    let d = debrief(&out);
    assert!(
        d.contains("      ↶ restarted, taking back: [mixed] “That's against policy, I'm afraid.”")
    );
    // Nothing to restart at the very beginning: no question asked.
    let o = with_input(&["play", RATED], "r\n3\n1\n1\n");
    let out = stdout(&o);
    assert!(out.contains("Nothing to restart: you are at the beginning."));
    assert!(!out.contains("[y/N]"));
}

#[test]
fn assess_turns_undo_and_restart_off_and_says_so() {
    let dir = scratch("assess");
    let t = dir.join("t.md");
    let save = dir.join("s.json");
    let o = with_input(
        &[
            "play",
            "--assess",
            "--transcript",
            s(&t),
            "--save",
            s(&save),
            RATED,
        ],
        "1\nu\nr\n?\nq\n",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("Undo is off in this assessment: your first answer is the one that counts.")
    );
    assert!(out.contains("Restart is off in this assessment"));
    assert!(out.contains("This is an assessment: undo and restart are off"));
    assert!(!out.contains("Took back") && !out.contains("[y/N]"));
    assert!(
        out.contains("--resume") && out.contains("--assess"),
        "{out}"
    );
    let md = std::fs::read_to_string(&t).unwrap();
    assert!(md.contains("- Mode: assess (undo and restart off: the first attempt counts)"));
    // Resumed without --assess, it is still an assessment.
    let saved: Value = serde_json::from_slice(&std::fs::read(&save).unwrap()).unwrap();
    assert_eq!(saved["assess"], true);
    let o = with_input(&["play", "--resume", s(&save), RATED], "u\n1\n");
    let out = stdout(&o);
    assert!(out.contains("Undo is off in this assessment"), "{out}");
    assert!(out.contains("Your moves: 0 good, 1 mixed, 1 bad"), "{out}");
    // Coaching and assessing do not mix.
    let o = with_input(&["play", "--assess", "--coach", RATED], "");
    assert_eq!(o.status.code(), Some(2));
}

// ---------------------------------------------------------------- analyze

#[test]
fn analyze_reports_each_surface_strategy_and_the_recommended_path() {
    let o = threshold(&["analyze", "--format", "json", RATED]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc = json(&o);
    // Keys the report had before are kept.
    for k in ["states", "outcomes", "choices", "ratings"] {
        assert!(doc.get(k).is_some(), "{k}");
    }
    let ends: Vec<(&str, &str, Option<&str>, Vec<u64>)> = doc["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["strategy"].as_str().unwrap(),
                p["ends"].as_str().unwrap(),
                p["outcome"].as_str(),
                p["choices"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n.as_u64().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        ends,
        [
            ("longest", "outcome", Some("held"), vec![3, 1, 1]),
            ("shortest", "outcome", Some("blurred"), vec![1, 2]),
            ("first", "outcome", Some("held"), vec![1, 1]),
            ("last", "outcome", Some("refused"), vec![3, 2]),
        ]
    );
    assert_eq!(doc["strategies"][0]["rating"], "good");
    let rec = &doc["recommended"];
    assert_eq!(rec["outcome"], "held");
    assert_eq!(rec["choices"], json!([3, 1, 1]));
    assert_eq!(rec["moves_not_good"], 0);
    assert_eq!(
        rec["path"][0],
        json!({"number": 3, "text": "It sounds like the gaps between sessions feel long right now.", "rating": "good"})
    );
    // The numbers replay it, to the outcome named.
    let o = with_input(&["play", "--json", "--choices", "3,1,1", RATED], "");
    let last: Value = serde_json::from_str(stdout(&o).lines().last().unwrap()).unwrap();
    assert_eq!(last["id"], "held");

    let text = stdout(&threshold(&["analyze", RATED]));
    assert!(text.contains("  longest   ends good at `held` after 3 choices (--choices 3,1,1)"));
    assert!(text.contains("  last      ends mixed at `refused` after 2 choices (--choices 3,2)"));
    assert!(text.contains("  held (good): --choices 3,1,1; 3 choices, 0 not rated good"));
}

#[test]
fn analyze_says_when_no_good_outcome_is_reachable() {
    let dir = scratch("nogood");
    let f = dir.join("s.scene");
    std::fs::write(
        &f,
        "title: T\nscene a\n* Go round.\n  ! bad: No.\n  -> b\n* Stop.\n  ! mixed: Hm.\n  -> m\n\
         scene b\n+ Again.\n  ! bad: Still no.\n  -> b\n* Out.\n  ! mixed: Fine.\n  -> m\n\
         outcome m mixed \"M\"\n! Done.\n",
    )
    .unwrap();
    let doc = json(&threshold(&["analyze", "--format", "json", s(&f)]));
    assert_eq!(doc["recommended"], Value::Null);
    assert_eq!(doc["strategies"][0]["strategy"], "longest");
    let text = stdout(&threshold(&["analyze", s(&f)]));
    assert!(text.contains("No good outcome can be reached from the start."));
}
