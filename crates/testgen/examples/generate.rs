//! Writes a generated story to standard output, for measurements with the `threshold`
//! command:
//!
//! ```text
//! generate static SEED SCENES                          the static-check benchmark's shape
//! generate scale SEED SCENES                           the growth benchmark's shape
//! generate sound SEED SCENES [INT_VARS LO HI [ONCE]]   a sound story (ONCE: % once-only)
//! generate wild SEED                                   a small arbitrary story
//! generate bench four_vars|once_only|state_limit       a benchmark story
//! generate six_dials [DIALS STEPS]                     the six-dial shape (6, 12)
//! generate once_only_hub [TOPICS]                      the once-only-hub shape (22)
//! ```

use threshold_testgen::{generate, once_only_hub, six_dials_with, Params};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, default: i64| -> i64 {
        args.get(i)
            .map_or(default, |a| a.parse().expect("a number"))
    };
    match args.first().map(String::as_str) {
        Some("six_dials") => {
            print!(
                "{}",
                six_dials_with(num(1, 6) as usize, num(2, 12) as usize)
            );
            return;
        }
        Some("once_only_hub") => {
            print!("{}", once_only_hub(num(1, 22) as usize));
            return;
        }
        _ => {}
    }
    let seed = if args.first().is_some_and(|m| m == "bench") {
        0
    } else {
        num(1, 1) as u64
    };
    let mut p = match args.first().map_or("sound", String::as_str) {
        "static" => Params::static_bench(seed, num(2, 10_000) as usize),
        "scale" => Params::scale_bench(seed, num(2, 8_000) as usize),
        "sound" => Params::sound(seed, num(2, 100) as usize),
        "wild" => Params::wild(seed),
        "bench" => {
            let name = args.get(1).map_or("four_vars", String::as_str);
            let p = if name == "state_limit" {
                Params::state_limit_bench()
            } else {
                Params::explore_bench()
                    .into_iter()
                    .find(|(n, _)| *n == name)
                    .unwrap_or_else(|| panic!("no benchmark story {name}"))
                    .1
            };
            print!("{}", generate(&p));
            return;
        }
        other => panic!(
            "unknown mode {other}: static, scale, sound, wild, bench, six_dials or once_only_hub"
        ),
    };
    if args.len() > 5 {
        p = p.with_int_vars(num(3, 3) as usize, num(4, 0), num(5, 5));
    }
    if let Some(once) = args.get(6) {
        p.once_only = once.parse().expect("a percentage");
    }
    print!("{}", generate(&p));
}
