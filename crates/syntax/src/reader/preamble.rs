//! The preamble: the declaration and metadata lines before the first header.

use super::lines::{is_metadata, starts_with_word, Line};
use super::Reader;
use crate::build::{self, Ctx};
use crate::errors::SyntaxError;
use crate::parser::Rule;

impl<'s> Reader<'s> {
    pub(super) fn preamble_line(&mut self, line: Line<'s>) {
        let l = line.without_comment();
        let t = l.text;
        let span = l.span();
        let (rule, what) = if starts_with_word(t, "character") {
            (Rule::character_line, "character")
        } else if starts_with_word(t, "check") && !is_metadata(t) {
            (Rule::check_line, "check")
        } else if starts_with_word(t, "hidden") || starts_with_word(t, "shown") {
            (Rule::variable_line, "variable")
        } else if is_metadata(t) {
            (Rule::metadata_line, "metadata")
        } else {
            let err = SyntaxError::syntax(
                span,
                "expected a declaration or metadata before the first scene",
                "not a declaration",
            )
            .with_help(
                "the preamble holds `title: …`-style metadata, `character`, `hidden`, `shown` and `check` lines; \
                 story text goes after a header like `scene doorway`",
            );
            self.errors.push(err);
            return;
        };
        match build::parse_rule(rule, t, l.start) {
            Ok(pair) => {
                let mut ctx = Ctx {
                    off: l.start,
                    errors: &mut self.errors,
                };
                let decl = match what {
                    "character" => build::build_character_line(pair, &mut ctx, span),
                    "check" => build::build_check_line(pair, &mut ctx, span),
                    "variable" => build::build_variable_line(pair, &mut ctx, span),
                    _ => build::build_metadata_line(pair, &mut ctx, span),
                };
                self.file.decls.push(decl);
            }
            Err(mut err) => {
                if what != "metadata" && what != "check" {
                    let word = l.after(t.find([' ', '\t']).unwrap_or(t.len()));
                    let name: String = word
                        .text
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        self.file.broken_names.push(name);
                    }
                }
                if what == "check" && err.help.is_none() {
                    err.help = Some(
                        "a check is `check always E`, `check never E`, `check can reach E` or \
                         `check whenever E1, can reach E2`, with an optional \"label\" at the end"
                            .into(),
                    );
                }
                if what == "variable"
                    && !t.contains(" in ")
                    && !t.contains("true")
                    && !t.contains("false")
                {
                    err.help = Some(
                        "an integer variable needs a range: `hidden trust = 5 in 0..10`; \
                         a boolean one is `= true` or `= false`"
                            .into(),
                    );
                }
                self.errors.push(err);
            }
        }
    }
}
