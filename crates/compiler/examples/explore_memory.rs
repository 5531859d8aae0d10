//! Measures one exploration: states, time, states per second, and memory per state
//! (the growth of the peak resident set, from `/proc/self/status`, divided by the
//! states explored).
//!
//! ```text
//! cargo run --release -p threshold-compiler --example explore_memory -- [four_vars|once_only|state_limit|FILE.scene] [MAX_STATES]
//! ```

use std::time::Instant;

use threshold_compiler::{lower, soundness, Limits, Source, DEFAULT_MAX_STATES};
use threshold_testgen::{generate, Params};

/// A field of `/proc/self/status`, in kB.
fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let which = args.first().map_or("four_vars", String::as_str);
    let max_states = args
        .get(1)
        .map_or(DEFAULT_MAX_STATES, |a| a.parse().expect("a number"));
    let preset = Params::explore_bench()
        .into_iter()
        .find(|(n, _)| *n == which);
    let text = match preset {
        Some((_, p)) => generate(&p),
        None if which == "state_limit" => generate(&Params::state_limit_bench()),
        None => std::fs::read_to_string(which).expect("a readable story"),
    };
    let sources = vec![Source {
        name: which.to_string(),
        text,
    }];
    let lowered = lower(&sources);
    let story = lowered.story.as_ref().expect("the story compiles");
    let rss_before = status_kb("VmRSS:").unwrap_or(0);
    let t = Instant::now();
    let s = soundness::check(
        story,
        &lowered.map,
        &lowered.used_vars,
        Limits::states(max_states),
    );
    let elapsed = t.elapsed().as_secs_f64();
    let hwm = status_kb("VmHWM:").unwrap_or(0);
    let states = s.graph.state_count.max(1);
    let (state_count, limited, edges, words, bits, heap) = (
        s.graph.state_count,
        s.graph.limited(),
        s.graph.edge_count(),
        s.graph.layout.words(),
        s.graph.layout.bits(),
        s.graph.heap_bytes(),
    );
    drop(s);
    // The phases on their own: the search, then the components.
    let t = Instant::now();
    let graph = threshold_compiler::Graph::explore(story, max_states);
    let search = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let comps = graph.components();
    let components = t.elapsed().as_secs_f64();
    std::hint::black_box(comps);
    let limit = if limited { " (state limit)" } else { "" };
    println!("story:            {which}");
    println!("states:           {state_count}{limit}");
    println!("edges:            {edges}");
    println!("words per state:  {words} ({} bits)", bits);
    println!("time:             {elapsed:.3} s (soundness phase)");
    println!("states/s:         {:.0}", states as f64 / elapsed);
    println!(
        "search alone:     {search:.3} s = {:.0} states/s",
        states as f64 / search
    );
    println!("components alone: {components:.3} s");
    println!(
        "graph heap:       {:.1} bytes/state",
        heap as f64 / states as f64
    );
    println!(
        "peak RSS growth:  {} kB = {:.1} bytes/state (VmHWM {hwm} kB, before {rss_before} kB)",
        hwm.saturating_sub(rss_before),
        hwm.saturating_sub(rss_before) as f64 * 1024.0 / states as f64
    );
}
