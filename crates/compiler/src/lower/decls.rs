//! Declarations and metadata: the preamble's names, and `key: value` lines.

use indexmap::IndexMap;
use threshold_syntax::ast::{self, Span};

use super::{Lowerer, KNOWN_KEYS};
use crate::diagnostic::{did_you_mean, Code, Diagnostic, Site};

impl Lowerer {
    pub(super) fn duplicate(&mut self, what: &str, name: &str, site: Site, first: Site) {
        let mut d = Diagnostic::new(
            Code::DuplicateName,
            site,
            format!("the {what} `{name}` is declared twice"),
            "declared again here",
        )
        .with_help(format!("rename one of them; the first `{name}` stands"));
        d = d.with_note(first, "first declared here");
        self.diags.push(d);
    }

    pub(super) fn meta(
        &mut self,
        key: &ast::Ident,
        value: &str,
        value_span: Span,
        meta: &mut IndexMap<&'static str, (String, Site, Site)>,
    ) {
        let site = self.site(key.span);
        let Some(known) = KNOWN_KEYS.iter().find(|k| **k == key.name) else {
            let help = match did_you_mean(&key.name, KNOWN_KEYS) {
                Some(k) => format!("did you mean `{k}`?"),
                None => format!(
                    "the known keys are {}",
                    KNOWN_KEYS.map(|k| format!("`{k}`")).join(", ")
                ),
            };
            self.diags.push(
                Diagnostic::new(
                    Code::UnknownKey,
                    site,
                    format!("`{}` is not a metadata key", key.name),
                    "unknown key",
                )
                .with_help(help),
            );
            return;
        };
        if let Some((_, first, _)) = meta.get(known) {
            let first = *first;
            let d = if *known == "title" {
                Diagnostic::new(
                    Code::MissingTitle,
                    site,
                    "the story has more than one title",
                    "a second `title:`",
                )
                .with_help("a story has exactly one `title:`; remove this one")
            } else {
                Diagnostic::new(
                    Code::DuplicateName,
                    site,
                    format!("`{known}:` is given twice"),
                    "given again here",
                )
                .with_help(format!("keep one `{known}:`; the first stands"))
            };
            self.diags.push(d.with_note(first, "first given here"));
            return;
        }
        if value.is_empty() {
            self.diags.push(
                Diagnostic::new(
                    Code::SyntaxError,
                    site,
                    format!("`{known}:` has no value"),
                    "value expected after the colon",
                )
                .with_help(format!("write the value after the colon: `{known}: …`")),
            );
            return;
        }
        meta.insert(known, (value.to_string(), site, self.site(value_span)));
    }
}
