//! Strongly connected components of the state graph, with Pearce's space-efficient
//! variant of Tarjan's algorithm.

use threshold_runtime::{get_bit, set_bit};

use super::graph::{Graph, Kind};

#[derive(Debug)]
pub struct Components {
    /// Component of each state; components are numbered in reverse topological order
    /// (every edge goes to a component with a smaller or equal number).
    pub comp: Vec<u32>,
    /// Per component: whether an outcome is reachable from it.
    pub reaches_outcome: Vec<bool>,
    /// Per component: no edge leaves it.
    pub closed: Vec<bool>,
    /// Per component: it holds a cycle (more than one state, or a state with an edge to itself).
    pub cyclic: Vec<bool>,
}

/// Reads the entries of a state's successors before they are needed, so that their
/// cache misses overlap rather than follow one another.
#[inline]
fn touch_successors(rindex: &[u32], succ: &[u32]) {
    let mut acc = 0u32;
    for &t in succ {
        acc ^= rindex[t as usize];
    }
    std::hint::black_box(acc);
}

/// Strongly connected components with Pearce's space-efficient variant of Tarjan's
/// algorithm (iterative): one word per state (`rindex`, which ends up holding the
/// component) and one bit (`root`), besides the two stacks.
///
/// While a state is on the search path or waiting on the stack, `rindex` holds its
/// low index (counted up from 1); once its component is complete, it holds the
/// component's value, counted down from `n - 1`, which is always larger than any live
/// index, so a finished state never lowers a live one.
pub(super) fn scc(g: &Graph) -> Components {
    let n = g.len();
    let mut rindex = vec![0u32; n];
    let mut root = vec![0u64; n.div_ceil(64)];
    let mut stack: Vec<u32> = Vec::new();
    let mut calls: Vec<(u32, u32)> = Vec::new();
    let mut index = 1u32;
    let mut value = n as u32;
    let mut reaches = Vec::new();
    let mut closed = Vec::new();
    let mut cyclic = Vec::new();
    let edges = &g.edges;
    let starts = &g.edge_start;
    for r in 0..n as u32 {
        // Only the last component to finish can hold the value 0 (it is the n-th,
        // so every state is in a component by then); 0 also marks "not visited".
        if value == 0 {
            break;
        }
        if rindex[r as usize] != 0 {
            continue;
        }
        rindex[r as usize] = index;
        index += 1;
        set_bit(&mut root, r as usize);
        calls.push((r, starts[r as usize]));
        while let Some(&mut (v, ref mut e)) = calls.last_mut() {
            let vi = v as usize;
            if *e < starts[vi + 1] {
                let t = edges[*e as usize] as usize;
                *e += 1;
                if rindex[t] == 0 {
                    rindex[t] = index;
                    index += 1;
                    set_bit(&mut root, t);
                    calls.push((t as u32, starts[t]));
                    touch_successors(&rindex, &edges[starts[t] as usize..starts[t + 1] as usize]);
                } else if rindex[t] < rindex[vi] {
                    rindex[vi] = rindex[t];
                    root[vi / 64] &= !(1 << (vi % 64));
                }
                continue;
            }
            calls.pop();
            if get_bit(&root, vi) {
                // `v` roots a component: it and the stack's states above its index.
                index -= 1;
                let rv = rindex[vi];
                let mut start = stack.len();
                while start > 0 && rv <= rindex[stack[start - 1] as usize] {
                    start -= 1;
                    index -= 1;
                }
                value -= 1;
                let c = value;
                rindex[vi] = c;
                for &m in &stack[start..] {
                    rindex[m as usize] = c;
                }
                let mut reach = false;
                let mut is_closed = true;
                let mut self_loop = false;
                let members = std::iter::once(v).chain(stack[start..].iter().copied());
                for m in members {
                    let mi = m as usize;
                    if g.kinds[mi] == Kind::Outcome {
                        reach = true;
                    }
                    for &t in &edges[starts[mi] as usize..starts[mi + 1] as usize] {
                        let tc = rindex[t as usize];
                        if tc != c {
                            is_closed = false;
                            reach |= reaches[(n as u32 - 1 - tc) as usize];
                        } else if t == m {
                            self_loop = true;
                        }
                    }
                }
                let size = stack.len() - start + 1;
                stack.truncate(start);
                reaches.push(reach);
                closed.push(is_closed);
                cyclic.push(size > 1 || self_loop);
            } else {
                stack.push(v);
            }
            if let Some(&(u, _)) = calls.last() {
                let ui = u as usize;
                if rindex[vi] < rindex[ui] {
                    rindex[ui] = rindex[vi];
                    root[ui / 64] &= !(1 << (ui % 64));
                }
            }
        }
    }
    // Number components in the order they finished: every edge leads to a component
    // that finished no later.
    for x in &mut rindex {
        *x = n as u32 - 1 - *x;
    }
    Components {
        comp: rindex,
        reaches_outcome: reaches,
        closed,
        cyclic,
    }
}
