//! The node being read and its stack of open blocks: the base block of the node or of a
//! choice, and each open `{if}` with the branches it has finished.

use crate::ast::{Branch, Choice, ElseBranch, Expr, Node, Span, Stmt};

/// A block being filled: the base block of a node or a choice, or an open `{if}`.
pub(super) enum Frame {
    Base(Vec<Stmt>),
    If {
        open_span: Span,
        done: Vec<Branch>,
        cond: Expr,
        cond_span: Span,
        else_span: Option<Span>,
        body: Vec<Stmt>,
    },
}

impl Frame {
    pub(super) fn stmts(&mut self) -> &mut Vec<Stmt> {
        match self {
            Frame::Base(s) => s,
            Frame::If { body, .. } => body,
        }
    }
}

pub(super) struct NodeBuilder {
    pub(super) node: Node,
    pub(super) frames: Vec<Frame>,
    /// The choice whose body is being filled, if any.
    pub(super) choice: Option<Choice>,
    /// Inside a choice that stands in an outcome: its lines are not read.
    pub(super) skipping: bool,
    /// `{if}` lines past [`MAX_IF_DEPTH`](super::MAX_IF_DEPTH) not yet closed.
    pub(super) overflow: usize,
}

impl NodeBuilder {
    pub(super) fn push(&mut self, stmt: Stmt) {
        self.frames
            .last_mut()
            .expect("a node always has its base frame")
            .stmts()
            .push(stmt);
    }

    /// Takes the base block, leaving a fresh one. Callers close open `{if}`s first.
    pub(super) fn take_base(&mut self) -> Vec<Stmt> {
        debug_assert_eq!(self.frames.len(), 1);
        std::mem::take(self.frames[0].stmts())
    }

    pub(super) fn pop_if(&mut self) {
        let end = self.frames.last().map_or(Span::default(), |f| match f {
            Frame::If {
                body, cond_span, ..
            } => body.last().map_or(*cond_span, Stmt::span),
            Frame::Base(_) => Span::default(),
        });
        self.pop_if_ending(end);
    }

    pub(super) fn pop_if_ending(&mut self, end_span: Span) {
        let Some(Frame::If {
            open_span,
            mut done,
            cond,
            cond_span,
            else_span,
            body,
        }) = self.frames.pop()
        else {
            unreachable!("pop_if_ending on a base frame");
        };
        let else_body = match else_span {
            Some(span) => Some(ElseBranch { body, span }),
            None => {
                done.push(Branch {
                    cond,
                    body,
                    span: cond_span,
                });
                None
            }
        };
        self.push(Stmt::If {
            branches: done,
            else_body,
            span: open_span.to(end_span),
        });
    }
}
