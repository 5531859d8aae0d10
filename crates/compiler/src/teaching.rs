//! The teaching lints of `check --teaching`: choices without feedback, outcomes without
//! debrief, moves not rated, variables that shape nothing, and stories a trainee can
//! win by the look of the answers alone (`gameable`).

use std::collections::HashSet;

use threshold_runtime::ir::{Rating, Story};
use threshold_runtime::{Runner, Stop};

use crate::diagnostic::{Code, Diagnostic};
use crate::lower::Lowered;

/// The static teaching lints; they need no compiled story, so they are reported even
/// when the story has static errors.
pub fn static_lints(lowered: &Lowered) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let map = &lowered.map;
    for (n, (id, is_outcome)) in lowered.node_ids.iter().enumerate() {
        if *is_outcome && !lowered.node_has_note[n] {
            out.push(
                Diagnostic::new(
                    Code::MissingDebrief,
                    map.nodes[n],
                    format!("the outcome `{id}` has no debrief note"),
                    "no `!` note in this outcome",
                )
                .with_help("add a `! …` line that explains what led here and what it teaches"),
            );
        }
        for (c, site) in map.choices[n].iter().enumerate() {
            if !lowered.choice_has_note[n][c] {
                out.push(
                    Diagnostic::new(
                        Code::MissingFeedback,
                        *site,
                        "this choice has no feedback note",
                        "no `!` note under this choice",
                    )
                    .with_help("add a `! …` line under the choice that explains the move"),
                );
            }
            if lowered.rates_notes && !lowered.choice_always_rated[n][c] {
                out.push(
                    Diagnostic::new(
                        Code::UnratedMove,
                        *site,
                        "this move can be taken without a rated note",
                        "some path through it passes no `! good:`, `! mixed:` or `! bad:` note",
                    )
                    .with_help(
                        "rate the move on every path before its divert: `! good: …`, \
                         `! mixed: …` or `! bad: …` (inside each branch of an `{if}`, or above it)",
                    ),
                );
            }
        }
    }
    for (v, name) in lowered.var_names.iter().enumerate() {
        if lowered.written_vars[v] && !lowered.read_vars[v] {
            out.push(
                Diagnostic::new(
                    Code::UnreadVariable,
                    map.vars[v],
                    format!("`{name}` is changed by effects, but nothing ever reads it"),
                    "changed, never read",
                )
                .with_help(format!(
                    "let it shape the story (a guard, an `{{if}}` or a check like \
                     `check never ended(good) and {name} …`), or remove it and its effects"
                )),
            );
        }
    }
    out
}

/// A way of playing by the look of the choices alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Longest,
    Shortest,
    First,
    Last,
}

impl Strategy {
    /// The strategies, in the order their diagnostics sort.
    pub const ALL: [Strategy; 4] = [
        Strategy::Longest,
        Strategy::Shortest,
        Strategy::First,
        Strategy::Last,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Longest => "longest",
            Strategy::Shortest => "shortest",
            Strategy::First => "first",
            Strategy::Last => "last",
        }
    }

    /// Which of the offered texts the strategy takes (ties go to the earliest).
    pub fn pick(self, texts: &[String]) -> usize {
        let len = |k: usize| texts[k].trim().chars().count();
        let k = texts.len();
        match self {
            Strategy::First => 0,
            Strategy::Last => k - 1,
            Strategy::Longest => (0..k).fold(0, |b, i| if len(i) > len(b) { i } else { b }),
            Strategy::Shortest => (0..k).fold(0, |b, i| if len(i) < len(b) { i } else { b }),
        }
    }
}

/// Where a surface strategy's play ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurfacePlay {
    pub strategy: Strategy,
    /// The choices it took, as texts and as the numbers `play --choices` takes.
    pub path: Vec<String>,
    pub choices: Vec<u32>,
    /// How it stopped: the outcome reached (`None`: stuck, or circling).
    pub outcome: Option<u32>,
    pub stop: SurfaceStop,
}

/// Why a surface strategy's play stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurfaceStop {
    Outcome,
    Stuck,
    /// It came back to a state it had already been in.
    Loop,
}

/// Plays the story from the start by one surface strategy, through the runtime's
/// transition function, until an outcome, a stuck state or a state seen before.
pub fn surface_play(story: &Story, strategy: Strategy) -> SurfacePlay {
    let mut runner = Runner::new(story);
    let (mut state, mut stop) = runner.start(&mut ());
    let mut visited = HashSet::new();
    let mut offered = Vec::new();
    let mut play = SurfacePlay {
        strategy,
        path: Vec::new(),
        choices: Vec::new(),
        outcome: None,
        stop: SurfaceStop::Stuck,
    };
    loop {
        match stop {
            Stop::Outcome => {
                play.outcome = Some(state.node);
                play.stop = SurfaceStop::Outcome;
                return play;
            }
            Stop::DeadEnd | Stop::DivertLoop { .. } | Stop::DivertLimit { .. } => return play,
            Stop::Choice => {}
        }
        if !visited.insert(state.clone()) {
            play.stop = SurfaceStop::Loop;
            return play;
        }
        runner.available(&state, &mut offered);
        let node = &story.nodes[state.node as usize];
        let texts: Vec<String> = offered
            .iter()
            .map(|&i| {
                story
                    .render(&node.choices[i].text, &state)
                    .trim()
                    .to_string()
            })
            .collect();
        let k = strategy.pick(&texts);
        play.path.push(texts[k].clone());
        play.choices.push(k as u32 + 1);
        stop = runner.choose(&mut state, offered[k], &mut ());
    }
}

/// One `gameable` warning for each surface strategy that ends at a `good` outcome.
pub fn gameable(story: &Story, lowered: &Lowered) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (rank, strategy) in Strategy::ALL.into_iter().enumerate() {
        let play = surface_play(story, strategy);
        let Some(node) = play.outcome else { continue };
        let n = &story.nodes[node as usize];
        if n.rating() != Some(Rating::Good) || play.path.is_empty() {
            continue;
        }
        let mut d = Diagnostic::new(
            Code::Gameable,
            lowered.map.title_line,
            format!(
                "always taking the {} choice reaches the good outcome `{}`",
                strategy.as_str(),
                n.id
            ),
            "a trainee can win by the look of the answers",
        )
        .with_help(
            "vary where the best move sits and how long it is, and write poor moves that \
             sound plausible; the choices below are what the strategy played",
        )
        .with_path((play.path, play.choices));
        d.node = Some(n.id.clone());
        d.rank = rank as u32;
        out.push(d);
    }
    out
}
