//! Tests of the line reader: classification, choices, nesting and error recovery.

use super::lines::{block_marker, dialogue_prefix, strip_comment};
use crate::ast::{Choice, Stmt, TextPart};
use crate::errors::SyntaxError;

fn body(src: &str) -> (Vec<Stmt>, Vec<Choice>, Vec<SyntaxError>) {
    let p = crate::parse(&format!("title: T\nscene a\n{src}"));
    let node = p.file.nodes.into_iter().next().expect("one node");
    (node.body, node.choices, p.errors)
}

fn narration(s: &Stmt) -> String {
    match s {
        Stmt::Narration { text, .. } => text
            .parts
            .iter()
            .map(|p| match p {
                TextPart::Lit(l) => l.clone(),
                TextPart::Interp(_) => "{}".into(),
            })
            .collect(),
        other => panic!("not narration: {other:?}"),
    }
}

#[test]
fn comments_are_cut_only_after_a_blank_and_outside_quotes() {
    assert_eq!(strip_comment("-> a // go"), "-> a");
    assert_eq!(
        strip_comment("title: https://x.org"),
        "title: https://x.org"
    );
    assert_eq!(
        strip_comment(r#"scene a "A // B" // c"#),
        r#"scene a "A // B""#
    );
    assert_eq!(strip_comment("a//b"), "a//b");
}

#[test]
fn lines_that_look_structural_but_are_narration() {
    let (stmts, choices, errors) = body(
        "*sighs*\n+1 for honesty\nhttps://x.org\n{trust} points\n\\* star\n\\Later: gone\n-> b\n",
    );
    assert!(choices.is_empty());
    let texts: Vec<String> = stmts[..6].iter().map(narration).collect();
    assert_eq!(
        texts,
        [
            "*sighs*",
            "+1 for honesty",
            "https://x.org",
            "{} points",
            "* star",
            "Later: gone"
        ]
    );
    // `{trust}` is an interpolation; only unknown names fail, later, in the compiler.
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn dialogue_needs_a_blank_after_the_colon() {
    assert_eq!(dialogue_prefix("patient: hi"), Some(7));
    assert_eq!(dialogue_prefix("patient:"), Some(7));
    assert_eq!(dialogue_prefix("https://x"), None);
    assert_eq!(dialogue_prefix("9lives: x"), None);
}

#[test]
fn block_markers_are_whole_lines() {
    assert_eq!(block_marker("{if x > 1}"), Some("if"));
    assert_eq!(block_marker("{ elif x }"), Some("elif"));
    assert_eq!(block_marker("{else}"), Some("else"));
    assert_eq!(block_marker("{end}"), Some("end"));
    assert_eq!(block_marker("{iffy}"), None);
    assert_eq!(block_marker("{if a} {b}"), None);
    assert_eq!(block_marker("{trust}"), None);
}

#[test]
fn a_choice_owns_the_lines_after_it() {
    let (stmts, choices, errors) =
        body("Opening.\n* {x > 1} First.\n  ~ x += 1\n  -> b\n+ Second.\n  -> a\n");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(stmts.len(), 1);
    assert_eq!(choices.len(), 2);
    assert!(choices[0].guard.is_some() && !choices[0].sticky);
    assert_eq!(choices[0].body.len(), 2);
    assert!(choices[1].sticky && choices[1].guard.is_none());
}

#[test]
fn conditional_blocks_nest() {
    let (stmts, _, errors) =
        body("{if a}\n{if b}\nx\n{else}\ny\n{end}\n{elif c}\nz\n{end}\n-> a\n");
    assert!(errors.is_empty(), "{errors:?}");
    match &stmts[0] {
        Stmt::If {
            branches,
            else_body,
            ..
        } => {
            assert_eq!(branches.len(), 2);
            assert!(else_body.is_none());
            assert!(matches!(
                &branches[0].body[0],
                Stmt::If {
                    else_body: Some(_),
                    ..
                }
            ));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let n = 10_000;
    let src = format!(
        "{}x\n{}-> a\n",
        "{if true}\n".repeat(n),
        "{end}\n".repeat(n)
    );
    let (_, _, errors) = body(&src);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].message.contains("nested too deep"));
}

#[test]
fn errors_on_several_lines_are_all_reported() {
    let (_, _, errors) = body("~ x +\n-> 1a\n{if (}\n{end}\n* {x Go\n  -> a\n");
    let lines: Vec<usize> = errors.iter().map(|e| e.span.start).collect();
    assert_eq!(errors.len(), 4, "{errors:?}");
    assert!(lines.windows(2).all(|w| w[0] < w[1]));
}
