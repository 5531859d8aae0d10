//! Runs only the breadth-first search of a benchmark story, several times: for
//! profiling the search on its own.
//!
//! ```text
//! cargo run --release -p threshold-compiler --example search_only -- [four_vars|once_only|six_dials|once_only_hub] [RUNS]
//! ```

use std::time::Instant;

use threshold_compiler::{lower, Graph, Source, DEFAULT_MAX_STATES};
use threshold_testgen::{generate, once_only_hub, six_dials, Params};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let which = args.first().map_or("four_vars", String::as_str);
    let runs: usize = args.get(1).map_or(3, |a| a.parse().expect("a number"));
    let text = match which {
        "six_dials" => six_dials(),
        "once_only_hub" => once_only_hub(22),
        _ => {
            let (_, p) = Params::explore_bench()
                .into_iter()
                .find(|(n, _)| *n == which)
                .expect("four_vars, once_only, six_dials or once_only_hub");
            generate(&p)
        }
    };
    let lowered = lower(&[Source {
        name: which.to_string(),
        text,
    }]);
    let story = lowered.story.as_ref().expect("the story compiles");
    for _ in 0..runs {
        let t = Instant::now();
        let g = Graph::explore(story, DEFAULT_MAX_STATES);
        let s = t.elapsed().as_secs_f64();
        let states = g.state_count;
        let t = Instant::now();
        drop(g);
        let freeing = t.elapsed().as_secs_f64() * 1e3;
        println!(
            "{states} states in {s:.3} s = {:.0} states/s (freeing the graph: {freeing:.1} ms)",
            states as f64 / s
        );
    }
}
