//! The Markdown transcript of a session, for supervision: the lines read, the choices
//! offered and taken, reflections, notes, what was taken back, and the debrief.

use threshold_runtime::session::{Retraction, Said, Session};
use threshold_runtime::Stop;

use super::debrief::{self, Debrief};
use crate::text::{clean_line, md};

/// What the transcript's header says about the session.
#[derive(Debug, Clone)]
pub struct Meta<'a> {
    pub story_path: &'a str,
    /// How it was played: `assess`, `practice` or `coach`.
    pub mode: &'static str,
    /// The player options in force, e.g. `coach`, `reflect`.
    pub options: Vec<&'static str>,
}

/// The whole transcript; `debrief` is given once play has ended.
pub fn render(session: &Session<'_>, meta: &Meta<'_>, debrief: Option<&Debrief>) -> String {
    let story = session.story();
    let mut s = format!("# Transcript: {}\n\n", md(&story.title));
    s.push_str(&format!(
        "- Story: `{}`\n",
        clean_line(meta.story_path).replace('`', "'")
    ));
    if let Some(a) = &story.author {
        s.push_str(&format!("- Author: {}\n", md(a)));
    }
    let mode = match meta.mode {
        "assess" => "assess (undo and restart off: the first attempt counts)",
        "coach" => "coach (feedback shown after each choice)",
        m => m,
    };
    s.push_str(&format!("- Mode: {mode}\n"));
    s.push_str(&format!(
        "- Options: {}\n",
        if meta.options.is_empty() {
            "none".to_string()
        } else {
            meta.options.join(", ")
        }
    ));
    s.push_str(&format!(
        "- Choices on the path: {}\n\n",
        session.choice_count()
    ));
    if let Some(note) = &story.content_note {
        s.push_str(&format!("> **Content note:** {}\n\n", md(note)));
    }

    s.push_str("## Play\n\n");
    let steps = session.steps();
    for (k, step) in steps.iter().enumerate() {
        if let Some(c) = &step.chosen {
            let rated = c
                .rating
                .map_or(String::new(), |r| format!(" *(move rated {})*", r.as_str()));
            s.push_str(&format!(
                "**Choice {k}: took {}.** {}{rated}\n\n",
                c.number,
                md(&c.text)
            ));
            if let Some(r) = &step.reflection {
                s.push_str(&format!("*Reflection:* {}\n\n", md(r)));
            }
        }
        for said in &step.said {
            match said {
                Said::Line {
                    speaker: Some(who),
                    text,
                    ..
                } => {
                    let name = &story.characters[*who as usize].name;
                    s.push_str(&format!("**{}:** {}\n\n", md(name), md(text)));
                }
                Said::Line { text, .. } => s.push_str(&format!("{}\n\n", md(text))),
                Said::Note { text, rating, .. } => {
                    let word = rating.map_or(String::new(), |r| format!(" ({})", r.as_str()));
                    s.push_str(&format!("> **Note{word}:** {}\n\n", md(text)));
                }
            }
        }
        if !step.offers.is_empty() {
            s.push_str("Offered:\n\n");
            for o in &step.offers {
                s.push_str(&format!("{}. {}\n", o.number, md(&o.text)));
            }
            s.push('\n');
        }
        // What was chosen here and taken back stays in the record, where it happened
        // (or at the end of a path that has since grown shorter).
        let last = session.choice_count();
        for r in session.retractions().iter().filter(|r| r.at.min(last) == k) {
            retraction(&mut s, r);
        }
    }
    if session.stop() == Stop::Choice {
        s.push_str(&format!(
            "*Paused here, after {} choice{}.*\n\n",
            session.choice_count(),
            if session.choice_count() == 1 { "" } else { "s" }
        ));
    }

    if let Some(d) = debrief {
        s.push_str(&debrief::render_markdown(d));
    }
    while s.ends_with("\n\n") {
        s.pop();
    }
    s
}

/// An undo or a restart: each choice taken back, its rating and the reflection written
/// for it.
fn retraction(s: &mut String, r: &Retraction) {
    if r.restart {
        s.push_str("*Restarted from the beginning.* Taken back:\n\n");
    }
    for k in 0..r.choices.len() {
        let (text, rating, reflection) = r.choice(k);
        let rated = rating.map_or(String::new(), |r| format!(" ({})", r.as_str()));
        if r.restart {
            s.push_str(&format!("- \u{201c}{}\u{201d}{rated}\n", md(text)));
        } else {
            s.push_str(&format!(
                "*Changed your mind:* took \u{201c}{}\u{201d}{rated}, then took it back.\n\n",
                md(text)
            ));
        }
        if let Some(why) = reflection {
            let lead = if r.restart { "  - " } else { "" };
            s.push_str(&format!("{lead}*Reflection then:* {}\n", md(why)));
            if !r.restart {
                s.push('\n');
            }
        }
    }
    if r.restart {
        s.push('\n');
    }
}
