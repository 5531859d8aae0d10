//! `threshold check`: static diagnostics and the soundness proof, for people or as JSON.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;
use threshold_compiler::CheckOptions;

use super::{Format, SearchLimits};
use crate::load::load_story;
use crate::report::{self, JsonDiagnostic, Style};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Stories to check: `.scene` files or folders of them.
    #[arg(required = true, value_name = "STORY")]
    pub stories: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Fail on warnings as on errors.
    #[arg(long)]
    pub deny_warnings: bool,
    /// How far the search may go (reported as `state-limit` when it stops early).
    #[command(flatten)]
    pub limits: SearchLimits,
    /// Also report the teaching lints: choices without feedback, outcomes without
    /// debrief, moves not rated, variables nothing reads, and stories a surface
    /// strategy wins.
    #[arg(long)]
    pub teaching: bool,
    /// Report how long each check took (`stats.ms` in JSON, a line in human output).
    #[arg(long)]
    pub timings: bool,
}

#[derive(Debug, Serialize)]
struct JsonChecks {
    total: usize,
    hold: Option<usize>,
}

#[derive(Debug, Serialize)]
struct JsonStats {
    nodes: usize,
    choices: usize,
    states: usize,
    edges: usize,
    checks: JsonChecks,
    #[serde(skip_serializing_if = "Option::is_none")]
    ms: Option<u64>,
}

#[derive(Debug, Serialize)]
struct JsonStory {
    story: String,
    ok: bool,
    diagnostics: Vec<JsonDiagnostic>,
    stats: JsonStats,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct JsonReport {
    stories: Vec<JsonStory>,
}

pub fn run(args: &Args) -> u8 {
    let options = CheckOptions {
        limits: args.limits.limits(),
        teaching: args.teaching,
    };
    let style = Style::for_stdout();
    let mut exit = 0u8;
    let mut json = JsonReport {
        stories: Vec::new(),
    };
    let stdout = std::io::stdout();
    for path in &args.stories {
        let name = path.display().to_string();
        let sources = match load_story(path) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {}", crate::text::clean(&e.to_string()));
                exit = exit.max(2);
                json.stories.push(JsonStory {
                    story: name,
                    ok: false,
                    diagnostics: Vec::new(),
                    stats: JsonStats {
                        nodes: 0,
                        choices: 0,
                        states: 0,
                        edges: 0,
                        checks: JsonChecks {
                            total: 0,
                            hold: None,
                        },
                        ms: args.timings.then_some(0),
                    },
                    error: Some(e.to_string()),
                });
                continue;
            }
        };
        let started = Instant::now();
        let checked = threshold_compiler::check(&sources, options);
        let ms = started.elapsed().as_millis() as u64;
        let resolved = report::resolve(&sources, &checked.diagnostics);
        let errors = resolved
            .iter()
            .filter(|(j, _)| j.severity == "error")
            .count();
        let warnings = resolved.len() - errors;
        let ok = errors == 0 && !(args.deny_warnings && warnings > 0);
        if !ok {
            exit = exit.max(1);
        }
        match args.format {
            Format::Json => json.stories.push(JsonStory {
                story: name,
                ok,
                diagnostics: resolved.into_iter().map(|(j, _)| j).collect(),
                stats: JsonStats {
                    nodes: checked.stats.nodes,
                    choices: checked.stats.choices,
                    states: checked.stats.states,
                    edges: checked.stats.edges,
                    checks: JsonChecks {
                        total: checked.stats.checks,
                        hold: checked.stats.checks_hold,
                    },
                    ms: args.timings.then_some(ms),
                },
                error: None,
            }),
            Format::Human => {
                let mut out = stdout.lock();
                if !resolved.is_empty() {
                    let diags: Vec<_> = resolved.iter().map(|(_, d)| d).collect();
                    let _ = writeln!(
                        out,
                        "{}",
                        report::render_story(path, &sources, &diags, style)
                    );
                }
                let _ = writeln!(
                    out,
                    "{}",
                    summary_line(
                        &crate::text::clean_path(path),
                        ok,
                        errors,
                        warnings,
                        &checked
                    )
                );
                if args.timings {
                    let _ = writeln!(out, "  checked in {ms} ms");
                }
            }
        }
    }
    if args.format == Format::Json {
        let mut out = stdout.lock();
        let doc = serde_json::to_value(&json).expect("the report serialises");
        let _ = writeln!(out, "{}", crate::text::json_line(&doc));
    }
    exit
}

fn summary_line(
    name: &str,
    ok: bool,
    errors: usize,
    warnings: usize,
    checked: &threshold_compiler::Checked,
) -> String {
    let counts = report::count_summary(errors, warnings);
    let s = &checked.stats;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let shape = format!(
        "{}, {}",
        plural(s.nodes, "node"),
        plural(s.choices, "choice")
    );
    let proof = match &checked.graph {
        None => "soundness not checked until the errors are fixed".to_string(),
        Some(g) if g.limited() => "state limit reached, nothing claimed".to_string(),
        Some(_) if errors == 0 => format!(
            "{}, every one can reach an outcome",
            plural(s.states, "reachable state")
        ),
        Some(_) => format!("{} explored", plural(s.states, "state")),
    };
    let checks = match (s.checks, s.checks_hold) {
        (0, _) => String::new(),
        (n, Some(hold)) => format!("; {hold} of {} hold", plural(n, "check")),
        (n, None) => format!("; {} not proven", plural(n, "check")),
    };
    let verdict = if ok { "ok" } else { "FAILED" };
    format!("{verdict}: {name}: {counts} ({shape}; {proof}{checks})")
}
