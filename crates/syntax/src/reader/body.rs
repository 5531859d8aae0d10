//! A node's body lines: escaped narration, effects, notes, diverts, dialogue and
//! narration, handing block markers and choices on to `blocks` and `choices`.

use super::frames::NodeBuilder;
use super::lines::{block_marker, dialogue_prefix, rated_prefix, sigil, Line};
use super::Reader;
use crate::ast::{Ident, Span, Stmt};
use crate::build::{self, Ctx};
use crate::errors::SyntaxError;
use crate::parser::Rule;

impl<'s> Reader<'s> {
    pub(super) fn body_line(&mut self, line: Line<'s>) {
        let mut nb = self.node.take().expect("a body line belongs to a node");
        self.body_line_in(&mut nb, line);
        self.node = Some(nb);
    }

    pub(super) fn body_line_in(&mut self, nb: &mut NodeBuilder, line: Line<'s>) {
        let t = line.text;
        let is_choice = sigil(t, "*") || sigil(t, "+");
        if nb.skipping && !is_choice {
            return;
        }
        if let Some(rest) = t.strip_prefix('\\') {
            // `\{` keeps its backslash: it is the literal-brace escape.
            let (text, start) = if rest.starts_with('{') {
                (t, line.start)
            } else {
                (rest, line.start + 1)
            };
            let text = build::build_text(text, start, &mut self.errors);
            nb.push(Stmt::Narration {
                text,
                span: line.span(),
            });
            return;
        }
        let stripped = line.without_comment();
        if let Some(marker) = block_marker(stripped.text) {
            self.marker(nb, marker, stripped);
            return;
        }
        if matches!(stripped.text, "->" | "~") {
            let what = if stripped.text == "->" {
                "a divert needs a target: `-> doorway`"
            } else {
                "effects look like `~ trust += 1`"
            };
            self.errors.push(
                SyntaxError::syntax(
                    stripped.span(),
                    format!("`{}` alone on a line", stripped.text),
                    "incomplete",
                )
                .with_help(format!(
                    "{what}; to write it as narration, begin the line with `\\`"
                )),
            );
            nb.push(Stmt::Invalid {
                diverts: stripped.text == "->",
                span: stripped.span(),
            });
            return;
        }
        if is_choice {
            self.choice(nb, line);
        } else if sigil(t, "~") {
            let l = stripped;
            let stmt = match crate::fast::effects(l.text, l.start) {
                Some(effects) => Stmt::Effects {
                    effects,
                    span: l.span(),
                },
                None => match build::parse_rule(Rule::effects_line, l.text, l.start) {
                    Ok(pair) => {
                        let mut ctx = Ctx {
                            off: l.start,
                            errors: &mut self.errors,
                        };
                        Stmt::Effects {
                            effects: build::build_effects_line(pair, &mut ctx),
                            span: l.span(),
                        }
                    }
                    Err(err) => {
                        self.errors.push(err.with_help_if_none(
                            "effects look like `~ trust += 1, frame -= 2, rehearsed = true`",
                        ));
                        Stmt::Invalid {
                            diverts: false,
                            span: l.span(),
                        }
                    }
                },
            };
            nb.push(stmt);
        } else if sigil(t, "!") {
            let mut rest = line.after(1);
            let rating = rated_prefix(rest.text).map(|(rating, len)| {
                rest = rest.after(len);
                rating
            });
            let text = build::build_text(rest.text, rest.start, &mut self.errors);
            nb.push(Stmt::Note {
                text,
                rating,
                span: line.span(),
            });
        } else if sigil(t, "->") {
            let l = stripped;
            if nb.node.is_outcome() {
                self.errors.push(
                    SyntaxError::misplaced(
                        l.span(),
                        "an outcome cannot divert",
                        "divert in an outcome",
                    )
                    .with_help("an outcome ends the story; move the divert into a scene"),
                );
                return;
            }
            let plain = build::plain_divert(l.text, l.start);
            let stmt = match plain.map_or_else(
                || build::parse_rule(Rule::divert_line, l.text, l.start).map(Err),
                |target| Ok(Ok(target)),
            ) {
                Ok(Ok(target)) => Stmt::Divert {
                    target,
                    span: l.span(),
                },
                Ok(Err(pair)) => {
                    let mut ctx = Ctx {
                        off: l.start,
                        errors: &mut self.errors,
                    };
                    Stmt::Divert {
                        target: build::build_divert_line(pair, &mut ctx),
                        span: l.span(),
                    }
                }
                Err(err) => {
                    self.errors.push(
                        err.with_help_if_none("a divert names one scene or outcome: `-> doorway`"),
                    );
                    Stmt::Invalid {
                        diverts: true,
                        span: l.span(),
                    }
                }
            };
            nb.push(stmt);
        } else if let Some(n) = dialogue_prefix(t) {
            let speaker = Ident {
                name: t[..n].to_string(),
                span: Span::new(line.start, line.start + n),
            };
            let rest = line.after(n + 1);
            let text = build::build_text(rest.text, rest.start, &mut self.errors);
            nb.push(Stmt::Dialogue {
                speaker,
                text,
                span: line.span(),
            });
        } else {
            let text = build::build_text(t, line.start, &mut self.errors);
            nb.push(Stmt::Narration {
                text,
                span: line.span(),
            });
        }
    }
}
