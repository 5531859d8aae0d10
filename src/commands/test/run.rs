//! Runs story-test cases through the runtime's play session: each case plays the story
//! from the start, taking its choices by the session's numbers and checking its
//! expectations against what the session's steps said and reached.

use threshold_compiler::diagnostic::did_you_mean;
use threshold_runtime::ir::Story;
use threshold_runtime::session::{Said, Session};
use threshold_runtime::{State, Stop};

use super::format::{Case, CmpOp, Seen, Step, StepKind, TestFile, Value};

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

/// Plays one case through the runtime's [`Session`]; `Err` at its first failing step.
pub fn run_case(story: &Story, case: &Case) -> Result<(), Failure> {
    let mut session = Session::new(story);
    for step in &case.steps {
        if let Some(number) = check_step(&session, step)? {
            session
                .choose(number)
                .expect("the number is among those offered");
        }
    }
    Ok(())
}

/// Checks one step where play stands; `Ok(Some(number))` for a choice to take.
fn check_step(session: &Session<'_>, step: &Step) -> Result<Option<usize>, Failure> {
    let story = session.story();
    let (state, stop) = (session.state(), session.stop());
    let node = &story.nodes[state.node as usize];
    let texts: Vec<&str> = session.offers().iter().map(|o| o.text.as_str()).collect();
    let fail = |expected: String, got: String| Failure {
        line: step.line,
        step: step.source.clone(),
        expected,
        got,
        chosen: chosen(session),
    };
    match &step.kind {
        StepKind::ChooseNumber(_) | StepKind::ChooseText(_) => {
            let expected = match &step.kind {
                StepKind::ChooseNumber(n) => format!("choice {n} to be offered"),
                StepKind::ChooseText(t) => format!("the choice \"{t}\" to be offered"),
                _ => unreachable!("a choose step"),
            };
            if stop != Stop::Choice {
                return Err(fail(expected, where_play_is(story, state, stop)));
            }
            let pick = match &step.kind {
                StepKind::ChooseNumber(n) => (1..=texts.len()).contains(n).then_some(*n),
                StepKind::ChooseText(t) => texts.iter().position(|x| x == t).map(|p| p + 1),
                _ => None,
            };
            let Some(number) = pick else {
                let mut got = format!("at `{}` the choices offered are:{}", node.id, list(&texts));
                if let StepKind::ChooseText(t) = &step.kind {
                    if let Some(close) = texts.iter().find(|x| loosely_equal(x, t)) {
                        got.push_str(&format!(
                            "\n(did you mean \"{close}\"? the text must match exactly)"
                        ));
                    }
                }
                return Err(fail(expected, got));
            };
            return Ok(Some(number));
        }
        StepKind::Outcome(id) => {
            if stop != Stop::Outcome || &node.id != id {
                return Err(fail(
                    format!("play to end at the outcome `{id}`"),
                    where_play_is(story, state, stop),
                ));
            }
        }
        StepKind::Rating(r) => {
            let got = node.rating().map(|x| x.as_str());
            if stop != Stop::Outcome || got != Some(r.as_str()) {
                return Err(fail(
                    format!("play to end at a {r} outcome"),
                    where_play_is(story, state, stop),
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
                ));
            }
        }
        StepKind::Text {
            what,
            text,
            present,
        } => {
            let (pool, noun): (Vec<&str>, &str) = match what {
                Seen::Line => (said(session, false), "line"),
                Seen::Note => (said(session, true), "note"),
                Seen::Offered => (texts.clone(), "choice"),
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
                        where_play_is(story, state, stop)
                    };
                    return Err(fail(format!("the choice \"{text}\" to be offered"), got));
                }
                (None, true, _) => {
                    let got = if pool.is_empty() {
                        format!("no {noun} has been shown")
                    } else {
                        let last = &pool[pool.len().saturating_sub(3)..];
                        format!(
                            "there is none; the last {} shown:{}",
                            plural(last.len(), noun),
                            bullets(last)
                        )
                    };
                    return Err(fail(
                        format!("a {noun} containing \"{text}\" to have been shown"),
                        got,
                    ));
                }
                (Some(i), false, Seen::Offered) => {
                    return Err(fail(
                        format!("the choice \"{text}\" not to be offered"),
                        format!("it is offered, as choice {} at `{}`", i + 1, node.id),
                    ));
                }
                (Some(i), false, _) => {
                    return Err(fail(
                        format!("no {noun} containing \"{text}\" to have been shown"),
                        format!("this {noun} was shown: \"{}\"", pool[i]),
                    ));
                }
                _ => {}
            }
        }
    }
    Ok(None)
}

/// The choices taken so far, as the trainee read them.
fn chosen(session: &Session<'_>) -> Vec<(usize, String)> {
    session
        .steps()
        .iter()
        .filter_map(|s| s.chosen.as_ref())
        .map(|c| (c.number, c.text.clone()))
        .collect()
}

/// Every line (or, with `notes`, every note) play has said so far, in order.
fn said<'a>(session: &'a Session<'_>, notes: bool) -> Vec<&'a str> {
    session
        .steps()
        .iter()
        .flat_map(|s| &s.said)
        .filter_map(|x| match x {
            Said::Line { text, .. } if !notes => Some(text.as_str()),
            Said::Note { text, .. } if notes => Some(text.as_str()),
            _ => None,
        })
        .collect()
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

fn list(texts: &[&str]) -> String {
    if texts.is_empty() {
        return " none".to_string();
    }
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| format!("\n  {}. {t}", i + 1))
        .collect()
}

fn bullets(texts: &[&str]) -> String {
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
