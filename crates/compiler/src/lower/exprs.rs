//! Expressions and effects: names resolved, types checked, ranges of constants, and the
//! atoms that exist only in checks (`at()`, `ended()`); `check` lines lowered.

use threshold_runtime::ir;
use threshold_syntax::ast::{self, Span};

use super::{Lowerer, Ty};
use crate::diagnostic::{did_you_mean, Code, Diagnostic};

impl Lowerer {
    pub(super) fn effect(&mut self, e: &ast::Effect) -> Option<ir::Effect> {
        let target = self
            .vars
            .get(&e.target.name)
            .map(|(i, _)| (i.index, i.ty, i.lo, i.hi));
        if target.is_none() {
            self.unknown_variable(&e.target.name, e.target.span);
        }
        let (value, vty) = self.expr(&e.value);
        let (index, tty, lo, hi) = target?;
        self.used[index as usize] = true;
        self.written[index as usize] = true;
        let vty = vty?;
        let op = match e.op {
            ast::AssignOp::Set => ir::AssignOp::Set,
            ast::AssignOp::Add => ir::AssignOp::Add,
            ast::AssignOp::Sub => ir::AssignOp::Sub,
        };
        let op_text = match e.op {
            ast::AssignOp::Set => "=",
            ast::AssignOp::Add => "+=",
            ast::AssignOp::Sub => "-=",
        };
        if op != ir::AssignOp::Set && tty == Ty::Bool {
            self.diags.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    self.site(e.target.span),
                    format!(
                        "`{op_text}` adds to a number, but `{}` is true or false",
                        e.target.name
                    ),
                    "true or false",
                )
                .with_help(format!("set it instead: `~ {} = true`", e.target.name)),
            );
        } else if vty != tty {
            self.diags.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    self.site(e.value.span),
                    format!(
                        "`{}` is {}, but this value is {}",
                        e.target.name,
                        tty.describe(),
                        vty.describe()
                    ),
                    format!("expected {}", tty.describe()),
                )
                .with_help(match tty {
                    Ty::Int => format!(
                        "give `{}` a number, like `~ {} {op_text} 1`",
                        e.target.name, e.target.name
                    ),
                    Ty::Bool => format!("give `{}` `true` or `false`", e.target.name),
                }),
            );
        } else if op == ir::AssignOp::Set && tty == Ty::Int {
            if let Some(c) = const_value(&e.value) {
                if c < lo || c > hi {
                    self.diags.push(
                        Diagnostic::new(
                            Code::OutOfRange,
                            self.site(e.value.span),
                            format!("{c} is outside the range {lo}..{hi} of `{}`", e.target.name),
                            "outside the range",
                        )
                        .with_help(format!(
                            "choose a value from {lo} to {hi}, or widen the range"
                        )),
                    );
                }
            }
        }
        Some(ir::Effect {
            var: index,
            op,
            value,
        })
    }

    pub(super) fn misplaced_rating(&mut self, span: Span) {
        let where_ = if self.in_outcome {
            "an outcome"
        } else {
            "a scene's opening lines"
        };
        self.diags.push(
            Diagnostic::new(
                Code::MisplacedStatement,
                self.site(span),
                format!("a rated note rates a move, but this one stands in {where_}"),
                "not under a choice",
            )
            .with_help(
                "move it under the choice it rates, or drop the rating word to make it a plain note",
            ),
        );
    }

    pub(super) fn only_in_checks(&mut self, span: Span, what: &str) {
        self.diags.push(
            Diagnostic::new(
                Code::MisplacedStatement,
                self.site(span),
                format!("`{what}(…)` exists only in `check` lines"),
                "only in checks",
            )
            .with_help(match what {
                "at" => "to ask whether play went through a node, use `seen(NODE)`",
                _ => "an outcome's rating is known only when play has ended; state it in a `check` line",
            }),
        );
    }

    /// Lowers a `check` line; `text` is its file's source.
    pub(super) fn check(&mut self, c: &ast::Check, text: &str) -> ir::Check {
        let kind = match &c.kind {
            ast::CheckKind::Always(e) => ir::CheckKind::Always {
                expr: self.condition(e, "a check"),
            },
            ast::CheckKind::Never(e) => ir::CheckKind::Never {
                expr: self.condition(e, "a check"),
            },
            ast::CheckKind::CanReach(e) => ir::CheckKind::CanReach {
                expr: self.condition(e, "a check"),
            },
            ast::CheckKind::Whenever(a, b) => ir::CheckKind::Whenever {
                when: self.condition(a, "a check"),
                reach: self.condition(b, "a check"),
            },
        };
        let end = c.label.as_ref().map_or(c.span.end, |l| l.span.start);
        let written = text[c.span.start..end].trim();
        let written = written.strip_prefix("check").unwrap_or(written).trim();
        ir::Check {
            kind,
            label: c.label.as_ref().map(|l| l.value.clone()),
            text: written.to_string(),
            at: self.pos(c.span),
        }
    }

    pub(super) fn unknown_variable(&mut self, name: &str, span: Span) {
        if self.broken.iter().any(|b| b == name) {
            // Its declaration did not parse and is reported there.
            return;
        }
        let help = match did_you_mean(name, self.vars.keys().map(String::as_str)) {
            Some(v) => format!("did you mean `{v}`?"),
            None => format!("declare it in the preamble, like `hidden {name} = 0 in 0..10`"),
        };
        self.diags.push(
            Diagnostic::new(
                Code::UnknownVariable,
                self.site(span),
                format!("`{name}` is not a declared variable"),
                "unknown variable",
            )
            .with_help(help),
        );
    }

    pub(super) fn condition(&mut self, e: &ast::Expr, what: &str) -> ir::Expr {
        let (expr, ty) = self.expr(e);
        if ty == Some(Ty::Int) {
            self.diags.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    self.site(e.span),
                    format!("{what} must be true or false, but this is a number"),
                    "a number",
                )
                .with_help("compare it with something: `trust >= 3`"),
            );
        }
        expr
    }

    /// Lowers an expression. Unknown names are reported and silence everything else
    /// about the expression (the type comes back as `None`).
    pub(super) fn expr(&mut self, e: &ast::Expr) -> (ir::Expr, Option<Ty>) {
        if self.report_unknown_names(e) {
            return (ir::Expr::Const(0), None);
        }
        let (x, ty) = self.typed(e);
        (x, Some(ty))
    }

    /// Reports every name in `e` that does not resolve; true if there was one.
    pub(super) fn report_unknown_names(&mut self, e: &ast::Expr) -> bool {
        match &e.kind {
            ast::ExprKind::Var(name) => match self.vars.get(name) {
                Some((info, _)) => {
                    self.used[info.index as usize] = true;
                    self.read[info.index as usize] = true;
                    false
                }
                None => {
                    self.unknown_variable(name, e.span);
                    true
                }
            },
            ast::ExprKind::Seen(id) => self.target(id, "`seen()`").is_none(),
            ast::ExprKind::At(id) => {
                if !self.in_check {
                    self.only_in_checks(e.span, "at");
                    return true;
                }
                let Some(index) = self.target(id, "`at()`") else {
                    return true;
                };
                let info = &self.nodes[index as usize].0;
                if !info.is_outcome && !info.has_choices {
                    self.diags.push(
                        Diagnostic::new(
                            Code::MisplacedStatement,
                            self.site(e.span),
                            format!(
                                "`at({})` can never hold: `{}` has no choices, so play only passes through it",
                                id.name, id.name
                            ),
                            "play never waits here",
                        )
                        .with_help(format!(
                            "to ask whether play went through it, use `seen({})`",
                            id.name
                        )),
                    );
                    return true;
                }
                false
            }
            ast::ExprKind::Ended(_) => {
                if !self.in_check {
                    self.only_in_checks(e.span, "ended");
                    return true;
                }
                false
            }
            ast::ExprKind::Unary(_, x) => self.report_unknown_names(x),
            ast::ExprKind::Binary(_, a, b) => {
                let a = self.report_unknown_names(a);
                let b = self.report_unknown_names(b);
                a || b
            }
            ast::ExprKind::Int(_) | ast::ExprKind::Bool(_) => false,
        }
    }

    pub(super) fn expect(&mut self, e: &ast::Expr, got: Ty, want: Ty, op: &str) {
        if got != want {
            self.diags.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    self.site(e.span),
                    format!(
                        "`{op}` takes {}, but this is {}",
                        plural(want),
                        got.describe()
                    ),
                    format!("expected {}", want.describe()),
                )
                .with_help(match want {
                    Ty::Int => "use a number variable or a whole number here",
                    Ty::Bool => "use a true/false value here, or compare numbers: `trust >= 3`",
                }),
            );
        }
    }

    pub(super) fn typed(&mut self, e: &ast::Expr) -> (ir::Expr, Ty) {
        match &e.kind {
            ast::ExprKind::Int(v) => (ir::Expr::Const(*v), Ty::Int),
            ast::ExprKind::Bool(b) => (ir::Expr::Const(i64::from(*b)), Ty::Bool),
            ast::ExprKind::Var(name) => {
                let (info, _) = &self.vars[name.as_str()];
                (ir::Expr::Var(info.index), info.ty)
            }
            ast::ExprKind::Seen(id) => (
                ir::Expr::Seen(self.nodes[id.name.as_str()].0.index),
                Ty::Bool,
            ),
            ast::ExprKind::At(id) => (ir::Expr::At(self.nodes[id.name.as_str()].0.index), Ty::Bool),
            // `ended(R)`: at one of the outcomes rated R.
            ast::ExprKind::Ended(r) => {
                let at = self
                    .nodes
                    .values()
                    .filter(|(i, _)| i.rating == Some(*r))
                    .map(|(i, _)| ir::Expr::At(i.index))
                    .reduce(|a, b| ir::Expr::Bin(ir::BinOp::Or, Box::new(a), Box::new(b)));
                (at.unwrap_or(ir::Expr::Const(0)), Ty::Bool)
            }
            ast::ExprKind::Unary(op, x) => {
                let (xe, xt) = self.typed(x);
                match op {
                    ast::UnOp::Not => {
                        self.expect(x, xt, Ty::Bool, "not");
                        (ir::Expr::Not(Box::new(xe)), Ty::Bool)
                    }
                    ast::UnOp::Neg => {
                        self.expect(x, xt, Ty::Int, "-");
                        (ir::Expr::Neg(Box::new(xe)), Ty::Int)
                    }
                }
            }
            ast::ExprKind::Binary(op, a, b) => {
                let (ae, at) = self.typed(a);
                let (be, bt) = self.typed(b);
                use ast::BinOp::*;
                let ty = match op {
                    Or | And => {
                        self.expect(a, at, Ty::Bool, op.as_str());
                        self.expect(b, bt, Ty::Bool, op.as_str());
                        Ty::Bool
                    }
                    Lt | Le | Gt | Ge => {
                        self.expect(a, at, Ty::Int, op.as_str());
                        self.expect(b, bt, Ty::Int, op.as_str());
                        Ty::Bool
                    }
                    Add | Sub => {
                        self.expect(a, at, Ty::Int, op.as_str());
                        self.expect(b, bt, Ty::Int, op.as_str());
                        Ty::Int
                    }
                    Eq | Ne => {
                        if at != bt {
                            self.diags.push(
                                Diagnostic::new(
                                    Code::TypeMismatch,
                                    self.site(b.span),
                                    format!(
                                        "`{}` compares two values of one type, but this is {} and the left side is {}",
                                        op.as_str(),
                                        bt.describe(),
                                        at.describe()
                                    ),
                                    format!("expected {}", at.describe()),
                                )
                                .with_help("compare numbers with numbers and true/false values with true/false values"),
                            );
                        }
                        Ty::Bool
                    }
                };
                let irop = match op {
                    Or => ir::BinOp::Or,
                    And => ir::BinOp::And,
                    Eq => ir::BinOp::Eq,
                    Ne => ir::BinOp::Ne,
                    Lt => ir::BinOp::Lt,
                    Le => ir::BinOp::Le,
                    Gt => ir::BinOp::Gt,
                    Ge => ir::BinOp::Ge,
                    Add => ir::BinOp::Add,
                    Sub => ir::BinOp::Sub,
                };
                (ir::Expr::Bin(irop, Box::new(ae), Box::new(be)), ty)
            }
        }
    }
}

pub(super) fn ir_rating(r: ast::Rating) -> ir::Rating {
    match r {
        ast::Rating::Good => ir::Rating::Good,
        ast::Rating::Mixed => ir::Rating::Mixed,
        ast::Rating::Bad => ir::Rating::Bad,
    }
}

fn plural(t: Ty) -> &'static str {
    match t {
        Ty::Int => "numbers",
        Ty::Bool => "true/false values",
    }
}

/// The value of an expression made of number literals only.
fn const_value(e: &ast::Expr) -> Option<i64> {
    match &e.kind {
        ast::ExprKind::Int(v) => Some(*v),
        ast::ExprKind::Unary(ast::UnOp::Neg, x) => const_value(x).map(i64::saturating_neg),
        ast::ExprKind::Binary(ast::BinOp::Add, a, b) => {
            Some(const_value(a)?.saturating_add(const_value(b)?))
        }
        ast::ExprKind::Binary(ast::BinOp::Sub, a, b) => {
            Some(const_value(a)?.saturating_sub(const_value(b)?))
        }
        _ => None,
    }
}
