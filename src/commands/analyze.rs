//! `threshold analyze`: for every outcome the fewest choices that reach it, its
//! probability for a trainee who picks at random, and the expected number of choices;
//! the hidden variables at each outcome; what stays reachable after each choice; where
//! each surface strategy ends; and the recommended path to a good outcome.

use std::io::Write;
use std::path::PathBuf;

use serde_json::{json, Map, Value};
use threshold_compiler::analyze::{self, describe_range, Analysis, AnalyzeError, Figure};
use threshold_compiler::doors::{self, Recommended};
use threshold_compiler::graph_export::shorten;
use threshold_compiler::reach::Reach;
use threshold_compiler::teaching::{surface_play, Strategy, SurfacePlay, SurfaceStop};
use threshold_compiler::{Graph, LineIndex, Lowered, Source};
use threshold_runtime::ir::{Rating, Story};

use super::{Format, SearchLimits};
use crate::load::compiled_story;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The story: a `.scene` file or a folder of them.
    #[arg(value_name = "STORY")]
    pub story: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// How far the search may go (when it stops early, the analysis fails).
    #[command(flatten)]
    pub limits: SearchLimits,
}

pub fn run(args: &Args) -> u8 {
    let compiled = match compiled_story(&args.story, "analysed") {
        Ok(c) => c,
        Err(code) => return code,
    };
    let (sources, lowered, story) = (&compiled.sources, &compiled.lowered, compiled.story());
    // One exploration serves the analysis and the recommended path.
    let limits = args.limits.limits();
    let graph = Graph::explore_within(story, limits);
    if let Some(stopped) = graph.stopped {
        eprintln!("error: {}", AnalyzeError::StateLimit(stopped));
        return 1;
    }
    // The analysis's tables come on top of the graph's; together they keep to the
    // memory budget.
    let need = graph
        .heap_bytes()
        .saturating_add(analyze::analysis_bytes(&graph));
    if need > limits.max_memory.saturating_mul(1 << 20) {
        eprintln!(
            "error: the analysis of {} states would take about {} MiB, more than the memory \
             budget of {} MiB, so the story cannot be analysed; raise the budget with \
             `--max-memory`",
            graph.state_count,
            need.div_ceil(1 << 20),
            limits.max_memory
        );
        return 1;
    }
    // Each loop's sparse LU may take what the budget leaves (a loop whose factors would
    // take more is iterated instead).
    let left = limits
        .max_memory
        .saturating_mul(1 << 20)
        .saturating_sub(need);
    let analysis =
        analyze::analyze_graph_within(story, &graph, left.min(analyze::ELIMINATION_MAX_BYTES));
    let ways = Ways {
        strategies: Strategy::ALL.map(|s| surface_play(story, s)).to_vec(),
        recommended: doors::recommended(story, &graph, &Reach::compute(story, &graph), 0),
    };
    let name = args.story.display().to_string();
    let text = match args.format {
        Format::Human => {
            let mut s = human(story, &analysis);
            s.push_str(&human_ways(story, &ways));
            // Titles and choice texts come from the story: nothing of theirs reaches
            // the terminal as a control sequence.
            crate::text::clean(&s)
        }
        Format::Json => {
            let mut v = json_report(&name, story, sources, lowered, &analysis);
            v["strategies"] = strategies_json(story, &ways.strategies);
            v["recommended"] = recommended_json(story, ways.recommended.as_ref());
            let mut s = crate::text::json_line(&v);
            s.push('\n');
            s
        }
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    0
}

// ---------------------------------------------------------------------------
// For people.

/// `16.67%`; `0%` and `100%` only when exact.
fn percent(f: &Figure) -> String {
    let p = f.value * 100.0;
    if f.value == 0.0 {
        "0%".into()
    } else if f.value == 1.0 {
        "100%".into()
    } else if p < 0.005 {
        "<0.01%".into()
    } else if p > 99.995 {
        ">99.99%".into()
    } else {
        format!("{p:.2}%")
    }
}

/// The exact fraction, when there is a short one worth showing.
fn fraction(f: &Figure) -> String {
    match &f.exact {
        Some(e) if e.contains('/') && e.len() <= 11 => e.clone(),
        _ => String::new(),
    }
}

fn probability(f: &Figure) -> String {
    let frac = fraction(f);
    if frac.is_empty() {
        percent(f)
    } else {
        format!("{} ({frac})", percent(f))
    }
}

fn number(f: &Figure) -> String {
    format!("{:.2}", f.value)
}

/// An aligned table; `right[i]` right-aligns column i.
fn table(out: &mut String, header: &[&str], rows: &[Vec<String>], right: &[bool]) {
    let cols = header.len();
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let mut s = String::from(" ");
        for (i, c) in cells.iter().enumerate() {
            let pad = width[i] - c.chars().count();
            s.push(' ');
            if right[i] {
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            } else {
                s.push_str(c);
                if i + 1 < cols {
                    s.push_str(&" ".repeat(pad));
                }
            }
            if i + 1 < cols {
                s.push(' ');
            }
        }
        s.trim_end().to_string()
    };
    out.push_str(&line(header.to_vec()));
    out.push('\n');
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
        out.push('\n');
    }
}

/// What a trainee who picks at random does: the chances of each ending and the
/// expected number of choices (only when the solver computed them).
fn random_trainee(s: &mut String, a: &Analysis) {
    s.push_str("A trainee who picks at random among the choices offered\n");
    s.push_str(&format!(
        "  ends good {}, mixed {}, bad {}; gets stuck {}\n",
        probability(&a.ratings[0]),
        probability(&a.ratings[1]),
        probability(&a.ratings[2]),
        probability(&a.stuck.total)
    ));
    s.push_str(&format!(
        "  makes {} choices on average before play ends\n",
        number(&a.expected_choices)
    ));
    if a.stuck.total.value > 0.0 {
        s.push_str(&format!(
            "  gets stuck at a dead end {}, in a divert loop {}, in a loop with no way out {}\n",
            probability(&a.stuck.dead_end),
            probability(&a.stuck.divert_loop),
            probability(&a.stuck.endless_loop)
        ));
    }
}

fn human(story: &Story, a: &Analysis) -> String {
    let mut s = String::new();
    let method = if a.exact {
        "solved exactly".to_string()
    } else if !a.converged {
        "probabilities and expected choices NOT COMPUTED: the iterative solver did not \
         settle within its bound"
            .to_string()
    } else if a.sweeps > 0 {
        format!(
            "solved in floating point ({} Gauss–Seidel sweeps to a relative tolerance of {:e})",
            a.sweeps,
            analyze::TOLERANCE
        )
    } else {
        "solved in floating point".to_string()
    };
    s.push_str(&format!(
        "{}: {} states, {method}\n\n",
        crate::text::clean_line(&story.title),
        a.states
    ));
    if a.converged {
        random_trainee(&mut s, a);
    }
    // A figure the solver did not compute is never shown.
    let shown = |text: String| {
        if a.converged {
            text
        } else {
            "not computed".to_string()
        }
    };

    s.push_str(if a.converged {
        "\nOutcomes\n"
    } else {
        "Outcomes\n"
    });
    let rows: Vec<Vec<String>> = a
        .outcomes
        .iter()
        .map(|o| {
            let node = &story.nodes[o.node as usize];
            let rating = node.rating().map_or("", |r| r.as_str()).to_string();
            match &o.shortest {
                None => vec![
                    node.id.clone(),
                    rating,
                    "never reached".into(),
                    "-".into(),
                    "-".into(),
                ],
                Some(path) => vec![
                    node.id.clone(),
                    rating,
                    shown(probability(&o.probability)),
                    path.len().to_string(),
                    shown(o.expected_choices.as_ref().map_or("-".into(), number)),
                ],
            }
        })
        .collect();
    table(
        &mut s,
        &[
            "outcome",
            "rating",
            "probability",
            "fewest choices",
            "expected choices",
        ],
        &rows,
        &[false, false, true, true, true],
    );
    s.push_str("  (expected choices: the average number of choices of the plays that end there)\n");

    s.push_str(
        "\nThe fewest choices to each outcome (numbers as `threshold play --choices` takes them;\n\
         a map of the story, not advice: the recommended path is at the end)\n",
    );
    for o in &a.outcomes {
        let Some(path) = &o.shortest else { continue };
        let id = &story.nodes[o.node as usize].id;
        if path.is_empty() {
            s.push_str(&format!(
                "  {id}: reached at the start, before any choice\n"
            ));
            continue;
        }
        let numbers: Vec<String> = path.iter().map(|st| st.number.to_string()).collect();
        s.push_str(&format!("  {id}: --choices {}\n", numbers.join(",")));
        for (i, st) in path.iter().enumerate() {
            let text = crate::text::clean_line(&st.text);
            s.push_str(&format!("    {}. {}\n", i + 1, shorten(&text, 72)));
        }
    }

    if !a.hidden.is_empty() {
        s.push_str("\nHidden variables at each outcome (least..greatest)\n");
        let mut header = vec!["outcome"];
        header.extend(
            a.hidden
                .iter()
                .map(|&v| story.variables[v as usize].name.as_str()),
        );
        let rows: Vec<Vec<String>> = a
            .outcomes
            .iter()
            .map(|o| {
                let mut r = vec![story.nodes[o.node as usize].id.clone()];
                r.extend(
                    o.ranges
                        .iter()
                        .zip(&a.hidden)
                        .map(|(range, &v)| match range {
                            Some(range) => describe_range(story, v, *range),
                            None => "-".into(),
                        }),
                );
                r
            })
            .collect();
        let mut right = vec![false];
        right.extend(a.hidden.iter().map(|_| true));
        table(&mut s, &header, &rows, &right);
    }

    s.push_str("\nChoices, and the endings still reachable after each\n");
    let mut partial = false;
    let rows: Vec<Vec<String>> = a
        .choices
        .iter()
        .map(|c| {
            let node = &story.nodes[c.node as usize];
            let text = shorten(
                &crate::text::clean_line(&node.choices[c.index].text.plain()),
                44,
            );
            let ends = if c.offered_in == 0 {
                "never offered".to_string()
            } else {
                let mut names = Vec::new();
                for name in c.some.names() {
                    let always = c.every.names().contains(&name);
                    partial |= !always;
                    names.push(if always {
                        name.to_string()
                    } else {
                        format!("{name}*")
                    });
                }
                names.join(" ")
            };
            vec![node.id.clone(), (c.index + 1).to_string(), text, ends]
        })
        .collect();
    table(
        &mut s,
        &["scene", "#", "choice", "still reachable"],
        &rows,
        &[false, true, false, false],
    );
    if partial {
        s.push_str("  * only from some of the states in which the choice is offered\n");
    }
    s
}

/// Ways through the story: each surface strategy's play, and the recommended path.
struct Ways {
    strategies: Vec<SurfacePlay>,
    recommended: Option<Recommended>,
}

/// Where a surface strategy's play ended, in words.
fn strategy_end(story: &Story, p: &SurfacePlay) -> String {
    let n = p.choices.len();
    let after = format!("after {n} choice{}", if n == 1 { "" } else { "s" });
    match (p.stop, p.outcome) {
        (SurfaceStop::Outcome, Some(o)) => {
            let node = &story.nodes[o as usize];
            let rating = node.rating().map_or("", |r| r.as_str());
            format!("ends {rating} at `{}` {after}", node.id)
        }
        (SurfaceStop::Loop, _) => format!("circles back to where it was {after} (a loop)"),
        _ => format!("gets stuck {after}"),
    }
}

fn rating_tag(r: Option<Rating>) -> &'static str {
    r.map_or("unrated", |r| r.as_str())
}

fn human_ways(story: &Story, w: &Ways) -> String {
    let mut s = String::from("\nSurface strategies: always taking one choice by its look alone\n");
    for p in &w.strategies {
        let numbers: Vec<String> = p.choices.iter().map(u32::to_string).collect();
        let replay = if numbers.is_empty() {
            String::new()
        } else {
            format!(" (--choices {})", numbers.join(","))
        };
        s.push_str(&format!(
            "  {:<9} {}{replay}\n",
            p.strategy.as_str(),
            strategy_end(story, p)
        ));
    }
    let gamed = w.strategies.iter().any(|p| {
        p.outcome
            .is_some_and(|o| story.nodes[o as usize].rating() == Some(Rating::Good))
            && !p.choices.is_empty()
    });
    if gamed {
        s.push_str(
            "  A strategy that ends good lets a trainee win by the look of the answers\n  \
             (`check --teaching` reports it as `gameable`).\n",
        );
    }
    s.push_str(
        "\nThe recommended path: to a good outcome with the fewest moves not rated good,\n\
         then the fewest choices\n",
    );
    match &w.recommended {
        None => s.push_str("  No good outcome can be reached from the start.\n"),
        Some(r) => {
            let node = &story.nodes[r.outcome as usize];
            let numbers: Vec<String> = r.steps.iter().map(|st| st.number.to_string()).collect();
            let n = r.steps.len();
            let rated = doors::rates_moves(story);
            if n == 0 {
                s.push_str(&format!(
                    "  {}: reached at the start, before any choice\n",
                    node.id
                ));
            } else {
                let poor = if rated {
                    format!(", {} not rated good", r.poor_moves)
                } else {
                    String::new()
                };
                s.push_str(&format!(
                    "  {} (good): --choices {}; {n} choice{}{poor}\n",
                    node.id,
                    numbers.join(","),
                    if n == 1 { "" } else { "s" },
                ));
            }
            for (i, st) in r.steps.iter().enumerate() {
                let tag = if rated {
                    format!("[{}] ", rating_tag(st.rating))
                } else {
                    String::new()
                };
                s.push_str(&format!("    {}. {tag}{}\n", i + 1, shorten(&st.text, 64)));
            }
        }
    }
    s
}

// ---------------------------------------------------------------------------
// For tools.

fn strategies_json(story: &Story, plays: &[SurfacePlay]) -> Value {
    plays
        .iter()
        .map(|p| {
            let node = p.outcome.map(|o| &story.nodes[o as usize]);
            json!({
                "strategy": p.strategy.as_str(),
                "ends": match p.stop {
                    SurfaceStop::Outcome => "outcome",
                    SurfaceStop::Stuck => "stuck",
                    SurfaceStop::Loop => "loop",
                },
                "outcome": node.map(|n| &n.id),
                "rating": node.and_then(|n| n.rating()).map(|r| r.as_str()),
                "choices": p.choices,
                "path": p.path,
            })
        })
        .collect()
}

fn recommended_json(story: &Story, r: Option<&Recommended>) -> Value {
    let Some(r) = r else { return Value::Null };
    let node = &story.nodes[r.outcome as usize];
    json!({
        "outcome": node.id,
        "title": node.title,
        "choices": r.steps.iter().map(|st| st.number).collect::<Vec<_>>(),
        "path": r.steps.iter().map(|st| json!({
            "number": st.number,
            "text": st.text,
            "rating": st.rating.map(|x| x.as_str()),
        })).collect::<Vec<_>>(),
        "moves_not_good": r.poor_moves,
    })
}

fn figure_json(f: &Figure) -> Value {
    json!({"value": f.value, "exact": f.exact})
}

fn json_report(
    name: &str,
    story: &Story,
    sources: &[Source],
    lowered: &Lowered,
    a: &Analysis,
) -> Value {
    // A figure the solver did not compute is null, never an estimate.
    let fig = |f: &Figure| {
        if a.converged {
            figure_json(f)
        } else {
            Value::Null
        }
    };
    let outcomes: Vec<Value> = a
        .outcomes
        .iter()
        .map(|o| {
            let node = &story.nodes[o.node as usize];
            let hidden = o.ranges.first().is_some_and(Option::is_some).then(|| {
                let mut m = Map::new();
                for (range, &v) in o.ranges.iter().zip(&a.hidden) {
                    let var = &story.variables[v as usize];
                    if let Some((lo, hi)) = range {
                        let (lo, hi) = if var.is_bool() {
                            (json!(*lo != 0), json!(*hi != 0))
                        } else {
                            (json!(lo), json!(hi))
                        };
                        m.insert(var.name.clone(), json!({"min": lo, "max": hi}));
                    }
                }
                Value::Object(m)
            });
            json!({
                "id": node.id,
                "rating": node.rating().map(|r| r.as_str()),
                "title": node.title,
                "reachable": o.shortest.is_some(),
                "states": o.states,
                "probability": fig(&o.probability),
                "fewest_choices": o.shortest.as_ref().map(Vec::len),
                "path": o.shortest.as_ref().map(|p| p.iter().map(|st| json!({"number": st.number, "text": st.text})).collect::<Vec<_>>()),
                "expected_choices": o.expected_choices.as_ref().map(fig),
                "hidden": hidden,
            })
        })
        .collect();
    let lines: Vec<LineIndex> = sources.iter().map(|s| LineIndex::new(&s.text)).collect();
    let choices: Vec<Value> = a
        .choices
        .iter()
        .map(|c| {
            let node = &story.nodes[c.node as usize];
            let site = lowered.map.choices[c.node as usize][c.index];
            let (file, line) = match sources.get(site.file) {
                Some(src) => (
                    src.name.as_str(),
                    lines[site.file].line_col_in(&src.text, site.span.start).0,
                ),
                None => ("", 0),
            };
            json!({
                "node": node.id,
                "index": c.index + 1,
                "text": node.choices[c.index].text.plain(),
                "file": file,
                "line": line,
                "offered_in": c.offered_in,
                "reachable": c.some.names(),
                "always_reachable": c.every.names(),
            })
        })
        .collect();
    json!({
        "story": name,
        "title": story.title,
        "states": a.states,
        "exact": a.exact,
        "converged": a.converged,
        "sweeps": a.sweeps,
        "expected_choices": fig(&a.expected_choices),
        "ratings": {
            "good": fig(&a.ratings[0]),
            "mixed": fig(&a.ratings[1]),
            "bad": fig(&a.ratings[2]),
        },
        "stuck": {
            "total": fig(&a.stuck.total),
            "dead_end": fig(&a.stuck.dead_end),
            "divert_loop": fig(&a.stuck.divert_loop),
            "endless_loop": fig(&a.stuck.endless_loop),
        },
        "hidden": a.hidden.iter().map(|&v| story.variables[v as usize].name.clone()).collect::<Vec<_>>(),
        "outcomes": outcomes,
        "choices": choices,
    })
}
