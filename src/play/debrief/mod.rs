//! The debrief: the outcome, the path with its feedback notes and reflections, how each
//! variable moved, and where the other doors led (from the checker's exploration).

use threshold_compiler::reach::Reach;
use threshold_compiler::{Graph, DEFAULT_MAX_STATES};
use threshold_runtime::ir::{Rating, Story, VarType};
use threshold_runtime::session::{Said, Session};
use threshold_runtime::{Runner, Stop};

use super::console::Out;
use crate::text::{clean_line, md};

/// How play ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    Outcome {
        title: String,
        rating: Rating,
    },
    /// Stuck at a node: `reason` is `dead-end` or `divert-loop`.
    Stuck {
        node: String,
        reason: &'static str,
    },
}

/// One choice of the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathStep {
    pub number: usize,
    pub text: String,
    pub notes: Vec<String>,
    pub reflection: Option<String>,
}

/// A variable's values at the first stop and after each choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    pub label: String,
    pub shown: bool,
    pub ty: VarType,
    pub values: Vec<i64>,
}

/// A choice at a choice point of the path, and what could still be reached through it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Door {
    pub number: usize,
    pub text: String,
    pub best: Option<Rating>,
    /// Choices from the choice point to the nearest good outcome, this one included.
    pub to_good: Option<u32>,
}

/// A choice point on the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    /// 1-based position on the path.
    pub step: usize,
    pub scene: String,
    pub taken: Door,
    pub others: Vec<Door>,
}

/// The comparison with the doors not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Doors {
    Known {
        points: Vec<Point>,
        /// The fewest choices from the start to a good outcome, and one such path.
        fewest: Option<(u32, Vec<String>)>,
    },
    /// The story has more states than exploration allows.
    TooMany,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debrief {
    pub end: End,
    pub opening_notes: Vec<String>,
    pub path: Vec<PathStep>,
    pub end_notes: Vec<String>,
    pub tracks: Vec<Track>,
    pub doors: Doors,
}

/// Builds the debrief of a session that has stopped (at an outcome or stuck).
pub fn build(session: &Session<'_>) -> Debrief {
    let story = session.story();
    let steps = session.steps();
    let last = session.current();
    let end = match last.stop {
        Stop::DivertLoop { node } => End::Stuck {
            node: story.nodes[node as usize].id.clone(),
            reason: "divert-loop",
        },
        Stop::DeadEnd | Stop::Choice => End::Stuck {
            node: story.nodes[last.state.node as usize].id.clone(),
            reason: "dead-end",
        },
        Stop::Outcome => {
            let node = &story.nodes[last.state.node as usize];
            End::Outcome {
                title: node.title.clone().unwrap_or_else(|| node.id.clone()),
                rating: node.rating().unwrap_or(Rating::Mixed),
            }
        }
    };
    let notes_of = |said: &[Said], at_outcome: bool| -> Vec<String> {
        said.iter()
            .filter_map(|s| match s {
                Said::Note { node, text, .. }
                    if story.nodes[*node as usize].is_outcome() == at_outcome =>
                {
                    Some(text.clone())
                }
                _ => None,
            })
            .collect()
    };
    let opening_notes = notes_of(&steps[0].said, false);
    let path = steps[1..]
        .iter()
        .filter_map(|s| {
            let c = s.chosen.as_ref()?;
            Some(PathStep {
                number: c.number,
                text: c.text.clone(),
                notes: notes_of(&s.said, false),
                reflection: s.reflection.clone(),
            })
        })
        .collect();
    let end_notes = steps.iter().flat_map(|s| notes_of(&s.said, true)).collect();
    let tracks = story
        .variables
        .iter()
        .enumerate()
        .map(|(i, v)| Track {
            label: v.display_name().to_string(),
            shown: v.shown,
            ty: v.ty,
            values: session.trajectory(i),
        })
        .collect();
    Debrief {
        end,
        opening_notes,
        path,
        end_notes,
        tracks,
        doors: doors(story, session),
    }
}

fn scene_name(story: &Story, node: u32) -> String {
    let n = &story.nodes[node as usize];
    n.title.clone().unwrap_or_else(|| n.id.clone())
}

/// Walks the path through the explored graph and compares each choice with the others.
fn doors(story: &Story, session: &Session<'_>) -> Doors {
    let graph = Graph::explore(story, DEFAULT_MAX_STATES);
    if graph.limited() || graph.is_empty() {
        return Doors::TooMany;
    }
    let reach = Reach::compute(story, &graph);
    let door = |number: usize, text: &str, t: u32| Door {
        number,
        text: text.to_string(),
        best: reach.best[t as usize],
        to_good: reach.to_good[t as usize].map(|d| d.choices + 1),
    };
    let steps = session.steps();
    let mut at = 0u32;
    let mut points = Vec::new();
    for (k, step) in steps.iter().enumerate().skip(1) {
        let Some(chosen) = &step.chosen else { continue };
        let before = &steps[k - 1];
        let mut taken = None;
        let mut others = Vec::new();
        for (t, c) in graph.successors(at) {
            let Some(offer) = before.offers.iter().find(|o| o.index == c as usize) else {
                return Doors::TooMany;
            };
            if c as usize == chosen.index {
                taken = Some((t, door(offer.number, &offer.text, t)));
            } else {
                others.push(door(offer.number, &offer.text, t));
            }
        }
        let Some((next, taken)) = taken else {
            return Doors::TooMany;
        };
        points.push(Point {
            step: k,
            scene: scene_name(story, chosen.node),
            taken,
            others,
        });
        at = next;
    }
    let fewest = reach.to_good[0].map(|d| {
        let runner = Runner::new(story);
        let mut scratch = runner.initial_state();
        let texts = reach
            .path_to_good(&graph, 0)
            .into_iter()
            .map(|(s, c)| {
                graph.state_into(s, &mut scratch);
                let choice = &story.nodes[scratch.node as usize].choices[c as usize];
                story.render(&choice.text, &scratch)
            })
            .collect();
        (d.choices, texts)
    });
    Doors::Known { points, fewest }
}

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A small bar per value, scaled to the variable's declared range.
pub fn sparkline(ty: VarType, values: &[i64]) -> String {
    values
        .iter()
        .map(|&v| match ty {
            VarType::Bool => {
                if v != 0 {
                    BARS[7]
                } else {
                    BARS[0]
                }
            }
            VarType::Int { lo, hi } if hi > lo => {
                let level = ((v - lo) as i128 * 7 / (hi - lo) as i128).clamp(0, 7);
                BARS[level as usize]
            }
            VarType::Int { .. } => BARS[3],
        })
        .collect()
}

/// Integers as a row of numbers; booleans as where they changed.
fn values_text(ty: VarType, values: &[i64]) -> String {
    let Some(&first) = values.first() else {
        return String::new();
    };
    match ty {
        VarType::Bool => {
            let word = |v: i64| threshold_runtime::ir::format_value(v, true);
            let mut parts = vec![word(first)];
            for k in 1..values.len() {
                if values[k] != values[k - 1] {
                    parts.push(format!("{} from choice {k}", word(values[k])));
                }
            }
            if parts.len() == 1 {
                format!("{} throughout", parts[0])
            } else {
                parts.join(", ")
            }
        }
        VarType::Int { .. } => values
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(" "),
    }
}

fn rating_words(best: Option<Rating>, to_good: Option<u32>) -> String {
    match (best, to_good) {
        (None, _) => "no outcome can be reached (a fault in the story)".to_string(),
        (Some(Rating::Good), Some(d)) => format!("good, in {d} choice{}", plural(d as usize)),
        (Some(r), _) => r.as_str().to_string(),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

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

/// The debrief for the console.
pub fn render_console(d: &Debrief, out: &Out) -> String {
    let mut s = String::new();
    s.push_str(&out.rule("Debrief"));
    s.push('\n');
    s.push_str(&out.bold(&out.wrap(&end_heading(&d.end), "", "")));
    for n in &d.end_notes {
        s.push_str(&out.wrap(n, "  ! ", "    "));
    }
    if !d.opening_notes.is_empty() {
        s.push('\n');
        s.push_str(&out.bold("Before your first choice\n"));
        for n in &d.opening_notes {
            s.push_str(&out.wrap(n, "  ! ", "    "));
        }
    }

    s.push('\n');
    s.push_str(&out.bold("Your path\n"));
    if d.path.is_empty() {
        s.push_str("  (no choices)\n");
    }
    for (k, p) in d.path.iter().enumerate() {
        let lead = format!("  {:>2}. ", k + 1);
        s.push_str(&out.wrap(&p.text, &lead, "      "));
        for n in &p.notes {
            s.push_str(&out.wrap(n, "      ! ", "        "));
        }
        if let Some(r) = &p.reflection {
            s.push_str(&out.wrap(&format!("Your reflection: {r}"), "      ", "      "));
        }
    }

    if !d.tracks.is_empty() {
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

    s.push('\n');
    s.push_str(&out.bold("Where the other doors led\n"));
    s.push_str(&out.dim(&out.wrap(
        "The best outcome still reachable through each choice:",
        "  ",
        "  ",
    )));
    match &d.doors {
        Doors::TooMany => s.push_str(&out.wrap(
            "The story has too many states to compare the other doors.",
            "  ",
            "  ",
        )),
        Doors::Known { points, fewest } => {
            for p in points {
                s.push_str(&out.wrap(
                    &format!("Choice {}, at \u{201c}{}\u{201d}:", p.step, p.scene),
                    "  ",
                    "  ",
                ));
                let line = |label: &str, door: &Door| {
                    let mut l = out.wrap(
                        &format!("{}. {}", door.number, door.text),
                        label,
                        &" ".repeat(17),
                    );
                    l.push_str(&out.wrap(
                        &format!("→ {}", rating_words(door.best, door.to_good)),
                        &" ".repeat(17),
                        &" ".repeat(19),
                    ));
                    l
                };
                s.push_str(&line("    you took  ", &p.taken));
                for o in &p.others {
                    s.push_str(&line("    not taken ", o));
                }
                if p.others.is_empty() {
                    s.push_str("    (the only choice offered)\n");
                }
            }
            s.push('\n');
            match fewest {
                Some((n, path)) => {
                    s.push_str(&out.wrap(
                        &format!("Fewest choices from the start to a good outcome: {n}"),
                        "  ",
                        "  ",
                    ));
                    for (k, t) in path.iter().enumerate() {
                        s.push_str(&out.wrap(t, &format!("    {:>2}. ", k + 1), "        "));
                    }
                }
                None => s.push_str(&out.wrap(
                    "No good outcome can be reached from the start.",
                    "  ",
                    "  ",
                )),
            }
        }
    }
    s
}

fn label_of(t: &Track) -> String {
    let l = clean_line(&t.label);
    if t.shown {
        format!("{l} (shown)")
    } else {
        l
    }
}

/// The debrief as Markdown, for the transcript.
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
        s.push_str(&format!("> {}\n>\n", md(n)));
    }
    if !d.end_notes.is_empty() {
        s.truncate(s.len() - 2);
        s.push('\n');
    }
    if !d.opening_notes.is_empty() {
        s.push_str("### Before the first choice\n\n");
        for n in &d.opening_notes {
            s.push_str(&format!("- Note: {}\n", md(n)));
        }
        s.push('\n');
    }
    s.push_str("### The path\n\n");
    if d.path.is_empty() {
        s.push_str("No choices were taken.\n\n");
    }
    for (k, p) in d.path.iter().enumerate() {
        s.push_str(&format!(
            "{}. {} *(choice {})*\n",
            k + 1,
            md(&p.text),
            p.number
        ));
        for n in &p.notes {
            s.push_str(&format!("   - Note: {}\n", md(n)));
        }
        if let Some(r) = &p.reflection {
            s.push_str(&format!("   - Reflection: {}\n", md(r)));
        }
    }
    if !d.path.is_empty() {
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
    match &d.doors {
        Doors::TooMany => s.push_str("The story has too many states to compare the other doors.\n"),
        Doors::Known { points, fewest } => {
            for p in points {
                s.push_str(&format!(
                    "Choice {}, at \u{201c}{}\u{201d}:\n\n",
                    p.step,
                    md(&p.scene)
                ));
                let item = |label: &str, door: &Door| {
                    format!(
                        "- {label} {}. {} — best still reachable: {}\n",
                        door.number,
                        md(&door.text),
                        rating_words(door.best, door.to_good)
                    )
                };
                s.push_str(&item("**Taken:**", &p.taken));
                for o in &p.others {
                    s.push_str(&item("Not taken:", o));
                }
                s.push('\n');
            }
            match fewest {
                Some((n, path)) => {
                    s.push_str(&format!(
                        "Fewest choices from the start to a good outcome: **{n}**\n\n"
                    ));
                    for (k, t) in path.iter().enumerate() {
                        s.push_str(&format!("{}. {}\n", k + 1, md(t)));
                    }
                }
                None => s.push_str("No good outcome can be reached from the start.\n"),
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_to_the_declared_range() {
        let ty = VarType::Int { lo: 0, hi: 7 };
        assert_eq!(sparkline(ty, &[0, 1, 3, 7]), "▁▂▄█");
        assert_eq!(sparkline(VarType::Int { lo: 2, hi: 2 }, &[2]), "▄");
        assert_eq!(sparkline(VarType::Bool, &[0, 1]), "▁█");
        assert_eq!(
            values_text(VarType::Bool, &[0, 1, 1, 0]),
            "false, true from choice 1, false from choice 3"
        );
        assert_eq!(values_text(VarType::Bool, &[1, 1]), "true throughout");
        assert_eq!(values_text(ty, &[5, 6, 6]), "5 6 6");
    }

    #[test]
    fn rating_words_read_plainly() {
        assert_eq!(
            rating_words(Some(Rating::Good), Some(1)),
            "good, in 1 choice"
        );
        assert_eq!(
            rating_words(Some(Rating::Good), Some(3)),
            "good, in 3 choices"
        );
        assert_eq!(rating_words(Some(Rating::Mixed), None), "mixed");
        assert!(rating_words(None, None).contains("no outcome"));
    }
}
