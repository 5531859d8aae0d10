//! Analyses of small stories whose answers are worked out by hand, of loops with closed
//! forms, and of generated stories solved three ways (exact, eliminated, iterated).

use super::*;

fn story(text: &str) -> Story {
    crate::test_story(text)
}

fn analysis(text: &str) -> (Story, Analysis) {
    let s = story(text);
    let a = analyze(&s, Limits::states(1_000_000)).expect("within the limit");
    (s, a)
}

/// The same analysis in floating point only.
fn float_analysis(s: &Story) -> Analysis {
    let g = Graph::explore(s, 1_000_000);
    analyze_graph_with(s, &g, Bounds::float())
}

/// The same analysis with every loop iterated by Gauss–Seidel (no room to eliminate).
fn iterated_analysis(s: &Story) -> Analysis {
    let g = Graph::explore(s, 1_000_000);
    analyze_graph_with(
        s,
        &g,
        Bounds {
            elimination_bytes: 0,
            ..Bounds::float()
        },
    )
}

/// A corridor of `n` places, one step forward or back at each.
fn corridor(n: usize) -> Story {
    story(&format!(
        "title: Corridor\nstart: walk\nhidden place = 0 in 0..{last}\n\n\
         scene walk\n+ Forward.\n  ~ place += 1\n  {{if place >= {last}}}\n  -> far\n  {{end}}\n  -> walk\n\
         + Back.\n  ~ place -= 1\n  -> walk\n\noutcome far good \"Far\"\nThere.\n",
        last = n - 1
    ))
}

#[test]
fn a_corridor_of_hundreds_of_states_is_solved_directly() {
    let s = corridor(300);
    let a = float_analysis(&s);
    assert!(a.converged);
    assert_eq!(a.sweeps, 0, "solved by elimination, not iterated");
    assert!((a.ratings[0].value - 1.0).abs() < 1e-9);
    assert!((a.expected_choices.value - 89_700.0).abs() < 1e-3);
}

/// A ring of `n` places; at each, leave (the outcome) or walk on.
fn ring(n: usize) -> Story {
    story(&format!(
        "title: Ring\nstart: ring\nhidden pos = 0 in 0..{last}\n\nscene ring\n\
         + On.\n  {{if pos >= {last}}}\n  ~ pos = 0\n  {{else}}\n  ~ pos += 1\n  {{end}}\n  -> ring\n\
         + Leave.\n  -> out\n\noutcome out good \"Out\"\nOut.\n",
        last = n - 1
    ))
}

#[test]
fn a_ring_of_thousands_of_states_is_solved_by_elimination() {
    let s = ring(2_000);
    let a = float_analysis(&s);
    assert!(a.converged);
    assert_eq!(a.sweeps, 0, "eliminated, not iterated");
    assert!(close(a.ratings[0].value, 1.0, 1e-12));
    assert!(close(a.expected_choices.value, 2.0, 1e-12));
}

#[test]
fn a_loop_too_large_to_eliminate_is_iterated() {
    let s = ring(2_000);
    let a = iterated_analysis(&s);
    assert!(a.converged);
    assert!(a.sweeps > 0);
    assert!(close(a.ratings[0].value, 1.0, 1e-9));
    assert!(
        close(a.expected_choices.value, 2.0, 1e-9),
        "{}",
        a.expected_choices.value
    );
}

#[test]
fn a_solve_past_its_work_bound_is_not_converged() {
    let s = corridor(1_100);
    let g = Graph::explore(&s, 1_000_000);
    let bounds = Bounds {
        work: 1_000,
        ..Bounds::float()
    };
    let a = analyze_graph_with(&s, &g, bounds);
    assert!(!a.converged, "the bound stops the elimination");
    let a = analyze_graph_with(
        &s,
        &g,
        Bounds {
            elimination_bytes: 0,
            ..bounds
        },
    );
    assert!(!a.converged, "and the iteration");
}

/// Gambler's ruin on 0..6000 from 2000: 5,999 waiting states in one loop.
/// P(rich) = 1/3; expected steps 2000 · 4000; given rich, (6000² − 2000²)/3; given
/// ruined, (2 · 6000 · 2000 − 2000²)/3.
#[test]
fn a_loop_of_thousands_of_states_matches_its_closed_form() {
    let s = story(
        "title: Ruin\nhidden pos = 2000 in 0..6000\n\
         scene walk\n{if pos == 0}\n-> ruined\n{elif pos == 6000}\n-> rich\n{end}\n\
         + Up.\n  ~ pos += 1\n  -> walk\n+ Down.\n  ~ pos -= 1\n  -> walk\n\
         outcome rich good \"Rich\"\noutcome ruined bad \"Ruined\"\n",
    );
    let a = float_analysis(&s);
    assert!(a.converged);
    assert_eq!(a.sweeps, 0);
    let rich = outcome(&s, &a, "rich");
    let ruined = outcome(&s, &a, "ruined");
    assert!(close(rich.probability.value, 1.0 / 3.0, 1e-9));
    assert!(close(ruined.probability.value, 2.0 / 3.0, 1e-9));
    assert!(
        (rich.probability.value + ruined.probability.value - 1.0).abs() < 1e-12,
        "the probabilities sum to one"
    );
    assert!(
        close(a.expected_choices.value, 8e6, 1e-9),
        "{}",
        a.expected_choices.value
    );
    let given = rich.expected_choices.as_ref().unwrap().value;
    assert!(close(given, 32e6 / 3.0, 1e-9), "{given}");
    let given = ruined.expected_choices.as_ref().unwrap().value;
    assert!(close(given, 20e6 / 3.0, 1e-9), "{given}");
}

/// Every figure of two analyses of one story, side by side.
fn figures(a: &Analysis) -> Vec<f64> {
    let mut v: Vec<f64> = a.outcomes.iter().map(|o| o.probability.value).collect();
    v.extend(
        a.outcomes
            .iter()
            .filter_map(|o| o.expected_choices.as_ref())
            .map(|f| f.value),
    );
    v.extend(a.ratings.iter().map(|f| f.value));
    v.extend(
        [
            &a.stuck.dead_end,
            &a.stuck.divert_loop,
            &a.stuck.endless_loop,
        ]
        .map(|f| f.value),
    );
    v.push(a.expected_choices.value);
    v
}

fn ends_sum(a: &Analysis) -> f64 {
    a.outcomes.iter().map(|o| o.probability.value).sum::<f64>() + a.stuck.total.value
}

#[test]
fn elimination_in_floating_point_matches_exact_fractions_on_generated_stories() {
    let mut exact_ones = 0;
    for seed in 0..150 {
        let s = story(&threshold_testgen::generate(
            &threshold_testgen::Params::wild(seed),
        ));
        let e = analyze(&s, Limits::states(1_000_000)).unwrap();
        if !e.exact {
            continue;
        }
        exact_ones += 1;
        let f = float_analysis(&s);
        assert!(f.converged && f.sweeps == 0, "seed {seed}");
        for (x, y) in figures(&e).into_iter().zip(figures(&f)) {
            assert!(close(x, y, 1e-12), "seed {seed}: {x} against {y}");
        }
        assert!((ends_sum(&f) - 1.0).abs() < 1e-12, "seed {seed}");
    }
    assert!(exact_ones > 100, "{exact_ones}");
}

#[test]
fn elimination_matches_iteration_on_generated_stories_with_loops() {
    let mut compared = 0;
    for seed in 0..40 {
        let mut p = threshold_testgen::Params::sound(seed, 12).with_int_vars(2, 0, 4);
        p.once_only = 0;
        p.back_edges = 40;
        let s = story(&threshold_testgen::generate(&p));
        let f = float_analysis(&s);
        assert!(f.converged && f.sweeps == 0, "seed {seed}");
        assert!(
            (ends_sum(&f) - 1.0).abs() < 1e-9,
            "seed {seed}: {}",
            ends_sum(&f)
        );
        let i = iterated_analysis(&s);
        if !i.converged {
            continue;
        }
        compared += i64::from(i.sweeps > 0);
        for (x, y) in figures(&f).into_iter().zip(figures(&i)) {
            assert!(close(x, y, 1e-8), "seed {seed}: {x} against {y}");
        }
    }
    assert!(compared > 20, "{compared}");
}

fn outcome<'a>(s: &Story, a: &'a Analysis, id: &str) -> &'a OutcomeReport {
    let n = s.node_index(id).expect("an outcome of that name");
    a.outcomes
        .iter()
        .find(|o| o.node == n)
        .expect("a report for it")
}

fn exact(f: &Figure) -> &str {
    f.exact.as_deref().expect("an exact figure")
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

/// 1/2 at once; otherwise two of three choices give 1/3 and one gives 1/6.
const SIXTHS: &str = "\
title: Sixths
hidden trust = 5 in 0..10
shown calm = 2 in 0..5
scene a
* Left.
  ~ trust += 2
  -> half
* Right.
  -> b
scene b
* Down.
  ~ trust -= 1
  -> third
* Up.
  ~ trust += 1
  -> third
* Away.
  -> sixth
outcome half good \"Half\"
outcome third mixed \"Third\"
outcome sixth bad \"Sixth\"
";

#[test]
fn probabilities_of_a_tree_are_exact_fractions() {
    let (s, a) = analysis(SIXTHS);
    assert!(a.exact);
    assert_eq!(exact(&outcome(&s, &a, "half").probability), "1/2");
    assert_eq!(exact(&outcome(&s, &a, "third").probability), "1/3");
    assert_eq!(exact(&outcome(&s, &a, "sixth").probability), "1/6");
    assert_eq!(exact(&a.ratings[0]), "1/2");
    assert_eq!(exact(&a.ratings[1]), "1/3");
    assert_eq!(exact(&a.ratings[2]), "1/6");
    assert_eq!(exact(&a.stuck.total), "0");
    assert!(close(
        outcome(&s, &a, "sixth").probability.value,
        1.0 / 6.0,
        1e-15
    ));
}

#[test]
fn expected_choices_overall_and_per_outcome() {
    let (s, a) = analysis(SIXTHS);
    assert_eq!(exact(&a.expected_choices), "3/2");
    assert_eq!(
        exact(outcome(&s, &a, "half").expected_choices.as_ref().unwrap()),
        "1"
    );
    assert_eq!(
        exact(outcome(&s, &a, "third").expected_choices.as_ref().unwrap()),
        "2"
    );
}

#[test]
fn shortest_paths_count_choices_and_number_them_as_offered() {
    let (s, a) = analysis(SIXTHS);
    let third = outcome(&s, &a, "third").shortest.as_ref().unwrap();
    let texts: Vec<_> = third.iter().map(|st| st.text.as_str()).collect();
    assert_eq!(texts, ["Right.", "Down."]);
    assert_eq!(third.iter().map(|st| st.number).collect::<Vec<_>>(), [2, 1]);

    // A guarded-off first choice is not counted: "Visible." is choice 1 as offered.
    let (s, a) = analysis(
        "title: G\nhidden f = false\nscene a\n* {f} Hidden.\n  -> fin\n* Visible.\n  ~ f = false\n  -> fin\noutcome fin good \"E\"\n",
    );
    let path = outcome(&s, &a, "fin").shortest.as_ref().unwrap();
    assert_eq!(path.len(), 1);
    assert_eq!((path[0].number, path[0].index), (1, 1));
}

#[test]
fn hidden_variable_ranges_at_each_outcome() {
    let (s, a) = analysis(SIXTHS);
    assert_eq!(a.hidden, [0], "only the hidden variable");
    assert_eq!(outcome(&s, &a, "half").ranges, [Some((7, 7))]);
    assert_eq!(outcome(&s, &a, "third").ranges, [Some((4, 6))]);
    assert_eq!(outcome(&s, &a, "sixth").ranges, [Some((5, 5))]);
    assert_eq!(describe_range(&s, 0, (4, 6)), "4..6");
    assert_eq!(describe_range(&s, 0, (5, 5)), "5");
}

#[test]
fn ratings_still_reachable_after_each_choice() {
    let (s, a) = analysis(SIXTHS);
    let names = |node: &str, index: usize| {
        let n = s.node_index(node).unwrap();
        let c = a
            .choices
            .iter()
            .find(|c| c.node == n && c.index == index)
            .unwrap();
        (c.some.names(), c.every.names())
    };
    assert_eq!(names("a", 0), (vec!["good"], vec!["good"]));
    assert_eq!(names("a", 1), (vec!["mixed", "bad"], vec!["mixed", "bad"]));
    assert_eq!(names("b", 2), (vec!["bad"], vec!["bad"]));
}

#[test]
fn what_remains_reachable_can_depend_on_the_state() {
    let (s, a) = analysis(
        "title: K\nhidden kind = false\n\
         scene pre\n* Be kind.\n  ~ kind = true\n  -> door\n* Be curt.\n  -> door\n\
         scene door\n* Open.\n  -> check\n\
         scene check\n{if kind}\n-> warm\n{else}\n-> cold\n{end}\n\
         outcome warm good \"Warm\"\noutcome cold bad \"Cold\"\n",
    );
    let door = s.node_index("door").unwrap();
    let open = a.choices.iter().find(|c| c.node == door).unwrap();
    assert_eq!(open.offered_in, 2);
    assert_eq!(open.some.names(), ["good", "bad"]);
    assert!(open.every.is_empty());
    assert_eq!(outcome(&s, &a, "warm").ranges, [Some((1, 1))]);
    assert_eq!(describe_range(&s, 0, (0, 1)), "either");
    assert_eq!(describe_range(&s, 0, (1, 1)), "true");
}

/// A sticky "try again" whose counter saturates at 3, so the last state loops on
/// itself. By hand: tries reach 2 with probability 1/4; there, and at 3, "Finish" and
/// "Give up" are equally likely to end it, so P(good) = 1/8. Expected visits are
/// 1, 1/2, 1/4 and (1/12)/(2/3) = 1/8: 15/8 choices. Given good: E[choices · 1{good}]
/// = 3·1/12 + Σ_j (4 + j)(1/36)(1/3)^j = 7/16, so 7/2 choices.
const TRY_AGAIN: &str = "\
title: Try again
hidden tries = 0 in 0..3
scene practice
+ Try again.
  ~ tries += 1
  -> practice
+ {tries >= 2} Finish.
  -> done
+ Give up.
  -> quit
outcome done good \"Done\"
outcome quit bad \"Quit\"
";

#[test]
fn a_saturating_try_again_loop_matches_its_closed_form() {
    let (s, a) = analysis(TRY_AGAIN);
    assert!(a.exact);
    assert_eq!(exact(&outcome(&s, &a, "done").probability), "1/8");
    assert_eq!(exact(&outcome(&s, &a, "quit").probability), "7/8");
    assert_eq!(exact(&a.expected_choices), "15/8");
    assert_eq!(
        exact(outcome(&s, &a, "done").expected_choices.as_ref().unwrap()),
        "7/2"
    );
    assert_eq!(outcome(&s, &a, "done").shortest.as_ref().unwrap().len(), 3);
    assert_eq!(outcome(&s, &a, "done").ranges, [Some((2, 3))]);

    let f = float_analysis(&s);
    assert!(!f.exact);
    assert!(close(
        outcome(&s, &f, "done").probability.value,
        0.125,
        1e-12
    ));
    assert!(close(f.expected_choices.value, 15.0 / 8.0, 1e-12));
}

/// Two scenes that send play back and forth: x_a = 1 + x_b/3, x_b = x_a/2, so
/// x_a = 6/5 and x_b = 3/5.
#[test]
fn a_cycle_between_two_scenes() {
    let (s, a) = analysis(
        "title: Back and forth\n\
         scene a\n+ Over.\n  -> b\n+ Stop.\n  -> g\n\
         scene b\n+ Back.\n  -> a\n+ Drop.\n  -> x\n+ Settle.\n  -> m\n\
         outcome g good \"G\"\noutcome m mixed \"M\"\noutcome x bad \"X\"\n",
    );
    assert_eq!(exact(&outcome(&s, &a, "g").probability), "3/5");
    assert_eq!(exact(&outcome(&s, &a, "m").probability), "1/5");
    assert_eq!(exact(&outcome(&s, &a, "x").probability), "1/5");
    assert_eq!(exact(&a.expected_choices), "9/5");
}

/// Gambler's ruin on 0..60 from 20: 59 waiting states in one cycle, more than exact
/// arithmetic takes, so it is solved in floating point. P(rich) = 20/60; expected steps
/// 20·40 = 800; given rich, (60² − 20²)/3; given ruined, (2·60·20 − 20²)/3.
#[test]
fn a_large_cycle_is_solved_in_floating_point() {
    let (s, a) = analysis(
        "title: Ruin\nhidden pos = 20 in 0..60\n\
         scene walk\n{if pos == 0}\n-> ruined\n{elif pos == 60}\n-> rich\n{end}\n\
         + Up.\n  ~ pos += 1\n  -> walk\n+ Down.\n  ~ pos -= 1\n  -> walk\n\
         outcome rich good \"Rich\"\noutcome ruined bad \"Ruined\"\n",
    );
    assert!(!a.exact, "the cycle is too large for exact arithmetic");
    assert!(a.converged);
    assert_eq!(a.sweeps, 0, "solved by elimination");
    let rich = outcome(&s, &a, "rich");
    assert!(
        close(rich.probability.value, 1.0 / 3.0, 1e-8),
        "{}",
        rich.probability.value
    );
    assert!(
        close(a.expected_choices.value, 800.0, 1e-8),
        "{}",
        a.expected_choices.value
    );
    let given = rich.expected_choices.as_ref().unwrap().value;
    assert!(close(given, 3200.0 / 3.0, 1e-8), "{given}");
    let ruined = outcome(&s, &a, "ruined")
        .expected_choices
        .as_ref()
        .unwrap()
        .value;
    assert!(close(ruined, 2000.0 / 3.0, 1e-8), "{ruined}");
    assert_eq!(rich.shortest.as_ref().unwrap().len(), 40);
}

#[test]
fn getting_stuck_is_an_end_of_its_own() {
    let (s, a) = analysis(
        "title: Traps\nhidden f = false\n\
         scene a\n* Fine.\n  -> g\n* Circle.\n  -> loop\n* Wall.\n  -> wall\n\
         scene loop\n+ Around.\n  -> loop\n\
         scene wall\n* {f} Through.\n  -> g\n\
         outcome g good \"G\"\noutcome never bad \"Never\"\n",
    );
    assert_eq!(exact(&outcome(&s, &a, "g").probability), "1/3");
    assert_eq!(exact(&a.stuck.endless_loop), "1/3");
    assert_eq!(exact(&a.stuck.dead_end), "1/3");
    assert_eq!(exact(&a.stuck.divert_loop), "0");
    assert_eq!(exact(&a.stuck.total), "2/3");
    // Entering the loop ends play for this count: one choice in every case.
    assert_eq!(exact(&a.expected_choices), "1");
    let never = outcome(&s, &a, "never");
    assert_eq!(never.states, 0);
    assert!(never.shortest.is_none() && never.expected_choices.is_none());
    assert_eq!(exact(&never.probability), "0");
    let a_node = s.node_index("a").unwrap();
    let circle = a
        .choices
        .iter()
        .find(|c| c.node == a_node && c.index == 1)
        .unwrap();
    assert_eq!(circle.some.names(), ["stuck"]);
    let wall = s.node_index("wall").unwrap();
    let through = a.choices.iter().find(|c| c.node == wall).unwrap();
    assert_eq!(through.offered_in, 0);
    assert!(through.some.is_empty());
}

#[test]
fn the_two_arithmetics_agree() {
    for text in [SIXTHS, TRY_AGAIN] {
        let s = story(text);
        let (e, f) = (
            analyze(&s, Limits::states(1_000_000)).unwrap(),
            float_analysis(&s),
        );
        for (x, y) in e.outcomes.iter().zip(&f.outcomes) {
            assert!(close(x.probability.value, y.probability.value, 1e-12));
        }
        assert!(close(
            e.expected_choices.value,
            f.expected_choices.value,
            1e-12
        ));
    }
}

#[test]
fn the_state_limit_is_an_error() {
    let s = story(TRY_AGAIN);
    assert_eq!(
        analyze(&s, Limits::states(2)).unwrap_err(),
        AnalyzeError::StateLimit(crate::Stopped::States(2))
    );
}

/// `copies` separate loops of 48 states each: a direct solve of m states costs m³.
fn loops(copies: i64) -> String {
    format!(
        "title: Loops\nhidden p = 0 in 0..47\nhidden q = 0 in 0..{}\n\
         scene pre\n+ Another.\n  ~ q += 1\n  -> pre\n+ Go.\n  -> walk\n\
         scene walk\n+ Next.\n  ~ p += 1\n  -> walk\n+ Back.\n  ~ p -= 1\n  -> walk\n\
         + {{p == 47}} Out.\n  -> fin\noutcome fin good \"F\"\n",
        copies - 1
    )
}

#[test]
fn exact_arithmetic_is_given_up_when_the_loops_cost_too_much() {
    let cost = 48 * 48 * 48;
    let affordable = (EXACT_WORK / cost) as i64;
    let (_, a) = analysis(&loops(affordable));
    assert!(a.exact);
    assert_eq!(exact(&a.outcomes[0].probability), "1");
    let (_, a) = analysis(&loops(affordable + 1));
    assert!(!a.exact);
    assert_eq!(a.sweeps, 0, "each loop is still solved directly");
    assert!(close(a.outcomes[0].probability.value, 1.0, 1e-12));
}
