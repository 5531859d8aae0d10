//! Reads a file line by line: classifies each line, parses it with its grammar rule,
//! and assembles nodes, choices and `{if}` blocks with an explicit stack.
//!
//! `lines` classifies a line by its prefix and `frames` holds the node being built with
//! its stack of open blocks; `preamble`, `headers`, `body`, `blocks` and `choices` each
//! read one kind of line into them.

mod blocks;
mod body;
mod choices;
mod frames;
mod headers;
mod lines;
mod preamble;
#[cfg(test)]
mod tests;

use crate::ast::File;
use crate::errors::SyntaxError;
use crate::Parsed;
use frames::NodeBuilder;
use lines::{count_headers, starts_with_word, Line};

/// How deeply `{if}` blocks may nest before the reader reports "nesting too deep".
pub const MAX_IF_DEPTH: usize = 100;
/// How deeply parentheses may nest inside one expression.
pub const MAX_EXPR_DEPTH: usize = 64;
/// How many operators one line's expressions may hold.
pub(crate) const MAX_EXPR_OPERATORS: usize = 512;

pub(crate) struct Reader<'s> {
    src: &'s str,
    errors: Vec<SyntaxError>,
    file: File,
    node: Option<NodeBuilder>,
}

impl<'s> Reader<'s> {
    pub(crate) fn new(src: &'s str) -> Self {
        Reader {
            src,
            errors: Vec::new(),
            file: File {
                // Room for every node up front: growing a large vector of nodes again and
                // again costs more than the count.
                nodes: Vec::with_capacity(count_headers(src)),
                ..File::default()
            },
            node: None,
        }
    }

    pub(crate) fn read(mut self) -> Parsed {
        let src = self.src;
        let mut pos = if src.starts_with('\u{feff}') { 3 } else { 0 };
        while pos <= src.len() {
            let end = src[pos..].find('\n').map_or(src.len(), |i| pos + i);
            let raw = &src[pos..end];
            let trimmed_start = raw.trim_start();
            let text = trimmed_start.trim_end();
            let line = Line {
                text,
                start: pos + (raw.len() - trimmed_start.len()),
            };
            self.line(line);
            pos = end + 1;
        }
        self.finish_node();
        Parsed {
            file: self.file,
            errors: self.errors,
        }
    }

    fn line(&mut self, line: Line<'s>) {
        let t = line.text;
        if t.is_empty() || t.starts_with("//") {
            return;
        }
        if starts_with_word(t, "scene") || starts_with_word(t, "outcome") {
            self.header(line);
            return;
        }
        if self.node.is_none() {
            self.preamble_line(line);
        } else {
            self.body_line(line);
        }
    }
}

impl SyntaxError {
    fn with_help_if_none(mut self, help: impl Into<String>) -> Self {
        if self.help.is_none() {
            self.help = Some(help.into());
        }
        self
    }
}
