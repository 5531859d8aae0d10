//! A play session: the path taken so far, step by step, with what each step said and
//! the state it reached; undo, restart and replay of a choice list. Every step runs
//! through the [`Runner`]; this module adds bookkeeping, never semantics. No IO.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ir::{NodeId, Rating, Story, Text};
use crate::machine::{Runner, Sink, State, Stop};

/// Something a step said, rendered in the state at that moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Said {
    /// Narration (`speaker: None`) or dialogue; `speaker` indexes [`Story::characters`].
    Line {
        node: NodeId,
        speaker: Option<u32>,
        text: String,
    },
    /// A feedback note (`!`); `rating` is set for a rated note.
    Note {
        node: NodeId,
        text: String,
        rating: Option<Rating>,
    },
}

impl Said {
    /// The node whose body (or whose choice's body) said it.
    pub fn node(&self) -> NodeId {
        match self {
            Said::Line { node, .. } | Said::Note { node, .. } => *node,
        }
    }
}

/// A choice offered at a choice point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// 1-based, among the choices offered (what `--choices` counts).
    pub number: usize,
    /// The choice's index among all choices of its node.
    pub index: usize,
    /// The choice text as the trainee read it.
    pub text: String,
}

/// The choice that led into a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    /// The scene where it was chosen.
    pub node: NodeId,
    pub number: usize,
    pub index: usize,
    pub text: String,
    /// The move's rating, as the transition found it (`None`: unrated).
    pub rating: Option<Rating>,
}

/// How many moves of a play got each rating.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveCounts {
    pub good: usize,
    pub mixed: usize,
    pub bad: usize,
    pub unrated: usize,
}

impl MoveCounts {
    /// Counts one move.
    pub fn add(&mut self, rating: Option<Rating>) {
        match rating {
            Some(Rating::Good) => self.good += 1,
            Some(Rating::Mixed) => self.mixed += 1,
            Some(Rating::Bad) => self.bad += 1,
            None => self.unrated += 1,
        }
    }

    /// All moves counted.
    pub fn total(&self) -> usize {
        self.good + self.mixed + self.bad + self.unrated
    }
}

/// One transition of play: the opening (no choice) or one choice and all that followed
/// it, up to the next stop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// `None` for the opening step.
    pub chosen: Option<Chosen>,
    /// Lines and notes, in the order the story said them.
    pub said: Vec<Said>,
    /// The state at the stop: the variables after this step.
    pub state: State,
    pub stop: Stop,
    /// The choices offered at the stop (empty unless `stop` is [`Stop::Choice`]).
    pub offers: Vec<Offer>,
    /// What the trainee wrote about this step's choice, if anything.
    pub reflection: Option<String>,
}

/// Choices removed from the path by an undo or a restart, kept for the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retraction {
    /// How many choices the path held after the retraction.
    pub at: usize,
    /// True for a restart, false for an undo.
    pub restart: bool,
    /// The texts of the choices taken back, in the order they had been taken.
    pub choices: Vec<String>,
    /// The move rating of each choice taken back (saves made before ratings existed
    /// read as none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ratings: Vec<Option<Rating>>,
    /// What the trainee wrote about each choice taken back, if anything.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reflections: Vec<Option<String>>,
}

impl Retraction {
    /// The `k`-th choice taken back: its text, move rating and reflection.
    pub fn choice(&self, k: usize) -> (&str, Option<Rating>, Option<&str>) {
        (
            &self.choices[k],
            self.ratings.get(k).copied().flatten(),
            self.reflections.get(k).and_then(|r| r.as_deref()),
        )
    }
}

/// Why a choice could not be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChooseError {
    /// Play has stopped (at an outcome, or stuck): nothing is offered.
    Ended,
    /// `number` is not among the `offered` choices (numbered 1..=offered).
    NotOffered { number: usize, offered: usize },
}

impl fmt::Display for ChooseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChooseError::Ended => f.write_str("the story has already ended"),
            ChooseError::NotOffered { number, offered } => {
                write!(
                    f,
                    "choice {number} is not offered; choose from 1 to {offered}"
                )
            }
        }
    }
}

impl std::error::Error for ChooseError {}

/// Why a list of choice numbers could not be replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayError {
    /// 0-based position in the list.
    pub position: usize,
    pub error: ChooseError,
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "choice {} of the list: {}",
            self.position + 1,
            self.error
        )
    }
}

impl std::error::Error for ReplayError {}

/// Records what a transition says.
struct Record<'a> {
    story: &'a Story,
    node: NodeId,
    said: Vec<Said>,
    rating: Option<Rating>,
}

impl Sink for Record<'_> {
    fn enter(&mut self, node: NodeId) {
        self.node = node;
    }

    fn line(&mut self, speaker: Option<u32>, text: &Text, state: &State) {
        self.said.push(Said::Line {
            node: self.node,
            speaker,
            text: self.story.render(text, state),
        });
    }

    fn note(&mut self, text: &Text, rating: Option<Rating>, state: &State) {
        self.said.push(Said::Note {
            node: self.node,
            text: self.story.render(text, state),
            rating,
        });
    }

    fn moved(&mut self, rating: Option<Rating>) {
        self.rating = rating;
    }
}

/// One play of a story: the steps of the path taken so far (the opening first).
#[derive(Debug)]
pub struct Session<'s> {
    runner: Runner<'s>,
    steps: Vec<Step>,
    retractions: Vec<Retraction>,
}

impl<'s> Session<'s> {
    /// Starts a play: runs the opening up to the first stop.
    pub fn new(story: &'s Story) -> Self {
        let mut runner = Runner::new(story);
        let mut rec = Record {
            story,
            node: story.start,
            said: Vec::new(),
            rating: None,
        };
        let (state, stop) = runner.start(&mut rec);
        let first = make_step(&runner, None, rec.said, state, stop);
        Session {
            runner,
            steps: vec![first],
            retractions: Vec::new(),
        }
    }

    /// Starts a play and takes the choices `numbers` (each 1-based among those offered).
    pub fn replay(story: &'s Story, numbers: &[usize]) -> Result<Self, ReplayError> {
        let mut s = Session::new(story);
        for (position, &n) in numbers.iter().enumerate() {
            s.choose(n)
                .map_err(|error| ReplayError { position, error })?;
        }
        Ok(s)
    }

    pub fn story(&self) -> &'s Story {
        self.runner.story()
    }

    /// Every step of the path, the opening first.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The latest step: where play stands.
    pub fn current(&self) -> &Step {
        self.steps
            .last()
            .expect("a session always has its opening step")
    }

    pub fn state(&self) -> &State {
        &self.current().state
    }

    pub fn stop(&self) -> Stop {
        self.current().stop
    }

    /// The choices offered now (empty when play has stopped).
    pub fn offers(&self) -> &[Offer] {
        &self.current().offers
    }

    /// How many choices the path holds.
    pub fn choice_count(&self) -> usize {
        self.steps.len() - 1
    }

    /// Takes the choice numbered `number` among those offered, and runs to the next stop.
    pub fn choose(&mut self, number: usize) -> Result<&Step, ChooseError> {
        let current = self.current();
        if current.stop != Stop::Choice {
            return Err(ChooseError::Ended);
        }
        let Some(offer) = number.checked_sub(1).and_then(|k| current.offers.get(k)) else {
            return Err(ChooseError::NotOffered {
                number,
                offered: current.offers.len(),
            });
        };
        let mut chosen = Chosen {
            node: current.state.node,
            number,
            index: offer.index,
            text: offer.text.clone(),
            rating: None,
        };
        let mut state = current.state.clone();
        let story = self.runner.story();
        let mut rec = Record {
            story,
            node: state.node,
            said: Vec::new(),
            rating: None,
        };
        let stop = self.runner.choose(&mut state, chosen.index, &mut rec);
        chosen.rating = rec.rating;
        let step = make_step(&self.runner, Some(chosen), rec.said, state, stop);
        self.steps.push(step);
        Ok(self.current())
    }

    /// Takes back the last choice; returns it, or `None` at the opening.
    pub fn undo(&mut self) -> Option<Chosen> {
        if self.steps.len() < 2 {
            return None;
        }
        let step = self.steps.pop()?;
        let chosen = step.chosen?;
        self.retractions.push(Retraction {
            at: self.choice_count(),
            restart: false,
            choices: vec![chosen.text.clone()],
            ratings: vec![chosen.rating],
            reflections: vec![step.reflection],
        });
        Some(chosen)
    }

    /// Goes back to the opening; returns how many choices were taken back.
    pub fn restart(&mut self) -> usize {
        let mut r = Retraction {
            at: 0,
            restart: true,
            choices: Vec::new(),
            ratings: Vec::new(),
            reflections: Vec::new(),
        };
        for s in self.steps.drain(1..) {
            if let Some(c) = s.chosen {
                r.choices.push(c.text);
                r.ratings.push(c.rating);
                r.reflections.push(s.reflection);
            }
        }
        let n = r.choices.len();
        if n > 0 {
            self.retractions.push(r);
        }
        n
    }

    /// Attaches a reflection to the latest choice; false at the opening.
    pub fn reflect(&mut self, text: impl Into<String>) -> bool {
        let k = self.choice_count();
        self.set_reflection(k, text)
    }

    /// Attaches a reflection to the `k`-th choice of the path (1-based); false if the
    /// path has no such choice.
    pub fn set_reflection(&mut self, k: usize, text: impl Into<String>) -> bool {
        match self.steps.get_mut(k) {
            Some(step) if k > 0 => {
                step.reflection = Some(text.into());
                true
            }
            _ => false,
        }
    }

    /// The numbers of the choices on the path, in order (what [`Session::replay`] takes).
    pub fn numbers(&self) -> Vec<usize> {
        self.steps[1..]
            .iter()
            .filter_map(|s| s.chosen.as_ref().map(|c| c.number))
            .collect()
    }

    /// How many of the path's moves got each rating (undone choices excluded).
    pub fn moves(&self) -> MoveCounts {
        let mut m = MoveCounts::default();
        for s in &self.steps[1..] {
            if let Some(c) = &s.chosen {
                m.add(c.rating);
            }
        }
        m
    }

    /// The reflection of each choice on the path, in order.
    pub fn reflections(&self) -> Vec<Option<String>> {
        self.steps[1..]
            .iter()
            .map(|s| s.reflection.clone())
            .collect()
    }

    /// Every undo and restart so far, oldest first.
    pub fn retractions(&self) -> &[Retraction] {
        &self.retractions
    }

    /// Restores the record of undos and restarts (when a saved session is resumed).
    pub fn restore_retractions(&mut self, retractions: Vec<Retraction>) {
        self.retractions = retractions;
    }

    /// The value of variable `var` at the first stop, then after each choice.
    pub fn trajectory(&self, var: usize) -> Vec<i64> {
        self.steps.iter().map(|s| s.state.vars[var]).collect()
    }
}

fn make_step(
    runner: &Runner<'_>,
    chosen: Option<Chosen>,
    said: Vec<Said>,
    state: State,
    stop: Stop,
) -> Step {
    let mut offers = Vec::new();
    if stop == Stop::Choice {
        let story = runner.story();
        let node = &story.nodes[state.node as usize];
        let mut indices = Vec::new();
        runner.available(&state, &mut indices);
        offers = indices
            .into_iter()
            .enumerate()
            .map(|(k, index)| Offer {
                number: k + 1,
                index,
                text: story.render(&node.choices[index].text, &state),
            })
            .collect();
    }
    Step {
        chosen,
        said,
        state,
        stop,
        offers,
        reflection: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::*;

    fn lit(s: &str) -> Text {
        Text {
            parts: vec![TextPart::Lit(s.to_string())],
        }
    }

    fn line(s: &str) -> Stmt {
        Stmt::Line {
            speaker: None,
            text: lit(s),
        }
    }

    fn say(who: u32, s: &str) -> Stmt {
        Stmt::Line {
            speaker: Some(who),
            text: lit(s),
        }
    }

    fn note(s: &str) -> Stmt {
        Stmt::Note {
            text: lit(s),
            rating: None,
        }
    }

    fn add(var: u32, n: i64) -> Stmt {
        Stmt::Effects {
            effects: vec![Effect {
                var,
                op: AssignOp::Add,
                value: Expr::Const(n),
            }],
        }
    }

    fn go(target: u32) -> Stmt {
        Stmt::Divert { target }
    }

    fn choice(sticky: bool, guard: Option<Expr>, text: &str, body: Block) -> Choice {
        Choice {
            sticky,
            guard,
            text: lit(text),
            body,
            at: Pos::default(),
        }
    }

    fn scene(id: &str, body: Block, choices: Vec<Choice>) -> Node {
        Node {
            id: id.into(),
            kind: NodeKind::Scene,
            title: None,
            at: Pos::default(),
            body,
            choices,
        }
    }

    fn outcome(id: &str, rating: Rating, body: Block) -> Node {
        Node {
            id: id.into(),
            kind: NodeKind::Outcome { rating },
            title: Some(id.to_uppercase()),
            at: Pos::default(),
            body,
            choices: Vec::new(),
        }
    }

    /// door (0): "Stay." (once-only, trust+1, back to door), "Ask." (sticky, guarded by
    /// trust >= 6, to hall), "Leave." (to bye); hall (1): one choice to bye;
    /// bye (2): outcome that prints trust.
    fn story() -> Story {
        let trust_ge_6 = Expr::Bin(BinOp::Ge, Box::new(Expr::Var(0)), Box::new(Expr::Const(6)));
        Story {
            format: FORMAT,
            title: "Test".into(),
            author: None,
            summary: None,
            version: None,
            content_note: None,
            start: 0,
            files: vec!["t.scene".into()],
            checks: Vec::new(),
            characters: vec![Character {
                id: "patient".into(),
                name: "Sam".into(),
            }],
            variables: vec![Variable {
                name: "trust".into(),
                label: Some("Trust".into()),
                shown: false,
                ty: VarType::Int { lo: 0, hi: 10 },
                init: 5,
                at: Pos::default(),
            }],
            nodes: vec![
                scene(
                    "door",
                    vec![say(0, "One more thing.")],
                    vec![
                        choice(
                            false,
                            None,
                            "Stay.",
                            vec![add(0, 1), note("Stayed."), go(0)],
                        ),
                        choice(true, Some(trust_ge_6), "Ask.", vec![go(1)]),
                        choice(false, None, "Leave.", vec![add(0, -3), go(2)]),
                    ],
                ),
                scene(
                    "hall",
                    vec![line("In the hall.")],
                    vec![choice(true, None, "Go.", vec![go(2)])],
                ),
                outcome(
                    "bye",
                    Rating::Good,
                    vec![
                        Stmt::Line {
                            speaker: None,
                            text: Text {
                                parts: vec![
                                    TextPart::Lit("Trust ".into()),
                                    TextPart::Expr {
                                        expr: Expr::Var(0),
                                        is_bool: false,
                                    },
                                ],
                            },
                        },
                        note("The end."),
                    ],
                ),
            ],
        }
    }

    fn texts(offers: &[Offer]) -> Vec<&str> {
        offers.iter().map(|o| o.text.as_str()).collect()
    }

    #[test]
    fn opening_records_lines_and_offers() {
        let st = story();
        let s = Session::new(&st);
        assert_eq!(s.choice_count(), 0);
        assert_eq!(s.stop(), Stop::Choice);
        assert_eq!(
            s.current().said,
            vec![Said::Line {
                node: 0,
                speaker: Some(0),
                text: "One more thing.".into()
            }]
        );
        assert_eq!(texts(s.offers()), ["Stay.", "Leave."]);
        assert_eq!(s.offers()[1].number, 2);
        assert_eq!(s.offers()[1].index, 2);
    }

    #[test]
    fn choosing_runs_the_runner_and_numbers_count_offered_choices() {
        let st = story();
        let mut s = Session::new(&st);
        let step = s.choose(1).expect("Stay is offered");
        assert_eq!(step.chosen.as_ref().map(|c| c.text.as_str()), Some("Stay."));
        assert_eq!(step.state.vars, vec![6]);
        assert!(step.said.contains(&Said::Note {
            node: 0,
            text: "Stayed.".into(),
            rating: None,
        }));
        // Stay is once-only and gone; Ask is now offered.
        assert_eq!(texts(s.offers()), ["Ask.", "Leave."]);
        s.choose(1).expect("Ask is offered");
        assert_eq!(s.state().node, 1);
        s.choose(1).expect("Go is offered");
        assert_eq!(s.stop(), Stop::Outcome);
        assert_eq!(s.numbers(), vec![1, 1, 1]);
        assert_eq!(s.trajectory(0), vec![5, 6, 6, 6]);
        let last = &s.current().said;
        assert_eq!(
            last[0],
            Said::Line {
                node: 2,
                speaker: None,
                text: "Trust 6".into()
            }
        );
        assert_eq!(s.choose(1), Err(ChooseError::Ended));
    }

    #[test]
    fn a_number_not_offered_is_refused_and_changes_nothing() {
        let st = story();
        let mut s = Session::new(&st);
        assert_eq!(
            s.choose(3).map(|_| ()),
            Err(ChooseError::NotOffered {
                number: 3,
                offered: 2
            })
        );
        assert_eq!(
            s.choose(0).map(|_| ()),
            Err(ChooseError::NotOffered {
                number: 0,
                offered: 2
            })
        );
        assert_eq!(s.choice_count(), 0);
    }

    #[test]
    fn undo_returns_to_the_previous_state_and_is_recorded() {
        let st = story();
        let mut s = Session::new(&st);
        let before = s.current().clone();
        s.choose(1).unwrap();
        s.reflect("to stay with it");
        let undone = s.undo().expect("one choice to undo");
        assert_eq!(undone.text, "Stay.");
        assert_eq!(s.current(), &before);
        // The once-only choice is offered again: the state went back too.
        assert_eq!(texts(s.offers()), ["Stay.", "Leave."]);
        assert_eq!(s.undo(), None);
        assert_eq!(
            s.retractions(),
            &[Retraction {
                at: 0,
                restart: false,
                choices: vec!["Stay.".into()],
                ratings: vec![None],
                reflections: vec![Some("to stay with it".into())],
            }]
        );
        assert_eq!(
            s.retractions()[0].choice(0),
            ("Stay.", None, Some("to stay with it"))
        );
    }

    #[test]
    fn restart_goes_back_to_the_opening() {
        let st = story();
        let mut s = Session::new(&st);
        let opening = s.current().clone();
        s.choose(1).unwrap();
        s.choose(1).unwrap();
        assert_eq!(s.restart(), 2);
        assert_eq!(s.steps(), std::slice::from_ref(&opening));
        assert_eq!(s.retractions()[0].choices, vec!["Stay.", "Ask."]);
        assert_eq!(s.retractions()[0].reflections, vec![None, None]);
        assert!(s.retractions()[0].restart);
        // A restart with nothing taken records nothing.
        assert_eq!(s.restart(), 0);
        assert_eq!(s.retractions().len(), 1);
    }

    #[test]
    fn replay_reaches_the_same_steps_as_playing() {
        let st = story();
        let mut played = Session::new(&st);
        for n in [1, 2] {
            played.choose(n).unwrap();
        }
        let replayed = Session::replay(&st, &played.numbers()).unwrap();
        assert_eq!(replayed.steps(), played.steps());
    }

    #[test]
    fn replay_reports_the_first_bad_number() {
        let st = story();
        let err = Session::replay(&st, &[1, 5, 1]).unwrap_err();
        assert_eq!(err.position, 1);
        assert_eq!(
            err.error,
            ChooseError::NotOffered {
                number: 5,
                offered: 2
            }
        );
        let err = Session::replay(&st, &[2, 1]).unwrap_err();
        assert_eq!(
            err,
            ReplayError {
                position: 1,
                error: ChooseError::Ended
            }
        );
    }

    #[test]
    fn reflections_attach_to_choices_only() {
        let st = story();
        let mut s = Session::new(&st);
        assert!(!s.reflect("nothing chosen yet"));
        s.choose(1).unwrap();
        s.choose(2).unwrap();
        assert!(s.set_reflection(1, "first"));
        assert!(!s.set_reflection(3, "no third choice"));
        assert_eq!(s.reflections(), vec![Some("first".to_string()), None]);
    }
}
