//! Feeds arbitrary bytes to the save format: parsing, the checks against the story and
//! resuming by replay (`play --resume`). Nothing may panic; a save that resumes replays
//! exactly its choices, and its record of choices taken back is consistent. Half the
//! inputs are read as JSON; the other half are turned into a save field by field, so the
//! checks of choice numbers, reflections and `taken_back` entries are reached often.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use threshold_compiler::{lower, Source};
use threshold_runtime::ir::Story;
use threshold_runtime::save::{fingerprint, parse, restore, SaveFile, SAVE_FORMAT};
use threshold_runtime::session::Retraction;

const STORY: &str = r#"title: Resume
hidden trust = 1 in 0..3
scene door
* Ask.
  ~ trust += 1
  ! good: Asked.
  -> door
+ Wait.
  -> hall
* {trust >= 2} Leave.
  ! mixed: Left.
  -> done
scene hall
+ Back.
  ~ trust -= 1
  -> door
+ Out.
  -> done
outcome done good "Done"
! Trust ended at {trust}.
"#;

fn story() -> &'static (Story, String) {
    static STORY_AND_FP: OnceLock<(Story, String)> = OnceLock::new();
    STORY_AND_FP.get_or_init(|| {
        let story = lower(&[Source {
            name: "resume.scene".into(),
            text: STORY.into(),
        }])
        .story
        .expect("the fuzz story compiles");
        let fp = fingerprint(&story);
        (story, fp)
    })
}

/// A save made field by field from the bytes.
fn built(data: &[u8], fp: &str) -> SaveFile {
    let mut it = data.iter().copied();
    let mut next = move || it.next().unwrap_or(0);
    let n = usize::from(next() % 12);
    let choices = (0..n).map(|_| usize::from(next() % 5)).collect();
    let r = usize::from(next() % 14);
    let reflections = (0..r)
        .map(|k| (next() % 2 == 0).then(|| format!("thought {k}")))
        .collect();
    let t = usize::from(next() % 4);
    let taken_back = (0..t)
        .map(|_| {
            let c = usize::from(next() % 4);
            Retraction {
                at: usize::from(next() % 16),
                restart: next() % 2 == 0,
                choices: (0..c).map(|k| format!("choice {k}")).collect(),
                ratings: (0..usize::from(next() % 5)).map(|_| None).collect(),
                reflections: (0..usize::from(next() % 5)).map(|_| None).collect(),
            }
        })
        .collect();
    SaveFile {
        threshold_save: SAVE_FORMAT,
        story: "resume.scene".into(),
        title: "Resume".into(),
        fingerprint: fp.to_string(),
        choices,
        reflections,
        taken_back,
        assess: next() % 2 == 0,
    }
}

fuzz_target!(|data: &[u8]| {
    let (story, fp) = story();
    let save = match data.split_first() {
        Some((0, rest)) => built(rest, fp),
        _ => match parse(data) {
            Ok(mut save) => {
                save.fingerprint = fp.clone();
                save
            }
            Err(_) => return,
        },
    };
    if let Ok(session) = restore(story, fp, &save) {
        assert_eq!(session.numbers(), save.choices);
        assert!(save.reflections.len() <= save.choices.len());
        for r in session.retractions() {
            assert!(!r.choices.is_empty());
            for k in 0..r.choices.len() {
                let _ = r.choice(k);
            }
        }
        // What a resumed session writes reads back the same.
        let again = SaveFile::of(&session, "resume.scene", fp);
        let bytes = serde_json::to_vec(&again).expect("a save serialises");
        assert_eq!(parse(&bytes).expect("a written save parses"), again);
    }
});
