//! Sparse LU of one strongly connected component of the chain, by GTH elimination.
//!
//! Within a component of m transient states the expected visits `x` solve
//! x (I − P) = b, with P the moves between the component's states and b what flows in.
//! I − P is an M-matrix, diagonally dominant by rows (each row's mass leaving the
//! component makes up the difference), and stays so under elimination in any order,
//! so no pivoting is needed for stability and the order can be chosen for sparsity
//! alone: Markowitz's rule, the state whose in-degree times out-degree is smallest
//! first (kept in a binary heap with lazy deletion).
//!
//! Eliminating state k redirects every move into k onto k's own moves:
//! P(i,j) += P(i,k) P(k,j) / d_k, where the pivot d_k = 1 − P(k,k) is computed as the
//! mass k sends elsewhere (to states not yet eliminated, or out of the component) —
//! the Grassmann–Taksar–Heyman (GTH) variant of Gaussian elimination, which never
//! subtracts, so every entry keeps its relative accuracy and the probabilities that
//! come out sum to one to rounding. The same code runs in exact rationals.
//!
//! The factors are kept (row k of U: P(k,j) for the states j eliminated later; column
//! k of L: P(i,k) for the states i eliminated later, both as they stood when k was
//! eliminated), so each right-hand side costs one forward and one backward pass.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::chain::Scalar;

/// A component's matrix before elimination, in local state numbers `0..m`.
#[derive(Debug)]
pub(super) struct Local<S> {
    /// Per state: its moves to other states of the component (a target may appear
    /// more than once; the entries are summed), self-moves left out.
    pub rows: Vec<Vec<(u32, S)>>,
    /// Per state: the probability of leaving the component in one move.
    pub exit: Vec<S>,
}

/// The kept factors: step `t` eliminated state `order[t]`.
#[derive(Debug)]
pub(super) struct Factors<S> {
    order: Vec<u32>,
    /// Per step: 1 / d_k.
    inv_pivot: Vec<S>,
    /// Per step: `u[u_start[t]..u_start[t + 1]]` is row k of U divided by d_k.
    u_start: Vec<usize>,
    u: Vec<(u32, S)>,
    /// Per step: `l[l_start[t]..l_start[t + 1]]` is column k of L.
    l_start: Vec<usize>,
    l: Vec<(u32, S)>,
}

/// Why an elimination stopped: it would have cost more than it was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TooCostly {
    /// The work spent before it stopped.
    pub spent: u64,
}

impl<S: Scalar> Factors<S> {
    /// Factors the component, spending at most `max_work` units (one per entry read or
    /// updated) and holding at most `max_entries` entries at once. Also returns the
    /// work spent.
    pub fn new(
        local: Local<S>,
        max_work: u64,
        max_entries: usize,
    ) -> Result<(Factors<S>, u64), TooCostly> {
        let Local { mut rows, mut exit } = local;
        let m = rows.len();
        // Sum repeated targets; count in-degrees; list who moves into each state.
        let mut mark = vec![u32::MAX; m];
        let mut indeg = vec![0u32; m];
        let mut cols: Vec<Vec<u32>> = vec![Vec::new(); m];
        let mut entries = 0usize;
        for (i, row) in rows.iter_mut().enumerate() {
            let mut w = 0;
            for r in 0..row.len() {
                let (j, p) = row[r].clone();
                let at = mark[j as usize];
                if at != u32::MAX {
                    let slot = &mut row[at as usize].1;
                    *slot = slot.add(&p);
                } else {
                    mark[j as usize] = w as u32;
                    row[w] = (j, p);
                    w += 1;
                    indeg[j as usize] += 1;
                    cols[j as usize].push(i as u32);
                }
            }
            row.truncate(w);
            for &(j, _) in row.iter() {
                mark[j as usize] = u32::MAX;
            }
            entries += w;
        }
        let score = |indeg: &[u32], rows: &[Vec<(u32, S)>], k: usize| {
            u64::from(indeg[k]) * rows[k].len() as u64
        };
        let mut heap: BinaryHeap<Reverse<(u64, u32)>> = (0..m)
            .map(|k| Reverse((score(&indeg, &rows, k), k as u32)))
            .collect();
        let mut alive = vec![true; m];
        let mut f = Factors {
            order: Vec::with_capacity(m),
            inv_pivot: Vec::with_capacity(m),
            u_start: vec![0],
            u: Vec::new(),
            l_start: vec![0],
            l: Vec::new(),
        };
        let mut work = 0u64;
        while let Some(Reverse((s, k))) = heap.pop() {
            let k = k as usize;
            if !alive[k] || s != score(&indeg, &rows, k) {
                continue;
            }
            alive[k] = false;
            let row_k = std::mem::take(&mut rows[k]);
            // d_k: what k sends elsewhere (GTH: no subtraction).
            let mut d = exit[k].clone();
            for (_, p) in &row_k {
                d = d.add(p);
            }
            let inv = S::one().div(&d);
            let exit_k = exit[k].clone();
            for &i in &std::mem::take(&mut cols[k]) {
                let i = i as usize;
                if !alive[i] {
                    continue;
                }
                let row_i = &mut rows[i];
                let Some(at) = row_i.iter().position(|&(j, _)| j as usize == k) else {
                    continue;
                };
                let (_, a) = row_i.swap_remove(at);
                entries -= 1;
                let factor = a.mul(&inv);
                f.l.push((i as u32, a));
                work += (row_i.len() + row_k.len()) as u64;
                for (r, &(j, _)) in row_i.iter().enumerate() {
                    mark[j as usize] = r as u32;
                }
                for (j, p) in &row_k {
                    let j = *j as usize;
                    if j == i {
                        // A move back to i: its self-loop, which GTH leaves out.
                        continue;
                    }
                    let add = factor.mul(p);
                    let at = mark[j];
                    if at != u32::MAX {
                        let slot = &mut row_i[at as usize].1;
                        *slot = slot.add(&add);
                    } else {
                        mark[j] = row_i.len() as u32;
                        row_i.push((j as u32, add));
                        indeg[j] += 1;
                        cols[j].push(i as u32);
                        entries += 1;
                    }
                }
                for &(j, _) in row_i.iter() {
                    mark[j as usize] = u32::MAX;
                }
                exit[i] = exit[i].add(&factor.mul(&exit_k));
                heap.push(Reverse((score(&indeg, &rows, i), i as u32)));
            }
            if work > max_work || entries + f.u.len() + f.l.len() > max_entries {
                return Err(TooCostly { spent: work });
            }
            for (j, p) in row_k {
                indeg[j as usize] -= 1;
                entries -= 1;
                f.u.push((j, p.mul(&inv)));
                heap.push(Reverse((score(&indeg, &rows, j as usize), j)));
            }
            f.order.push(k as u32);
            f.inv_pivot.push(inv);
            f.u_start.push(f.u.len());
            f.l_start.push(f.l.len());
        }
        work += (f.u.len() + f.l.len()) as u64;
        Ok((f, work))
    }

    /// The work one [`Factors::solve`] costs.
    pub fn solve_work(&self) -> u64 {
        (self.u.len() + self.l.len() + self.order.len()) as u64
    }

    /// Solves x (I − P) = b in place: `b` in, `x` out, in local state numbers.
    pub fn solve(&self, b: &mut [S]) {
        for (t, &k) in self.order.iter().enumerate() {
            let bk = b[k as usize].clone();
            if bk.is_zero() {
                continue;
            }
            for (j, q) in &self.u[self.u_start[t]..self.u_start[t + 1]] {
                let slot = &mut b[*j as usize];
                *slot = slot.add(&bk.mul(q));
            }
        }
        for (t, &k) in self.order.iter().enumerate().rev() {
            let mut v = b[k as usize].clone();
            for (i, a) in &self.l[self.l_start[t]..self.l_start[t + 1]] {
                v = v.add(&b[*i as usize].mul(a));
            }
            b[k as usize] = v.mul(&self.inv_pivot[t]);
        }
    }
}
