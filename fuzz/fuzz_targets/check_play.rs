//! Plays what `threshold check` accepts and holds play to the checker's verdict: the
//! input is a story, a zero byte, then choice picks. Each pick takes an offered choice
//! as `play --choices` would. Play may get stuck only where the checker said so: a dead
//! end at a node with a `dead-end` diagnostic, a divert loop at a node with a
//! `no-outcome` diagnostic; and a story that passes never gets stuck at all.

#![no_main]

use libfuzzer_sys::fuzz_target;
use threshold_compiler::{check, CheckOptions, Code, Limits, Source};
use threshold_runtime::session::Session;
use threshold_runtime::Stop;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let Ok(text) = std::str::from_utf8(&data[..split]) else {
        return;
    };
    let picks = data.get(split + 1..).unwrap_or(&[]);
    let checked = check(
        &[Source {
            name: "fuzz.scene".into(),
            text: text.into(),
        }],
        CheckOptions {
            limits: Limits::states(10_000),
            teaching: false,
        },
    );
    let Some(story) = checked.lowered.story.as_ref() else {
        return;
    };
    if checked.graph.as_ref().is_none_or(|g| g.limited()) {
        return;
    }
    let said = |code: Code, node: u32| {
        checked
            .diagnostics
            .iter()
            .any(|d| d.code == code && d.node.as_deref() == Some(story.nodes[node as usize].id.as_str()))
    };
    let sound = !checked.diagnostics.iter().any(|d| d.is_error());
    let mut session = Session::new(story);
    for &p in picks {
        if session.stop() != Stop::Choice {
            break;
        }
        let offered = session.offers().len();
        assert!(offered > 0, "a choice stop offers a choice");
        session
            .choose(usize::from(p) % offered + 1)
            .expect("an offered choice can be taken");
    }
    match session.stop() {
        Stop::Choice | Stop::Outcome => {}
        Stop::DeadEnd => {
            assert!(!sound, "a story that passes got stuck");
            assert!(said(Code::DeadEnd, session.state().node), "an unreported dead end");
        }
        Stop::DivertLoop { node } => {
            assert!(!sound, "a story that passes looped");
            assert!(said(Code::NoOutcome, node), "an unreported divert loop");
        }
        Stop::DivertLimit { .. } => panic!("a divert limit in a story the search finished"),
    }
});
