//! Measures one exploration: states, time, states per second, and memory per state
//! (the growth of the peak resident set, from `/proc/self/status`, divided by the
//! states explored).
//!
//! ```text
//! cargo run --release -p threshold-compiler --example explore_memory -- [four_vars|once_only|FILE.scene] [MAX_STATES]
//! ```

use std::time::Instant;

use threshold_compiler::{lower, soundness, Source, DEFAULT_MAX_STATES};
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
    let text = match which {
        "four_vars" => {
            let mut p = Params::sound(2, 30).with_int_vars(4, 0, 5);
            p.once_only = 0;
            generate(&p)
        }
        "once_only" => {
            let mut p = Params::sound(5, 30).with_int_vars(3, 0, 4);
            p.once_only = 10;
            generate(&p)
        }
        path => std::fs::read_to_string(path).expect("a readable story"),
    };
    let sources = vec![Source {
        name: which.to_string(),
        text,
    }];
    let lowered = lower(&sources);
    let story = lowered.story.as_ref().expect("the story compiles");
    let rss_before = status_kb("VmRSS:").unwrap_or(0);
    let t = Instant::now();
    let s = soundness::check(story, &lowered.map, &lowered.used_vars, max_states);
    let elapsed = t.elapsed().as_secs_f64();
    let hwm = status_kb("VmHWM:").unwrap_or(0);
    let states = s.graph.state_count.max(1);
    println!("story:            {which}");
    println!(
        "states:           {}{}",
        s.graph.state_count,
        if s.graph.limited {
            " (state limit)"
        } else {
            ""
        }
    );
    println!("edges:            {}", s.graph.edge_count());
    println!("words per state:  {}", s.graph.layout.words());
    println!("time:             {elapsed:.3} s");
    println!("states/s:         {:.0}", states as f64 / elapsed);
    println!(
        "graph heap:       {:.1} bytes/state",
        s.graph.heap_bytes() as f64 / states as f64
    );
    println!(
        "peak RSS growth:  {} kB = {:.1} bytes/state (VmHWM {hwm} kB, before {rss_before} kB)",
        hwm.saturating_sub(rss_before),
        hwm.saturating_sub(rss_before) as f64 * 1024.0 / states as f64
    );
}
