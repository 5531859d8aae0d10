//! What can still be reached from each explored state: the best outcome rating, and the
//! recommended way to a `good` outcome (fewest moves not rated `good`, then fewest
//! choices). The player's debrief ("where the other doors
//! led") reads these numbers off the same graph the soundness proof explores.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use threshold_runtime::ir::{Rating, Story};
use threshold_runtime::{Runner, Sink};

use crate::csr::reversed;
use crate::explore::{Graph, Kind};

/// Per state of a [`Graph`] (indexed like [`Graph::kinds`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    /// The best rating of any outcome reachable from the state (`good` beats `mixed`
    /// beats `bad`); `None` when no outcome is reachable.
    pub best: Vec<Option<Rating>>,
    /// The cost of the recommended way from the state to a `good` outcome (moves not
    /// rated `good`, then choices); `None` when none is reachable.
    pub to_good: Vec<Option<Cost>>,
    /// The move rating of every edge, in [`Graph::successors`] order.
    ratings: Vec<Option<Rating>>,
}

/// The better of two ratings (`None` is worse than any rating).
pub fn better(a: Option<Rating>, b: Option<Rating>) -> Option<Rating> {
    match (a, b) {
        // `Rating` orders good < mixed < bad.
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

impl Reach {
    /// Computes both tables: best ratings by one pass over the strongly connected
    /// components in reverse topological order, the recommended costs by a backward
    /// Dijkstra search from the `good` outcome states.
    pub fn compute(story: &Story, graph: &Graph) -> Reach {
        let n = graph.len();
        let rating_of = |i: usize| -> Option<Rating> {
            if graph.kinds[i] == Kind::Outcome {
                story.nodes[graph.node(i as u32) as usize].rating()
            } else {
                None
            }
        };

        // Best rating: every edge goes to a component with a smaller or equal number,
        // so components in increasing order see their successors already done.
        let comps = graph.components();
        let count = comps.closed.len();
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); count];
        for (i, &c) in comps.comp.iter().enumerate() {
            members[c as usize].push(i as u32);
        }
        let mut comp_best: Vec<Option<Rating>> = vec![None; count];
        for c in 0..count {
            let mut best = None;
            for &m in &members[c] {
                best = better(best, rating_of(m as usize));
                for (t, _) in graph.successors(m) {
                    let tc = comps.comp[t as usize] as usize;
                    if tc != c {
                        best = better(best, comp_best[tc]);
                    }
                }
            }
            comp_best[c] = best;
        }
        let best = (0..n).map(|i| comp_best[comps.comp[i] as usize]).collect();

        // The recommended way to a good outcome: backward Dijkstra over the reversed
        // edges with the cost (moves not rated good, choices), compared in that order.
        let ratings = edge_ratings(story, graph);
        let rev = reversed(graph, |_, e| ratings[e] != Some(Rating::Good));
        let mut to_good: Vec<Option<Cost>> = vec![None; n];
        let mut heap = BinaryHeap::new();
        for (i, d) in to_good.iter_mut().enumerate() {
            if rating_of(i) == Some(Rating::Good) {
                *d = Some(Cost::default());
                heap.push(Reverse((Cost::default(), i as u32)));
            }
        }
        while let Some(Reverse((d, t))) = heap.pop() {
            if to_good[t as usize] != Some(d) {
                continue;
            }
            for &(p, poor) in rev.row(t) {
                let c = d.after(poor);
                if to_good[p as usize].is_none_or(|old| c < old) {
                    to_good[p as usize] = Some(c);
                    heap.push(Reverse((c, p)));
                }
            }
        }
        Reach {
            best,
            to_good,
            ratings,
        }
    }

    /// The move rating of the choice with index `choice` out of state `i`.
    pub fn edge_rating(&self, graph: &Graph, i: u32, choice: u32) -> Option<Rating> {
        let e0 = graph.first_edge(i);
        graph
            .successors(i)
            .position(|(_, c)| c == choice)
            .and_then(|k| self.ratings[e0 + k])
    }

    /// The recommended play from `from` to a `good` outcome, as `(state, choice index)`
    /// pairs: the fewest moves not rated `good`, then the fewest choices, then the
    /// smallest choice numbers. Empty when `from` is a good outcome or none is reachable.
    pub fn path_to_good(&self, graph: &Graph, from: u32) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        let mut at = from;
        while let Some(d) = self.to_good[at as usize].filter(|d| d.choices > 0) {
            // Successors come in source order, so the first optimal one has the
            // smallest choice number.
            let e0 = graph.first_edge(at);
            let Some((_, (t, c))) = graph.successors(at).enumerate().find(|&(k, (t, _))| {
                let poor = self.ratings[e0 + k] != Some(Rating::Good);
                self.to_good[t as usize].map(|x| x.after(poor)) == Some(d)
            }) else {
                break;
            };
            out.push((at, c));
            at = t;
        }
        out
    }
}

/// The cost of a way to a good outcome: moves not rated `good`, then choices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cost {
    pub poor_moves: u32,
    pub choices: u32,
}

impl Cost {
    /// The cost of one more move in front.
    fn after(self, poor: bool) -> Cost {
        Cost {
            poor_moves: self.poor_moves + u32::from(poor),
            choices: self.choices + 1,
        }
    }
}

/// Records the rating a transition gives its move.
struct MoveSink(Option<Rating>);

impl Sink for MoveSink {
    fn moved(&mut self, rating: Option<Rating>) {
        self.0 = rating;
    }
}

/// The move rating of every edge, in [`Graph::successors`] order, as the runtime's
/// transition function gives it.
pub fn edge_ratings(story: &Story, graph: &Graph) -> Vec<Option<Rating>> {
    let mut runner = Runner::new(story);
    let mut from = runner.initial_state();
    let mut s = runner.initial_state();
    let mut out = Vec::with_capacity(graph.edge_count());
    for i in 0..graph.len() as u32 {
        if graph.successors(i).next().is_none() {
            continue;
        }
        graph.state_into(i, &mut from);
        for (_, c) in graph.successors(i) {
            s.clone_from(&from);
            let mut sink = MoveSink(None);
            runner.choose(&mut s, c as usize, &mut sink);
            out.push(sink.0);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{lower, Source};

    fn compile(text: &str) -> Story {
        let lowered = lower(&[Source {
            name: "t.scene".into(),
            text: text.into(),
        }]);
        lowered.story.expect("the test story compiles")
    }

    /// The state reached from the start by the choice with this index.
    fn after(graph: &Graph, from: u32, index: u32) -> u32 {
        graph
            .successors(from)
            .find(|&(_, c)| c == index)
            .map(|(t, _)| t)
            .expect("the choice is offered")
    }

    const DOORS: &str = "\
title: Doors
character p \"P\"
hidden trust = 0 in 0..3

scene door
* Leave.
  -> bad_end
* Stay.
  ~ trust += 1
  -> talk
+ Wait.
  -> door

scene talk
* {trust >= 1} Listen.
  -> good_end
* Rush.
  -> mixed_end

outcome good_end good \"Good\"
Done.

outcome mixed_end mixed \"Mixed\"
Done.

outcome bad_end bad \"Bad\"
Done.
";

    #[test]
    fn best_rating_and_distance_per_state() {
        let story = compile(DOORS);
        let graph = Graph::explore(&story, 1000);
        let reach = Reach::compute(&story, &graph);
        assert_eq!(reach.best[0], Some(Rating::Good));
        assert_eq!(reach.to_good[0].map(|c| c.choices), Some(2));
        let leave = after(&graph, 0, 0);
        assert_eq!(reach.best[leave as usize], Some(Rating::Bad));
        assert_eq!(reach.to_good[leave as usize], None);
        let stay = after(&graph, 0, 1);
        assert_eq!(reach.best[stay as usize], Some(Rating::Good));
        assert_eq!(reach.to_good[stay as usize].map(|c| c.choices), Some(1));
        // "Wait." loops back to the start state: same component, same best.
        let wait = after(&graph, 0, 2);
        assert_eq!(wait, 0);
        let rush = after(&graph, stay, 1);
        assert_eq!(reach.best[rush as usize], Some(Rating::Mixed));
        assert_eq!(reach.to_good[rush as usize], None);
    }

    #[test]
    fn the_path_to_good_is_shortest_and_replays() {
        let story = compile(DOORS);
        let graph = Graph::explore(&story, 1000);
        let reach = Reach::compute(&story, &graph);
        let path = reach.path_to_good(&graph, 0);
        assert_eq!(path.iter().map(|&(_, c)| c).collect::<Vec<_>>(), vec![1, 0]);
        let mut at = 0;
        for &(s, c) in &path {
            assert_eq!(s, at);
            at = after(&graph, s, c);
        }
        assert_eq!(reach.to_good[at as usize], Some(Cost::default()));
    }

    #[test]
    fn a_loop_with_no_way_out_reaches_nothing() {
        let story = compile(
            "\
title: Trap
scene door
* In.
  -> a
* Out.
  -> fine

scene a
+ Round.
  -> b

scene b
+ Again.
  -> a

outcome fine mixed \"Fine\"
Done.
",
        );
        let graph = Graph::explore(&story, 1000);
        let reach = Reach::compute(&story, &graph);
        assert_eq!(reach.best[0], Some(Rating::Mixed));
        assert_eq!(reach.to_good[0], None);
        let trapped = after(&graph, 0, 0);
        assert_eq!(reach.best[trapped as usize], None);
        assert!(reach.path_to_good(&graph, 0).is_empty());
    }

    #[test]
    fn better_prefers_good_then_mixed_then_bad() {
        assert_eq!(
            better(Some(Rating::Bad), Some(Rating::Mixed)),
            Some(Rating::Mixed)
        );
        assert_eq!(
            better(Some(Rating::Good), Some(Rating::Mixed)),
            Some(Rating::Good)
        );
        assert_eq!(better(None, Some(Rating::Bad)), Some(Rating::Bad));
        assert_eq!(better(Some(Rating::Bad), None), Some(Rating::Bad));
        assert_eq!(better(None, None), None);
    }
}
