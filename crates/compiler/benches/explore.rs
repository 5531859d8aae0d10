//! Exploration throughput: every reachable state of generated stories with cycles and
//! several variables, in states per second. `explore` is the breadth-first search
//! alone; `soundness` adds the components and the diagnostics, as `threshold check`
//! runs them. `checks` proves the author's checks on the explored graph: none (what a
//! story without checks pays), one, and four of every form. `growth` checks and maps
//! stories of 8,000 to 64,000 scenes (`Params::scale_bench`), in scenes per second:
//! the figure stays level when the work grows in proportion to the story.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use threshold_compiler::graph_export::StoryMap;
use threshold_compiler::{
    check, checks, lower, soundness, CheckOptions, Graph, Limits, Source, DEFAULT_MAX_STATES,
};
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

/// The benchmark story with `lines` checks after its title.
fn with_checks(p: &Params, lines: &[&str]) -> threshold_compiler::Lowered {
    let mut text = String::new();
    for l in generate(p).lines() {
        text.push_str(l);
        text.push('\n');
        if l.starts_with("title:") {
            for c in lines {
                text.push_str(c);
                text.push('\n');
            }
        }
    }
    lower(&[Source {
        name: "bench.scene".to_string(),
        text,
    }])
}

fn prove(c: &mut Criterion) {
    const FOUR: [&str; 4] = [
        "check never ended(good) and v0 == 5 and v1 == 0",
        "check always v2 >= 0",
        "check can reach ended(bad) and b0",
        "check whenever v3 == 5, can reach ended(good)",
    ];
    let (_, p) = stories().into_iter().next().expect("four_vars");
    for (label, lines) in [("0", &FOUR[..0]), ("1", &FOUR[..1]), ("4", &FOUR[..])] {
        let lowered = with_checks(&p, lines);
        let story = lowered
            .story
            .clone()
            .expect("the story with checks compiles");
        let graph = Graph::explore(&story, DEFAULT_MAX_STATES);
        let mut g = c.benchmark_group("checks/four_vars");
        g.sample_size(10);
        g.throughput(Throughput::Elements(graph.state_count as u64));
        g.bench_function(format!("prove_{label}"), |b| {
            b.iter(|| checks::prove(black_box(&story), &lowered.map, &graph))
        });
        g.finish();
    }
}

/// `check` (both phases, from the source text) and the story map (the search, the
/// map, DOT and Mermaid, from the compiled story), as `threshold check` and
/// `threshold graph` run them, on stories of growing size.
fn growth(c: &mut Criterion) {
    for scenes in [8_000usize, 16_000, 32_000, 64_000] {
        let sources = vec![Source {
            name: "growth.scene".to_string(),
            text: generate(&Params::scale_bench(1, scenes)),
        }];
        let story = lower(&sources).story.expect("the growth story compiles");
        let mut g = c.benchmark_group("growth");
        g.sample_size(10);
        g.throughput(Throughput::Elements(scenes as u64));
        g.bench_function(format!("check/{scenes}"), |b| {
            b.iter(|| check(black_box(&sources), CheckOptions::default()))
        });
        g.bench_function(format!("graph/{scenes}"), |b| {
            b.iter(|| {
                let graph = Graph::explore(black_box(&story), DEFAULT_MAX_STATES);
                let map = StoryMap::new(&story, Some(&graph));
                (map.to_dot(), map.to_mermaid())
            })
        });
        g.finish();
    }
}

criterion_group!(benches, explore, prove, growth);
criterion_main!(benches);
