//! Threshold's compiler: the static checks that lower a story to the IR, and the
//! soundness analysis that proves every reachable state can reach an outcome. No IO.

pub mod analyze;
pub mod checks;
pub mod csr;
pub mod diagnostic;
pub mod doors;
pub mod explore;
pub mod graph_export;
mod lower;
pub mod reach;
pub mod soundness;
pub mod teaching;

pub use diagnostic::{Code, Diagnostic, LineIndex, Note, Severity, Site};
pub use explore::{Graph, Limits, Stopped, DEFAULT_MAX_MEMORY_MIB, DEFAULT_MAX_STATES};
pub use lower::{lower, Lowered, Source, SourceMap};

/// How to check a story.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckOptions {
    /// How far the soundness phase's search may go.
    pub limits: Limits,
    /// Also report the teaching lints (`missing-feedback`, `missing-debrief`,
    /// `unread-variable`, `unrated-move`, `gameable`).
    pub teaching: bool,
}

/// Counts for a checked story.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub nodes: usize,
    pub choices: usize,
    pub states: usize,
    pub edges: usize,
    /// How many checks the story states.
    pub checks: usize,
    /// How many of them hold; `None` when they were not proven (static errors, or the
    /// state limit).
    pub checks_hold: Option<usize>,
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
        checks: lowered.map.checks.len(),
        ..Stats::default()
    };
    if options.teaching {
        diagnostics.extend(teaching::static_lints(&lowered));
    }
    let mut graph = None;
    if let Some(story) = &lowered.story {
        let s = soundness::check(story, &lowered.map, &lowered.used_vars, options.limits);
        stats.states = s.graph.state_count;
        stats.edges = s.graph.edge_count();
        diagnostics.extend(s.diagnostics);
        if !s.graph.limited() {
            let proof = checks::prove(story, &lowered.map, &s.graph);
            stats.checks_hold = Some(proof.hold);
            diagnostics.extend(proof.diagnostics);
            if options.teaching {
                diagnostics.extend(teaching::gameable(story, &lowered));
            }
        }
        graph = Some(s.graph);
    }
    Checked {
        lowered,
        diagnostics,
        stats,
        graph,
    }
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
