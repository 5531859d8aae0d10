//! Exploration throughput: every reachable state of generated stories with cycles and
//! several variables, in states per second. `explore` is the breadth-first search
//! alone; `soundness` adds the components and the diagnostics, as `threshold check`
//! runs them.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use threshold_compiler::{lower, soundness, Graph, Limits, Source, DEFAULT_MAX_STATES};
use threshold_runtime::ir::Story;
use threshold_testgen::{generate, Params};

/// The benchmark stories: a name and its generator parameters.
fn stories() -> Vec<(&'static str, Params)> {
    Params::explore_bench()
}

fn compile(p: &Params) -> (Story, threshold_compiler::Lowered) {
    let sources = vec![Source {
        name: "bench.scene".to_string(),
        text: generate(p),
    }];
    let lowered = lower(&sources);
    let story = lowered.story.clone().expect("the benchmark story compiles");
    (story, lowered)
}

fn explore(c: &mut Criterion) {
    for (name, p) in stories() {
        let (story, lowered) = compile(&p);
        let states = Graph::explore(&story, DEFAULT_MAX_STATES).state_count;
        assert!(states > 100_000, "{name}: only {states} states");
        let mut g = c.benchmark_group(format!("explore/{name}"));
        g.sample_size(10);
        g.throughput(Throughput::Elements(states as u64));
        g.bench_function("explore", |b| {
            b.iter(|| Graph::explore(black_box(&story), DEFAULT_MAX_STATES))
        });
        g.bench_function("soundness", |b| {
            b.iter(|| {
                soundness::check(
                    black_box(&story),
                    &lowered.map,
                    &lowered.used_vars,
                    Limits::default(),
                )
            })
        });
        g.finish();
    }
}

criterion_group!(benches, explore);
criterion_main!(benches);
