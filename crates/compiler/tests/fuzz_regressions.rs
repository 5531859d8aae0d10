//! Inputs that once broke the checker (found by the `parse_check` fuzz target, kept under
//! `tests/fixtures/fuzz/`), and deeply nested inputs that must give a clear error rather
//! than overflow the stack.

use std::path::Path;

use threshold_compiler::{check, CheckOptions, Checked, Code, Limits, Source};

fn run(text: &str) -> Checked {
    let sources = [Source {
        name: "input.scene".to_string(),
        text: text.to_string(),
    }];
    check(
        &sources,
        CheckOptions {
            limits: Limits::states(10_000),
            teaching: true,
        },
    )
}

/// What the fuzz target asserts, for one input.
fn assert_well_behaved(name: &str, text: &str) -> Checked {
    let checked = run(text);
    for d in &checked.diagnostics {
        let span = d.site.span;
        assert!(
            span.start <= span.end && span.end <= text.len(),
            "{name}: {d:?}"
        );
        assert!(
            text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
            "{name}: {d:?}"
        );
    }
    let has_static_error = checked
        .diagnostics
        .iter()
        .any(|d| d.is_error() && !d.code.is_soundness());
    assert_eq!(checked.lowered.story.is_some(), !has_static_error, "{name}");
    checked
}

#[test]
fn saved_fuzz_inputs_are_handled() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        // The fuzz target skips input that is not UTF-8; so does this test.
        if let Ok(text) = std::str::from_utf8(&bytes) {
            assert_well_behaved(&path.display().to_string(), text);
        }
    }
}

/// A header whose name is only a comment (`scene // note`) once crashed the reader: the
/// comment left `scene` alone, which was then taken for an outcome header.
#[test]
fn a_header_with_only_a_comment_is_a_syntax_error() {
    let text = "title: t\nscene  // no name\n* Go.\n  -> done\noutcome done good \"Done\"\noutcome // none\n";
    let checked = assert_well_behaved("header", text);
    let lines: Vec<usize> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::SyntaxError)
        .map(|d| text[..d.site.span.start].matches('\n').count() + 1)
        .collect();
    assert_eq!(lines, [2, 6]);
    let messages: Vec<&str> = checked
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert!(
        messages[..].iter().any(|m| m.contains("expected a name")),
        "{messages:?}"
    );
}

/// Runs `f` on a thread with a 2 MiB stack (a quarter of a usual main thread's), so
/// that the nesting limits are shown to keep recursion shallow even in debug builds.
fn run_on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

fn syntax_errors(checked: &Checked) -> Vec<String> {
    checked
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::SyntaxError)
        .map(|d| d.message.clone())
        .collect()
}

#[test]
fn ten_thousand_nested_ifs_give_a_clear_error() {
    run_on_small_stack(|| {
        let mut text = String::from("title: Deep\nhidden x = 0 in 0..3\nscene a\n");
        for _ in 0..10_000 {
            text.push_str("{if x > 0}\n");
        }
        text.push_str("Deep inside.\n");
        for _ in 0..10_000 {
            text.push_str("{end}\n");
        }
        text.push_str("* Go.\n  -> done\noutcome done good \"Done\"\nEnd.\n");
        let checked = assert_well_behaved("nested ifs", &text);
        let errors = syntax_errors(&checked);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("nested too deep"), "{errors:?}");
        // Reported at the first `{if}` past the limit.
        let d = checked
            .diagnostics
            .iter()
            .find(|d| d.code == Code::SyntaxError)
            .unwrap();
        let line = text[..d.site.span.start].matches('\n').count() + 1;
        assert_eq!(line, 3 + threshold_syntax::MAX_IF_DEPTH + 1);
    });
}

#[test]
fn ten_thousand_nested_parentheses_give_a_clear_error() {
    run_on_small_stack(|| {
        let deep = format!("{}x{}", "(".repeat(10_000), ")".repeat(10_000));
        let text = format!(
            "title: Deep\nhidden x = 0 in 0..3\nscene a\n{{if {deep} > 0}}\nYes.\n{{end}}\n\
             * {{{deep} == 0}} Go ({deep}).\n  ~ x = {deep}\n  -> done\n\
             outcome done good \"Done\"\nEnd.\n"
        );
        let checked = assert_well_behaved("nested parentheses", &text);
        let errors = syntax_errors(&checked);
        // One error on each of the four lines: the condition, the guard, the text and
        // the effect.
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(
            errors.iter().all(|e| e.contains("nested too deep")),
            "{errors:?}"
        );
    });
}

#[test]
fn long_chains_of_operators_give_a_clear_error() {
    run_on_small_stack(|| {
        let nots = "not ".repeat(10_000);
        let negs = "- ".repeat(10_000);
        let sum = vec!["x"; 10_000].join(" + ");
        let text = format!(
            "title: Long\nhidden x = 0 in 0..3\nscene a\n{{if {nots}true}}\nYes.\n{{end}}\n\
             * {{{negs}x == 0}} Go.\n  ~ x = {sum}\n  -> done\n\
             outcome done good \"Done\"\nEnd.\n"
        );
        let checked = assert_well_behaved("operators", &text);
        let errors = syntax_errors(&checked);
        assert_eq!(errors.len(), 3, "{errors:?}");
    });
}
