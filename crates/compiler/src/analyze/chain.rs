//! The explored graph as an absorbing Markov chain, solved one strongly connected
//! component at a time in topological order (successors last), so the acyclic parts
//! of a story cost one pass. A component with a cycle is solved directly by sparse
//! LU ([`super::eliminate`]); only one whose factors would cost more than
//! [`ELIMINATION_MAX_WORK`] or its memory budget is iterated instead
//! (Gauss–Seidel, [`super::iterate`]). All of it spends from one bound,
//! [`MAX_SOLVE_WORK`](super::MAX_SOLVE_WORK), past which nothing is computed.

use num_rational::BigRational;
use num_traits::{ToPrimitive, Zero};

use super::eliminate::{Factors, Local};
use crate::explore::{Graph, Kind};

/// The class of a state where play waits and goes on.
pub(super) const TRANSIENT: u32 = u32::MAX;

/// End classes after the outcome nodes.
pub(super) const DEAD_END: usize = 0;
pub(super) const DIVERT_LOOP: usize = 1;
pub(super) const ENDLESS_LOOP: usize = 2;

/// The most work one component's elimination may spend before the component is
/// iterated instead.
pub const ELIMINATION_MAX_WORK: u64 = 100_000_000;
/// The bytes one entry of the factors, or of a row still being eliminated, takes at
/// most in floating point (the entry, a slot of its column's list, and the slack of
/// growing vectors), for the memory budget.
pub const ELIMINATION_BYTES_PER_ENTRY: usize = 40;
/// The most bytes one component's elimination may hold unless the caller gives
/// another budget: past it, the component is iterated instead.
pub const ELIMINATION_MAX_BYTES: usize = 64 << 20;

/// The explored graph seen as an absorbing chain.
pub(super) struct Chain<'g> {
    pub g: &'g Graph,
    /// For each entry: [`TRANSIENT`], or the index of the end class it belongs to.
    pub class: Vec<u32>,
    /// For each entry: how many choices leave it.
    pub deg: Vec<u32>,
    pub comp: Vec<u32>,
    /// Entries grouped by component; `groups[c]` is `order[start[c]..start[c + 1]]`.
    order: Vec<u32>,
    start: Vec<usize>,
    /// Per component: transient with a cycle (needs solving).
    cyclic: Vec<bool>,
}

/// Counts the work spent solving, and what is left of the bound.
#[derive(Debug)]
pub(super) struct Sweeps {
    /// Gauss–Seidel sweeps, over every component that needed them.
    pub sweeps: usize,
    /// False once some component could not be solved within the bound.
    pub converged: bool,
    pub work_left: u64,
    /// The most entries a component's elimination may hold at once.
    pub max_entries: usize,
}

impl Sweeps {
    /// Spends `work`; false (and nothing spent) when not that much is left.
    pub fn spend(&mut self, work: u64) -> bool {
        if work > self.work_left {
            return false;
        }
        self.work_left -= work;
        true
    }
}

/// The arithmetic the chain is solved in: `f64`, or exact rationals.
pub(super) trait Scalar: Clone {
    fn zero() -> Self;
    fn one() -> Self;
    /// 1 / d
    fn recip(d: u32) -> Self;
    fn add(&self, o: &Self) -> Self;
    fn sub(&self, o: &Self) -> Self;
    fn mul(&self, o: &Self) -> Self;
    fn div(&self, o: &Self) -> Self;
    fn is_zero(&self) -> bool;
    fn to_f64(&self) -> f64;
    fn exact(&self) -> Option<String>;
    /// Solves the component iteratively, when this arithmetic can; false if it did
    /// not converge within the bound (or cannot iterate).
    fn iterate(
        chain: &Chain<'_>,
        members: &[u32],
        local: &[u32],
        flow: &mut [Self],
        stats: &mut Sweeps,
    ) -> bool;
}

/// The four operations of a [`Scalar`] whose type has them as operators on references.
macro_rules! arithmetic {
    () => {
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
    };
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
    arithmetic!();
    fn is_zero(&self) -> bool {
        *self == 0.0
    }
    fn to_f64(&self) -> f64 {
        *self
    }
    fn exact(&self) -> Option<String> {
        None
    }
    fn iterate(
        chain: &Chain<'_>,
        members: &[u32],
        local: &[u32],
        flow: &mut [f64],
        stats: &mut Sweeps,
    ) -> bool {
        super::iterate::gauss_seidel(chain, members, local, flow, stats)
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
    arithmetic!();
    fn is_zero(&self) -> bool {
        Zero::is_zero(self)
    }
    fn to_f64(&self) -> f64 {
        ToPrimitive::to_f64(self).unwrap_or(f64::NAN)
    }
    fn exact(&self) -> Option<String> {
        Some(self.to_string())
    }
    fn iterate(_: &Chain<'_>, _: &[u32], _: &[u32], _: &mut [Self], _: &mut Sweeps) -> bool {
        false
    }
}

impl<'g> Chain<'g> {
    /// The chain of graph `g`, and the outcome nodes in story order (end class `k` is
    /// outcome `k`; the stuck classes follow).
    pub fn new(story: &threshold_runtime::ir::Story, g: &'g Graph) -> (Chain<'g>, Vec<u32>) {
        let comps = g.components();
        let n = g.len();
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

    pub fn components(&self) -> usize {
        self.start.len() - 1
    }

    pub fn members(&self, c: usize) -> &[u32] {
        &self.order[self.start[c]..self.start[c + 1]]
    }

    /// The cyclic components' sizes.
    pub fn cycle_sizes(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.components())
            .filter(|&c| self.cyclic[c])
            .map(|c| self.members(c).len())
    }

    /// Both passes through the chain, from one unit of mass at the start. The first
    /// gives, for each transient entry, its expected number of visits, and for each
    /// absorbing entry, the mass absorbed there. The second is fed with the arrivals
    /// of the first (each entry's total, less the start's initial one) and gives
    /// E[choices before arriving] summed over arrivals.
    pub fn flows<S: Scalar>(&self, stats: &mut Sweeps) -> (Vec<S>, Vec<S>) {
        let n = self.g.len();
        let mut first = vec![S::zero(); n];
        let mut second = vec![S::zero(); n];
        first[0] = S::one();
        let arrivals = |first: &[S], s: u32| {
            if s == 0 {
                first[0].sub(&S::one())
            } else {
                first[s as usize].clone()
            }
        };
        let mut local = vec![u32::MAX; n];
        for c in (0..self.components()).rev() {
            let members = self.members(c);
            if self.class[members[0] as usize] != TRANSIENT {
                for &s in members {
                    second[s as usize] = second[s as usize].add(&arrivals(&first, s));
                }
                continue;
            }
            if self.cyclic[c] {
                for (l, &s) in members.iter().enumerate() {
                    local[s as usize] = l as u32;
                }
                self.solve_component(members, &local, &mut first, &mut second, stats);
                for &s in members {
                    local[s as usize] = u32::MAX;
                }
            } else {
                for &s in members {
                    second[s as usize] = second[s as usize].add(&arrivals(&first, s));
                }
            }
            for &s in members {
                let w = S::recip(self.deg[s as usize]);
                let (a, b) = (first[s as usize].mul(&w), second[s as usize].mul(&w));
                for (t, _) in self.g.successors(s) {
                    if self.comp[t as usize] as usize != c {
                        let t = t as usize;
                        first[t] = first[t].add(&a);
                        second[t] = second[t].add(&b);
                    }
                }
            }
        }
        (first, second)
    }

    /// Solves one cyclic component for both passes: x (I − P) = b, with b what has
    /// flowed in; the second pass's b adds the first's arrivals.
    fn solve_component<S: Scalar>(
        &self,
        members: &[u32],
        local: &[u32],
        first: &mut [S],
        second: &mut [S],
        stats: &mut Sweeps,
    ) {
        if !stats.converged {
            // An earlier component was not solved: nothing here would be a figure.
            return;
        }
        let gather =
            |v: &[S]| -> Vec<S> { members.iter().map(|&s| v[s as usize].clone()).collect() };
        let scatter = |x: Vec<S>, v: &mut [S]| {
            for (i, &s) in members.iter().enumerate() {
                v[s as usize] = x[i].clone();
            }
        };
        let add_arrivals = |first: &[S], second: &mut [S]| {
            for &s in members {
                let a = if s == 0 {
                    first[0].sub(&S::one())
                } else {
                    first[s as usize].clone()
                };
                second[s as usize] = second[s as usize].add(&a);
            }
        };
        let max_work = stats.work_left.min(ELIMINATION_MAX_WORK);
        match Factors::new(self.local(members, local), max_work, stats.max_entries) {
            Ok((factors, work)) => {
                if !stats.spend(work + 2 * factors.solve_work()) {
                    stats.converged = false;
                    return;
                }
                let mut x = gather(first);
                factors.solve(&mut x);
                scatter(x, first);
                add_arrivals(first, second);
                let mut y = gather(second);
                factors.solve(&mut y);
                scatter(y, second);
            }
            Err(too) => {
                stats.work_left = stats.work_left.saturating_sub(too.spent);
                let solved = S::iterate(self, members, local, first, stats) && {
                    add_arrivals(first, second);
                    S::iterate(self, members, local, second, stats)
                };
                stats.converged &= solved;
            }
        }
    }

    /// The component's moves in local numbers.
    fn local<S: Scalar>(&self, members: &[u32], local: &[u32]) -> Local<S> {
        let mut rows = Vec::with_capacity(members.len());
        let mut exit = Vec::with_capacity(members.len());
        for &s in members {
            let w = S::recip(self.deg[s as usize]);
            let mut row = Vec::new();
            let mut out = S::zero();
            for (t, _) in self.g.successors(s) {
                let l = local[t as usize];
                if l == u32::MAX {
                    out = out.add(&w);
                } else if t != s {
                    row.push((l, w.clone()));
                }
            }
            rows.push(row);
            exit.push(out);
        }
        Local { rows, exit }
    }
}
