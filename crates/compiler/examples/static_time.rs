//! Times the static phase (parse and lower) of the generated 10,000-scene story, or of
//! a story file: `cargo run --release -p threshold-compiler --example static_time -- [FILE]`.

use std::time::Instant;

use threshold_compiler::{lower, Source};
use threshold_testgen::{generate, Params};

fn main() {
    let text = match std::env::args().nth(1) {
        Some(path) => std::fs::read_to_string(path).expect("a readable story"),
        None => generate(&Params::static_bench(1, 10_000)),
    };
    let lines = text.lines().count();
    let sources = vec![Source {
        name: "story.scene".to_string(),
        text,
    }];
    for _ in 0..3 {
        let t = Instant::now();
        let parsed = threshold_syntax::parse(&sources[0].text);
        let parse = t.elapsed().as_secs_f64();
        let t = Instant::now();
        drop(std::hint::black_box(parsed));
        let freed = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let lowered = lower(&sources);
        let all = t.elapsed().as_secs_f64();
        assert!(lowered.story.is_some(), "the story has static errors");
        let t = Instant::now();
        drop(lowered);
        let freed_ir = t.elapsed().as_secs_f64();
        println!(
            "{lines} lines: parse {:.1} ms (freeing the tree {:.1} ms), parse and lower {:.1} ms (freeing the IR {:.1} ms)",
            parse * 1e3,
            freed * 1e3,
            all * 1e3,
            freed_ir * 1e3
        );
    }
}
