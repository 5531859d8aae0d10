//! Story analysis for authors, over the explored state graph: for every outcome the
//! fewest choices that reach it, its probability when every available choice is
//! equally likely, and the expected number of choices; the hidden variables' ranges at
//! each outcome; and the ratings still reachable after each choice. No IO.
//!
//! # The random trainee
//!
//! Probabilities and expectations are those of a trainee who, at every state, picks
//! one of the available choices uniformly at random. That makes the explored graph an
//! absorbing Markov chain: states where play waits are *transient*, and the *absorbing*
//! ends are the outcomes and three ways of getting stuck — a dead end, a divert loop,
//! and a closed loop of states with no way out (an *endless loop*, absorbing from the
//! moment play enters it).
//!
//! The chain is solved one strongly connected component at a time, in topological
//! order, so the acyclic parts of a story cost one pass ([`chain`]). A component with
//! a cycle (a sticky "try again", say) is solved directly, by a sparse LU of its
//! states found by GTH elimination in Markowitz order ([`eliminate`]); only a
//! component whose factors would outgrow [`ELIMINATION_MAX_WORK`] or
//! its share of the memory budget ([`ELIMINATION_MAX_BYTES`] unless the caller gives
//! one) is iterated instead, by Gauss–Seidel to a relative
//! [`TOLERANCE`] ([`iterate`]). All of it spends from [`MAX_SOLVE_WORK`], past which
//! the figures are reported as not computed. Stories of at most [`EXACT_MAX_STATES`]
//! states whose cycles all have at most [`EXACT_CYCLE_MAX`] states (and [`EXACT_WORK`]
//! in all) are solved by the same elimination in exact rational arithmetic.
//!
//! # Expected choices
//!
//! The *expected number of choices* counts the choices made until play ends: at an
//! outcome, at a dead end or divert loop, or on entering an endless loop. For one
//! outcome it is the same count *given* that play ends at that outcome
//! (E[choices · 1{ends there}] / P(ends there)). Both come from two forward passes: the
//! first gives the expected visits `x` to each state; the second, fed with the arrivals
//! of the first, gives E[choices before arriving] summed over arrivals.

mod chain;
mod eliminate;
mod iterate;

use num_rational::BigRational;
use num_traits::Zero;
use threshold_runtime::ir::{Rating, Story, VarType};
use threshold_runtime::Runner;

use crate::explore::{Graph, Kind, Limits, Stopped};
use chain::{Chain, Scalar, Sweeps, DEAD_END, DIVERT_LOOP, ENDLESS_LOOP, TRANSIENT};
pub use chain::{ELIMINATION_BYTES_PER_ENTRY, ELIMINATION_MAX_BYTES, ELIMINATION_MAX_WORK};
pub use iterate::TOLERANCE;

/// The largest story (in states) also solved in exact rational arithmetic.
pub const EXACT_MAX_STATES: usize = 5_000;
/// Exact arithmetic is used only while every cycle (strongly connected component)
/// has at most this many states…
pub const EXACT_CYCLE_MAX: usize = 48;
/// …and the cycles' sizes cubed add up to at most this much: rational numbers grow
/// with the length of the loops they are carried around.
pub const EXACT_WORK: usize = 1_000_000;
/// The most work (entries updated by elimination, edges visited by Gauss–Seidel) one analysis
/// may spend solving the chain; past it, the figures are not computed.
pub const MAX_SOLVE_WORK: u64 = 500_000_000;
/// The bytes the analysis takes per explored entry and per edge, besides the graph,
/// for the memory budget: the chain's tables, the flows of its two passes, the
/// components and the reach of every state (measured with `/usr/bin/time`; see
/// docs/reliability.md).
pub const ANALYSIS_BYTES_PER_STATE: usize = 160;
pub const ANALYSIS_BYTES_PER_EDGE: usize = 16;

/// The bytes the analysis of graph `g` needs besides `g` itself, at most about.
pub fn analysis_bytes(g: &Graph) -> usize {
    g.len()
        .saturating_mul(ANALYSIS_BYTES_PER_STATE)
        .saturating_add(g.edge_count().saturating_mul(ANALYSIS_BYTES_PER_EDGE))
}

/// A probability or expectation: its value, and the exact fraction (`"1/6"`) when the
/// story was solved exactly.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub value: f64,
    pub exact: Option<String>,
}

/// A set of ways play can end: the three ratings, and getting stuck.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ends(u8);

impl Ends {
    pub const STUCK: Ends = Ends(8);
    const ALL: Ends = Ends(15);

    pub fn rating(r: Rating) -> Ends {
        Ends(match r {
            Rating::Good => 1,
            Rating::Mixed => 2,
            Rating::Bad => 4,
        })
    }

    pub fn contains(self, other: Ends) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// `["good", "bad", "stuck"]`: ratings first, best first.
    pub fn names(self) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = [Rating::Good, Rating::Mixed, Rating::Bad]
            .into_iter()
            .filter(|&r| self.contains(Ends::rating(r)))
            .map(Rating::as_str)
            .collect();
        if self.contains(Ends::STUCK) {
            v.push("stuck");
        }
        v
    }
}

impl std::ops::BitOr for Ends {
    type Output = Ends;
    fn bitor(self, o: Ends) -> Ends {
        Ends(self.0 | o.0)
    }
}

impl std::ops::BitAnd for Ends {
    type Output = Ends;
    fn bitand(self, o: Ends) -> Ends {
        Ends(self.0 & o.0)
    }
}

/// One choice on a path: its number among those offered (as `--choices` counts),
/// its index among the scene's choices, and its text as the trainee read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub number: usize,
    pub index: usize,
    pub text: String,
}

/// What the analysis says about one outcome.
#[derive(Debug, Clone)]
pub struct OutcomeReport {
    pub node: u32,
    /// How many explored states are at this outcome (0: never reached).
    pub states: usize,
    pub probability: Figure,
    /// The fewest choices that reach it (and among those, the path whose choice
    /// numbers are lexicographically smallest); `None` when no play reaches it.
    pub shortest: Option<Vec<Step>>,
    /// The expected number of choices, given that play ends here.
    pub expected_choices: Option<Figure>,
    /// For each variable of [`Analysis::hidden`], its least and greatest value over
    /// the states at this outcome.
    pub ranges: Vec<Option<(i64, i64)>>,
}

/// How likely play is to get stuck, by way.
#[derive(Debug, Clone)]
pub struct Stuck {
    pub dead_end: Figure,
    pub divert_loop: Figure,
    pub endless_loop: Figure,
    pub total: Figure,
}

/// What the analysis says about one choice of a scene.
#[derive(Debug, Clone)]
pub struct ChoiceReport {
    pub node: u32,
    /// Its index among the scene's choices, in source order.
    pub index: usize,
    /// In how many states it is offered (0: never).
    pub offered_in: usize,
    /// The ends still reachable after taking it, in some state where it is offered.
    pub some: Ends,
    /// The ends still reachable after taking it, in every state where it is offered.
    pub every: Ends,
}

/// Everything `threshold analyze` reports.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// States where play waits or ends.
    pub states: usize,
    /// Whether the figures were computed in exact rational arithmetic.
    pub exact: bool,
    /// Gauss–Seidel sweeps, summed over the components that needed them.
    pub sweeps: usize,
    /// False if some component did not converge within the sweep limit or the work
    /// bound ([`MAX_SOLVE_WORK`]): then no probability or expectation was computed,
    /// and none may be shown.
    pub converged: bool,
    /// The hidden variables, in story order.
    pub hidden: Vec<u32>,
    /// One per outcome node, in story order.
    pub outcomes: Vec<OutcomeReport>,
    /// Probability of ending at each rating: good, mixed, bad.
    pub ratings: [Figure; 3],
    pub stuck: Stuck,
    /// Expected number of choices until play ends.
    pub expected_choices: Figure,
    /// One per choice of every scene, in story order.
    pub choices: Vec<ChoiceReport>,
}

/// Why a story could not be analysed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnalyzeError {
    /// The exploration stopped before it had seen every state.
    StateLimit(Stopped),
}

impl std::fmt::Display for AnalyzeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnalyzeError::StateLimit(stopped @ Stopped::States(_)) => write!(
                f,
                "{stopped}, so it cannot be analysed; raise the limit with `--max-states`"
            ),
            AnalyzeError::StateLimit(stopped @ Stopped::Diverts { .. }) => write!(
                f,
                "{stopped}, so the story cannot be analysed; make the chain end sooner"
            ),
            AnalyzeError::StateLimit(stopped) => write!(
                f,
                "{stopped}, so the story cannot be analysed; raise the budget with `--max-memory`"
            ),
        }
    }
}

impl std::error::Error for AnalyzeError {}

/// Explores the story and analyses it.
pub fn analyze(story: &Story, limits: Limits) -> Result<Analysis, AnalyzeError> {
    let graph = Graph::explore_within(story, limits);
    if let Some(stopped) = graph.stopped {
        return Err(AnalyzeError::StateLimit(stopped));
    }
    Ok(analyze_graph(story, &graph))
}

// ---------------------------------------------------------------------------
// The analysis.

/// The figures the chain gives.
struct Solved {
    /// Per end class: probability, and E[choices · 1{ends there}].
    prob: Vec<Figure>,
    weighted: Vec<f64>,
    weighted_exact: Vec<Option<BigRational>>,
    prob_exact: Vec<Option<BigRational>>,
    expected: Figure,
}

fn solve<S: Scalar>(chain: &Chain<'_>, classes: usize, stats: &mut Sweeps) -> (Vec<S>, Vec<S>, S) {
    let (first, second) = chain.flows::<S>(stats);
    let mut prob = vec![S::zero(); classes];
    let mut weighted = vec![S::zero(); classes];
    let mut expected = S::zero();
    for i in 0..chain.g.len() {
        match chain.class[i] {
            TRANSIENT => expected = expected.add(&first[i]),
            k => {
                prob[k as usize] = prob[k as usize].add(&first[i]);
                weighted[k as usize] = weighted[k as usize].add(&second[i]);
            }
        }
    }
    (prob, weighted, expected)
}

fn figure<S: Scalar>(v: &S) -> Figure {
    Figure {
        value: v.to_f64(),
        exact: v.exact(),
    }
}

fn run(chain: &Chain<'_>, classes: usize, exact: bool, stats: &mut Sweeps) -> Solved {
    if exact {
        let (p, w, e) = solve::<BigRational>(chain, classes, stats);
        Solved {
            prob: p.iter().map(figure).collect(),
            weighted: w.iter().map(Scalar::to_f64).collect(),
            weighted_exact: w.into_iter().map(Some).collect(),
            prob_exact: p.into_iter().map(Some).collect(),
            expected: figure(&e),
        }
    } else {
        let (p, w, e) = solve::<f64>(chain, classes, stats);
        Solved {
            prob: p.iter().map(figure).collect(),
            weighted: w,
            weighted_exact: vec![None; classes],
            prob_exact: vec![None; classes],
            expected: figure(&e),
        }
    }
}

/// Whether exact arithmetic is affordable: every cyclic component at most
/// [`EXACT_CYCLE_MAX`] states, and their sizes cubed at most [`EXACT_WORK`] in all.
fn exact_affordable(chain: &Chain<'_>) -> bool {
    let mut work = 0usize;
    for m in chain.cycle_sizes() {
        if m > EXACT_CYCLE_MAX {
            return false;
        }
        work += m * m * m;
    }
    work <= EXACT_WORK
}

/// Analyses a story from its fully explored graph (not stopped at the state limit).
pub fn analyze_graph(story: &Story, g: &Graph) -> Analysis {
    analyze_graph_within(story, g, ELIMINATION_MAX_BYTES)
}

/// [`analyze_graph`], with at most `elimination_bytes` for the sparse LU of each
/// component (what the memory budget leaves; a component whose factors would take
/// more is iterated instead).
pub fn analyze_graph_within(story: &Story, g: &Graph, elimination_bytes: usize) -> Analysis {
    analyze_graph_with(
        story,
        g,
        Bounds {
            allow_exact: true,
            work: MAX_SOLVE_WORK,
            elimination_bytes,
        },
    )
}

/// What one analysis may use.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    /// Whether exact arithmetic may be used when affordable.
    allow_exact: bool,
    /// The work to spend solving the chain.
    work: u64,
    /// The bytes each component's elimination may hold.
    elimination_bytes: usize,
}

impl Bounds {
    /// The usual bounds, in floating point only: for tests of the solvers.
    #[cfg(test)]
    fn float() -> Bounds {
        Bounds {
            allow_exact: false,
            work: MAX_SOLVE_WORK,
            elimination_bytes: ELIMINATION_MAX_BYTES,
        }
    }
}

fn analyze_graph_with(story: &Story, g: &Graph, bounds: Bounds) -> Analysis {
    assert!(!g.limited(), "the analysis needs the whole state graph");
    let (chain, outcome_nodes) = Chain::new(story, g);
    let o = outcome_nodes.len();
    let classes = o + 3;
    let exact = bounds.allow_exact && g.state_count <= EXACT_MAX_STATES && exact_affordable(&chain);
    let mut stats = Sweeps {
        sweeps: 0,
        converged: true,
        work_left: bounds.work,
        max_entries: bounds.elimination_bytes / ELIMINATION_BYTES_PER_ENTRY,
    };
    let solved = run(&chain, classes, exact, &mut stats);

    let runner = Runner::new(story);
    let mut state = runner.initial_state();
    let hidden: Vec<u32> = (0..story.variables.len() as u32)
        .filter(|&v| !story.variables[v as usize].shown)
        .collect();

    // Outcome states: counts, the first in breadth-first order, and value ranges.
    let mut count = vec![0usize; o];
    let mut first = vec![None; o];
    let mut ranges: Vec<Vec<Option<(i64, i64)>>> = vec![vec![None; hidden.len()]; o];
    for i in 0..g.len() {
        if g.kinds[i] != Kind::Outcome {
            continue;
        }
        let k = chain.class[i] as usize;
        count[k] += 1;
        first[k].get_or_insert(i as u32);
        g.state_into(i as u32, &mut state);
        for (slot, &v) in ranges[k].iter_mut().zip(&hidden) {
            let x = state.vars[v as usize];
            *slot = Some(slot.map_or((x, x), |(lo, hi)| (lo.min(x), hi.max(x))));
        }
    }

    let outcomes = outcome_nodes
        .iter()
        .enumerate()
        .map(|(k, &node)| {
            let p = &solved.prob[k];
            let expected_choices = (p.value > 0.0).then(|| Figure {
                value: solved.weighted[k] / p.value,
                exact: match (&solved.weighted_exact[k], &solved.prob_exact[k]) {
                    (Some(w), Some(p)) if !Zero::is_zero(p) => Some((w / p).to_string()),
                    _ => None,
                },
            });
            OutcomeReport {
                node,
                states: count[k],
                probability: p.clone(),
                shortest: first[k].map(|i| shortest(story, g, &runner, i)),
                expected_choices,
                ranges: ranges[k].clone(),
            }
        })
        .collect();

    let sum = |ks: &[usize]| -> Figure {
        if exact {
            let mut t = <BigRational as Zero>::zero();
            for &k in ks {
                t += solved.prob_exact[k].as_ref().expect("exact figures");
            }
            figure(&t)
        } else {
            figure(&ks.iter().fold(0.0, |t, &k| t + solved.prob[k].value))
        }
    };
    let by_rating = |r: Rating| -> Vec<usize> {
        (0..o)
            .filter(|&k| story.nodes[outcome_nodes[k] as usize].rating() == Some(r))
            .collect()
    };
    let ratings = [
        sum(&by_rating(Rating::Good)),
        sum(&by_rating(Rating::Mixed)),
        sum(&by_rating(Rating::Bad)),
    ];
    let stuck = Stuck {
        dead_end: solved.prob[o + DEAD_END].clone(),
        divert_loop: solved.prob[o + DIVERT_LOOP].clone(),
        endless_loop: solved.prob[o + ENDLESS_LOOP].clone(),
        total: sum(&[o + DEAD_END, o + DIVERT_LOOP, o + ENDLESS_LOOP]),
    };

    Analysis {
        states: g.state_count,
        exact,
        sweeps: stats.sweeps,
        converged: stats.converged,
        hidden,
        outcomes,
        ratings,
        stuck,
        expected_choices: solved.expected,
        choices: choice_reports(story, &chain, &runner),
    }
}

/// The choices from the start to entry `i`.
fn shortest(story: &Story, g: &Graph, runner: &Runner<'_>, i: u32) -> Vec<Step> {
    let mut s = runner.initial_state();
    let mut offered = Vec::new();
    g.trail(i)
        .windows(2)
        .map(|w| {
            g.state_into(w[0], &mut s);
            runner.available(&s, &mut offered);
            let index = g.parent_choice[w[1] as usize] as usize;
            let number = offered
                .iter()
                .position(|&c| c == index)
                .map_or(0, |p| p + 1);
            let choice = &story.nodes[s.node as usize].choices[index];
            Step {
                number,
                index,
                text: story.render(&choice.text, &s),
            }
        })
        .collect()
}

/// Per choice: where it is offered, and which ends remain reachable after it.
fn choice_reports(story: &Story, chain: &Chain<'_>, runner: &Runner<'_>) -> Vec<ChoiceReport> {
    let g = chain.g;
    let o = story.nodes.iter().filter(|n| n.is_outcome()).count() as u32;
    // Ends reachable from each component, successors first.
    let mut reach = vec![Ends::default(); chain.components()];
    for c in 0..chain.components() {
        let mut e = Ends::default();
        for &s in chain.members(c) {
            let class = chain.class[s as usize];
            if class != TRANSIENT {
                e = e | if class < o {
                    Ends::rating(
                        story.nodes[g.node(s) as usize]
                            .rating()
                            .expect("an outcome"),
                    )
                } else {
                    Ends::STUCK
                };
            }
            for (t, _) in g.successors(s) {
                let tc = chain.comp[t as usize] as usize;
                if tc != c {
                    e = e | reach[tc];
                }
            }
        }
        reach[c] = e;
    }
    let total = runner.choice_count() as usize;
    let mut offered_in = vec![0usize; total];
    let mut some = vec![Ends::default(); total];
    let mut every = vec![Ends::ALL; total];
    for s in 0..g.len() as u32 {
        if g.kinds[s as usize] != Kind::Waiting {
            continue;
        }
        let node = g.node(s);
        for (t, ci) in g.successors(s) {
            let id = runner.choice_id(node, ci as usize) as usize;
            let e = reach[chain.comp[t as usize] as usize];
            offered_in[id] += 1;
            some[id] = some[id] | e;
            every[id] = every[id] & e;
        }
    }
    let mut out = Vec::with_capacity(total);
    for (n, node) in story.nodes.iter().enumerate() {
        for c in 0..node.choices.len() {
            let id = runner.choice_id(n as u32, c) as usize;
            out.push(ChoiceReport {
                node: n as u32,
                index: c,
                offered_in: offered_in[id],
                some: some[id],
                every: if offered_in[id] == 0 {
                    Ends::default()
                } else {
                    every[id]
                },
            });
        }
    }
    out
}

/// How a variable's range at an outcome reads: `3..7`, `5`, `true`, or `either` for a
/// true/false variable seen both ways.
pub fn describe_range(story: &Story, var: u32, range: (i64, i64)) -> String {
    let v = &story.variables[var as usize];
    let (lo, hi) = range;
    match v.ty {
        VarType::Bool if lo != hi => "either".to_string(),
        _ if lo == hi => v.format(lo),
        _ => format!("{lo}..{hi}"),
    }
}

#[cfg(test)]
mod tests;
