//! Story shapes for measuring the checker's breadth-first search, each with a
//! hand-written baseline: the same story's states, packed into one `u64` by hand and
//! searched breadth first with a plain hash set, counting states and edges as
//! `Graph::explore` counts them — every state where play waits or ends (outcome states
//! included), and one edge per choice offered in a waiting state. The baselines are
//! the yardstick, each with the standard library's hash set and with FxHash
//! ([`Set`]); a test holds their counts to the checker's.
//!
//! - [`six_dials`]: six hidden dials `0..10` starting at 5 and a step counter `0..12`;
//!   a hub of twelve sticky choices, one raising each dial by 3 and one lowering it by
//!   2 (saturating at the range, as effects do), each taking a step and diverting
//!   through a tally scene that, once the steps run out, compares the first half of the
//!   dials with the second and ends `good`, `mixed` or `bad` — else back to the hub.
//!   About 1.43 million states and 10.4 million edges.
//! - [`once_only_hub`]: a hub of once-only topics, each adding 1 to a counter `0..30`
//!   and diverting back, and one sticky way out to an outcome: `2^topics` hub states and
//!   as many outcome states.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::hash::BuildHasher;

/// The value every dial starts at.
const DIAL_START: u64 = 5;
/// The dials' range is `0..DIAL_MAX`.
const DIAL_MAX: u64 = 10;
const RAISE: u64 = 3;
const LOWER: u64 = 2;
/// The once-only hub's counter's range is `0..COUNT_MAX`.
const COUNT_MAX: u64 = 30;

/// The six-dial shape: [`six_dials_with`] six dials and twelve steps.
pub fn six_dials() -> String {
    six_dials_with(6, 12)
}

/// The six-dial shape with `dials` dials (at least 2, at most 12) and `steps` steps
/// (1 to 255). The tally compares the sum of the first `dials / 2` dials with the sum
/// of the rest.
pub fn six_dials_with(dials: usize, steps: usize) -> String {
    assert!((2..=12).contains(&dials), "2 to 12 dials");
    assert!((1..=255).contains(&steps), "1 to 255 steps");
    let sum = |range: std::ops::Range<usize>| {
        range
            .map(|k| format!("d{k}"))
            .collect::<Vec<_>>()
            .join(" + ")
    };
    let (left, right) = (sum(0..dials / 2), sum(dials / 2..dials));
    let mut s = String::new();
    let _ = writeln!(s, "// The dial shape: {dials} dials, {steps} steps.");
    let _ = writeln!(s, "title: {dials} dials");
    let _ = writeln!(s, "author: Threshold test generator");
    let _ = writeln!(s, "start: hub");
    for k in 0..dials {
        let _ = writeln!(
            s,
            "hidden d{k} = {DIAL_START} in 0..{DIAL_MAX} \"Dial {k}\""
        );
    }
    let _ = writeln!(s, "hidden step = 0 in 0..{steps} \"Steps taken\"");
    let _ = writeln!(s, "\nscene hub \"The dials\"");
    let _ = writeln!(s, "The dials wait to be turned.");
    for k in 0..dials {
        let _ = writeln!(
            s,
            "+ Raise dial {k}\n  ~ d{k} += {RAISE}, step += 1\n  -> tally"
        );
        let _ = writeln!(
            s,
            "+ Lower dial {k}\n  ~ d{k} -= {LOWER}, step += 1\n  -> tally"
        );
    }
    let _ = writeln!(s, "\nscene tally");
    let _ = writeln!(s, "{{if step < {steps}}}\n  -> hub");
    let _ = writeln!(s, "{{elif {left} > {right}}}\n  -> left_ahead");
    let _ = writeln!(s, "{{elif {left} == {right}}}\n  -> level");
    let _ = writeln!(s, "{{end}}\n-> right_ahead");
    for (id, rating, title) in [
        ("left_ahead", "good", "The left dials lead"),
        ("level", "mixed", "The dials are level"),
        ("right_ahead", "bad", "The right dials lead"),
    ] {
        let _ = writeln!(s, "\noutcome {id} {rating} \"{title}\"");
        let _ = writeln!(s, "The dials stop at {{d0}} and {{d{}}}.", dials - 1);
    }
    s
}

/// The once-only-hub shape: a hub of `topics` once-only choices (at most 32), each
/// adding 1 to a counter `0..30` and diverting back to the hub, and one sticky way out
/// to an outcome.
pub fn once_only_hub(topics: usize) -> String {
    assert!(topics <= 32, "at most 32 topics");
    let mut s = String::new();
    let _ = writeln!(s, "// The once-only-hub shape: {topics} topics.");
    let _ = writeln!(s, "title: Once-only hub of {topics}");
    let _ = writeln!(s, "author: Threshold test generator");
    let _ = writeln!(s, "start: hub");
    let _ = writeln!(s, "hidden count = 0 in 0..{COUNT_MAX} \"Topics raised\"");
    let _ = writeln!(s, "\nscene hub \"The checklist\"");
    let _ = writeln!(s, "The topics wait to be raised.");
    for k in 0..topics {
        let _ = writeln!(s, "* Raise topic {k}\n  ~ count += 1\n  -> hub");
    }
    let _ = writeln!(s, "+ Close the session\n  -> closed");
    let _ = writeln!(s, "\noutcome closed good \"Session closed\"");
    let _ = writeln!(s, "Topics raised: {{count}}.");
    s
}

/// The hash set a baseline keeps the states it has seen in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Set {
    /// The standard library's `HashSet` with its default hasher (SipHash-1-3,
    /// randomly keyed): the plain one.
    Std,
    /// `FxHashSet`: one multiplication a key, several times cheaper than SipHash on
    /// `u64` states; the stronger yardstick.
    Fx,
}

/// States and edges of [`six_dials`], by the baseline search.
pub fn six_dials_baseline(set: Set) -> (usize, usize) {
    six_dials_baseline_with(6, 12, set)
}

/// States and edges of [`six_dials_with`]`(dials, steps)`, by the baseline search.
/// A state packs dial `k` in bits `4k..4k + 4`, the step in bits 48..56 and the node
/// (0 the hub, 1–3 the outcomes) in bits 56..58.
pub fn six_dials_baseline_with(dials: usize, steps: usize, set: Set) -> (usize, usize) {
    assert!((2..=12).contains(&dials) && (1..=255).contains(&steps));
    const STEP: u32 = 48;
    const NODE: u32 = 56;
    let dial = |s: u64, k: usize| (s >> (4 * k)) & 0xF;
    let start = (0..dials).fold(0, |s, k| s | (DIAL_START << (4 * k)));
    let successors = |s: u64, out: &mut Vec<u64>| {
        if s >> NODE != 0 {
            return; // an outcome
        }
        for k in 0..dials {
            let d = dial(s, k);
            for value in [(d + RAISE).min(DIAL_MAX), d.saturating_sub(LOWER)] {
                let mut t = (s & !(0xF << (4 * k))) | (value << (4 * k));
                // `step += 1` saturates at `steps`; in the hub it is always below.
                let step = (((t >> STEP) & 0xFF) + 1).min(steps as u64);
                t = (t & !(0xFF << STEP)) | (step << STEP);
                // The tally scene.
                if step >= steps as u64 {
                    let left: u64 = (0..dials / 2).map(|j| dial(t, j)).sum();
                    let right: u64 = (dials / 2..dials).map(|j| dial(t, j)).sum();
                    let outcome = match left.cmp(&right) {
                        std::cmp::Ordering::Greater => 1,
                        std::cmp::Ordering::Equal => 2,
                        std::cmp::Ordering::Less => 3,
                    };
                    t |= outcome << NODE;
                }
                out.push(t);
            }
        }
    };
    bfs(set, start, successors)
}

/// States and edges of [`once_only_hub`]`(topics)`, by the baseline search. A state
/// packs the taken topics in bits `0..topics`, the counter in bits 32..37 and the node
/// (0 the hub, 1 the outcome) in bit 40.
pub fn once_only_hub_baseline(topics: usize, set: Set) -> (usize, usize) {
    assert!(topics <= 32, "at most 32 topics");
    const COUNT: u32 = 32;
    const NODE: u32 = 40;
    let successors = |s: u64, out: &mut Vec<u64>| {
        if s >> NODE != 0 {
            return; // the outcome
        }
        for k in 0..topics {
            if s & (1 << k) == 0 {
                let count = (((s >> COUNT) & 0x1F) + 1).min(COUNT_MAX);
                out.push((s & !(0x1F << COUNT)) | (1 << k) | (count << COUNT));
            }
        }
        out.push(s | (1 << NODE));
    };
    bfs(set, 0, successors)
}

/// A plain breadth-first search from `start`, a layer at a time, with a hash set of
/// the states seen; `successors` pushes a state's successors, one per edge. Returns
/// the number of states and of edges.
fn bfs(set: Set, start: u64, successors: impl FnMut(u64, &mut Vec<u64>)) -> (usize, usize) {
    match set {
        Set::Std => bfs_in::<std::hash::RandomState>(start, successors),
        Set::Fx => bfs_in::<rustc_hash::FxBuildHasher>(start, successors),
    }
}

fn bfs_in<H: BuildHasher + Default>(
    start: u64,
    mut successors: impl FnMut(u64, &mut Vec<u64>),
) -> (usize, usize) {
    let mut seen: HashSet<u64, H> = HashSet::default();
    seen.insert(start);
    let mut frontier = vec![start];
    let mut next = Vec::new();
    let mut targets = Vec::new();
    let mut edges = 0;
    while !frontier.is_empty() {
        for &s in &frontier {
            targets.clear();
            successors(s, &mut targets);
            edges += targets.len();
            for &t in &targets {
                if seen.insert(t) {
                    next.push(t);
                }
            }
        }
        std::mem::swap(&mut frontier, &mut next);
        next.clear();
    }
    (seen.len(), edges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_baselines_count_what_the_shapes_should_have() {
        // 2^t hub states and as many outcome states; t·2^(t-1) topic edges and 2^t ways out.
        for set in [Set::Std, Set::Fx] {
            assert_eq!(once_only_hub_baseline(4, set), (32, 4 * 8 + 16));
            assert_eq!(once_only_hub_baseline(0, set), (2, 1));
            // Two dials, one step: four moves from (5, 5), to four distinct outcome
            // states.
            assert_eq!(six_dials_baseline_with(2, 1, set), (1 + 4, 4));
        }
    }

    #[test]
    fn the_shapes_name_every_dial_and_topic() {
        let s = six_dials();
        assert_eq!(s.lines().filter(|l| l.starts_with("+ ")).count(), 12);
        assert!(s.contains("{elif d0 + d1 + d2 > d3 + d4 + d5}"));
        let h = once_only_hub(22);
        assert_eq!(h.lines().filter(|l| l.starts_with("* ")).count(), 22);
    }
}
