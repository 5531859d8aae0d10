//! The benchmark shapes' hand-written baselines model the same stories as the
//! checker: on small instances, the baseline search counts exactly the states and
//! edges that `Graph::explore` finds, so the `shapes` bench compares like with like.

use threshold_compiler::{lower, Graph, DEFAULT_MAX_STATES};
use threshold_testgen::{
    once_only_hub, once_only_hub_baseline, six_dials_baseline_with, six_dials_with, Set,
};

/// `(state_count, edge_count)` of the checker's search of `text`.
fn checker(text: String) -> (usize, usize) {
    let lowered = lower(&[threshold_compiler::Source {
        name: "shape.scene".to_string(),
        text,
    }]);
    let story = lowered.story.expect("the shape compiles");
    let graph = Graph::explore(&story, DEFAULT_MAX_STATES);
    assert!(graph.stopped.is_none(), "the search stopped early");
    (graph.state_count, graph.edge_count())
}

#[test]
fn the_dial_baseline_counts_what_the_checker_counts() {
    for (dials, steps) in [(2, 1), (2, 5), (3, 6), (4, 6)] {
        assert_eq!(
            six_dials_baseline_with(dials, steps, Set::Fx),
            checker(six_dials_with(dials, steps)),
            "{dials} dials, {steps} steps"
        );
    }
}

#[test]
fn the_once_only_hub_baseline_counts_what_the_checker_counts() {
    for topics in [0, 1, 3, 8] {
        let counts = once_only_hub_baseline(topics, Set::Fx);
        assert_eq!(counts, checker(once_only_hub(topics)), "{topics} topics");
        // 2^t hub states and as many outcome states.
        assert_eq!(counts.0, 2 << topics);
    }
}
