//! The debrief for the console: a summary that fits one 80×24 screen (the outcome, its
//! debrief notes, the moves by rating), then the details (the path, how things moved,
//! the other doors, the recommended path).

use super::{
    ahead_words, label_of, moves_words, note_text, recommended_words, replay_numbers, sparkline,
    tag, values_text, Debrief, Doors, End, PathEntry,
};
use crate::play::console::Out;
use crate::text::clean_line;

/// The most lines the summary takes, so that it fits one 24-line screen with the
/// prompt line and a little of what came before.
pub const SUMMARY_LINES: usize = 20;

fn end_heading(end: &End) -> String {
    match end {
        End::Outcome { title, rating } => {
            format!("Outcome: {} ({})", clean_line(title), rating.as_str())
        }
        End::Stuck { node, reason } => format!(
            "Stuck at `{}` ({}): the story has a fault here",
            clean_line(node),
            reason
        ),
    }
}

/// The summary block, and whether the outcome's notes were cut to fit (the details then
/// repeat them in full).
fn summary(d: &Debrief, out: &Out) -> (String, bool) {
    let mut tail = String::from("\n");
    if d.rated {
        tail.push_str(&out.bold(&format!("Your moves: {}\n", moves_words(&d.moves))));
    } else {
        let n = d.moves.total();
        tail.push_str(&out.wrap(
            &format!("Your choices: {n} (this story does not rate its moves)"),
            "",
            "  ",
        ));
    }
    match d.changed.len() {
        0 => {}
        1 => tail.push_str(&out.wrap("You changed your mind once.", "", "  ")),
        n => tail.push_str(&out.wrap(&format!("You changed your mind {n} times."), "", "  ")),
    }
    if let Doors::Known {
        recommended,
        followed,
        ..
    } = &d.doors
    {
        match recommended {
            Some(_) if *followed => {
                tail.push_str(&out.wrap("You took the recommended path.", "", "  "));
            }
            Some(r) => tail.push_str(&out.wrap(
                &format!("The recommended path reaches {}.", recommended_words(d, r)),
                "",
                "  ",
            )),
            None => {}
        }
    }
    let mut head = out.rule("Debrief");
    head.push('\n');
    head.push_str(&out.bold(&out.wrap(&end_heading(&d.end), "", "")));
    let notes: String = d
        .end_notes
        .iter()
        .map(|n| out.wrap(&note_text(n), "  ! ", "    "))
        .collect();
    let room = SUMMARY_LINES.saturating_sub(head.lines().count() + tail.lines().count());
    let cut = notes.lines().count() > room;
    if cut {
        for line in notes.lines().take(room.saturating_sub(1)) {
            head.push_str(line);
            head.push('\n');
        }
        head.push_str(&out.dim("    … (the full note follows below)\n"));
    } else {
        head.push_str(&notes);
    }
    head.push_str(&tail);
    (head, cut)
}

/// What fits one screen: the outcome, its debrief notes, the moves by rating.
pub fn render_summary(d: &Debrief, out: &Out) -> String {
    summary(d, out).0
}

/// The whole debrief: the summary, then the details.
pub fn render_console(d: &Debrief, out: &Out) -> String {
    let mut s = render_summary(d, out);
    s.push_str(&render_details(d, out));
    s
}

/// Everything after the summary.
fn render_details(d: &Debrief, out: &Out) -> String {
    let mut s = String::new();
    if summary(d, out).1 {
        s.push('\n');
        s.push_str(&out.bold("The outcome's notes\n"));
        for n in &d.end_notes {
            s.push_str(&out.wrap(&note_text(n), "  ! ", "    "));
        }
    }
    if !d.opening_notes.is_empty() {
        s.push('\n');
        s.push_str(&out.bold("Before your first choice\n"));
        for n in &d.opening_notes {
            s.push_str(&out.wrap(&note_text(n), "  ! ", "    "));
        }
    }
    path(d, out, &mut s);
    tracks(d, out, &mut s);
    doors(d, out, &mut s);
    s
}

fn path(d: &Debrief, out: &Out, s: &mut String) {
    s.push('\n');
    s.push_str(&out.bold("Your path\n"));
    if d.path.is_empty() && d.changed.is_empty() {
        s.push_str("  (no choices)\n");
    }
    for entry in d.path_entries() {
        match entry {
            PathEntry::TakenBack(c) => {
                s.push_str(&out.dim(&out.wrap(
                    &format!(
                        "{}: {}\u{201c}{}\u{201d}",
                        c.what(),
                        tag(d.rated, c.rating),
                        c.text
                    ),
                    "      ↶ ",
                    "        ",
                )));
                if let Some(r) = &c.reflection {
                    s.push_str(&out.dim(&out.wrap(
                        &format!("Your reflection then: {r}"),
                        "        ",
                        "        ",
                    )));
                }
            }
            PathEntry::Step(k, p) => {
                let lead = format!("  {:>2}. ", k + 1);
                s.push_str(&out.wrap(
                    &format!("{}{}", tag(d.rated, p.rating), p.text),
                    &lead,
                    "      ",
                ));
                for n in &p.notes {
                    s.push_str(&out.wrap(&note_text(n), "      ! ", "        "));
                }
                if let Some(r) = &p.reflection {
                    s.push_str(&out.wrap(&format!("Your reflection: {r}"), "      ", "      "));
                }
            }
        }
    }
}

fn tracks(d: &Debrief, out: &Out, s: &mut String) {
    if d.tracks.is_empty() {
        return;
    }
    s.push('\n');
    s.push_str(&out.bold("How things moved\n"));
    s.push_str(&out.dim(&out.wrap("At the start, then after each choice:", "  ", "  ")));
    const COLUMN: usize = 28;
    let width = d
        .tracks
        .iter()
        .map(|t| textwrap::core::display_width(&label_of(t)))
        .max()
        .unwrap_or(0)
        .min(COLUMN);
    let indent = " ".repeat(width + 4);
    for t in &d.tracks {
        let label = label_of(t);
        let shown = textwrap::core::display_width(&label);
        let lead = if shown > width {
            // A long label gets a line of its own.
            s.push_str(&out.wrap(&label, "  ", "    "));
            indent.clone()
        } else {
            format!("  {label}{}  ", " ".repeat(width - shown))
        };
        let body = format!(
            "{}  {}",
            sparkline(t.ty, &t.values),
            values_text(t.ty, &t.values)
        );
        s.push_str(&out.wrap(&body, &lead, &indent));
    }
}

fn doors(d: &Debrief, out: &Out, s: &mut String) {
    s.push('\n');
    s.push_str(&out.bold("Where the other doors led\n"));
    let Doors::Known {
        points,
        recommended,
        followed,
    } = &d.doors
    else {
        s.push_str(&out.wrap(
            "The story has too many states to compare the other doors.",
            "  ",
            "  ",
        ));
        return;
    };
    let how = if d.rated {
        "Each move's rating and feedback as it would have run then, and the best outcome \
         still reachable through it by the recommended path:"
    } else {
        "Each move's feedback as it would have run then, and the best outcome still \
         reachable through it by the recommended path:"
    };
    s.push_str(&out.dim(&out.wrap(how, "  ", "  ")));
    const PAD: usize = 17;
    for p in points {
        s.push_str(&out.wrap(
            &format!("Choice {}, at \u{201c}{}\u{201d}:", p.step, d.title(p.node)),
            "  ",
            "  ",
        ));
        let door = |label: &str, door: &threshold_compiler::doors::Door, notes: bool| {
            let mut l = out.wrap(
                &format!(
                    "{}. {}{}",
                    door.number,
                    tag(d.rated, door.rating),
                    door.text
                ),
                label,
                &" ".repeat(PAD),
            );
            if notes {
                for n in &door.notes {
                    l.push_str(&out.wrap(
                        &format!("! {}", note_text(&(n.rating, n.text.clone()))),
                        &" ".repeat(PAD),
                        &" ".repeat(PAD + 2),
                    ));
                }
            }
            l.push_str(&out.wrap(
                &format!("→ {}", ahead_words(d, door)),
                &" ".repeat(PAD),
                &" ".repeat(PAD + 2),
            ));
            l
        };
        // The taken move's notes stand under "Your path" already.
        s.push_str(&door("    you took  ", &p.taken, false));
        for o in &p.others {
            s.push_str(&door("    not taken ", o, true));
        }
        if p.others.is_empty() {
            s.push_str("    (the only choice offered)\n");
        }
    }
    s.push('\n');
    s.push_str(&out.bold("The recommended path\n"));
    match recommended {
        Some(r) => {
            let how = if d.rated {
                "The way to a good outcome with the fewest moves not rated good, then the \
                 fewest choices:"
            } else {
                "The way to a good outcome with the fewest choices:"
            };
            s.push_str(&out.dim(&out.wrap(how, "  ", "  ")));
            for (k, st) in r.steps.iter().enumerate() {
                s.push_str(&out.wrap(
                    &format!("{}{}", tag(d.rated, st.rating), st.text),
                    &format!("  {:>2}. ", k + 1),
                    "      ",
                ));
            }
            s.push_str(&out.wrap(
                &format!(
                    "→ {}. Replay it with --choices {}",
                    recommended_words(d, r),
                    replay_numbers(r)
                ),
                "      ",
                "        ",
            ));
            if *followed {
                s.push_str(&out.wrap("You took this path.", "  ", "  "));
            }
        }
        None => s.push_str(&out.wrap("No good outcome can be reached from the start.", "  ", "  ")),
    }
}
