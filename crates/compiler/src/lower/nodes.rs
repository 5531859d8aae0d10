//! Scenes, outcomes and choices: their bodies lowered statement by statement, with the
//! diagnostics of structure (`falls-through`, unreachable lines), unknown targets and
//! speakers, and hidden variables shown in text.

use threshold_runtime::ir;
use threshold_syntax::ast;

use super::exprs::ir_rating;
use super::paths::always_diverts;
use super::{Lowerer, Ty};
use crate::diagnostic::{did_you_mean, Code, Diagnostic};

impl Lowerer {
    /// Lowers a node; the text of its lines moves into the IR.
    pub(super) fn node(&mut self, n: &mut ast::Node) -> ir::Node {
        self.in_outcome = n.is_outcome();
        self.in_choice = false;
        let body = self.block(&mut n.body);
        let has_choices = !n.choices.is_empty();
        if !n.is_outcome() && !n.broken && !has_choices && !always_diverts(&n.body) {
            self.diags.push(
                Diagnostic::new(
                    Code::FallsThrough,
                    self.site(n.header_span),
                    format!(
                        "the scene `{}` has no choices and can end without a divert",
                        n.id.name
                    ),
                    "play can run off the end of this scene",
                )
                .with_help(
                    "end the scene with a divert like `-> next_scene`, or give it choices; \
                     an `{if}` without `{else}` can fall through",
                ),
            );
        }
        let choices = n
            .choices
            .iter_mut()
            .map(|c| {
                let guard = c.guard.as_ref().map(|g| self.condition(g, "a guard"));
                let text = self.text(&mut c.text);
                self.in_choice = true;
                let body = self.block(&mut c.body);
                self.in_choice = false;
                if !always_diverts(&c.body) {
                    self.diags.push(
                        Diagnostic::new(
                            Code::FallsThrough,
                            self.site(c.span),
                            "this choice can end without a divert",
                            "the choice's lines can run out without `->`",
                        )
                        .with_help(
                            "end the choice's lines with a divert like `-> next_scene`; \
                             an `{if}` without `{else}` can fall through",
                        ),
                    );
                }
                ir::Choice {
                    sticky: c.sticky,
                    guard,
                    text,
                    body,
                    at: self.pos(c.span),
                }
            })
            .collect();
        let (kind, title) = match &n.kind {
            ast::NodeKind::Scene { title } => {
                (ir::NodeKind::Scene, title.as_ref().map(|t| t.value.clone()))
            }
            ast::NodeKind::Outcome { rating, title } => (
                ir::NodeKind::Outcome {
                    rating: ir_rating(*rating),
                },
                Some(title.value.clone()),
            ),
        };
        ir::Node {
            id: n.id.name.clone(),
            kind,
            title,
            at: self.pos(n.header_span),
            body,
            choices,
        }
    }

    pub(super) fn block(&mut self, stmts: &mut [ast::Stmt]) -> ir::Block {
        let mut out = Vec::with_capacity(stmts.len());
        let mut diverted = false;
        for s in stmts.iter_mut() {
            if diverted {
                self.unreachable(s);
            }
            match s {
                ast::Stmt::Narration { text, .. } => out.push(ir::Stmt::Line {
                    speaker: None,
                    text: self.text(text),
                }),
                ast::Stmt::Dialogue { speaker, text, .. } => {
                    let sp = match self.chars.get(&speaker.name) {
                        Some((i, _)) => Some(*i),
                        None if self.broken.contains(&speaker.name) => None,
                        None => {
                            let mut d = Diagnostic::new(
                                Code::UnknownCharacter,
                                self.site(speaker.span),
                                format!("`{}` is not a declared character", speaker.name),
                                "unknown speaker",
                            );
                            d = d.with_help(
                                match did_you_mean(&speaker.name, self.chars.keys().map(String::as_str)) {
                                    Some(c) => format!(
                                        "did you mean `{c}`? To write narration that starts with `{}:`, begin the line with `\\`",
                                        speaker.name
                                    ),
                                    None => format!(
                                        "declare it in the preamble (`character {} \"Name\"`), or begin the line with `\\` to make it narration",
                                        speaker.name
                                    ),
                                },
                            );
                            self.diags.push(d);
                            None
                        }
                    };
                    out.push(ir::Stmt::Line {
                        speaker: sp,
                        text: self.text(text),
                    });
                }
                ast::Stmt::Note { text, rating, span } => {
                    if rating.is_some() {
                        self.rates_notes = true;
                        if !self.in_choice {
                            self.misplaced_rating(*span);
                        }
                    }
                    out.push(ir::Stmt::Note {
                        text: self.text(text),
                        rating: rating.map(ir_rating),
                    });
                }
                ast::Stmt::Effects { effects, .. } => {
                    let effects = effects.iter().filter_map(|e| self.effect(e)).collect();
                    out.push(ir::Stmt::Effects { effects });
                }
                ast::Stmt::Divert { target, .. } => {
                    diverted = true;
                    let t = self.target(target, "a divert");
                    out.push(ir::Stmt::Divert {
                        target: t.unwrap_or(0),
                    });
                }
                ast::Stmt::If {
                    branches,
                    else_body,
                    ..
                } => {
                    let branches = branches
                        .iter_mut()
                        .map(|b| ir::Branch {
                            cond: self.condition(&b.cond, "a condition"),
                            body: self.block(&mut b.body),
                        })
                        .collect();
                    let otherwise = else_body
                        .as_mut()
                        .map_or_else(Vec::new, |e| self.block(&mut e.body));
                    out.push(ir::Stmt::If {
                        branches,
                        otherwise,
                    });
                }
                // A mistyped divert already has its error; no warnings follow from it.
                ast::Stmt::Invalid { .. } => {}
            }
        }
        out
    }

    /// Warns on every line of a statement that follows a divert; block markers are
    /// never unreachable lines, the lines inside the block are.
    pub(super) fn unreachable(&mut self, s: &ast::Stmt) {
        match s {
            ast::Stmt::If {
                branches,
                else_body,
                ..
            } => {
                for b in branches {
                    b.body.iter().for_each(|x| self.unreachable(x));
                }
                if let Some(e) = else_body {
                    e.body.iter().for_each(|x| self.unreachable(x));
                }
            }
            ast::Stmt::Invalid { .. } => {}
            _ => self.diags.push(
                Diagnostic::new(
                    Code::UnreachableLine,
                    self.site(s.span()),
                    "this line comes after a divert and never runs",
                    "never runs",
                )
                .with_help("move it above the divert, or remove it"),
            ),
        }
    }

    pub(super) fn target(&mut self, id: &ast::Ident, what: &str) -> Option<u32> {
        if let Some((info, _)) = self.nodes.get(&id.name) {
            return Some(info.index);
        }
        let help = match did_you_mean(&id.name, self.nodes.keys().map(String::as_str)) {
            Some(n) => format!("did you mean `{n}`?"),
            None => "name a scene or outcome of this story".to_string(),
        };
        self.diags.push(
            Diagnostic::new(
                Code::UnknownTarget,
                self.site(id.span),
                format!(
                    "{what} names `{}`, but no scene or outcome has that name",
                    id.name
                ),
                "no such node",
            )
            .with_help(help),
        );
        None
    }

    pub(super) fn text(&mut self, text: &mut ast::Text) -> ir::Text {
        let parts = text
            .parts
            .iter_mut()
            .map(|p| match p {
                ast::TextPart::Lit(s) => ir::TextPart::Lit(std::mem::take(s)),
                ast::TextPart::Interp(e) => {
                    let (expr, ty) = self.expr(e);
                    if !self.in_outcome {
                        self.reveals(e);
                    }
                    ir::TextPart::Expr {
                        expr,
                        is_bool: ty == Some(Ty::Bool),
                    }
                }
            })
            .collect();
        ir::Text { parts }
    }

    pub(super) fn reveals(&mut self, e: &ast::Expr) {
        match &e.kind {
            ast::ExprKind::Var(name) => {
                if let Some((info, _)) = self.vars.get(name) {
                    if !info.shown {
                        self.diags.push(
                            Diagnostic::new(
                                Code::RevealsHidden,
                                self.site(e.span),
                                format!("this shows the hidden variable `{name}` to the trainee"),
                                "hidden during play",
                            )
                            .with_help(format!(
                                "move it into an outcome, where the debrief may show it, or declare it `shown {name} …`"
                            )),
                        );
                    }
                }
            }
            ast::ExprKind::Unary(_, x) => self.reveals(x),
            ast::ExprKind::Binary(_, a, b) => {
                self.reveals(a);
                self.reveals(b);
            }
            _ => {}
        }
    }
}
