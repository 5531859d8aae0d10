//! Generators of scene source text for Threshold's tests and benchmarks.
//!
//! [`generate`] writes a whole story from [`Params`], deterministically from a seed:
//!
//! - [`Mode::Sound`] stories are large and statically valid, and sound by construction:
//!   every scene offers an unguarded sticky choice whose diverts all lead forward (to a
//!   later scene or an outcome), and the diverts in scene bodies only lead forward, so
//!   every loop (a choice that diverts back to an earlier scene) always has an exit and
//!   no divert loop can form. They use every construct: integer and boolean variables,
//!   guards, effects, `{if}`/`{elif}`/`{else}` blocks, `seen()`, once-only and sticky
//!   choices, notes, dialogue, interpolation, comments, and outcomes of each rating.
//! - [`Mode::Wild`] stories are small and statically valid, but otherwise arbitrary:
//!   guards that never open, once-only choices that run out, scenes without choices
//!   whose diverts run in a circle, loops with no exit. They feed property tests that
//!   compare the checker with brute force.
//!
//! [`shapes`] writes fixed story shapes for measuring the checker's search
//! ([`six_dials`], [`once_only_hub`]), each with a hand-written baseline search.

use std::fmt::Write as _;

pub mod shapes;
pub use shapes::{
    once_only_hub, once_only_hub_baseline, six_dials, six_dials_baseline, six_dials_baseline_with,
    six_dials_with, Set,
};

/// A small deterministic pseudo-random generator (xorshift64*), seeded through
/// splitmix64 so that nearby seeds give unrelated streams.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng(if z == 0 { 0x2545_F491_4F6C_DD1D } else { z })
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`; `n` must be positive.
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "below(0)");
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// A number in `lo..=hi`.
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi);
        let span = (hi as i128 - lo as i128 + 1) as u128;
        let r = (u128::from(self.next_u64()) * span) >> 64;
        (lo as i128 + r as i128) as i64
    }

    /// True with the given chance in percent.
    pub fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Which kind of story to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Large, valid and sound by construction.
    Sound,
    /// Small, valid, and possibly unsound.
    Wild,
}

/// What to generate. Percentages are chances per scene, choice or condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    pub seed: u64,
    pub mode: Mode,
    /// How many scenes.
    pub scenes: usize,
    /// The declared range `lo..hi` of each integer variable.
    pub int_vars: Vec<(i64, i64)>,
    pub bool_vars: usize,
    /// How many choices a scene offers, at least and at most.
    pub min_choices: usize,
    pub max_choices: usize,
    /// Chance that a choice is once-only (`*`) rather than sticky (`+`).
    pub once_only: u32,
    /// Chance that a choice diverts back to an earlier scene (or the same one).
    pub back_edges: u32,
    /// Chance that a choice other than a scene's exit has a guard.
    pub guards: u32,
    /// Chance that a scene, or a choice body, holds an `{if}` block.
    pub if_blocks: u32,
    /// Chance that a condition asks `seen()` of a scene.
    pub seen: u32,
    /// Chance that a choice has effects.
    pub effects: u32,
    /// How many outcomes of each rating (at least one in sound mode).
    pub outcomes_per_rating: usize,
    /// Sound mode: the farthest a forward divert jumps, in scenes.
    pub forward_span: usize,
    /// A blank line before each node header.
    pub blank_lines: bool,
    /// Sound mode: each scene's way forward leads to the next scene, so that every
    /// scene is reached.
    pub chain: bool,
}

impl Params {
    /// A sound story of `scenes` scenes with three integer variables over `0..5`, two
    /// booleans and 3–5 choices a scene.
    pub fn sound(seed: u64, scenes: usize) -> Self {
        Params {
            seed,
            mode: Mode::Sound,
            scenes: scenes.max(1),
            int_vars: vec![(0, 5); 3],
            bool_vars: 2,
            min_choices: 3,
            max_choices: 5,
            once_only: 30,
            back_edges: 30,
            guards: 50,
            if_blocks: 25,
            seen: 10,
            effects: 50,
            outcomes_per_rating: 2,
            forward_span: 3,
            blank_lines: true,
            chain: false,
        }
    }

    /// The shape of the static-check benchmark: a sound story of `scenes` scenes with
    /// 3–4 choices a scene and fewer effects and blocks, about ten lines a scene.
    pub fn static_bench(seed: u64, scenes: usize) -> Self {
        Params {
            min_choices: 3,
            max_choices: 4,
            effects: 20,
            if_blocks: 5,
            blank_lines: false,
            ..Params::sound(seed, scenes)
        }
    }

    /// A small arbitrary story; its sizes are drawn from the seed.
    pub fn wild(seed: u64) -> Self {
        let mut rng = Rng::new(seed ^ 0x0005_EED0_FA11);
        let ints = rng.below(4);
        let int_vars = (0..ints)
            .map(|_| {
                let lo = rng.between(-1, 1);
                (lo, lo + rng.between(0, 3))
            })
            .collect();
        Params {
            seed,
            mode: Mode::Wild,
            scenes: 3 + rng.below(6),
            int_vars,
            bool_vars: rng.below(3),
            min_choices: 1,
            max_choices: 2 + rng.below(3),
            once_only: 50,
            back_edges: 40,
            guards: 35,
            if_blocks: 30,
            seen: 20,
            effects: 60,
            outcomes_per_rating: rng.below(2),
            forward_span: 3,
            blank_lines: true,
            chain: false,
        }
    }

    /// The stories the exploration benchmarks explore: sound stories of 30 scenes with
    /// loops, one with four integer variables over `0..5` (about 1.3 million states),
    /// one with three over `0..4` and some once-only choices (about 600,000 states).
    pub fn explore_bench() -> Vec<(&'static str, Params)> {
        let mut vars = Params::sound(7, 30).with_int_vars(4, 0, 5);
        vars.once_only = 0;
        let mut once = Params::sound(5, 30).with_int_vars(3, 0, 4);
        once.once_only = 10;
        vec![("four_vars", vars), ("once_only", once)]
    }

    /// A story whose states far exceed the default state limit: ten integer variables
    /// over `0..100`.
    pub fn state_limit_bench() -> Self {
        let mut p = Params::sound(2, 20).with_int_vars(10, 0, 100);
        p.once_only = 0;
        p
    }

    /// A story for measuring how the checker and the story map grow with the story:
    /// `scenes` scenes, one integer variable over `0..5` and one boolean, 3–4 sticky
    /// unguarded choices a scene and no `seen()`, so that nearly every scene is
    /// reached, the reachable states grow in proportion to the scenes (a few per
    /// scene) and every state stays one word.
    pub fn scale_bench(seed: u64, scenes: usize) -> Self {
        Params {
            int_vars: vec![(0, 5)],
            bool_vars: 1,
            min_choices: 3,
            max_choices: 4,
            once_only: 0,
            guards: 0,
            if_blocks: 5,
            seen: 0,
            forward_span: 2,
            blank_lines: false,
            chain: true,
            ..Params::sound(seed, scenes)
        }
    }

    /// Replaces the integer variables by `count` variables over `lo..hi`.
    pub fn with_int_vars(mut self, count: usize, lo: i64, hi: i64) -> Self {
        self.int_vars = vec![(lo, hi); count];
        self
    }
}

const RATINGS: [&str; 3] = ["good", "mixed", "bad"];

/// Writes a story as scene source text.
pub fn generate(p: &Params) -> String {
    Gen {
        p,
        rng: Rng::new(p.seed),
        out: String::new(),
        outcomes: Vec::new(),
    }
    .story()
}

struct Gen<'p> {
    p: &'p Params,
    rng: Rng,
    out: String,
    outcomes: Vec<String>,
}

impl Gen<'_> {
    fn story(mut self) -> String {
        let p = self.p;
        let sound = p.mode == Mode::Sound;
        let per_rating = if sound {
            p.outcomes_per_rating.max(1)
        } else {
            p.outcomes_per_rating
        };
        for rating in RATINGS {
            for k in 0..per_rating {
                // Wild stories sometimes leave a rating out.
                if !sound && self.rng.chance(30) {
                    continue;
                }
                self.outcomes.push(format!("end_{rating}_{k}"));
            }
        }
        let _ = writeln!(self.out, "// Generated story, seed {}.", p.seed);
        let _ = writeln!(self.out, "title: Generated story {}", p.seed);
        let _ = writeln!(self.out, "author: Threshold test generator");
        let _ = writeln!(self.out, "start: s0");
        let _ = writeln!(self.out, "character patient \"Pat\"");
        let _ = writeln!(self.out, "character coach \"Coach\"");
        for (k, &(lo, hi)) in p.int_vars.iter().enumerate() {
            // The first integer variable is shown, so scenes may interpolate it.
            let vis = if k == 0 || !sound { "shown" } else { "hidden" };
            let init = self.rng.between(lo, hi);
            let _ = writeln!(
                self.out,
                "{vis} v{k} = {init} in {lo}..{hi} \"Variable {k}\""
            );
        }
        for k in 0..p.bool_vars {
            let init = self.rng.chance(50);
            let _ = writeln!(self.out, "hidden b{k} = {init} \"Flag {k}\"");
        }
        for i in 0..p.scenes {
            self.scene(i);
        }
        let outcomes = self.outcomes.clone();
        for (k, id) in outcomes.iter().enumerate() {
            self.outcome(k, id);
        }
        self.out
    }

    fn scene(&mut self, i: usize) {
        let p = self.p;
        let sound = p.mode == Mode::Sound;
        if p.blank_lines {
            let _ = writeln!(self.out);
        }
        if self.rng.chance(50) {
            let _ = writeln!(self.out, "scene s{i} \"Scene {i}\"");
        } else {
            let _ = writeln!(self.out, "scene s{i}");
        }
        self.speech(i);
        let k = if !sound && i > 0 && self.rng.chance(15) {
            // A scene that only diverts.
            0
        } else if p.max_choices > p.min_choices {
            p.min_choices + self.rng.below(p.max_choices - p.min_choices + 1)
        } else {
            p.min_choices
        };
        let k = if sound { k.max(1) } else { k };
        // The start scene of a sound story always waits for a first choice.
        if self.rng.chance(p.if_blocks) {
            self.if_block(i, "", !(sound && i == 0));
        }
        if k == 0 {
            // A scene without choices must divert.
            let t = self.target(i);
            let _ = writeln!(self.out, "-> {t}");
            return;
        }
        let exit = self.rng.below(k);
        for c in 0..k {
            if sound && c == exit {
                self.exit_choice(i, c);
            } else {
                self.choice(i, c);
            }
        }
    }

    fn speech(&mut self, i: usize) {
        let shown = !self.p.int_vars.is_empty();
        match self.rng.below(4) {
            0 => {
                let _ = writeln!(self.out, "patient: There is one more thing, in scene {i}.");
            }
            1 if shown && (self.p.mode == Mode::Wild || self.rng.chance(50)) => {
                let _ = writeln!(self.out, "coach: The first count stands at {{v0}}.");
            }
            2 => {
                let _ = writeln!(self.out, "The patient pauses at the door. // not a comment");
            }
            _ => {
                let _ = writeln!(self.out, "*sighs* A moment passes.");
            }
        }
    }

    /// An `{if}` block of opening lines or of a choice body. In sound mode a divert
    /// inside it only leads forward.
    fn if_block(&mut self, i: usize, indent: &str, may_divert: bool) {
        let c = self.condition(i);
        let _ = writeln!(self.out, "{indent}{{if {c}}}");
        self.branch_body(i, indent, may_divert);
        if self.rng.chance(40) {
            let c = self.condition(i);
            let _ = writeln!(self.out, "{indent}{{elif {c}}}");
            self.branch_body(i, indent, may_divert);
        }
        if self.rng.chance(50) {
            let _ = writeln!(self.out, "{indent}{{else}}");
            self.branch_body(i, indent, may_divert);
        }
        let _ = writeln!(self.out, "{indent}{{end}}");
    }

    fn branch_body(&mut self, i: usize, indent: &str, may_divert: bool) {
        match self.rng.below(3) {
            0 => {
                let _ = writeln!(self.out, "{indent}  Something shifts in the room.");
            }
            1 => {
                let _ = writeln!(self.out, "{indent}  ! A moment worth noticing.");
            }
            _ => {}
        }
        if let Some(e) = self.effects_line() {
            let _ = writeln!(self.out, "{indent}  ~ {e}");
        }
        if may_divert && self.rng.chance(30) {
            let t = self.target(i);
            let _ = writeln!(self.out, "{indent}  -> {t}");
        }
    }

    fn choice(&mut self, i: usize, c: usize) {
        let p = self.p;
        let sigil = if self.rng.chance(p.once_only) {
            "*"
        } else {
            "+"
        };
        // The first choice of the start scene is open, so that play gets going.
        let open = i == 0 && c == 0;
        let guard = if !open && self.rng.chance(p.guards) {
            format!("{{{}}} ", self.condition(i))
        } else {
            String::new()
        };
        let text = self.choice_text(i, c);
        let _ = writeln!(self.out, "{sigil} {guard}{text}");
        self.choice_body(i, false);
    }

    /// The scene's way forward: sticky, unguarded, and every divert leads forward.
    fn exit_choice(&mut self, i: usize, c: usize) {
        let text = self.choice_text(i, c);
        let _ = writeln!(self.out, "+ {text}");
        self.choice_body(i, true);
    }

    fn choice_text(&mut self, i: usize, c: usize) -> String {
        if !self.p.int_vars.is_empty() && self.rng.chance(20) {
            format!("Option {i}.{c} ({{v0}} so far)")
        } else {
            format!("Option {i}.{c}")
        }
    }

    fn choice_body(&mut self, i: usize, forward: bool) {
        let p = self.p;
        if self.rng.chance(15) {
            let _ = writeln!(self.out, "  patient: I hear you.");
        }
        if self.rng.chance(p.effects) {
            if let Some(e) = self.effects_line() {
                let _ = writeln!(self.out, "  ~ {e}");
            }
        }
        if self.rng.chance(15) {
            let _ = writeln!(self.out, "  ! Feedback on option {i}.");
        }
        if self.rng.chance(p.if_blocks / 3) {
            self.if_block(i, "  ", true);
        }
        let back = !forward && self.rng.chance(p.back_edges);
        let t = if back {
            self.back_target(i)
        } else if forward && p.chain && i + 1 < p.scenes {
            format!("s{}", i + 1)
        } else {
            self.target(i)
        };
        if self.rng.chance(10) {
            let _ = writeln!(self.out, "  -> {t} // onward");
        } else {
            let _ = writeln!(self.out, "  -> {t}");
        }
    }

    /// A divert target. Sound mode: a later scene or an outcome — from the last scene
    /// always an outcome. Wild mode: any node.
    fn target(&mut self, i: usize) -> String {
        let p = self.p;
        if p.mode == Mode::Wild {
            // Mostly scenes, so that stories run for a while.
            return if self.outcomes.is_empty() || self.rng.chance(80) {
                format!("s{}", self.rng.below(p.scenes))
            } else {
                self.rng.pick(&self.outcomes).clone()
            };
        }
        let last = i + 1 >= p.scenes;
        if last || self.rng.chance(8) {
            return self.rng.pick(&self.outcomes).clone();
        }
        let span = p.forward_span.max(1);
        let j = i + 1 + self.rng.below(span.min(p.scenes - i - 1));
        format!("s{j}")
    }

    fn back_target(&mut self, i: usize) -> String {
        if self.p.mode == Mode::Wild {
            return self.target(i);
        }
        format!("s{}", self.rng.below(i + 1))
    }

    fn int_const(&mut self, k: usize) -> i64 {
        let (lo, hi) = self.p.int_vars[k];
        self.rng.between(lo, hi)
    }

    fn condition(&mut self, i: usize) -> String {
        let a = self.atom_condition(i);
        match self.rng.below(6) {
            0 => format!("{a} and {}", self.atom_condition(i)),
            1 => format!("{a} or {}", self.atom_condition(i)),
            2 => format!("not ({a})"),
            _ => a,
        }
    }

    fn atom_condition(&mut self, i: usize) -> String {
        let p = self.p;
        let ints = p.int_vars.len();
        if self.rng.chance(p.seen) || (ints == 0 && p.bool_vars == 0) {
            if self.rng.chance(15) && ints == 0 && p.bool_vars == 0 {
                return if self.rng.chance(50) { "true" } else { "false" }.to_string();
            }
            let j = if p.mode == Mode::Sound {
                self.rng.below(i + 1)
            } else {
                self.rng.below(p.scenes)
            };
            return format!("seen(s{j})");
        }
        if ints > 0 && (p.bool_vars == 0 || self.rng.chance(75)) {
            let k = self.rng.below(ints);
            let c = self.int_const(k);
            match self.rng.below(7) {
                0 => format!("v{k} >= {c}"),
                1 => format!("v{k} < {c}"),
                2 => format!("v{k} == {c}"),
                3 => format!("v{k} != {c}"),
                4 => format!("v{k} <= {c}"),
                5 if ints > 1 => {
                    let m = (k + 1) % ints;
                    format!("v{k} + v{m} > {c}")
                }
                _ => format!("v{k} > {c}"),
            }
        } else {
            let k = self.rng.below(p.bool_vars);
            if self.rng.chance(50) {
                format!("b{k}")
            } else {
                format!("not b{k}")
            }
        }
    }

    fn effects_line(&mut self) -> Option<String> {
        let p = self.p;
        let ints = p.int_vars.len();
        if ints + p.bool_vars == 0 {
            return None;
        }
        let n = 1 + self.rng.below(2);
        let mut parts = Vec::new();
        for _ in 0..n {
            let k = self.rng.below(ints + p.bool_vars);
            if k < ints {
                let (lo, hi) = p.int_vars[k];
                let step = 1 + self.rng.below(((hi - lo).clamp(0, 2)) as usize + 1);
                parts.push(match self.rng.below(6) {
                    0 | 1 => format!("v{k} += {step}"),
                    2 | 3 => format!("v{k} -= {step}"),
                    4 => format!("v{k} = {}", self.int_const(k)),
                    _ => format!("v{k} = v{k} - 1"),
                });
            } else {
                let b = k - ints;
                parts.push(match self.rng.below(3) {
                    0 => format!("b{b} = true"),
                    1 => format!("b{b} = false"),
                    _ => format!("b{b} = not b{b}"),
                });
            }
        }
        Some(parts.join(", "))
    }

    fn outcome(&mut self, k: usize, id: &str) {
        let rating = id.split('_').nth(1).unwrap_or("mixed");
        if self.p.blank_lines {
            let _ = writeln!(self.out);
        }
        let _ = writeln!(self.out, "outcome {id} {rating} \"Ending {k}\"");
        let _ = writeln!(self.out, "The session closes.");
        if !self.p.int_vars.is_empty() {
            let last = self.p.int_vars.len() - 1;
            let _ = writeln!(self.out, "Final counts: {{v0}} and {{v{last}}}.");
        }
        if self.rng.chance(50) {
            if let Some(e) = self.effects_line() {
                let _ = writeln!(self.out, "~ {e}");
            }
        }
        if self.rng.chance(40) && self.p.int_vars.len() + self.p.bool_vars > 0 {
            let c = self.condition(self.p.scenes.saturating_sub(1));
            let _ = writeln!(self.out, "{{if {c}}}");
            let _ = writeln!(self.out, "! It went the way it did for a reason.");
            let _ = writeln!(self.out, "{{end}}");
        }
        let _ = writeln!(self.out, "! What this ending teaches.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_story() {
        let p = Params::sound(7, 30);
        assert_eq!(generate(&p), generate(&p));
        assert_ne!(generate(&p), generate(&Params::sound(8, 30)));
        let w = Params::wild(3);
        assert_eq!(generate(&w), generate(&w));
    }

    #[test]
    fn sound_stories_have_every_rating_and_the_requested_scenes() {
        let s = generate(&Params::sound(1, 40));
        for r in RATINGS {
            assert!(s.contains(&format!(" {r} \"")), "no {r} outcome");
        }
        assert_eq!(s.lines().filter(|l| l.starts_with("scene ")).count(), 40);
        assert!(s.contains("{if "));
        assert!(s.contains("\n* ") && s.contains("\n+ "));
    }

    #[test]
    fn below_and_between_stay_in_range() {
        let mut r = Rng::new(0);
        for _ in 0..1000 {
            assert!(r.below(7) < 7);
            let x = r.between(-3, 2);
            assert!((-3..=2).contains(&x));
        }
        assert_eq!(r.between(i64::MIN, i64::MIN), i64::MIN);
    }
}
