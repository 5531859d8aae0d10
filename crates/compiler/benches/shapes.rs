//! The checker's breadth-first search against a hand-written yardstick, on two story
//! shapes from `threshold_testgen::shapes`: `six_dials` (six dials `0..10` and twelve
//! steps of sticky choices, about 1.43 million states and 10.4 million edges) and
//! `once_only_hub/22` (22 once-only topics, 2^23 states). `checker` is
//! `Graph::explore` on the lowered story; `baseline_std` is a plain hash-set search
//! over states packed by hand into one `u64`, with the story's transitions written in
//! Rust (the `shapes` test holds its counts to the checker's), keeping its states in
//! the standard library's `HashSet`; `baseline_fx` is the same with `FxHashSet`. In states per second; ten
//! samples of equal iterations, as iterations take seconds.

use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use threshold_compiler::{lower, Graph, Source, DEFAULT_MAX_STATES};
use threshold_testgen::{
    once_only_hub, once_only_hub_baseline, six_dials, six_dials_baseline, Set,
};

type Baseline = fn(Set) -> (usize, usize);

fn shapes(c: &mut Criterion) {
    let cases: [(&str, String, Baseline); 2] = [
        ("six_dials", six_dials(), six_dials_baseline),
        ("once_only_hub/22", once_only_hub(22), |set| {
            once_only_hub_baseline(22, set)
        }),
    ];
    for (name, text, baseline) in cases {
        let story = lower(&[Source {
            name: "shape.scene".to_string(),
            text,
        }])
        .story
        .expect("the shape compiles");
        let graph = Graph::explore(&story, DEFAULT_MAX_STATES);
        let counts = (graph.state_count, graph.edge_count());
        assert!(graph.stopped.is_none(), "{name}: the search stopped early");
        assert_eq!(
            baseline(Set::Fx),
            counts,
            "{name}: the baseline's count differs"
        );
        drop(graph);
        let mut g = c.benchmark_group(format!("shapes/{name}"));
        // Iterations take seconds: the same number in every sample.
        g.sampling_mode(SamplingMode::Flat);
        g.throughput(Throughput::Elements(counts.0 as u64));
        g.bench_function("checker", |b| {
            b.iter(|| Graph::explore(black_box(&story), DEFAULT_MAX_STATES))
        });
        g.bench_function("baseline_std", |b| b.iter(|| baseline(Set::Std)));
        g.bench_function("baseline_fx", |b| b.iter(|| baseline(Set::Fx)));
        g.finish();
    }
}

criterion_group! {
    name = benches;
    // Set here rather than on the group, so that the command line can change them.
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(30));
    targets = shapes
}
criterion_main!(benches);
