//! The checker against the shapes' hand-written baselines, run in turn round after
//! round so that each ratio compares runs made at nearly the same moment (the
//! machine's speed drifts between criterion's groups).
//!
//! ```text
//! cargo run --release -p threshold-compiler --example shape_ratios -- [ROUNDS] [SHAPE]
//! ```
//!
//! `SHAPE` (`six_dials` or `once_only_hub/22`) runs one shape only.

use std::time::Instant;

use threshold_compiler::{lower, Graph, Source, DEFAULT_MAX_STATES};
use threshold_testgen::{
    once_only_hub, once_only_hub_baseline, six_dials, six_dials_baseline, Set,
};

/// A shape's baseline search, with the hash set it keeps its states in.
type Baseline = fn(Set) -> (usize, usize);

fn seconds(f: impl FnOnce() -> (usize, usize)) -> (f64, (usize, usize)) {
    let t = Instant::now();
    let counts = f();
    (t.elapsed().as_secs_f64(), counts)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .map_or(7, |a| a.parse().expect("a number of rounds"));
    let shapes: [(&str, String, Baseline); 2] = [
        ("six_dials", six_dials(), six_dials_baseline),
        ("once_only_hub/22", once_only_hub(22), |set| {
            once_only_hub_baseline(22, set)
        }),
    ];
    let only = std::env::args().nth(2);
    for (name, text, baseline) in shapes {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let lowered = lower(&[Source {
            name: name.to_string(),
            text,
        }]);
        let story = lowered.story.as_ref().expect("the shape compiles");
        let (mut checker, mut std, mut fx) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            let (c, counts) = seconds(|| {
                let g = Graph::explore(story, DEFAULT_MAX_STATES);
                (g.state_count, g.edge_count())
            });
            let (s, std_counts) = seconds(|| baseline(Set::Std));
            let (f, fx_counts) = seconds(|| baseline(Set::Fx));
            assert!(
                counts == std_counts && counts == fx_counts,
                "{name}: counts differ"
            );
            checker.push(c);
            std.push(c / s);
            fx.push(c / f);
            println!("{name}: checker {c:.3} s, std {s:.3} s, fx {f:.3} s");
        }
        println!(
            "{name}: checker median {:.3} s; checker ÷ std median {:.2}×, checker ÷ fx median {:.2}×",
            median(checker),
            median(std),
            median(fx)
        );
    }
}
