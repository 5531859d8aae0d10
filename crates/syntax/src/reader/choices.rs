//! Choice lines: `*` and `+` with an optional guard, which close the block before them
//! and own the lines that follow.

use super::frames::NodeBuilder;
use super::lines::Line;
use super::Reader;
use crate::ast::{Choice, Span};
use crate::build::{self, Ctx};
use crate::errors::SyntaxError;
use crate::parser::Rule;

impl<'s> Reader<'s> {
    pub(super) fn choice(&mut self, nb: &mut NodeBuilder, line: Line<'s>) {
        let span = line.span();
        let sticky = line.text.starts_with('+');
        if nb.node.is_outcome() {
            if nb.frames.len() > 1 {
                self.close_ifs(nb, false);
            }
            self.errors.push(
                SyntaxError::misplaced(
                    span,
                    "an outcome cannot offer choices",
                    "choice in an outcome",
                )
                .with_help("an outcome ends the story; move the choice into a scene"),
            );
            nb.skipping = true;
            return;
        }
        if nb.frames.len() > 1 || nb.overflow > 0 {
            self.close_ifs(nb, false);
            self.errors.push(
                SyntaxError::misplaced(span, "a choice cannot stand inside `{if}`", "inside an open `{if}`")
                    .with_help("give the choice a guard instead: `* {trust >= 3} text`; the open `{if}` ends here"),
            );
        }
        let block = nb.take_base();
        if let Some(mut prev) = nb.choice.take() {
            prev.body = block;
            nb.node.choices.push(prev);
        } else {
            nb.node.body = block;
        }
        let rest = line.after(1);
        let (guard, text_line) = if rest.text.starts_with('{') {
            match rest.text.find('}') {
                Some(close) => {
                    let guard_src = &rest.text[..=close];
                    let guard = match crate::fast::braced(guard_src, rest.start, None) {
                        Some(guard) => Some(guard),
                        None => match build::parse_rule(Rule::guard, guard_src, rest.start) {
                            Ok(pair) => {
                                let mut ctx = Ctx {
                                    off: rest.start,
                                    errors: &mut self.errors,
                                };
                                Some(build::build_condition_line(pair, &mut ctx))
                            }
                            Err(err) => {
                                self.errors.push(err.with_help_if_none(
                                "a guard is a condition in braces right after the sigil: `* {trust >= 3} text`",
                            ));
                                None
                            }
                        },
                    };
                    (guard, rest.after(close + 1))
                }
                None => {
                    self.errors.push(
                        SyntaxError::syntax(
                            Span::new(rest.start, rest.start + 1),
                            "this guard is never closed",
                            "unclosed `{`",
                        )
                        .with_help("a guard looks like `* {trust >= 3} text`"),
                    );
                    (
                        None,
                        Line {
                            text: "",
                            start: rest.start + rest.text.len(),
                        },
                    )
                }
            }
        } else {
            (None, rest)
        };
        if text_line.text.is_empty() && guard.is_some() {
            self.errors.push(
                SyntaxError::syntax(
                    Span::new(text_line.start, text_line.start),
                    "this choice has no text",
                    "text expected here",
                )
                .with_help("write what the trainee says or does after the guard: `* {trust >= 3} Ask again.`"),
            );
        }
        let text = build::build_text(text_line.text, text_line.start, &mut self.errors);
        nb.choice = Some(Choice {
            sticky,
            guard,
            text,
            body: Vec::new(),
            span,
        });
    }
}
