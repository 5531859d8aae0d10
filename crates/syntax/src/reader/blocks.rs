//! Conditional blocks: `{if}`, `{elif}`, `{else}` and `{end}` lines push and pop the
//! stack of open blocks, with the depth bound and the errors of misplaced markers.

use super::frames::{Frame, NodeBuilder};
use super::lines::Line;
use super::{Reader, MAX_IF_DEPTH};
use crate::ast::{Branch, Expr, ExprKind, Span};
use crate::build::{self, Ctx};
use crate::errors::SyntaxError;
use crate::parser::Rule;

impl<'s> Reader<'s> {
    /// Closes every open `{if}` of the current block. At a header or the end of the
    /// file each one is an error; at a choice line the caller reports one error.
    pub(super) fn close_ifs(&mut self, nb: &mut NodeBuilder, report: bool) {
        nb.overflow = 0;
        while nb.frames.len() > 1 {
            let open_span = match nb.frames.last() {
                Some(Frame::If { open_span, .. }) => *open_span,
                _ => unreachable!("only the bottom frame is a base"),
            };
            if report {
                self.errors.push(
                    SyntaxError::syntax(open_span, "this `{if}` is never closed", "opened here")
                        .with_help("add `{end}` where the conditional block ends"),
                );
            }
            nb.pop_if();
        }
    }

    pub(super) fn marker(&mut self, nb: &mut NodeBuilder, marker: &str, l: Line<'s>) {
        let span = l.span();
        match marker {
            "if" | "elif" => {
                let rule = if marker == "if" {
                    Rule::if_line
                } else {
                    Rule::elif_line
                };
                let cond = match crate::fast::braced(l.text, l.start, Some(marker)) {
                    Some(cond) => cond,
                    None => match build::parse_rule(rule, l.text, l.start) {
                        Ok(pair) => {
                            let mut ctx = Ctx {
                                off: l.start,
                                errors: &mut self.errors,
                            };
                            build::build_condition_line(pair, &mut ctx)
                        }
                        Err(err) => {
                            self.errors.push(err.with_help_if_none(format!(
                                "a condition looks like `{{{marker} trust >= 3}}`"
                            )));
                            Expr {
                                kind: ExprKind::Bool(true),
                                span,
                            }
                        }
                    },
                };
                if marker == "if" {
                    self.open_if(nb, cond, span);
                } else {
                    self.next_branch(nb, Some(cond), span);
                }
            }
            "else" => self.next_branch(nb, None, span),
            _ => self.end(nb, span),
        }
    }

    pub(super) fn open_if(&mut self, nb: &mut NodeBuilder, cond: Expr, span: Span) {
        if nb.overflow > 0 || nb.frames.len() > MAX_IF_DEPTH {
            if nb.overflow == 0 {
                self.errors.push(
                    SyntaxError::syntax(
                        span,
                        format!(
                            "`{{if}}` blocks nested too deep (more than {MAX_IF_DEPTH} levels)"
                        ),
                        "nesting too deep",
                    )
                    .with_help("split the scene into several scenes joined by diverts"),
                );
            }
            nb.overflow += 1;
            return;
        }
        nb.frames.push(Frame::If {
            open_span: span,
            done: Vec::new(),
            cond_span: span,
            cond,
            else_span: None,
            body: Vec::new(),
        });
    }

    /// `{elif E}` (with its condition) or `{else}` (without): closes the open branch
    /// and starts the next one.
    pub(super) fn next_branch(&mut self, nb: &mut NodeBuilder, next: Option<Expr>, span: Span) {
        if nb.overflow > 0 {
            return;
        }
        let marker = if next.is_some() { "elif" } else { "else" };
        match nb.frames.last_mut() {
            Some(Frame::If {
                done,
                cond,
                cond_span,
                else_span: else_span @ None,
                body,
                ..
            }) => {
                let body = std::mem::take(body);
                match next {
                    Some(next) => done.push(Branch {
                        cond: std::mem::replace(cond, next),
                        body,
                        span: std::mem::replace(cond_span, span),
                    }),
                    None => {
                        done.push(Branch {
                            cond: cond.clone(),
                            body,
                            span: *cond_span,
                        });
                        *else_span = Some(span);
                    }
                }
            }
            Some(Frame::If {
                else_span: Some(_), ..
            }) => self.errors.push(if marker == "elif" {
                SyntaxError::misplaced(span, "`{elif}` after `{else}`", "after the `{else}`")
                    .with_help("move this branch above the `{else}`")
            } else {
                SyntaxError::misplaced(span, "a second `{else}` in one block", "second `{else}`")
                    .with_help("a conditional block has at most one `{else}`")
            }),
            _ => self.errors.push(stray(span, marker)),
        }
    }

    pub(super) fn end(&mut self, nb: &mut NodeBuilder, span: Span) {
        if nb.overflow > 0 {
            nb.overflow -= 1;
            return;
        }
        if nb.frames.len() > 1 {
            nb.pop_if_ending(span);
        } else {
            self.errors.push(stray(span, "end"));
        }
    }
}

fn stray(span: Span, marker: &str) -> SyntaxError {
    SyntaxError::misplaced(
        span,
        format!("`{{{marker}}}` without an open `{{if}}`"),
        format!("stray `{{{marker}}}`"),
    )
    .with_help("remove it, or add the `{if …}` it belongs to above it")
}
