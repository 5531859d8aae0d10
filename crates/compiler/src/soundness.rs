//! The soundness phase: from the explored state graph, the diagnostics that show where
//! play can get stuck or circle forever, and what no play ever reaches.

use threshold_runtime::ir::Story;
use threshold_runtime::{get_bit, Runner};

use crate::diagnostic::{Code, Diagnostic};
use crate::explore::{Graph, Kind, Limits, Stopped};
use crate::lower::SourceMap;

/// What the soundness phase found.
#[derive(Debug)]
pub struct Soundness {
    pub diagnostics: Vec<Diagnostic>,
    pub graph: Graph,
}

/// How many sweeps may settle which states reach an outcome before the strongly
/// connected components are computed instead.
const MAX_SWEEPS: usize = 16;

/// Explores the story and reports every soundness diagnostic.
pub fn check(story: &Story, map: &SourceMap, used_vars: &[bool], limits: Limits) -> Soundness {
    let graph = Graph::explore_within(story, limits);
    let mut diags = Vec::new();
    if let Some(stopped) = graph.stopped {
        let help = match stopped {
            Stopped::States(_) => {
                "narrow the ranges of integer variables (`in 0..5` rather than `in 0..100`), \
                 or raise the limit with `--max-states`"
            }
            Stopped::Memory { .. } => {
                "make states smaller (fewer once-only `*` choices, fewer scenes asked about \
                 with `seen()`, narrower variable ranges), or raise the budget with \
                 `--max-memory`"
            }
            Stopped::Diverts { .. } => {
                "a chain of diverts that never waits for a choice must end; give the loop \
                 a condition that stops it sooner, or a choice"
            }
        };
        let message = match stopped {
            Stopped::Diverts { node } => format!(
                "{stopped} (its next divert enters `{}`); nothing is claimed about its \
                 soundness",
                story.nodes[node as usize].id
            ),
            _ => format!("{stopped}; nothing is claimed about its soundness"),
        };
        diags.push(
            Diagnostic::new(
                Code::StateLimit,
                map.nodes[story.start as usize],
                message,
                "exploration starts here",
            )
            .with_help(help),
        );
        return Soundness {
            diagnostics: diags,
            graph,
        };
    }

    let runner = Runner::new(story);
    let mut scratch = runner.initial_state();
    let node_id = |n: u32| story.nodes[n as usize].id.clone();

    // Dead ends: once per node, the nearest state (states are in breadth-first order).
    let mut dead_done = vec![false; story.nodes.len()];
    for i in 0..graph.len() as u32 {
        if graph.kinds[i as usize] != Kind::DeadEnd {
            continue;
        }
        let n = graph.node(i);
        if std::mem::replace(&mut dead_done[n as usize], true) {
            continue;
        }
        graph.state_into(i, &mut scratch);
        let values = describe_values(story, &scratch.vars);
        let mut d = Diagnostic::new(
            Code::DeadEnd,
            map.nodes[n as usize],
            format!("play can get stuck in `{}`: no choice is available", node_id(n)),
            "stuck here after the choices below",
        )
        .with_help(format!(
            "make sure some choice of `{}` is always available: add an unguarded or sticky (`+`) choice, \
             or widen the guards{}",
            node_id(n),
            if values.is_empty() {
                String::new()
            } else {
                format!("; when stuck: {values}")
            }
        ));
        d.node = Some(node_id(n));
        d = d.with_path(graph.route(story, i));
        diags.push(d);
    }

    // Closed loops with no way out: closed cyclic components, and divert loops.
    // The components are only needed when some waiting state cannot reach an outcome.
    let comps = match graph.all_reach_outcome(MAX_SWEEPS) {
        Some(true) => None,
        Some(false) | None => Some(graph.components()),
    };
    let mut loop_entry: Vec<Option<u32>> = vec![None; story.nodes.len()];
    let mut comp_done = vec![false; comps.as_ref().map_or(0, |c| c.closed.len())];
    for i in 0..graph.len() as u32 {
        let is_loop = match (graph.kinds[i as usize], &comps) {
            // A divert-loop marker is a component of its own.
            (Kind::DivertLoop, _) => true,
            (Kind::Waiting, Some(comps)) => {
                let c = comps.comp[i as usize] as usize;
                comps.closed[c]
                    && comps.cyclic[c]
                    && !comps.reaches_outcome[c]
                    && !std::mem::replace(&mut comp_done[c], true)
            }
            _ => false,
        };
        if !is_loop {
            continue;
        }
        // The first state of the component in breadth-first order is where the
        // loop is first entered.
        let n = graph.node(i) as usize;
        if loop_entry[n].is_none() {
            loop_entry[n] = Some(i);
        }
    }
    for (n, entry) in loop_entry.iter().enumerate() {
        let Some(i) = *entry else { continue };
        let divert = graph.kinds[i as usize] == Kind::DivertLoop;
        let id = &story.nodes[n].id;
        let (message, label, help) = if divert {
            (
                format!("the diverts from `{id}` run in a circle forever"),
                "diverts loop back here without waiting for a choice",
                "somewhere in the circle, divert to a scene with choices or to an outcome"
                    .to_string(),
            )
        } else {
            (
                format!("from `{id}`, play can circle forever without reaching an outcome"),
                "this loop has no way out",
                format!(
                    "give a scene of the loop a choice that leads toward an outcome, \
                     or let a guard open after some rounds (the loop starts at `{id}`)"
                ),
            )
        };
        let mut d = Diagnostic::new(Code::NoOutcome, map.nodes[n], message, label).with_help(help);
        d.node = Some(id.clone());
        d = d.with_path(graph.route(story, i));
        diags.push(d);
    }

    // Never entered nodes; choices never offered in entered scenes.
    let mut first_state_at: Vec<Option<u32>> = vec![None; story.nodes.len()];
    for i in 0..graph.len() as u32 {
        if graph.kinds[i as usize] != Kind::DivertLoop {
            let slot = &mut first_state_at[graph.node(i) as usize];
            if slot.is_none() {
                *slot = Some(i);
            }
        }
    }
    for (n, node) in story.nodes.iter().enumerate() {
        if !get_bit(&graph.entered, n) {
            let what = if node.is_outcome() {
                "outcome"
            } else {
                "scene"
            };
            let mut d = Diagnostic::new(
                Code::UnreachableNode,
                map.nodes[n],
                format!("no play ever reaches the {what} `{}`", node.id),
                "never reached",
            )
            .with_help("divert to it from a reachable scene, or loosen the guards and conditions that lead to it");
            d.node = Some(node.id.clone());
            diags.push(d);
            continue;
        }
        for (ci, _) in node.choices.iter().enumerate() {
            let id = runner.choice_id(n as u32, ci);
            if get_bit(&graph.offered, id as usize) {
                continue;
            }
            let mut d = Diagnostic::new(
                Code::UnreachableChoice,
                map.choices[n][ci],
                format!("this choice of `{}` is never offered", node.id),
                "never offered",
            )
            .with_help("its guard is false in every state that reaches the scene; loosen the guard or remove the choice");
            d.node = Some(node.id.clone());
            if let Some(i) = first_state_at[n] {
                d = d.with_path(graph.route(story, i));
            }
            diags.push(d);
        }
    }

    for (v, used) in used_vars.iter().enumerate() {
        if !used {
            let name = &story.variables[v].name;
            diags.push(
                Diagnostic::new(
                    Code::UnusedVariable,
                    map.vars[v],
                    format!("the variable `{name}` is never read or changed"),
                    "declared here, never used",
                )
                .with_help(format!(
                    "use it in a condition or an effect (`~ {name} …`), or remove it"
                )),
            );
        }
    }

    Soundness {
        diagnostics: diags,
        graph,
    }
}

/// `trust = 1, rehearsed = false`
pub fn describe_values(story: &Story, vars: &[i64]) -> String {
    story
        .variables
        .iter()
        .zip(vars)
        .map(|(v, &x)| format!("{} = {}", v.name, v.format(x)))
        .collect::<Vec<_>>()
        .join(", ")
}
