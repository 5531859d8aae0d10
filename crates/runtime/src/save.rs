//! Saved sessions as data, without IO: the story's name and fingerprint, the choices
//! taken (by number), the reflections and the record of undos; parsed and checked
//! against the story, then resumed by replaying the choices through the runtime.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ir::Story;
use crate::session::{Retraction, Session};

/// The value of [`SaveFile::threshold_save`] this version writes and reads.
pub const SAVE_FORMAT: u32 = 1;

/// A saved session, as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaveFile {
    /// Marks the file as a Threshold save, and its format.
    pub threshold_save: u32,
    /// The story path as it was given to `threshold play`.
    pub story: String,
    pub title: String,
    /// [`fingerprint`] of the compiled story.
    pub fingerprint: String,
    /// The choices of the path, each numbered among those offered at its step.
    pub choices: Vec<usize>,
    /// One entry per choice (or fewer): what the trainee wrote about it.
    #[serde(default)]
    pub reflections: Vec<Option<String>>,
    /// Choices taken back by undo or restart, for the transcript.
    #[serde(default)]
    pub taken_back: Vec<Retraction>,
    /// Played with `--assess`: a resumed session stays an assessment (undo and restart
    /// off). Absent in saves of practice sessions and of earlier versions.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub assess: bool,
}

impl SaveFile {
    /// The save of `session`, playing the story at `story_path`.
    pub fn of(session: &Session<'_>, story_path: &str, fingerprint: &str) -> SaveFile {
        let mut reflections = session.reflections();
        while reflections.last().is_some_and(Option::is_none) {
            reflections.pop();
        }
        SaveFile {
            threshold_save: SAVE_FORMAT,
            story: story_path.to_string(),
            title: session.story().title.clone(),
            fingerprint: fingerprint.to_string(),
            choices: session.numbers(),
            reflections,
            taken_back: session.retractions().to_vec(),
            assess: false,
        }
    }
}

/// A stable fingerprint of the compiled story: FNV-1a (64-bit) of the IR's JSON, with
/// the file names left out so that the same story read through another path matches.
pub fn fingerprint(story: &Story) -> String {
    let mut ir = story.clone();
    ir.files.clear();
    let json = serde_json::to_vec(&ir).expect("the IR serialises");
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in &json {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("fnv1a64:{h:016x}")
}

/// Why a save cannot be resumed (exit code 2; the save is left as it is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveError {
    Unreadable(String),
    Damaged(String),
    OtherStory {
        saved_title: String,
        saved_story: String,
    },
    Changed {
        title: String,
    },
}

impl fmt::Display for SaveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SaveError::Unreadable(why) => write!(f, "cannot read the save: {why}"),
            SaveError::Damaged(why) => write!(f, "the save is damaged or not a Threshold save: {why}"),
            SaveError::OtherStory {
                saved_title,
                saved_story,
            } => write!(
                f,
                "the save belongs to another story: \u{201c}{saved_title}\u{201d} (played from `{saved_story}`)"
            ),
            SaveError::Changed { title } => write!(
                f,
                "\u{201c}{title}\u{201d} has changed since this save was made, so its choices may no \
                 longer lead where they did; start a new session instead"
            ),
        }
    }
}

/// Parses the bytes of a save file.
pub fn parse(bytes: &[u8]) -> Result<SaveFile, SaveError> {
    let save: SaveFile =
        serde_json::from_slice(bytes).map_err(|e| SaveError::Damaged(e.to_string()))?;
    if save.threshold_save != SAVE_FORMAT {
        return Err(SaveError::Damaged(format!(
            "save format {} is not one this version reads ({SAVE_FORMAT})",
            save.threshold_save
        )));
    }
    Ok(save)
}

/// Checks a save against the story and replays it.
pub fn restore<'s>(
    story: &'s Story,
    fingerprint: &str,
    save: &SaveFile,
) -> Result<Session<'s>, SaveError> {
    if save.fingerprint != fingerprint {
        return Err(if save.title == story.title {
            SaveError::Changed {
                title: story.title.clone(),
            }
        } else {
            SaveError::OtherStory {
                saved_title: save.title.clone(),
                saved_story: save.story.clone(),
            }
        });
    }
    if save.reflections.len() > save.choices.len() {
        return Err(SaveError::Damaged(format!(
            "{} reflections for {} choices",
            save.reflections.len(),
            save.choices.len()
        )));
    }
    let mut session =
        Session::replay(story, &save.choices).map_err(|e| SaveError::Damaged(e.to_string()))?;
    for (k, r) in save.reflections.iter().enumerate() {
        if let Some(text) = r {
            session.set_reflection(k + 1, text.clone());
        }
    }
    for (k, r) in save.taken_back.iter().enumerate() {
        let fits = !r.choices.is_empty()
            && r.ratings.len() <= r.choices.len()
            && r.reflections.len() <= r.choices.len()
            && (!r.restart || r.at == 0);
        if !fits {
            return Err(SaveError::Damaged(format!(
                "the record of choices taken back is inconsistent at entry {}",
                k + 1
            )));
        }
    }
    session.restore_retractions(save.taken_back.clone());
    Ok(session)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::*;

    /// `a`: "One." back to `a`, "Two." to the outcome `fin` ("Done." or `end`); the
    /// file name does not count in the fingerprint.
    fn compile(end: &str, name: &str) -> Story {
        let lit = |s: &str| Text {
            parts: vec![TextPart::Lit(s.to_string())],
        };
        let choice = |text: &str, target: u32| Choice {
            sticky: false,
            guard: None,
            text: lit(text),
            body: vec![Stmt::Divert { target }],
            at: Pos::default(),
        };
        Story {
            format: FORMAT,
            title: "T".into(),
            author: None,
            summary: None,
            version: None,
            content_note: None,
            start: 0,
            files: vec![name.into()],
            characters: Vec::new(),
            variables: Vec::new(),
            nodes: vec![
                Node {
                    id: "a".into(),
                    kind: NodeKind::Scene,
                    title: None,
                    at: Pos::default(),
                    body: Vec::new(),
                    choices: vec![choice("One.", 0), choice("Two.", 1)],
                },
                Node {
                    id: "fin".into(),
                    kind: NodeKind::Outcome {
                        rating: Rating::Good,
                    },
                    title: Some("End".into()),
                    at: Pos::default(),
                    body: vec![Stmt::Line {
                        speaker: None,
                        text: lit(end),
                    }],
                    choices: Vec::new(),
                },
            ],
            checks: Vec::new(),
        }
    }

    const STORY: &str = "Done.";

    fn to_bytes(save: &SaveFile) -> Vec<u8> {
        serde_json::to_vec(save).unwrap()
    }

    #[test]
    fn the_fingerprint_ignores_the_path_but_not_the_story() {
        let a = compile(STORY, "a.scene");
        let b = compile(STORY, "elsewhere/b.scene");
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_eq!(fingerprint(&a), fingerprint(&a.clone()));
        let changed = compile(&STORY.replace("Done.", "Done!"), "a.scene");
        assert_ne!(fingerprint(&a), fingerprint(&changed));
        assert!(fingerprint(&a).starts_with("fnv1a64:"));
    }

    #[test]
    fn a_save_round_trips_and_replays() {
        let story = compile(STORY, "a.scene");
        let fp = fingerprint(&story);
        let mut session = Session::new(&story);
        session.choose(1).unwrap();
        session.reflect("first");
        session.choose(1).unwrap();
        let save = SaveFile::of(&session, "a.scene", &fp);
        assert_eq!(save.choices, vec![1, 1]);
        assert_eq!(save.reflections, vec![Some("first".to_string())]);
        let back = parse(&to_bytes(&save)).unwrap();
        assert_eq!(back, save);
        let restored = restore(&story, &fp, &back).unwrap();
        assert_eq!(restored.steps(), session.steps());
    }

    #[test]
    fn an_earlier_save_without_ratings_or_mode_still_resumes() {
        let story = compile(STORY, "a.scene");
        let fp = fingerprint(&story);
        let old = format!(
            r#"{{"threshold_save":1,"story":"a.scene","title":"T","fingerprint":"{fp}",
               "choices":[1],"reflections":[],
               "taken_back":[{{"at":0,"restart":false,"choices":["Two."]}}]}}"#
        );
        let save = parse(old.as_bytes()).unwrap();
        assert!(!save.assess);
        let session = restore(&story, &fp, &save).unwrap();
        let r = &session.retractions()[0];
        assert_eq!(r.choice(0), ("Two.", None, None));
        // A practice save is written as before: no `assess` key.
        let again = SaveFile::of(&session, "a.scene", &fp);
        assert!(!String::from_utf8(to_bytes(&again))
            .unwrap()
            .contains("assess"));
    }

    #[test]
    fn restore_refuses_what_does_not_fit() {
        let story = compile(STORY, "a.scene");
        let fp = fingerprint(&story);
        let good = SaveFile::of(&Session::new(&story), "a.scene", &fp);
        let mut other = good.clone();
        other.fingerprint = "fnv1a64:0".into();
        assert!(matches!(
            restore(&story, &fp, &other),
            Err(SaveError::Changed { .. })
        ));
        other.title = "Another".into();
        assert!(matches!(
            restore(&story, &fp, &other),
            Err(SaveError::OtherStory { .. })
        ));
        let mut bad = good.clone();
        bad.choices = vec![3];
        assert!(matches!(
            restore(&story, &fp, &bad),
            Err(SaveError::Damaged(_))
        ));
        let mut bad = good.clone();
        bad.reflections = vec![None];
        assert!(matches!(
            restore(&story, &fp, &bad),
            Err(SaveError::Damaged(_))
        ));
        let mut bad = good;
        bad.taken_back = vec![Retraction {
            at: 0,
            restart: false,
            choices: vec!["One.".into()],
            ratings: vec![None, None],
            reflections: Vec::new(),
        }];
        assert!(matches!(
            restore(&story, &fp, &bad),
            Err(SaveError::Damaged(_))
        ));
    }
}
