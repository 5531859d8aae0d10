//! The debrief: the outcome, the moves by rating, the path with its feedback notes,
//! reflections and changes of mind, how each variable moved, where the other doors led
//! and the recommended path (both from the checker's exploration, through
//! [`threshold_compiler::doors`]). This module gathers; `console` and `markdown` render.

mod console;
mod markdown;

pub use console::{render_console, render_summary};
pub use markdown::render_markdown;

use threshold_compiler::doors::{self, Ahead, Point, Recommended};
use threshold_compiler::reach::Reach;
use threshold_compiler::{Graph, DEFAULT_MAX_STATES};
use threshold_runtime::ir::{NodeId, Rating, Story, VarType};
use threshold_runtime::session::{Said, Session};
use threshold_runtime::{MoveCounts, Stop};

use crate::text::clean_line;

/// How play ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    Outcome {
        title: String,
        rating: Rating,
    },
    /// Stuck at a node: `reason` is `dead-end`, `divert-loop` or `divert-limit`.
    Stuck {
        node: String,
        reason: &'static str,
    },
}

/// A feedback note: its rating (`None`: an ordinary note) and text.
pub type Note = (Option<Rating>, String);

/// One choice of the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathStep {
    pub number: usize,
    pub text: String,
    /// The move's rating, as the transition gave it.
    pub rating: Option<Rating>,
    pub notes: Vec<Note>,
    pub reflection: Option<String>,
}

/// A choice taken back by undo or restart: "changed your mind".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    /// How many choices of the path stood before it (it is shown after that many).
    pub at: usize,
    pub restart: bool,
    pub text: String,
    pub rating: Option<Rating>,
    pub reflection: Option<String>,
}

impl Changed {
    /// What the path says of it: `changed your mind` (an undo) or `restarted, taking
    /// back`.
    pub fn what(&self) -> &'static str {
        if self.restart {
            "restarted, taking back"
        } else {
            "changed your mind"
        }
    }
}

/// One entry of the path as the debrief shows it.
pub enum PathEntry<'a> {
    /// A choice taken back at this point of the path.
    TakenBack(&'a Changed),
    /// Choice `k` of the path (from 0).
    Step(usize, &'a PathStep),
}

/// A variable's values at the first stop and after each choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    pub label: String,
    pub shown: bool,
    pub ty: VarType,
    pub values: Vec<i64>,
}

/// The comparison with the doors not taken, and the recommended path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Doors {
    Known {
        points: Vec<Point>,
        /// The recommended path from the start to a good outcome (none reachable:
        /// `None`), with the choice numbers that replay it.
        recommended: Option<Recommended>,
        /// Whether the play took exactly the recommended path.
        followed: bool,
    },
    /// The story has more states than exploration allows.
    TooMany,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debrief {
    pub end: End,
    pub opening_notes: Vec<Note>,
    pub path: Vec<PathStep>,
    /// Choices taken back, oldest first.
    pub changed: Vec<Changed>,
    pub end_notes: Vec<Note>,
    /// The path's moves by rating (undone choices excluded).
    pub moves: MoveCounts,
    /// Whether the story rates any move (else ratings are not shown).
    pub rated: bool,
    pub tracks: Vec<Track>,
    pub doors: Doors,
    /// Outcome titles by node, for naming where doors lead.
    titles: Vec<String>,
}

impl Debrief {
    /// The title (or id) of node `n`.
    pub fn title(&self, n: u32) -> &str {
        &self.titles[n as usize]
    }

    /// The path in the order it is shown: before each choice, and after the last, the
    /// choices taken back at that point.
    pub fn path_entries(&self) -> impl Iterator<Item = PathEntry<'_>> {
        (0..=self.path.len()).flat_map(move |k| {
            self.changed
                .iter()
                .filter(move |c| c.at == k)
                .map(PathEntry::TakenBack)
                .chain(self.path.get(k).map(|p| PathEntry::Step(k, p)))
        })
    }
}

/// A story explored once, so that many debriefs of it (the web player's) share one
/// search; `None` when the story is past the search's limits.
#[derive(Debug)]
pub struct Explored {
    graph: Graph,
    reach: Reach,
}

impl Explored {
    pub fn of(story: &Story) -> Option<Explored> {
        let graph = Graph::explore(story, DEFAULT_MAX_STATES);
        if graph.limited() || graph.is_empty() {
            return None;
        }
        let reach = Reach::compute(story, &graph);
        Some(Explored { graph, reach })
    }
}

/// Where and why play stopped short of an outcome, having stopped with `stop` at node
/// `at`: the node, and `divert-loop`, `divert-limit` or (at a dead end) `dead-end`.
pub fn stuck_at(stop: Stop, at: NodeId) -> (NodeId, &'static str) {
    match stop {
        Stop::DivertLoop { node } => (node, "divert-loop"),
        Stop::DivertLimit { node } => (node, "divert-limit"),
        Stop::DeadEnd | Stop::Choice | Stop::Outcome => (at, "dead-end"),
    }
}

/// Builds the debrief of a session that has stopped (at an outcome or stuck).
pub fn build(session: &Session<'_>) -> Debrief {
    build_with(session, Explored::of(session.story()).as_ref())
}

/// Builds the debrief with the story's exploration at hand (see [`Explored`]).
pub fn build_with(session: &Session<'_>, explored: Option<&Explored>) -> Debrief {
    let story = session.story();
    let steps = session.steps();
    let last = session.current();
    let end = match last.stop {
        Stop::Outcome => {
            let node = &story.nodes[last.state.node as usize];
            End::Outcome {
                title: node.title.clone().unwrap_or_else(|| node.id.clone()),
                rating: node.rating().unwrap_or(Rating::Mixed),
            }
        }
        stop => {
            let (node, reason) = stuck_at(stop, last.state.node);
            End::Stuck {
                node: story.nodes[node as usize].id.clone(),
                reason,
            }
        }
    };
    let notes_of = |said: &[Said], at_outcome: bool| -> Vec<Note> {
        said.iter()
            .filter_map(|s| match s {
                Said::Note { node, text, rating }
                    if story.nodes[*node as usize].is_outcome() == at_outcome =>
                {
                    Some((*rating, text.clone()))
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
                rating: c.rating,
                notes: notes_of(&s.said, false),
                reflection: s.reflection.clone(),
            })
        })
        .collect();
    let changed = session
        .retractions()
        .iter()
        .flat_map(|r| {
            (0..r.choices.len()).map(move |k| {
                let (text, rating, reflection) = r.choice(k);
                Changed {
                    // A path that has since grown shorter shows it at its end.
                    at: r.at.min(session.choice_count()),
                    restart: r.restart,
                    text: text.to_string(),
                    rating,
                    reflection: reflection.map(str::to_string),
                }
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
        changed,
        end_notes,
        moves: session.moves(),
        rated: doors::rates_moves(story),
        tracks,
        doors: compare(story, session, explored),
        titles: story
            .nodes
            .iter()
            .map(|n| n.title.clone().unwrap_or_else(|| n.id.clone()))
            .collect(),
    }
}

/// The other doors along the path and the recommended path, from the explored graph.
fn compare(story: &Story, session: &Session<'_>, explored: Option<&Explored>) -> Doors {
    let Some(Explored { graph, reach }) = explored else {
        return Doors::TooMany;
    };
    let played: Vec<usize> = session.steps()[1..]
        .iter()
        .filter_map(|s| s.chosen.as_ref().map(|c| c.index))
        .collect();
    let Some(points) = doors::points(story, graph, reach, &played) else {
        return Doors::TooMany;
    };
    let recommended = doors::recommended(story, graph, reach, 0);
    let followed = recommended
        .as_ref()
        .is_some_and(|r| r.steps.iter().map(|s| s.number).collect::<Vec<_>>() == session.numbers());
    Doors::Known {
        points,
        recommended,
        followed,
    }
}

/// "4 good, 1 mixed, 1 bad" (and unrated ones, when there are any).
pub fn moves_words(m: &MoveCounts) -> String {
    let mut parts = Vec::new();
    for (n, word) in [(m.good, "good"), (m.mixed, "mixed"), (m.bad, "bad")] {
        parts.push(format!("{n} {word}"));
    }
    if m.unrated > 0 {
        parts.push(format!("{} unrated", m.unrated));
    }
    parts.join(", ")
}

/// The rating of a move as a tag, e.g. `[bad] `; nothing when the story rates no move.
pub fn tag(rated: bool, rating: Option<Rating>) -> String {
    match (rated, rating) {
        (false, _) => String::new(),
        (true, Some(r)) => format!("[{}] ", r.as_str()),
        (true, None) => "[unrated] ".to_string(),
    }
}

/// A note with its rating word, as the author wrote it: `bad: text`.
pub fn note_text(note: &Note) -> String {
    match note.0 {
        Some(r) => format!("{}: {}", r.as_str(), note.1),
        None => note.1.clone(),
    }
}

/// Where a door leads, by the recommended path from the state it leads to: `good: Held
/// and heard, by 2 more choices`; a move that ends at once names its outcome. A later
/// way back to good is "at best", and counts its moves not rated good.
pub fn ahead_words(d: &Debrief, door: &doors::Door) -> String {
    match (door.ahead, door.ends_at) {
        (
            Ahead::Good {
                outcome, more: 0, ..
            },
            _,
        ) => {
            format!("good: {}, at once", clean_line(d.title(outcome)))
        }
        (
            Ahead::Good {
                outcome,
                more,
                poor_moves,
            },
            _,
        ) => {
            let mut s = format!(
                "good: {}, by {more} more choice{}",
                clean_line(d.title(outcome)),
                plural(more as usize)
            );
            if poor_moves > 0 && d.rated {
                s.push_str(&match (poor_moves == more, more) {
                    (true, 1) => " (not rated good)".to_string(),
                    (true, _) => " (none of them rated good)".to_string(),
                    (false, _) => format!(" ({poor_moves} of them not rated good)"),
                });
            }
            s
        }
        (Ahead::Best(r), Some(o)) => format!("{}: {}, at once", r.as_str(), clean_line(d.title(o))),
        (Ahead::Best(r), None) => {
            format!("no good outcome from there; at best {}", r.as_str())
        }
        (Ahead::Nothing, _) => "no outcome can be reached from there (a fault in the story)".into(),
    }
}

/// The recommended path in a few words: `Held and heard (good) in 3 choices, all rated
/// good`.
pub fn recommended_words(d: &Debrief, r: &Recommended) -> String {
    let n = r.steps.len();
    let quality = if !d.rated {
        String::new()
    } else if r.poor_moves == 0 {
        if n == 1 {
            ", rated good".to_string()
        } else {
            ", all rated good".to_string()
        }
    } else {
        format!(", {} not rated good", r.poor_moves)
    };
    format!(
        "{} (good) in {n} choice{}{quality}",
        clean_line(d.title(r.outcome)),
        plural(n),
    )
}

/// The choice numbers that replay a recommended path, as `--choices` takes them.
pub fn replay_numbers(r: &Recommended) -> String {
    r.steps
        .iter()
        .map(|s| s.number.to_string())
        .collect::<Vec<_>>()
        .join(",")
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
                // In 128 bits: the full 64-bit range's width does not fit in 64.
                let (v, lo, hi) = (i128::from(v), i128::from(lo), i128::from(hi));
                let level = ((v - lo) * 7 / (hi - lo)).clamp(0, 7);
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

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn label_of(t: &Track) -> String {
    let l = clean_line(&t.label);
    if t.shown {
        format!("{l} (shown)")
    } else {
        l
    }
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
    fn moves_and_tags_read_plainly() {
        let m = MoveCounts {
            good: 4,
            mixed: 1,
            bad: 1,
            unrated: 0,
        };
        assert_eq!(moves_words(&m), "4 good, 1 mixed, 1 bad");
        let m = MoveCounts { unrated: 2, ..m };
        assert_eq!(moves_words(&m), "4 good, 1 mixed, 1 bad, 2 unrated");
        assert_eq!(tag(true, Some(Rating::Bad)), "[bad] ");
        assert_eq!(tag(true, None), "[unrated] ");
        assert_eq!(tag(false, Some(Rating::Good)), "");
        assert_eq!(
            note_text(&(Some(Rating::Mixed), "Hm.".into())),
            "mixed: Hm."
        );
        assert_eq!(note_text(&(None, "Plain.".into())), "Plain.");
    }
}
