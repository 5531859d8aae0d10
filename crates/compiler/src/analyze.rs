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
//! order, so the acyclic parts of a story cost one pass. A component with a cycle
//! (a sticky "try again", say) is solved directly when it has at most
//! [`DENSE_F64_MAX`] states and by Gauss–Seidel iteration (to a relative
//! [`TOLERANCE`]) when it is larger; all of it within [`MAX_SOLVE_WORK`], past which
//! the figures are reported as not computed. Stories of at
//! most [`EXACT_MAX_STATES`] states whose cycles all have at most [`DENSE_MAX`] states
//! (and [`EXACT_WORK`] in all) are solved in exact rational arithmetic instead.
//!
//! # Expected choices
//!
//! The *expected number of choices* counts the choices made until play ends: at an
//! outcome, at a dead end or divert loop, or on entering an endless loop. For one
//! outcome it is the same count *given* that play ends at that outcome
//! (E[choices · 1{ends there}] / P(ends there)). Both come from two forward passes: the
//! first gives the expected visits `x` to each state; the second, fed with the arrivals
//! of the first, gives E[choices before arriving] summed over arrivals.

use num_rational::BigRational;
use num_traits::{ToPrimitive, Zero};
use threshold_runtime::ir::{Rating, Story, VarType};
use threshold_runtime::Runner;

use crate::explore::{Graph, Kind, Limits, Stopped};

/// The largest story (in states) also solved in exact rational arithmetic.
pub const EXACT_MAX_STATES: usize = 5_000;
/// Cycles (strongly connected components) up to this many states are solved directly.
pub const DENSE_MAX: usize = 48;
/// Exact arithmetic is used only while the direct solves cost at most this much work
/// (the sum of m³ over the cycles of m states).
pub const EXACT_WORK: usize = 1_000_000;
/// Gauss–Seidel stops when a sweep changes the values by no more than this, relative
/// to their sum, and the error still left, estimated from how fast the changes shrink,
/// is below it too.
pub const TOLERANCE: f64 = 1e-12;
/// Gauss–Seidel gives up after this many sweeps over one component.
const MAX_SWEEPS: usize = 200_000;
/// Cycles of up to this many states are solved directly in floating point too, by
/// elimination (about m³/3 steps), rather than iterated: a long corridor that the
/// iteration would take millions of sweeps to settle is solved exactly enough.
pub const DENSE_F64_MAX: usize = 1_024;
/// The most work (edge visits of Gauss–Seidel, steps of elimination) one analysis
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
// The chain.

const TRANSIENT: u32 = u32::MAX;

/// The explored graph seen as an absorbing chain.
struct Chain<'g> {
    g: &'g Graph,
    /// For each entry: [`TRANSIENT`], or the index of the end class it belongs to.
    class: Vec<u32>,
    /// For each entry: how many choices leave it.
    deg: Vec<u32>,
    comp: Vec<u32>,
    /// Entries grouped by component; `groups[c]` is `order[start[c]..start[c + 1]]`.
    order: Vec<u32>,
    start: Vec<usize>,
    /// Per component: transient with a cycle (needs solving).
    cyclic: Vec<bool>,
}

/// End classes after the outcome nodes.
const DEAD_END: usize = 0;
const DIVERT_LOOP: usize = 1;
const ENDLESS_LOOP: usize = 2;

impl<'g> Chain<'g> {
    fn new(story: &Story, g: &'g Graph) -> (Chain<'g>, Vec<u32>) {
        let comps = g.components();
        let n = g.len();
        // End classes: one per outcome node, then the three stuck ones.
        let mut outcome_class = vec![u32::MAX; story.nodes.len()];
        let mut outcome_nodes = Vec::new();
        for (i, node) in story.nodes.iter().enumerate() {
            if node.is_outcome() {
                outcome_class[i] = outcome_nodes.len() as u32;
                outcome_nodes.push(i as u32);
            }
        }
        let o = outcome_nodes.len() as u32;
        let mut class = vec![TRANSIENT; n];
        let mut deg = vec![0u32; n];
        for i in 0..n {
            let c = comps.comp[i] as usize;
            class[i] = match g.kinds[i] {
                Kind::Outcome => outcome_class[g.node(i as u32) as usize],
                Kind::DeadEnd => o + DEAD_END as u32,
                Kind::DivertLoop => o + DIVERT_LOOP as u32,
                Kind::Waiting if comps.closed[c] => o + ENDLESS_LOOP as u32,
                Kind::Waiting => TRANSIENT,
            };
            if class[i] == TRANSIENT {
                deg[i] = g.successors(i as u32).count() as u32;
            }
        }
        let k = comps.closed.len();
        let mut start = vec![0usize; k + 1];
        for &c in &comps.comp {
            start[c as usize + 1] += 1;
        }
        for c in 0..k {
            start[c + 1] += start[c];
        }
        let mut fill = start.clone();
        let mut order = vec![0u32; n];
        for (i, &c) in comps.comp.iter().enumerate() {
            order[fill[c as usize]] = i as u32;
            fill[c as usize] += 1;
        }
        let cyclic = (0..k)
            .map(|c| comps.cyclic[c] && class[order[start[c]] as usize] == TRANSIENT)
            .collect();
        (
            Chain {
                g,
                class,
                deg,
                comp: comps.comp,
                order,
                start,
                cyclic,
            },
            outcome_nodes,
        )
    }

    fn components(&self) -> usize {
        self.start.len() - 1
    }

    fn members(&self, c: usize) -> &[u32] {
        &self.order[self.start[c]..self.start[c + 1]]
    }

    /// Whether exact arithmetic is affordable: every cyclic component small enough to
    /// solve directly, and the direct solves' work (m³ each) within [`EXACT_WORK`].
    fn exact_affordable(&self) -> bool {
        let mut work = 0usize;
        for c in (0..self.components()).filter(|&c| self.cyclic[c]) {
            let m = self.members(c).len();
            if m > DENSE_MAX {
                return false;
            }
            work += m * m * m;
        }
        work <= EXACT_WORK
    }

    /// Pushes `source` through the chain. Returns, for each transient entry, its
    /// expected number of visits, and for each absorbing entry, the mass absorbed
    /// there.
    fn forward<S: Scalar>(&self, mut flow: Vec<S>, stats: &mut Sweeps) -> Vec<S> {
        let mut local = vec![u32::MAX; self.g.len()];
        for c in (0..self.components()).rev() {
            let members = self.members(c);
            if self.class[members[0] as usize] != TRANSIENT {
                continue;
            }
            if self.cyclic[c] {
                for (l, &s) in members.iter().enumerate() {
                    local[s as usize] = l as u32;
                }
                if members.len() <= DENSE_MAX {
                    self.dense_forward(members, &local, &mut flow);
                } else {
                    S::large_forward(self, members, &local, &mut flow, stats);
                }
                for &s in members {
                    local[s as usize] = u32::MAX;
                }
            }
            for &s in members {
                let share = flow[s as usize].mul(&S::recip(self.deg[s as usize]));
                for (t, _) in self.g.successors(s) {
                    if self.comp[t as usize] as usize != c {
                        let slot = &mut flow[t as usize];
                        *slot = slot.add(&share);
                    }
                }
            }
        }
        flow
    }

    /// Solves x = b + x·P within a small component, directly: (I − Pᵀ) x = b.
    fn dense_forward<S: Scalar>(&self, members: &[u32], local: &[u32], flow: &mut [S]) {
        let m = members.len();
        let mut a = vec![vec![S::zero(); m + 1]; m];
        for (i, &s) in members.iter().enumerate() {
            a[i][i] = S::one();
            a[i][m] = flow[s as usize].clone();
        }
        for (j, &s) in members.iter().enumerate() {
            let w = S::recip(self.deg[s as usize]);
            for (t, _) in self.g.successors(s) {
                let i = local[t as usize];
                if i != u32::MAX {
                    let cell = &mut a[i as usize][j];
                    *cell = cell.sub(&w);
                }
            }
        }
        let x = gauss(a);
        for (i, &s) in members.iter().enumerate() {
            flow[s as usize] = x[i].clone();
        }
    }
}

/// Counts Gauss–Seidel work, and what is left of [`MAX_SOLVE_WORK`].
#[derive(Debug)]
struct Sweeps {
    sweeps: usize,
    converged: bool,
    work_left: u64,
}

impl Sweeps {
    /// Spends `work`; false (and nothing spent) when not that much is left.
    fn spend(&mut self, work: u64) -> bool {
        if work > self.work_left {
            return false;
        }
        self.work_left -= work;
        true
    }
}

/// The arithmetic the chain is solved in: `f64`, or exact rationals.
trait Scalar: Clone {
    fn zero() -> Self;
    fn one() -> Self;
    /// 1 / d
    fn recip(d: u32) -> Self;
    fn add(&self, o: &Self) -> Self;
    fn sub(&self, o: &Self) -> Self;
    fn mul(&self, o: &Self) -> Self;
    fn div(&self, o: &Self) -> Self;
    /// How good a pivot this is (0 for zero).
    fn pivot_key(&self) -> f64;
    fn to_f64(&self) -> f64;
    fn exact(&self) -> Option<String>;
    /// Solves a component too large for [`gauss`].
    fn large_forward(
        chain: &Chain<'_>,
        members: &[u32],
        local: &[u32],
        flow: &mut [Self],
        stats: &mut Sweeps,
    );
}

impl Scalar for f64 {
    fn zero() -> Self {
        0.0
    }
    fn one() -> Self {
        1.0
    }
    fn recip(d: u32) -> Self {
        1.0 / f64::from(d)
    }
    fn add(&self, o: &Self) -> Self {
        self + o
    }
    fn sub(&self, o: &Self) -> Self {
        self - o
    }
    fn mul(&self, o: &Self) -> Self {
        self * o
    }
    fn div(&self, o: &Self) -> Self {
        self / o
    }
    fn pivot_key(&self) -> f64 {
        self.abs()
    }
    fn to_f64(&self) -> f64 {
        *self
    }
    fn exact(&self) -> Option<String> {
        None
    }

    /// Gauss–Seidel on x_i = (b_i + Σ_{j≠i} x_j P(j,i)) / (1 − P(i,i)), in state order.
    fn large_forward(
        chain: &Chain<'_>,
        members: &[u32],
        local: &[u32],
        flow: &mut [f64],
        stats: &mut Sweeps,
    ) {
        let m = members.len();
        if !stats.converged {
            // An earlier component was not solved: nothing here would be a figure.
            return;
        }
        if m <= DENSE_F64_MAX && stats.spend((m as u64).pow(3) / 3 + 1) {
            chain.dense_forward(members, local, flow);
            return;
        }
        let b: Vec<f64> = members.iter().map(|&s| flow[s as usize]).collect();
        let mut keep = vec![1.0f64; m];
        // Incoming edges within the component, as (source local index, weight).
        let mut inc_start = vec![0usize; m + 1];
        for &s in members {
            for (t, _) in chain.g.successors(s) {
                let i = local[t as usize];
                if i != u32::MAX && t != s {
                    inc_start[i as usize + 1] += 1;
                }
            }
        }
        for i in 0..m {
            inc_start[i + 1] += inc_start[i];
        }
        let mut fill = inc_start.clone();
        let mut inc = vec![(0u32, 0.0f64); inc_start[m]];
        for (j, &s) in members.iter().enumerate() {
            let w = 1.0 / f64::from(chain.deg[s as usize]);
            for (t, _) in chain.g.successors(s) {
                let i = local[t as usize];
                if i == u32::MAX {
                    continue;
                }
                if t == s {
                    keep[j] -= w;
                } else {
                    inc[fill[i as usize]] = (j as u32, w);
                    fill[i as usize] += 1;
                }
            }
        }
        let mut x = b.clone();
        let mut converged = false;
        let mut previous = f64::INFINITY;
        let sweep_work = (m + inc.len()) as u64;
        for _ in 0..MAX_SWEEPS {
            if !stats.spend(sweep_work) {
                break;
            }
            stats.sweeps += 1;
            let (mut moved, mut total) = (0.0f64, 0.0f64);
            for i in 0..m {
                let mut v = b[i];
                for &(j, w) in &inc[inc_start[i]..inc_start[i + 1]] {
                    v += x[j as usize] * w;
                }
                v /= keep[i];
                moved += (v - x[i]).abs();
                total += v.abs();
                x[i] = v;
            }
            let change = if total > 0.0 { moved / total } else { 0.0 };
            // The remaining error is about change · ρ / (1 − ρ), with ρ the rate at
            // which the changes shrink; stop when that is below the tolerance too.
            let rate = (change / previous).min(0.999_999);
            previous = change;
            if change <= TOLERANCE && change * rate / (1.0 - rate) <= TOLERANCE {
                converged = true;
                break;
            }
        }
        stats.converged &= converged;
        for (i, &s) in members.iter().enumerate() {
            flow[s as usize] = x[i];
        }
    }
}

impl Scalar for BigRational {
    fn zero() -> Self {
        Zero::zero()
    }
    fn one() -> Self {
        num_traits::One::one()
    }
    fn recip(d: u32) -> Self {
        BigRational::new(1.into(), d.into())
    }
    fn add(&self, o: &Self) -> Self {
        self + o
    }
    fn sub(&self, o: &Self) -> Self {
        self - o
    }
    fn mul(&self, o: &Self) -> Self {
        self * o
    }
    fn div(&self, o: &Self) -> Self {
        self / o
    }
    fn pivot_key(&self) -> f64 {
        if self.is_zero() {
            0.0
        } else {
            1.0
        }
    }
    fn to_f64(&self) -> f64 {
        ToPrimitive::to_f64(self).unwrap_or(f64::NAN)
    }
    fn exact(&self) -> Option<String> {
        Some(self.to_string())
    }
    fn large_forward(
        chain: &Chain<'_>,
        members: &[u32],
        local: &[u32],
        flow: &mut [Self],
        _: &mut Sweeps,
    ) {
        chain.dense_forward(members, local, flow);
    }
}

/// Solves A·x = b by Gaussian elimination with partial pivoting; `a` holds the rows
/// of A with b as their last column. A is nonsingular here: I − Pᵀ of a component
/// from which play can leave.
fn gauss<S: Scalar>(mut a: Vec<Vec<S>>) -> Vec<S> {
    let m = a.len();
    for col in 0..m {
        let pivot = (col..m)
            .max_by(|&p, &q| a[p][col].pivot_key().total_cmp(&a[q][col].pivot_key()))
            .expect("a row to pivot on");
        a.swap(col, pivot);
        let p = a[col][col].clone();
        if p.pivot_key() == 0.0 {
            continue;
        }
        for row in col + 1..m {
            if a[row][col].pivot_key() == 0.0 {
                continue;
            }
            let f = a[row][col].div(&p);
            let (top, bottom) = a.split_at_mut(row);
            for (cell, pv) in bottom[0][col..].iter_mut().zip(&top[col][col..]) {
                *cell = cell.sub(&pv.mul(&f));
            }
        }
    }
    let mut x = vec![S::zero(); m];
    for row in (0..m).rev() {
        let mut v = a[row][m].clone();
        for k in row + 1..m {
            v = v.sub(&a[row][k].mul(&x[k]));
        }
        x[row] = v.div(&a[row][row]);
    }
    x
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
    let n = chain.g.len();
    let mut source = vec![S::zero(); n];
    source[0] = S::one();
    let first = chain.forward(source, stats);
    // The second pass is fed with the arrivals of the first: each entry's total,
    // less the start's initial one.
    let mut arrivals = first.clone();
    arrivals[0] = arrivals[0].sub(&S::one());
    let second = chain.forward(arrivals, stats);
    let mut prob = vec![S::zero(); classes];
    let mut weighted = vec![S::zero(); classes];
    let mut expected = S::zero();
    for i in 0..n {
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

/// Analyses a story from its fully explored graph (not stopped at the state limit).
pub fn analyze_graph(story: &Story, g: &Graph) -> Analysis {
    analyze_graph_with(story, g, true, MAX_SOLVE_WORK)
}

/// [`analyze_graph`], in floating point only unless `allow_exact`.
fn analyze_graph_with(story: &Story, g: &Graph, allow_exact: bool, work: u64) -> Analysis {
    assert!(!g.limited(), "the analysis needs the whole state graph");
    let (chain, outcome_nodes) = Chain::new(story, g);
    let o = outcome_nodes.len();
    let classes = o + 3;
    let exact = allow_exact && g.state_count <= EXACT_MAX_STATES && chain.exact_affordable();
    let mut stats = Sweeps {
        sweeps: 0,
        converged: true,
        work_left: work,
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
                    (Some(w), Some(p)) if !p.is_zero() => Some((w / p).to_string()),
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
            figure(&ks.iter().map(|&k| solved.prob[k].value).sum::<f64>())
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
