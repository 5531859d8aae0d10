//! The debrief as Markdown, for the transcript: the same sections as on the console.

use super::{
    ahead_words, label_of, moves_words, note_text, recommended_words, replay_numbers, sparkline,
    tag, values_text, Debrief, Doors, End, PathEntry,
};
use crate::text::{clean_line, md};

/// The debrief as Markdown.
pub fn render_markdown(d: &Debrief) -> String {
    let mut s = String::from("## Debrief\n\n");
    match &d.end {
        End::Outcome { title, rating } => {
            s.push_str(&format!(
                "**Outcome:** {} ({})\n\n",
                md(title),
                rating.as_str()
            ));
        }
        End::Stuck { node, reason } => {
            s.push_str(&format!(
                "**Stuck** at `{}` ({reason}): the story has a fault here.\n\n",
                clean_line(node).replace('`', "'")
            ));
        }
    }
    for n in &d.end_notes {
        s.push_str(&format!("> {}\n>\n", md(&note_text(n))));
    }
    if !d.end_notes.is_empty() {
        s.truncate(s.len() - 2);
        s.push('\n');
    }
    if d.rated {
        s.push_str(&format!("**Moves:** {}\n\n", moves_words(&d.moves)));
    }
    if !d.changed.is_empty() {
        s.push_str(&format!(
            "**Changed your mind:** {} time{}\n\n",
            d.changed.len(),
            if d.changed.len() == 1 { "" } else { "s" }
        ));
    }
    if !d.opening_notes.is_empty() {
        s.push_str("### Before the first choice\n\n");
        for n in &d.opening_notes {
            s.push_str(&format!("- Note: {}\n", md(&note_text(n))));
        }
        s.push('\n');
    }
    s.push_str("### The path\n\n");
    if d.path.is_empty() && d.changed.is_empty() {
        s.push_str("No choices were taken.\n\n");
    }
    for entry in d.path_entries() {
        match entry {
            PathEntry::TakenBack(c) => {
                let mut what = c.what().to_string();
                what[..1].make_ascii_uppercase();
                s.push_str(&format!(
                    "- *{what}:* {}\u{201c}{}\u{201d}\n",
                    md(&tag(d.rated, c.rating)),
                    md(&c.text)
                ));
                if let Some(r) = &c.reflection {
                    s.push_str(&format!("  - Reflection then: {}\n", md(r)));
                }
            }
            PathEntry::Step(k, p) => {
                s.push_str(&format!(
                    "{}. {}{} *(choice {})*\n",
                    k + 1,
                    md(&tag(d.rated, p.rating)),
                    md(&p.text),
                    p.number
                ));
                for n in &p.notes {
                    s.push_str(&format!("   - Note: {}\n", md(&note_text(n))));
                }
                if let Some(r) = &p.reflection {
                    s.push_str(&format!("   - Reflection: {}\n", md(r)));
                }
            }
        }
    }
    if !d.path.is_empty() || !d.changed.is_empty() {
        s.push('\n');
    }
    if !d.tracks.is_empty() {
        s.push_str("### How things moved\n\nAt the start, then after each choice.\n\n");
        s.push_str("| Variable | Trajectory | Values |\n|---|---|---|\n");
        for t in &d.tracks {
            s.push_str(&format!(
                "| {} | {} | {} |\n",
                md(&label_of(t)),
                sparkline(t.ty, &t.values),
                values_text(t.ty, &t.values)
            ));
        }
        s.push('\n');
    }
    s.push_str("### Where the other doors led\n\n");
    let Doors::Known {
        points,
        recommended,
        followed,
    } = &d.doors
    else {
        s.push_str("The story has too many states to compare the other doors.\n");
        return s;
    };
    for p in points {
        s.push_str(&format!(
            "Choice {}, at \u{201c}{}\u{201d}:\n\n",
            p.step,
            md(d.title(p.node))
        ));
        let item = |label: &str, door: &threshold_compiler::doors::Door, notes: bool| {
            let mut l = format!(
                "- {label} {}. {}{} — then {}\n",
                door.number,
                md(&tag(d.rated, door.rating)),
                md(&door.text),
                md(&ahead_words(d, door))
            );
            if notes {
                for n in &door.notes {
                    l.push_str(&format!(
                        "  - Note: {}\n",
                        md(&note_text(&(n.rating, n.text.clone())))
                    ));
                }
            }
            l
        };
        s.push_str(&item("**Taken:**", &p.taken, false));
        for o in &p.others {
            s.push_str(&item("Not taken:", o, true));
        }
        s.push('\n');
    }
    s.push_str("### The recommended path\n\n");
    match recommended {
        Some(r) => {
            let how = if d.rated {
                "Fewest moves not rated good, then fewest choices"
            } else {
                "Fewest choices"
            };
            s.push_str(&format!(
                "{how}: reaches {} (`--choices {}`)\n\n",
                md(&recommended_words(d, r)),
                replay_numbers(r)
            ));
            for (k, st) in r.steps.iter().enumerate() {
                s.push_str(&format!(
                    "{}. {}{}\n",
                    k + 1,
                    md(&tag(d.rated, st.rating)),
                    md(&st.text)
                ));
            }
            if *followed {
                s.push_str("\nThe trainee took this path.\n");
            }
        }
        None => s.push_str("No good outcome can be reached from the start.\n"),
    }
    s
}
