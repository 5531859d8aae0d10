//! Runs story-test cases on the runtime: each case plays the story from the start,
//! taking its choices and checking its expectations in order.

use threshold_compiler::diagnostic::did_you_mean;
use threshold_runtime::ir::{Rating, Story, Text};
use threshold_runtime::{Runner, Sink, State, Stop};

use super::format::{Case, CmpOp, Seen, StepKind, TestFile, Value};

/// Why a case failed: the step, what it expected, and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub line: usize,
    pub step: String,
    pub expected: String,
    pub got: String,
    /// The choices taken before the failing step, as the trainee read them.
    pub chosen: Vec<(usize, String)>,
}

/// A name in a test that the story does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameError {
    pub line: usize,
    pub message: String,
}

/// Checks that every outcome and variable a test names exists, with the right type.
pub fn check_names(story: &Story, file: &TestFile) -> Vec<NameError> {
    let mut errors = Vec::new();
    let outcomes = || {
        story
            .nodes
            .iter()
            .filter(|n| n.is_outcome())
            .map(|n| n.id.as_str())
    };
    for step in file.cases.iter().flat_map(|c| &c.steps) {
        let message = match &step.kind {
            StepKind::Outcome(id) => match story.nodes.iter().find(|n| &n.id == id) {
                Some(n) if n.is_outcome() => None,
                Some(_) => Some(format!("`{id}` is a scene, not an outcome")),
                None => Some(format!(
                    "the story has no outcome `{id}`{}",
                    hint(did_you_mean(id, outcomes()))
                )),
            },
            StepKind::Compare { var, op, value } => {
                match story.variables.iter().find(|v| &v.name == var) {
                    None => Some(format!(
                        "the story has no variable `{var}`{}",
                        hint(did_you_mean(
                            var,
                            story.variables.iter().map(|v| v.name.as_str())
                        ))
                    )),
                    Some(v) if v.is_bool() && !matches!(value, Value::Bool(_)) => Some(format!(
                        "`{var}` is true or false; compare it with `true` or `false`"
                    )),
                    Some(v) if v.is_bool() && !matches!(op, CmpOp::Eq | CmpOp::Ne) => {
                        Some(format!("`{var}` is true or false; use `==` or `!=`"))
                    }
                    Some(v) if !v.is_bool() && matches!(value, Value::Bool(_)) => Some(format!(
                        "`{var}` is a number; compare it with a number, as in `expect {var} >= 3`"
                    )),
                    Some(_) => None,
                }
            }
            _ => None,
        };
        if let Some(message) = message {
            errors.push(NameError {
                line: step.line,
                message,
            });
        }
    }
    errors
}

fn hint(name: Option<&str>) -> String {
    name.map_or_else(String::new, |n| format!(" (did you mean `{n}`?)"))
}

/// What play has shown so far.
struct Shown<'s> {
    story: &'s Story,
    lines: Vec<String>,
    notes: Vec<String>,
}

impl Sink for Shown<'_> {
    fn line(&mut self, _speaker: Option<u32>, text: &Text, state: &State) {
        self.lines.push(self.story.render(text, state));
    }

    fn note(&mut self, text: &Text, _rating: Option<Rating>, state: &State) {
        self.notes.push(self.story.render(text, state));
    }
}

/// Plays one case; `Err` at its first failing step.
pub fn run_case(story: &Story, case: &Case) -> Result<(), Failure> {
    let mut runner = Runner::new(story);
    let mut shown = Shown {
        story,
        lines: Vec::new(),
        notes: Vec::new(),
    };
    let (mut state, mut stop) = runner.start(&mut shown);
    let mut chosen: Vec<(usize, String)> = Vec::new();
    let mut offered = Vec::new();
    for step in &case.steps {
        let fail = |expected: String, got: String, chosen: &[(usize, String)]| Failure {
            line: step.line,
            step: step.source.clone(),
            expected,
            got,
            chosen: chosen.to_vec(),
        };
        if stop == Stop::Choice {
            runner.available(&state, &mut offered);
        } else {
            offered.clear();
        }
        let node = &story.nodes[state.node as usize];
        let texts: Vec<String> = offered
            .iter()
            .map(|&i| story.render(&node.choices[i].text, &state))
            .collect();
        match &step.kind {
            StepKind::ChooseNumber(_) | StepKind::ChooseText(_) => {
                let expected = match &step.kind {
                    StepKind::ChooseNumber(n) => format!("choice {n} to be offered"),
                    StepKind::ChooseText(t) => format!("the choice \"{t}\" to be offered"),
                    _ => unreachable!("a choose step"),
                };
                if stop != Stop::Choice {
                    return Err(fail(expected, where_play_is(story, &state, stop), &chosen));
                }
                let pick = match &step.kind {
                    StepKind::ChooseNumber(n) => (1..=texts.len()).contains(n).then_some(*n),
                    StepKind::ChooseText(t) => texts.iter().position(|x| x == t).map(|p| p + 1),
                    _ => None,
                };
                let Some(number) = pick else {
                    let mut got =
                        format!("at `{}` the choices offered are:{}", node.id, list(&texts));
                    if let StepKind::ChooseText(t) = &step.kind {
                        if let Some(close) = texts.iter().find(|x| loosely_equal(x, t)) {
                            got.push_str(&format!(
                                "\n(did you mean \"{close}\"? the text must match exactly)"
                            ));
                        }
                    }
                    return Err(fail(expected, got, &chosen));
                };
                chosen.push((number, texts[number - 1].clone()));
                stop = runner.choose(&mut state, offered[number - 1], &mut shown);
            }
            StepKind::Outcome(id) => {
                let ok = stop == Stop::Outcome && &node.id == id;
                if !ok {
                    return Err(fail(
                        format!("play to end at the outcome `{id}`"),
                        where_play_is(story, &state, stop),
                        &chosen,
                    ));
                }
            }
            StepKind::Rating(r) => {
                let got = node.rating().map(|x| x.as_str());
                if stop != Stop::Outcome || got != Some(r.as_str()) {
                    return Err(fail(
                        format!("play to end at a {r} outcome"),
                        where_play_is(story, &state, stop),
                        &chosen,
                    ));
                }
            }
            StepKind::Compare { var, op, value } => {
                let v = story
                    .variables
                    .iter()
                    .position(|v| &v.name == var)
                    .expect("names are checked before the run");
                let actual = state.vars[v];
                let want = match value {
                    Value::Int(x) => *x,
                    Value::Bool(b) => i64::from(*b),
                };
                if !op.holds(actual, want) {
                    let variable = &story.variables[v];
                    let expected = match (value, op) {
                        (Value::Bool(b), CmpOp::Eq) => format!("`{var}` to be {b}"),
                        (Value::Bool(b), _) => format!("`{var}` not to be {b}"),
                        _ => format!("{var} {} {value}", op.as_str()),
                    };
                    return Err(fail(
                        expected,
                        format!("{var} is {}", variable.format(actual)),
                        &chosen,
                    ));
                }
            }
            StepKind::Text {
                what,
                text,
                present,
            } => {
                let (pool, noun): (&[String], &str) = match what {
                    Seen::Line => (&shown.lines, "line"),
                    Seen::Note => (&shown.notes, "note"),
                    Seen::Offered => (&texts, "choice"),
                };
                let found = match what {
                    Seen::Offered => pool.iter().position(|x| x == text),
                    Seen::Line | Seen::Note => pool.iter().position(|x| x.contains(text.as_str())),
                };
                match (found, present, what) {
                    (None, true, Seen::Offered) => {
                        let got = if stop == Stop::Choice {
                            format!("at `{}` the choices offered are:{}", node.id, list(&texts))
                        } else {
                            where_play_is(story, &state, stop)
                        };
                        return Err(fail(
                            format!("the choice \"{text}\" to be offered"),
                            got,
                            &chosen,
                        ));
                    }
                    (None, true, _) => {
                        let got = if pool.is_empty() {
                            format!("no {noun} has been shown")
                        } else {
                            let last: Vec<String> =
                                pool.iter().rev().take(3).rev().cloned().collect();
                            format!(
                                "there is none; the last {} shown:{}",
                                plural(last.len(), noun),
                                bullets(&last)
                            )
                        };
                        return Err(fail(
                            format!("a {noun} containing \"{text}\" to have been shown"),
                            got,
                            &chosen,
                        ));
                    }
                    (Some(i), false, Seen::Offered) => {
                        return Err(fail(
                            format!("the choice \"{text}\" not to be offered"),
                            format!("it is offered, as choice {} at `{}`", i + 1, node.id),
                            &chosen,
                        ));
                    }
                    (Some(i), false, _) => {
                        return Err(fail(
                            format!("no {noun} containing \"{text}\" to have been shown"),
                            format!("this {noun} was shown: \"{}\"", pool[i]),
                            &chosen,
                        ));
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(())
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        noun.to_string()
    } else {
        format!("{n} {noun}s")
    }
}

fn where_play_is(story: &Story, state: &State, stop: Stop) -> String {
    let node = &story.nodes[state.node as usize];
    match stop {
        Stop::Outcome => format!(
            "play ended at the outcome `{}` ({})",
            node.id,
            node.rating().map_or("", |r| r.as_str())
        ),
        Stop::Choice => format!("play has not ended: it waits for a choice at `{}`", node.id),
        Stop::DeadEnd => format!("play is stuck at `{}`: no choice is available", node.id),
        Stop::DivertLoop { node } => format!(
            "play is stuck: the diverts from `{}` run in a circle",
            story.nodes[node as usize].id
        ),
        Stop::DivertLimit { node } => format!(
            "play is stuck: a divert chain reached its divert limit entering `{}`",
            story.nodes[node as usize].id
        ),
    }
}

fn list(texts: &[String]) -> String {
    if texts.is_empty() {
        return " none".to_string();
    }
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| format!("\n  {}. {t}", i + 1))
        .collect()
}

fn bullets(texts: &[String]) -> String {
    texts.iter().map(|t| format!("\n  - {t}")).collect()
}

/// Equal but for case, blanks and closing punctuation.
fn loosely_equal(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .trim_end_matches(['.', '!', '?', ',', ';', ':'])
            .to_lowercase()
    };
    let (a, b) = (norm(a), norm(b));
    a == b || (b.len() >= 12 && a.contains(&b))
}
