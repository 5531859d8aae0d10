//! Gauss–Seidel iteration for a component whose sparse LU would cost too much: on
//! x_i = (b_i + Σ_{j≠i} x_j P(j,i)) / (1 − P(i,i)), in state order, until a sweep
//! changes the values by at most [`TOLERANCE`] of their sum and the error still left,
//! estimated from how fast the changes shrink, is below it too.

use super::chain::{Chain, Sweeps};
use crate::csr::Csr;

/// Gauss–Seidel's stopping tolerance, relative to the values' sum.
pub const TOLERANCE: f64 = 1e-12;
/// Gauss–Seidel gives up after this many sweeps over one component.
const MAX_SWEEPS: usize = 200_000;

/// Solves the component in place (`flow` in global numbers: what flowed in before,
/// the expected visits after); false if it did not settle within the sweep limit or
/// the work left in `stats`.
pub(super) fn gauss_seidel(
    chain: &Chain<'_>,
    members: &[u32],
    local: &[u32],
    flow: &mut [f64],
    stats: &mut Sweeps,
) -> bool {
    let m = members.len();
    let b: Vec<f64> = members.iter().map(|&s| flow[s as usize]).collect();
    // Incoming edges within the component, as (source local index, weight), and what
    // each state keeps of its own visits (less its self-loops).
    let mut keep = vec![1.0f64; m];
    for (j, &s) in members.iter().enumerate() {
        let w = 1.0 / f64::from(chain.deg[s as usize]);
        let loops = chain.g.successors(s).filter(|&(t, _)| t == s).count();
        keep[j] -= w * loops as f64;
    }
    let inc = Csr::build(m, || {
        members.iter().enumerate().flat_map(move |(j, &s)| {
            let w = 1.0 / f64::from(chain.deg[s as usize]);
            chain
                .g
                .successors(s)
                .filter(move |&(t, _)| t != s && local[t as usize] != u32::MAX)
                .map(move |(t, _)| (local[t as usize], (j as u32, w)))
        })
    });
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
            for &(j, w) in inc.row(i as u32) {
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
    for (i, &s) in members.iter().enumerate() {
        flow[s as usize] = x[i];
    }
    converged
}
