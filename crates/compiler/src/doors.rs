//! Where the other doors led, and the recommended path: for each choice point of a
//! play, every choice on offer with its move rating and feedback notes as the runtime's
//! transition runs it from that state, and the best outcome still reachable from where
//! it leads — by the recommended path (fewest moves not rated `good`, then fewest
//! choices), never by a shortest path through poor moves. The player only renders this.

use threshold_runtime::ir::{Rating, Stmt, Story, Text};
use threshold_runtime::{Runner, Sink, State};

use crate::explore::{Graph, Kind};
use crate::reach::Reach;

/// A feedback note as a move ran it: its rating (`None`: an ordinary note) and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub rating: Option<Rating>,
    pub text: String,
}

/// What is still ahead through a door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ahead {
    /// The recommended path from the door's state reaches the good outcome `outcome`
    /// after `more` more choices (0: the door itself ends there), `poor_moves` of them
    /// not rated `good`.
    Good {
        outcome: u32,
        more: u32,
        poor_moves: u32,
    },
    /// No good outcome can be reached; this is the best rating that can.
    Best(Rating),
    /// No outcome at all can be reached (a fault in the story).
    Nothing,
}

/// One choice on offer at a choice point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Door {
    /// 1-based among the choices offered (what `play --choices` takes).
    pub number: usize,
    /// The choice's index among all choices of its node.
    pub index: usize,
    pub text: String,
    /// The move's rating as the transition gives it (`None`: unrated).
    pub rating: Option<Rating>,
    /// The notes the choice's own body ran, from this state.
    pub notes: Vec<Note>,
    /// The outcome the move stops at at once, if it does.
    pub ends_at: Option<u32>,
    pub ahead: Ahead,
}

/// A choice point of the path: the door taken and the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    /// 1-based position of the choice on the path.
    pub step: usize,
    /// The scene where the choice was made.
    pub node: u32,
    pub taken: Door,
    pub others: Vec<Door>,
}

/// One choice of the recommended path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecommendedStep {
    pub number: usize,
    pub text: String,
    pub rating: Option<Rating>,
}

/// The recommended path from a state to a `good` outcome (the contract's definition:
/// fewest moves not rated `good`, then fewest choices, then smallest choice numbers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recommended {
    pub steps: Vec<RecommendedStep>,
    /// The good outcome it reaches.
    pub outcome: u32,
    /// How many of its moves are not rated `good`.
    pub poor_moves: u32,
}

/// Whether any note of the story is rated (else move ratings say nothing).
pub fn rates_moves(story: &Story) -> bool {
    fn block(b: &[Stmt]) -> bool {
        b.iter().any(|s| match s {
            Stmt::Note { rating, .. } => rating.is_some(),
            Stmt::If {
                branches,
                otherwise,
            } => branches.iter().any(|br| block(&br.body)) || block(otherwise),
            _ => false,
        })
    }
    story
        .nodes
        .iter()
        .any(|n| n.choices.iter().any(|c| block(&c.body)))
}

/// Records the notes of a choice's body (those before its move is rated) and the rating.
struct Feedback<'a> {
    story: &'a Story,
    notes: Vec<Note>,
    rating: Option<Rating>,
    body_done: bool,
}

/// A sink for one move, before it has said anything.
fn feedback(story: &Story) -> Feedback<'_> {
    Feedback {
        story,
        notes: Vec::new(),
        rating: None,
        body_done: false,
    }
}

impl Sink for Feedback<'_> {
    fn note(&mut self, text: &Text, rating: Option<Rating>, state: &State) {
        if !self.body_done {
            self.notes.push(Note {
                rating,
                text: self.story.render(text, state),
            });
        }
    }

    fn moved(&mut self, rating: Option<Rating>) {
        self.rating = rating;
        self.body_done = true;
    }
}

/// The doors of explored state `at` (a choice point), each run from that state.
pub fn doors_at(story: &Story, graph: &Graph, reach: &Reach, at: u32) -> Vec<(u32, Door)> {
    let mut runner = Runner::new(story);
    let mut from = runner.initial_state();
    graph.state_into(at, &mut from);
    let doors: Vec<(u32, u32)> = graph.successors(at).collect();
    let here: Vec<(u32, u32)> = doors.iter().map(|&(_, c)| (at, c)).collect();
    let (texts, numbers) = graph.route_along(story, &here);
    let mut out = Vec::new();
    for ((&(t, c), text), number) in doors.iter().zip(texts).zip(numbers) {
        let index = c as usize;
        let mut s = from.clone();
        let mut sink = feedback(story);
        runner.choose(&mut s, index, &mut sink);
        let ends_at = (graph.kinds[t as usize] == Kind::Outcome).then(|| graph.node(t));
        out.push((
            t,
            Door {
                number: number as usize,
                index,
                text,
                rating: sink.rating,
                notes: sink.notes,
                ends_at,
                ahead: ahead(story, graph, reach, t),
            },
        ));
    }
    out
}

/// The best still ahead from explored state `t`, by the recommended path.
pub fn ahead(story: &Story, graph: &Graph, reach: &Reach, t: u32) -> Ahead {
    if let Some(cost) = reach.to_good[t as usize] {
        let path = reach.path_to_good(graph, t);
        let end = path
            .last()
            .and_then(|&(s, c)| {
                graph
                    .successors(s)
                    .find(|&(_, k)| k == c)
                    .map(|(target, _)| target)
            })
            .unwrap_or(t);
        debug_assert_eq!(
            story.nodes[graph.node(end) as usize].rating(),
            Some(Rating::Good)
        );
        return Ahead::Good {
            outcome: graph.node(end),
            more: cost.choices,
            poor_moves: cost.poor_moves,
        };
    }
    match reach.best[t as usize] {
        Some(r) => Ahead::Best(r),
        None => Ahead::Nothing,
    }
}

/// The recommended path from explored state `from` (0: the start); `None` when no
/// good outcome can be reached from there.
pub fn recommended(story: &Story, graph: &Graph, reach: &Reach, from: u32) -> Option<Recommended> {
    let cost = reach.to_good[from as usize]?;
    let mut runner = Runner::new(story);
    let mut s = runner.initial_state();
    let path = reach.path_to_good(graph, from);
    let (texts, numbers) = graph.route_along(story, &path);
    let mut steps = Vec::new();
    let mut end = from;
    for ((&(at, c), text), number) in path.iter().zip(texts).zip(numbers) {
        graph.state_into(at, &mut s);
        let mut sink = feedback(story);
        runner.choose(&mut s, c as usize, &mut sink);
        steps.push(RecommendedStep {
            number: number as usize,
            text,
            rating: sink.rating,
        });
        end = graph
            .successors(at)
            .find(|&(_, k)| k == c)
            .map_or(end, |(t, _)| t);
    }
    Some(Recommended {
        steps,
        outcome: graph.node(end),
        poor_moves: cost.poor_moves,
    })
}

/// Walks a play (the choice indices taken, in order) through the graph from the start
/// and lists every choice point with its doors. `None` when the play leaves the graph
/// (it cannot, for a play of the same story; kept for safety).
pub fn points(story: &Story, graph: &Graph, reach: &Reach, played: &[usize]) -> Option<Vec<Point>> {
    let mut at = 0u32;
    let mut out = Vec::with_capacity(played.len());
    for (k, &index) in played.iter().enumerate() {
        let mut taken = None;
        let mut others = Vec::new();
        for (t, door) in doors_at(story, graph, reach, at) {
            if door.index == index {
                taken = Some((t, door));
            } else {
                others.push(door);
            }
        }
        let (next, taken) = taken?;
        out.push(Point {
            step: k + 1,
            node: graph.node(at),
            taken,
            others,
        });
        at = next;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{lower, Source};

    const PHONE: &str = "\
title: Phone
hidden given = false

scene door
* Give your personal number.
  ~ given = true
  ! bad: It blurs the frame.
  -> after
* Offer the clinic line.
  ! good: The frame holds.
  -> calm
* Say nothing.
  ! mixed: A missed chance.
  -> calm

scene after
* Carry on.
  ! good: Fine from here.
  -> held

scene calm
* Name the worry.
  ! good: Named.
  -> check
* Leave it.
  ! bad: Unnamed.
  -> lost

scene check
* Book the follow-up.
  ! good: Booked.
  -> held

outcome held good \"Held and heard\"
! Well held.
outcome lost bad \"Lost\"
! Lost.
";

    fn setup() -> (Story, Graph) {
        let story = lower(&[Source {
            name: "t.scene".into(),
            text: PHONE.into(),
        }])
        .story
        .expect("compiles");
        let graph = Graph::explore(&story, 1000);
        (story, graph)
    }

    #[test]
    fn a_bad_door_shows_its_rating_and_note_and_the_recommended_end() {
        let (story, graph) = setup();
        let reach = Reach::compute(&story, &graph);
        let doors = doors_at(&story, &graph, &reach, 0);
        let give = &doors[0].1;
        assert_eq!(give.number, 1);
        assert_eq!(give.rating, Some(Rating::Bad));
        assert_eq!(
            give.notes,
            vec![Note {
                rating: Some(Rating::Bad),
                text: "It blurs the frame.".into()
            }]
        );
        let held = story.nodes.iter().position(|n| n.id == "held").unwrap() as u32;
        assert_eq!(
            give.ahead,
            Ahead::Good {
                outcome: held,
                more: 1,
                poor_moves: 0
            }
        );
        assert_eq!(doors[2].1.rating, Some(Rating::Mixed));
        assert!(rates_moves(&story));
    }

    #[test]
    fn the_recommended_path_avoids_poor_moves_though_longer() {
        let (story, graph) = setup();
        let reach = Reach::compute(&story, &graph);
        let rec = recommended(&story, &graph, &reach, 0).expect("good is reachable");
        let texts: Vec<&str> = rec.steps.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Offer the clinic line.",
                "Name the worry.",
                "Book the follow-up."
            ]
        );
        assert_eq!(rec.poor_moves, 0);
        assert_eq!(story.nodes[rec.outcome as usize].id, "held");
        assert!(rec.steps.iter().all(|s| s.rating == Some(Rating::Good)));
    }

    #[test]
    fn points_follow_the_play_and_list_the_other_doors() {
        let (story, graph) = setup();
        let reach = Reach::compute(&story, &graph);
        let pts = points(&story, &graph, &reach, &[2, 1]).expect("the play is in the graph");
        assert_eq!(pts.len(), 2);
        assert_eq!(pts[0].taken.number, 3);
        assert_eq!(pts[0].others.len(), 2);
        assert_eq!(pts[1].taken.rating, Some(Rating::Bad));
        assert_eq!(
            pts[1]
                .taken
                .ends_at
                .map(|n| story.nodes[n as usize].id.as_str()),
            Some("lost")
        );
        assert_eq!(pts[1].taken.ahead, Ahead::Best(Rating::Bad));
        assert!(points(&story, &graph, &reach, &[7]).is_none());
    }
}
