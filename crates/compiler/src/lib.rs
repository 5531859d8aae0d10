//! Threshold's compiler: the static checks that lower a story to the IR, and the
//! soundness analysis that proves every reachable state can reach an outcome. No IO.

pub mod analyze;
pub mod diagnostic;
pub mod explore;
mod footprint;
pub mod graph_export;
mod lower;
pub mod reach;
pub mod soundness;

pub use diagnostic::{Code, Diagnostic, LineIndex, Note, Severity, Site};
pub use explore::{Graph, Limits, Stopped, DEFAULT_MAX_MEMORY_MIB, DEFAULT_MAX_STATES};
pub use lower::{lower, Lowered, Source, SourceMap};

/// How to check a story.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckOptions {
    /// How far the soundness phase's search may go.
    pub limits: Limits,
    /// Also report the teaching lints (`missing-feedback`, `missing-debrief`).
    pub teaching: bool,
}

/// Counts for a checked story.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub nodes: usize,
    pub choices: usize,
    pub states: usize,
    pub edges: usize,
}

/// Everything `threshold check` learns about one story.
#[derive(Debug)]
pub struct Checked {
    pub lowered: Lowered,
    /// Static diagnostics, then soundness ones; unsorted.
    pub diagnostics: Vec<Diagnostic>,
    pub stats: Stats,
    /// The explored graph, when the soundness phase ran.
    pub graph: Option<Graph>,
}

/// Runs both phases: the static phase always, the soundness phase when the static
/// phase found no error.
pub fn check(sources: &[Source], options: CheckOptions) -> Checked {
    let lowered = lower(sources);
    let mut diagnostics = lowered.diagnostics.clone();
    let mut stats = Stats {
        nodes: lowered.node_count,
        choices: lowered.choice_count,
        ..Stats::default()
    };
    let mut graph = None;
    if let Some(story) = &lowered.story {
        if options.teaching {
            diagnostics.extend(teaching_lints(story, &lowered));
        }
        let s = soundness::check(story, &lowered.map, &lowered.used_vars, options.limits);
        stats.states = s.graph.state_count;
        stats.edges = s.graph.edge_count();
        diagnostics.extend(s.diagnostics);
        graph = Some(s.graph);
    }
    Checked {
        lowered,
        diagnostics,
        stats,
        graph,
    }
}

fn teaching_lints(story: &threshold_runtime::ir::Story, lowered: &Lowered) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (n, node) in story.nodes.iter().enumerate() {
        if node.is_outcome() && !lowered.node_has_note[n] {
            out.push(
                Diagnostic::new(
                    Code::MissingDebrief,
                    lowered.map.nodes[n],
                    format!("the outcome `{}` has no debrief note", node.id),
                    "no `!` note in this outcome",
                )
                .with_help("add a `! …` line that explains what led here and what it teaches"),
            );
        }
        for (c, _) in node.choices.iter().enumerate() {
            if !lowered.choice_has_note[n][c] {
                out.push(
                    Diagnostic::new(
                        Code::MissingFeedback,
                        lowered.map.choices[n][c],
                        "this choice has no feedback note",
                        "no `!` note under this choice",
                    )
                    .with_help("add a `! …` line under the choice that explains the move"),
                );
            }
        }
    }
    out
}

/// Compiles a one-file story for a unit test; panics on an error.
#[cfg(test)]
pub(crate) fn test_story(text: &str) -> threshold_runtime::ir::Story {
    let lowered = lower(&[Source {
        name: "t.scene".into(),
        text: text.into(),
    }]);
    assert!(
        lowered.diagnostics.iter().all(|d| !d.is_error()),
        "{:?}",
        lowered.diagnostics
    );
    lowered.story.expect("the story compiles")
}
