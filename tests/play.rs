//! `threshold play` end to end: the console through standard input, `--choices` and
//! `--json`, undo and restart, saves and resuming, transcripts, Ctrl-C and Ctrl-D, and
//! terminal safety.

mod common;

use std::path::Path;
use std::process::Command;

use common::{code, command, events, s, scratch, stderr, stdout, with_input, Ended, Live};
use serde_json::Value;

const DOOR: &str = "tests/fixtures/play/door.scene";
const STUCK: &str = "tests/fixtures/play/stuck.scene";
const ESCAPES: &str = "tests/fixtures/play/escapes.scene";
const BROKEN: &str = "tests/fixtures/play/broken.scene";

fn kinds(ev: &[Value]) -> Vec<&str> {
    ev.iter().map(|e| e["event"].as_str().unwrap()).collect()
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

/// The console output before the debrief, and the debrief.
fn split_debrief(out: &str) -> (&str, &str) {
    out.split_once("── Debrief")
        .unwrap_or_else(|| panic!("no debrief in:\n{out}"))
}

// ---------------------------------------------------------------- JSON and --choices

#[test]
fn json_events_have_the_contract_shapes() {
    let o = with_input(&["play", "--json", "--choices", "1,2", DOOR], "");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let ev = events(&o);
    assert_eq!(
        kinds(&ev),
        [
            "line", "line", "choices", "chose", "note", "line", "line", "choices", "chose", "note",
            "line", "note", "outcome"
        ]
    );
    assert_eq!(
        ev[0],
        serde_json::json!({"event": "line", "node": "door", "speaker": null, "text": "Sam has a hand on the door handle."})
    );
    assert_eq!(ev[1]["speaker"], "patient");
    assert_eq!(keys(&ev[1]), ["event", "node", "speaker", "text"]);
    assert_eq!(keys(&ev[2]), ["choices", "event", "node"]);
    assert_eq!(ev[2]["choices"].as_array().unwrap().len(), 3);
    assert_eq!(keys(&ev[2]["choices"][0]), ["number", "text"]);
    assert_eq!(
        ev[3],
        serde_json::json!({"event": "chose", "number": 1, "text": "We're out of time, let's start there next week."})
    );
    assert_eq!(keys(&ev[4]), ["event", "rating", "text"]);
    // The fixture's notes are not rated.
    assert_eq!(ev[4]["rating"], serde_json::Value::Null);
    // The guarded repair is offered because trust fell below 5.
    assert_eq!(ev[7]["node"], "hallway");
    assert_eq!(
        ev[7]["choices"][1]["text"],
        "Call Sam back: \"Actually, I can hear it matters.\""
    );
    // The outcome's body (with its note) runs before the outcome event.
    assert_eq!(ev[10]["node"], "agreed");
    assert_eq!(ev[11]["text"], "Trust ended at 5.");
    assert_eq!(
        ev[12],
        serde_json::json!({"event": "outcome", "id": "agreed", "rating": "good", "title": "Held and heard",
                           "variables": {"calm": 3, "trust": 5, "named": true},
                           "moves": {"good": 0, "mixed": 0, "bad": 0, "unrated": 2}})
    );
}

#[test]
fn json_pauses_when_the_choices_run_out() {
    let o = with_input(&["play", "--json", "--choices", "2", DOOR], "3\n");
    assert_eq!(code(&o), 0);
    let ev = events(&o);
    let last = ev.last().unwrap();
    assert_eq!(last["event"], "paused");
    assert_eq!(last["node"], "over_time");
    // Standard input is not read in JSON mode.
    assert_eq!(kinds(&ev).iter().filter(|k| **k == "chose").count(), 1);
}

#[test]
fn a_number_not_offered_exits_2() {
    for mode in [&["--json"][..], &[][..]] {
        let mut args = vec!["play", "--choices", "1,3"];
        args.extend_from_slice(mode);
        args.push(DOOR);
        let o = with_input(&args, "");
        assert_eq!(code(&o), 2, "{args:?}");
        assert!(
            stderr(&o).contains("choice 3 is not offered"),
            "{}",
            stderr(&o)
        );
    }
    let o = with_input(&["play", "--json", "--choices", "0", DOOR], "");
    assert_eq!(code(&o), 2);
}

#[test]
fn stuck_stories_play_and_exit_3() {
    let o = with_input(&["play", "--json", "--choices", "1", STUCK], "");
    assert_eq!(code(&o), 3);
    assert_eq!(
        events(&o).last().unwrap(),
        &serde_json::json!({"event": "stuck", "node": "hallway", "reason": "dead-end"})
    );
    let o = with_input(&["play", "--json", "--choices", "2", STUCK], "");
    assert_eq!(code(&o), 3);
    assert_eq!(
        events(&o).last().unwrap(),
        &serde_json::json!({"event": "stuck", "node": "loop_a", "reason": "divert-loop"})
    );
    let o = with_input(&["play", STUCK], "1\n");
    assert_eq!(code(&o), 3);
    let out = stdout(&o);
    assert!(out.contains("stuck at `hallway` (dead-end)"), "{out}");
    // The debrief still compares the doors: saying goodbye was the way out.
    let (_, debrief) = split_debrief(&out);
    assert!(
        debrief.contains("3. Say goodbye.\n                 → good: Goodbye, at once"),
        "{debrief}"
    );
}

#[test]
fn static_errors_are_shown_and_refused() {
    let o = with_input(&["play", BROKEN], "");
    assert_eq!(code(&o), 1);
    let err = stderr(&o);
    assert!(err.contains("unknown-character"), "{err}");
    assert!(err.contains("unknown-target"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "an escape from the source reached the terminal"
    );
    assert!(stdout(&o).is_empty());
}

#[test]
fn choices_then_the_console() {
    let o = with_input(&["play", "--choices", "2", DOOR], "2\n");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    // No keypress is awaited for the content note when choices are given.
    assert!(!out.contains("Press Enter"));
    assert!(out.contains("» That sounds like a lot."));
    assert!(
        out.contains("Your choice (1-2, ? for help): 2\n» Gently stop and book it for next week.")
    );
    assert!(out.contains("Outcome: Held and heard (good)"));
}

// ---------------------------------------------------------------- the console

#[test]
fn the_console_shows_the_story_and_shown_variables_only() {
    let o = with_input(&["play", DOOR], "\n3\n");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    let (during, debrief) = split_debrief(&out);
    assert!(during.contains("Content note: Mentions a hard week.\nPress Enter to begin"));
    assert!(during.find("Content note").unwrap() < during.find("Sam has a hand").unwrap());
    assert!(
        during.contains("Sam: Before I go, one more thing."),
        "display name, not id"
    );
    assert!(during.contains("   1. We're out of time"));
    assert!(during.contains("[Your calm: 3/5]"));
    assert!(
        !during.contains("Patient trust"),
        "a hidden variable was shown:\n{during}"
    );
    assert!(!during.contains("Feeling named"));
    // Notes wait for the debrief without --coach.
    assert!(!during.contains("Naming the feeling"));
    assert!(debrief.contains("Naming the feeling and holding the time keeps both."));
    assert!(debrief.contains("Patient trust"));
}

#[test]
fn reveal_shows_hidden_variables_and_coach_shows_notes_at_once() {
    let o = with_input(&["play", "--reveal", "--coach", DOOR], "\n1\n");
    let out = stdout(&o);
    let after_choice = out.split_once("» We're out of time").unwrap().1;
    assert!(out.contains("Patient trust (hidden): 5/10"));
    assert!(after_choice.contains("Patient trust (hidden): 3/10"));
    let note = after_choice
        .find("! Deferring can be right")
        .expect("coach note");
    assert!(note < after_choice.find("Sam pauses in the hallway.").unwrap());
}

#[test]
fn a_bad_entry_reprompts_with_a_hint() {
    let o = with_input(&["play", DOOR], "\nmaybe\n7\n?\n3\n");
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(out.contains("maybe\nType a number from 1 to 3 to choose, or ? for help.\n"));
    assert!(out.contains("7\nThere is no choice 7 here. Type a number from 1 to 3"));
    assert!(out.contains("u        undo: take back your last choice"));
    assert_eq!(out.matches("Your choice (1-3, ? for help): ").count(), 4);
}

#[test]
fn undo_takes_back_the_last_choice() {
    let o = with_input(&["play", DOOR], "\nu\n2\nu\n3\n");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("Nothing to undo yet"));
    let after_undo = out
        .split_once("↶ Took back: “That sounds like a lot.")
        .unwrap()
        .1;
    // Back at the door, calm is 3 again (the choice had lowered it to 2).
    assert!(out.contains("[Your calm: 2/5]"));
    let door_again = after_undo.find("Sam: Before I go").unwrap();
    assert!(after_undo[door_again..].contains("[Your calm: 3/5]"));
    let (_, debrief) = split_debrief(&out);
    assert!(debrief.contains("Outcome: Held and heard (good)"));
    let path = debrief
        .split_once("Your path")
        .unwrap()
        .1
        .split_once("How things moved")
        .unwrap()
        .0;
    // The undone choice is off the numbered path but stays in the record.
    assert!(
        path.contains("↶ changed your mind: “That sounds like a lot.")
            && !path.contains(". That sounds like a lot"),
        "{path}"
    );
    assert!(path.contains("It sounds like the week has been heavy."));
    assert!(debrief.contains("Your calm (shown)  ▅▅  3 3"), "{debrief}");
}

#[test]
fn restart_goes_back_to_the_beginning() {
    let o = with_input(&["play", DOOR], "\n1\nr\ny\n3\n");
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(out
        .contains("Restart from the beginning? Your choices so far stay in the record. [y/N] y\n"));
    assert!(out.contains("↺ Starting again from the beginning."));
    assert_eq!(out.matches("Sam has a hand on the door handle.").count(), 2);
    let (_, debrief) = split_debrief(&out);
    assert!(
        debrief.contains("Your path\n      ↶ restarted, taking back: “We're out of time,")
            && debrief.contains("week.”\n   1. It sounds like the week has been heavy."),
        "{debrief}"
    );
    assert!(!debrief.contains("We're out of time, let's start there next week.\n      !"));
}

#[test]
fn the_debrief_compares_the_other_doors() {
    let o = with_input(&["play", DOOR], "\n1\n1\n");
    let out = stdout(&o);
    let (_, d) = split_debrief(&out);
    assert!(d.contains("Outcome: A closed door (bad)"));
    assert!(d.contains("! The feeling was left at the door."));
    assert!(d.contains(
        "1. We're out of time, let's start there next week.\n      ! Deferring can be right"
    ));
    // Trust went 5, 3, 3 on a 0..10 range.
    assert!(d.contains("Patient trust      ▄▃▃  5 3 3"), "{d}");
    assert!(
        d.contains("Feeling named      ▁▁▁  false throughout"),
        "{d}"
    );
    // At the door every choice could still lead to a good outcome; the hallway's
    // goodbye could not.
    assert!(d.contains("Choice 1, at “At the door”:"));
    assert!(d.contains("    you took  1. We're out of time, let's start there next week.\n                 → good: Held and heard, by 1 more choice"));
    // A door not taken shows its feedback as it would have run then.
    assert!(d.contains("                 first thing we talk about next time.\n                 ! Naming the feeling and holding the time keeps both.\n                 → good: Held and heard, at once"));
    assert!(d.contains(
        "Choice 2, at “In the hallway”:\n    you took  1. Say goodbye.\n                 → bad: A closed door, at once"
    ));
    assert!(d.contains("    not taken 2. Call Sam back: \"Actually, I can hear it matters.\"\n                 ! A repair: coming back to the feeling.\n                 → good: Held and heard, at once"));
    assert!(d.contains("The recommended path\n"));
    assert!(d.contains("→ Held and heard (good) in 1 choice. Replay it with --choices 3"));
    assert!(!d.contains("Fewest choices"));
}

#[test]
fn text_wraps_to_the_terminal_width() {
    let o = command()
        .env("COLUMNS", "50")
        .args(["play", "--choices", "3", DOOR])
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(out.contains("It sounds like the week has been heavy."));
    for line in out.lines() {
        assert!(line.chars().count() <= 50, "too wide: {line:?}");
    }
}

// ---------------------------------------------------------------- terminal safety

fn assert_no_controls(what: &str, text: &str) {
    for (i, c) in text.char_indices() {
        let control = (c < ' ' && c != '\n' && c != '\t') || ('\u{7f}'..='\u{9f}').contains(&c);
        assert!(
            !control,
            "{what}: control character {c:?} at byte {i}:\n{text}"
        );
    }
}

#[test]
fn escape_sequences_in_a_story_never_reach_the_output() {
    let dir = scratch("escapes");
    let t = dir.join("t.md");
    let o = with_input(
        &[
            "play",
            "--coach",
            "--reveal",
            "--reflect",
            "--transcript",
            s(&t),
            ESCAPES,
        ],
        "\n1\nwhy\u{1b}[2J not\n",
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    // Each control is shown, not obeyed (`text::clean`).
    assert!(
        out.contains(r"Narration \u{1b}[31mred\u{1b}[0m and C1\u{9b}31m and \u{8}backspace."),
        "{out}"
    );
    assert!(out.contains(r"Outcome: Done\u{1b}[H (good)"));
    assert_no_controls("stdout", &out);
    assert_no_controls("stderr", &stderr(&o));
    let md = std::fs::read_to_string(&t).unwrap();
    assert!(md.contains(r"why\\u{1b}\[2J not"), "{md}");
    assert_no_controls("transcript", &md);

    // JSON keeps the text but writes every control as an escape.
    let o = with_input(&["play", "--json", "--choices", "1", ESCAPES], "");
    let raw = stdout(&o);
    assert_no_controls("json", &raw);
    let ev = events(&o);
    assert_eq!(
        ev[0]["text"],
        "Narration \u{1b}[31mred\u{1b}[0m and C1\u{9b}31m and \u{8}backspace."
    );
}

// ---------------------------------------------------------------- transcripts

#[test]
fn the_transcript_records_the_session() {
    let dir = scratch("transcript");
    let t = dir.join("session.md");
    let o = with_input(
        &["play", "--coach", "--reflect", "--transcript", s(&t), DOOR],
        "\n1\nI was watching the clock.\nu\n3\nIt names the feeling and keeps the time.\n",
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let md = std::fs::read_to_string(&t).unwrap();
    insta::assert_snapshot!(md);
}

// ---------------------------------------------------------------- saves

fn read_save(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).expect("the save exists")).expect("the save is JSON")
}

#[test]
fn save_kill_resume_continues_at_the_same_state() {
    let dir = scratch("kill");
    let save = dir.join("session.json");
    let mut live = Live::start(&["play", "--save", s(&save), DOOR]);
    live.past_note();
    live.send("2\n");
    live.wait_for_times("Your choice", 2);
    live.child.kill().unwrap();
    let _ = live.finish();

    let saved = read_save(&save);
    assert_eq!(saved["choices"], serde_json::json!([2]));
    assert_eq!(saved["story"], DOOR);

    // Resuming replays to the same place as playing the same choices.
    let resumed = with_input(&["play", "--json", "--resume", s(&save), DOOR], "");
    let direct = with_input(&["play", "--json", "--choices", "2", DOOR], "");
    assert_eq!(code(&resumed), 0, "{}", stderr(&resumed));
    let mut a = events(&resumed);
    let b = events(&direct);
    assert_eq!(a.last().unwrap()["save"], s(&save));
    a.last_mut()
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove("save");
    assert_eq!(a, b);

    // On the console it continues from the over-time scene.
    let o = with_input(&["play", "--resume", s(&save), DOOR], "\n1\n");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("Resuming after 1 choice; your last was “That sounds like a lot."));
    assert!(out.contains("Sam: Well, it started on Monday..."));
    let (_, d) = split_debrief(&out);
    assert!(d.contains("Outcome: Running over (mixed)"));
    assert!(d.contains("1. That sounds like a lot."));
    assert!(d.contains("2. Let Sam go on."));
    // The resumed session kept saving to the same file.
    assert_eq!(read_save(&save)["choices"], serde_json::json!([2, 1]));
}

#[test]
fn end_of_input_saves_and_prints_the_resume_command() {
    let dir = scratch("eof");
    let save = dir.join("s.json");
    let o = with_input(&["play", "--coach", "--save", s(&save), DOOR], "\n1\n");
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    let last = out.lines().last().unwrap();
    let cmd = last
        .strip_prefix("Your place is saved. To go on: threshold ")
        .unwrap_or_else(|| panic!("no resume line: {last:?}"));
    assert_eq!(cmd, format!("play {DOOR} --resume {} --coach", s(&save)));
    // The printed command works.
    let args: Vec<&str> = cmd.split(' ').collect();
    let o = with_input(&args, "\n2\n");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("Outcome: Held and heard (good)"));

    // Without --save nothing is kept, and the message says so.
    let o = with_input(&["play", DOOR], "\n");
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("nothing was saved"));
}

#[test]
fn ctrl_c_saves_and_exits_cleanly() {
    let dir = scratch("ctrlc");
    let save = dir.join("s.json");
    let mut live = Live::start(&["play", "--choices", "1", "--save", s(&save), DOOR]);
    live.wait_for("Your choice (1-2");
    let pid = live.child.id().to_string();
    let killed = Command::new("sh")
        .args(["-c", &format!("kill -INT {pid}")])
        .status()
        .unwrap();
    assert!(killed.success());
    let Ended {
        code, stdout: out, ..
    } = live.finish();
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.trim_end().ends_with(&format!(
            "To go on: threshold play {DOOR} --resume {}",
            s(&save)
        )),
        "{out}"
    );
    assert_eq!(read_save(&save)["choices"], serde_json::json!([1]));
}

#[test]
fn reflections_are_saved_and_resumed() {
    let dir = scratch("reflect");
    let save = dir.join("s.json");
    let t = dir.join("t.md");
    let o = with_input(
        &["play", "--reflect", "--save", s(&save), DOOR],
        "\n2\nTo hear it properly.\n",
    );
    assert_eq!(code(&o), 0);
    let saved = read_save(&save);
    assert_eq!(
        saved["reflections"],
        serde_json::json!(["To hear it properly."])
    );
    let o = with_input(
        &["play", "--resume", s(&save), "--transcript", s(&t), DOOR],
        "\n2\n",
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("Your reflection: To hear it properly."));
    let md = std::fs::read_to_string(&t).unwrap();
    assert!(md.contains("*Reflection:* To hear it properly."));
}

/// Resuming `save` against `story` fails with exit 2, leaves the save byte for byte
/// as it was, and says `why`.
fn assert_resume_refused(story: &str, save: &Path, why: &str) {
    let before = std::fs::read(save).unwrap();
    for json in [false, true] {
        let mut args = vec!["play", "--resume", s(save), story];
        if json {
            args.push("--json");
        }
        let o = with_input(&args, "\n1\n");
        assert_eq!(code(&o), 2, "{args:?}: {}", stdout(&o));
        assert!(stderr(&o).contains(why), "{}", stderr(&o));
        assert_no_controls("stderr", &stderr(&o));
        assert!(stdout(&o).is_empty());
        assert_eq!(std::fs::read(save).unwrap(), before, "the save was touched");
    }
}

#[test]
fn resume_is_refused_on_a_changed_or_different_story_or_a_damaged_save() {
    let dir = scratch("refuse");
    let story = dir.join("door.scene");
    std::fs::copy(DOOR, &story).unwrap();
    let save = dir.join("s.json");
    let o = with_input(
        &["play", "--choices", "2", "--save", s(&save), s(&story)],
        "",
    );
    assert_eq!(code(&o), 0);
    assert_eq!(read_save(&save)["choices"], serde_json::json!([2]));

    // The same story read through another path is the same story.
    let o = with_input(&["play", "--json", "--resume", s(&save), DOOR], "");
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    assert_resume_refused(STUCK, &save, "belongs to another story");

    let text = std::fs::read_to_string(&story).unwrap();
    std::fs::write(
        &story,
        text.replace("Sam nods and leaves.", "Sam nods, and leaves."),
    )
    .unwrap();
    assert_resume_refused(s(&story), &save, "has changed since this save was made");
    std::fs::write(&story, &text).unwrap();

    // Text from the save is shown without its control characters.
    let good = read_save(&save);
    let mut other = good.clone();
    other["title"] = serde_json::json!("Another\u{1b}[2J story");
    other["fingerprint"] = serde_json::json!("fnv1a64:0000000000000000");
    std::fs::write(&save, serde_json::to_vec(&other).unwrap()).unwrap();
    assert_resume_refused(
        s(&story),
        &save,
        r"belongs to another story: “Another\u{1b}[2J story”",
    );
    let mut bad = good.clone();
    bad["threshold_save"] = serde_json::json!("\u{1b}]0;x\u{7}");
    std::fs::write(&save, serde_json::to_vec(&bad).unwrap()).unwrap();
    assert_resume_refused(s(&story), &save, "damaged");

    let mut bad = good.clone();
    bad["choices"] = serde_json::json!([2, 9]);
    std::fs::write(&save, serde_json::to_vec(&bad).unwrap()).unwrap();
    assert_resume_refused(s(&story), &save, "choice 9 is not offered");

    std::fs::write(&save, b"{\"threshold_save\": 1, \"story\": \"x\"").unwrap();
    assert_resume_refused(s(&story), &save, "damaged");

    std::fs::write(&save, [0xff, 0xfe, 0x00, 0x1b]).unwrap();
    assert_resume_refused(s(&story), &save, "damaged");

    let missing = dir.join("missing.json");
    let o = with_input(&["play", "--resume", s(&missing), s(&story)], "");
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no such file"));
    assert!(!missing.exists());
}
