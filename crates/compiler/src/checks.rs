//! The author's checks (`check always | never | can reach | whenever`), proven on the
//! explored state graph: each check's expressions are evaluated once per state, and a
//! failing check names the nearest state that breaks it, with the path there.

use threshold_runtime::ir::{CheckKind, Expr, Story};
use threshold_runtime::{eval, get_bit, set_bit, Runner};

use crate::csr::{reversed, Csr};
use crate::diagnostic::{Code, Diagnostic};
use crate::explore::{Graph, Kind};
use crate::lower::SourceMap;
use crate::soundness::describe_values;

/// What proving the checks found.
#[derive(Debug, Default)]
pub struct Proof {
    /// One `check-failed` per check that does not hold.
    pub diagnostics: Vec<Diagnostic>,
    /// How many checks hold.
    pub hold: usize,
}

/// A bitset over the graph's states.
type Bits = Vec<u64>;

/// Proves every check of the story on a graph explored to the end (no state limit).
pub fn prove(story: &Story, map: &SourceMap, graph: &Graph) -> Proof {
    let mut proof = Proof::default();
    if story.checks.is_empty() {
        return proof;
    }
    // Every expression of every check, evaluated in one pass over the states.
    let exprs: Vec<&Expr> = story.checks.iter().flat_map(|c| c.kind.exprs()).collect();
    let sets = evaluate(graph, story, &exprs);
    let mut next = 0;
    let mut rev = None;
    for (k, check) in story.checks.iter().enumerate() {
        let site = map.checks[k];
        let name = match &check.label {
            Some(l) => format!("the check \"{l}\""),
            None => format!("the check `{}`", check.text),
        };
        let (broken, what) = match &check.kind {
            CheckKind::Always { .. } => {
                let s = &sets[next];
                next += 1;
                (
                    first_state(graph, |i| !get_bit(s, i)),
                    "where it does not hold",
                )
            }
            CheckKind::Never { .. } => {
                let s = &sets[next];
                next += 1;
                (
                    first_state(graph, |i| get_bit(s, i)),
                    "where the condition it forbids holds",
                )
            }
            CheckKind::CanReach { .. } => {
                let s = &sets[next];
                next += 1;
                if first_state(graph, |i| get_bit(s, i)).is_some() {
                    proof.hold += 1;
                } else {
                    proof.diagnostics.push(
                        Diagnostic::new(
                            Code::CheckFailed,
                            site,
                            format!("{name} fails: no reachable state satisfies it"),
                            "no play gets here",
                        )
                        .with_help(
                            "open a way to such a state (loosen a guard, add a choice), or correct the check",
                        ),
                    );
                }
                continue;
            }
            CheckKind::Whenever { .. } => {
                let (when, reach) = (&sets[next], &sets[next + 1]);
                next += 2;
                let rev = rev.get_or_insert_with(|| reversed(graph, |_, _| ()));
                let can = backward_reach(graph, rev, reach);
                (
                    first_state(graph, |i| get_bit(when, i) && !get_bit(&can, i)),
                    "where its first condition holds and no state satisfying its second can be reached",
                )
            }
        };
        let Some(i) = broken else {
            proof.hold += 1;
            continue;
        };
        let mut scratch = Runner::new(story).initial_state();
        graph.state_into(i, &mut scratch);
        let node = &story.nodes[graph.node(i) as usize].id;
        let values = describe_values(story, &scratch.vars);
        let values = if values.is_empty() {
            String::new()
        } else {
            format!(" ({values})")
        };
        let mut d = Diagnostic::new(
            Code::CheckFailed,
            site,
            format!("{name} fails: play can reach `{node}`{values}, {what}"),
            "does not hold",
        )
        .with_help(
            "the choices below lead to the breaking state; change the story so that play \
             cannot get there, or correct the check",
        )
        .with_path(graph.route(story, i));
        d.node = Some(node.clone());
        proof.diagnostics.push(d);
    }
    proof
}

/// For each expression, the set of states (divert-loop markers excluded) where it holds.
fn evaluate(graph: &Graph, story: &Story, exprs: &[&Expr]) -> Vec<Bits> {
    let n = graph.len();
    let mut sets = vec![vec![0u64; n.div_ceil(64)]; exprs.len()];
    let mut scratch = Runner::new(story).initial_state();
    for i in 0..n {
        if graph.kinds[i] == Kind::DivertLoop {
            continue;
        }
        graph.state_into(i as u32, &mut scratch);
        for (set, e) in sets.iter_mut().zip(exprs) {
            if eval(e, &scratch) != 0 {
                set_bit(set, i);
            }
        }
    }
    sets
}

/// The nearest state (states are numbered in breadth-first order, choices in source
/// order) that satisfies `breaks`; divert-loop markers are not states.
fn first_state(graph: &Graph, breaks: impl Fn(usize) -> bool) -> Option<u32> {
    (0..graph.len())
        .find(|&i| graph.kinds[i] != Kind::DivertLoop && breaks(i))
        .map(|i| i as u32)
}

/// The states from which some state of `goal` can be reached (each goal state included).
fn backward_reach(graph: &Graph, rev: &Csr<(u32, ())>, goal: &Bits) -> Bits {
    let n = graph.len();
    let mut can = goal.clone();
    let mut stack: Vec<u32> = (0..n as u32)
        .filter(|&i| get_bit(goal, i as usize))
        .collect();
    while let Some(t) = stack.pop() {
        for &(p, ()) in rev.row(t) {
            if !get_bit(&can, p as usize) {
                set_bit(&mut can, p as usize);
                stack.push(p);
            }
        }
    }
    can
}
