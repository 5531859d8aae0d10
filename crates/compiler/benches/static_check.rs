//! The static phase on a large story: parse and lower a generated story of 10,000
//! scenes (about 110,000 lines), the whole of `threshold check` before exploration.
//! What is measured is the work up to the result; freeing the result (the tree, or the
//! IR a check goes on to explore) is left out, one iteration at a time.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use threshold_compiler::{lower, Source};
use threshold_testgen::{generate, Params};

fn static_check(c: &mut Criterion) {
    let text = generate(&Params::static_bench(1, 10_000));
    let lines = text.lines().count() as u64;
    let sources = vec![Source {
        name: "bench.scene".to_string(),
        text,
    }];
    let lowered = lower(&sources);
    assert!(
        lowered.story.is_some(),
        "the benchmark story has static errors"
    );
    let mut g = c.benchmark_group("static");
    g.sample_size(10);
    g.throughput(Throughput::Elements(lines));
    g.bench_function("parse_10k_scenes", |b| {
        b.iter_batched(
            || (),
            |()| threshold_syntax::parse(black_box(&sources[0].text)),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("parse_and_lower_10k_scenes", |b| {
        b.iter_batched(
            || (),
            |()| lower(black_box(&sources)),
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, static_check);
criterion_main!(benches);
