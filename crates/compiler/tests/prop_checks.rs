//! Property tests: the author's checks, proven by the checker, agree with a brute-force
//! oracle built only on the runtime's transition function — random small stories with
//! random checks of every form (`always`, `never`, `can reach`, `whenever`), over
//! variables, `seen()`, `at()` and `ended()`.

mod common;

use common::{better, check_text, Model, Target};
use proptest::prelude::*;
use threshold_compiler::Code;
use threshold_runtime::ir::{Rating, Story, VarType};
use threshold_runtime::State;
use threshold_testgen::{generate, Params, Rng};

/// The most states a generated story may have for the comparison to run.
const LIMIT: usize = 5_000;

/// A check expression, written and evaluated by the test alone.
#[derive(Debug, Clone)]
enum E {
    /// `var OP k` over an integer variable.
    Cmp(usize, &'static str, i64),
    /// A boolean variable.
    Flag(usize),
    Seen(usize),
    At(usize),
    Ended(Rating),
    Not(Box<E>),
    And(Box<E>, Box<E>),
    Or(Box<E>, Box<E>),
}

impl E {
    fn text(&self, story: &Story) -> String {
        match self {
            E::Cmp(v, op, k) => format!("{} {op} {k}", story.variables[*v].name),
            E::Flag(v) => story.variables[*v].name.clone(),
            E::Seen(n) => format!("seen({})", story.nodes[*n].id),
            E::At(n) => format!("at({})", story.nodes[*n].id),
            E::Ended(r) => format!("ended({})", r.as_str()),
            E::Not(x) => format!("not ({})", x.text(story)),
            E::And(a, b) => format!("({}) and ({})", a.text(story), b.text(story)),
            E::Or(a, b) => format!("({}) or ({})", a.text(story), b.text(story)),
        }
    }

    fn holds(&self, story: &Story, s: &State) -> bool {
        match self {
            E::Cmp(v, op, k) => {
                let x = s.vars[*v];
                match *op {
                    "<" => x < *k,
                    "<=" => x <= *k,
                    ">" => x > *k,
                    ">=" => x >= *k,
                    "==" => x == *k,
                    _ => x != *k,
                }
            }
            E::Flag(v) => s.vars[*v] != 0,
            E::Seen(n) => s.seen[n / 64] >> (n % 64) & 1 == 1,
            E::At(n) => s.node as usize == *n,
            E::Ended(r) => story.nodes[s.node as usize].rating() == Some(*r),
            E::Not(x) => !x.holds(story, s),
            E::And(a, b) => a.holds(story, s) && b.holds(story, s),
            E::Or(a, b) => a.holds(story, s) || b.holds(story, s),
        }
    }
}

fn atom(rng: &mut Rng, story: &Story) -> E {
    let waits: Vec<usize> = (0..story.nodes.len())
        .filter(|&n| story.nodes[n].is_outcome() || !story.nodes[n].choices.is_empty())
        .collect();
    loop {
        match rng.below(5) {
            0 if !story.variables.is_empty() => {
                let v = rng.below(story.variables.len());
                return match story.variables[v].ty {
                    VarType::Bool => E::Flag(v),
                    VarType::Int { lo, hi } => {
                        let op = *rng.pick(&["<", "<=", ">", ">=", "==", "!="]);
                        E::Cmp(v, op, rng.between(lo, hi))
                    }
                };
            }
            1 => return E::Seen(rng.below(story.nodes.len())),
            2 if !waits.is_empty() => return E::At(*rng.pick(&waits)),
            3 => return E::Ended(*rng.pick(&[Rating::Good, Rating::Mixed, Rating::Bad])),
            4 => return E::Not(Box::new(atom(rng, story))),
            _ => {}
        }
    }
}

fn expr(rng: &mut Rng, story: &Story, depth: usize) -> E {
    if depth == 0 || rng.chance(50) {
        return atom(rng, story);
    }
    let a = Box::new(expr(rng, story, depth - 1));
    let b = Box::new(expr(rng, story, depth - 1));
    if rng.chance(50) {
        E::And(a, b)
    } else {
        E::Or(a, b)
    }
}

#[derive(Debug, Clone)]
enum Form {
    Always(E),
    Never(E),
    CanReach(E),
    Whenever(E, E),
}

impl Form {
    fn line(&self, story: &Story) -> String {
        match self {
            Form::Always(e) => format!("check always {}", e.text(story)),
            Form::Never(e) => format!("check never {}", e.text(story)),
            Form::CanReach(e) => format!("check can reach {}", e.text(story)),
            Form::Whenever(a, b) => {
                format!(
                    "check whenever {}, can reach {}",
                    a.text(story),
                    b.text(story)
                )
            }
        }
    }
}

/// What the oracle expects of one check: `None` when it holds, otherwise the path (as
/// choice numbers) to the nearest breaking state (`can reach`: no path).
fn oracle(story: &Story, model: &Model, form: &Form) -> Option<Option<Vec<u32>>> {
    let n = model.states.len();
    let nearest = |bad: &dyn Fn(usize) -> bool| -> Option<Vec<u32>> {
        let mut best: Option<&Vec<u32>> = None;
        for i in (0..n).filter(|&i| bad(i)) {
            if best.is_none_or(|b| better(&model.best[i], b)) {
                best = Some(&model.best[i]);
            }
        }
        best.cloned()
    };
    let holds = |e: &E, i: usize| e.holds(story, &model.states[i]);
    match form {
        Form::Always(e) => nearest(&|i| !holds(e, i)).map(Some),
        Form::Never(e) => nearest(&|i| holds(e, i)).map(Some),
        Form::CanReach(e) => (!(0..n).any(|i| holds(e, i))).then_some(None),
        Form::Whenever(a, b) => {
            // Backward reachability from the states where `b` holds, by fixpoint.
            let mut can: Vec<bool> = (0..n).map(|i| holds(b, i)).collect();
            loop {
                let mut changed = false;
                for i in 0..n {
                    if !can[i]
                        && model.succ[i]
                            .iter()
                            .any(|t| matches!(t, Target::State(j) if can[*j]))
                    {
                        can[i] = true;
                        changed = true;
                    }
                }
                if !changed {
                    break;
                }
            }
            nearest(&|i| holds(a, i) && !can[i]).map(Some)
        }
    }
}

fn compare(seed: u64) -> Result<(), TestCaseError> {
    let base = generate(&Params::wild(seed));
    let first = check_text("base", &base, LIMIT);
    let Some(story) = first.lowered.story.as_ref() else {
        return Ok(());
    };
    let mut rng = Rng::new(seed ^ 0x9e37_79b9);
    let forms: Vec<Form> = (0..1 + rng.below(4))
        .map(|_| match rng.below(4) {
            0 => Form::Always(expr(&mut rng, story, 2)),
            1 => Form::Never(expr(&mut rng, story, 2)),
            2 => Form::CanReach(expr(&mut rng, story, 2)),
            _ => Form::Whenever(expr(&mut rng, story, 2), expr(&mut rng, story, 2)),
        })
        .collect();
    let lines: Vec<String> = forms.iter().map(|f| f.line(story)).collect();
    // The checks go right after the title: the preamble of the only file.
    let mut text = String::new();
    for l in base.lines() {
        text.push_str(l);
        text.push('\n');
        if l.starts_with("title:") {
            for c in &lines {
                text.push_str(c);
                text.push('\n');
            }
        }
    }
    let checked = check_text("checked", &text, LIMIT);
    let story = checked.lowered.story.as_ref().expect("the checks compile");
    if checked.graph.as_ref().is_some_and(|g| g.limited()) {
        prop_assert!(!checked
            .diagnostics
            .iter()
            .any(|d| d.code == Code::CheckFailed));
        prop_assert_eq!(checked.stats.checks_hold, None);
        return Ok(());
    }
    let model = Model::build(story, LIMIT + 1);
    prop_assert!(model.complete);
    let title_line = text.lines().position(|l| l.starts_with("title:")).unwrap();
    let mut hold = 0;
    for (k, form) in forms.iter().enumerate() {
        let line = title_line + 2 + k;
        let failed: Vec<_> = checked
            .diagnostics
            .iter()
            .filter(|d| {
                d.code == Code::CheckFailed
                    && text[..d.site.span.start].matches('\n').count() + 1 == line
            })
            .collect();
        match oracle(story, &model, form) {
            None => {
                hold += 1;
                prop_assert!(
                    failed.is_empty(),
                    "{}: holds, but {failed:?}\n{text}",
                    lines[k]
                );
            }
            Some(path) => {
                prop_assert_eq!(failed.len(), 1, "{}: fails\n{}", lines[k], text);
                prop_assert_eq!(
                    &failed[0].choices,
                    &path,
                    "{}: the nearest breaking state\n{}",
                    lines[k],
                    text
                );
            }
        }
    }
    prop_assert_eq!(checked.stats.checks_hold, Some(hold));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn checks_agree_with_brute_force(seed in any::<u64>()) {
        compare(seed)?;
    }
}
