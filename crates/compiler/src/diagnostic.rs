//! Diagnostics: every problem the compiler and the checker find, as plain data.
//! The CLI turns them into rendered reports and JSON in one place.

use serde::Serialize;
use threshold_syntax::ast::Span;

/// A diagnostic code, as the contract names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    SyntaxError,
    MissingTitle,
    UnknownKey,
    DuplicateName,
    UnknownTarget,
    UnknownVariable,
    UnknownCharacter,
    TypeMismatch,
    OutOfRange,
    FallsThrough,
    MisplacedStatement,
    UnreachableLine,
    RevealsHidden,
    DeadEnd,
    NoOutcome,
    StateLimit,
    UnreachableNode,
    UnreachableChoice,
    UnusedVariable,
    MissingFeedback,
    MissingDebrief,
    CheckFailed,
    UnreadVariable,
    UnratedMove,
    Gameable,
}

impl Code {
    pub const ALL: [Code; 25] = [
        Code::SyntaxError,
        Code::MissingTitle,
        Code::UnknownKey,
        Code::DuplicateName,
        Code::UnknownTarget,
        Code::UnknownVariable,
        Code::UnknownCharacter,
        Code::TypeMismatch,
        Code::OutOfRange,
        Code::FallsThrough,
        Code::MisplacedStatement,
        Code::UnreachableLine,
        Code::RevealsHidden,
        Code::DeadEnd,
        Code::NoOutcome,
        Code::StateLimit,
        Code::UnreachableNode,
        Code::UnreachableChoice,
        Code::UnusedVariable,
        Code::MissingFeedback,
        Code::MissingDebrief,
        Code::CheckFailed,
        Code::UnreadVariable,
        Code::UnratedMove,
        Code::Gameable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::SyntaxError => "syntax-error",
            Code::MissingTitle => "missing-title",
            Code::UnknownKey => "unknown-key",
            Code::DuplicateName => "duplicate-name",
            Code::UnknownTarget => "unknown-target",
            Code::UnknownVariable => "unknown-variable",
            Code::UnknownCharacter => "unknown-character",
            Code::TypeMismatch => "type-mismatch",
            Code::OutOfRange => "out-of-range",
            Code::FallsThrough => "falls-through",
            Code::MisplacedStatement => "misplaced-statement",
            Code::UnreachableLine => "unreachable-line",
            Code::RevealsHidden => "reveals-hidden",
            Code::DeadEnd => "dead-end",
            Code::NoOutcome => "no-outcome",
            Code::StateLimit => "state-limit",
            Code::UnreachableNode => "unreachable-node",
            Code::UnreachableChoice => "unreachable-choice",
            Code::UnusedVariable => "unused-variable",
            Code::MissingFeedback => "missing-feedback",
            Code::MissingDebrief => "missing-debrief",
            Code::CheckFailed => "check-failed",
            Code::UnreadVariable => "unread-variable",
            Code::UnratedMove => "unrated-move",
            Code::Gameable => "gameable",
        }
    }

    /// The severity every diagnostic with this code has.
    pub fn severity(self) -> Severity {
        match self {
            Code::UnreachableLine
            | Code::RevealsHidden
            | Code::UnreachableNode
            | Code::UnreachableChoice
            | Code::UnusedVariable
            | Code::MissingFeedback
            | Code::MissingDebrief
            | Code::UnreadVariable
            | Code::UnratedMove
            | Code::Gameable => Severity::Warning,
            _ => Severity::Error,
        }
    }

    /// Whether the soundness phase, rather than the static phase, reports this code.
    pub fn is_soundness(self) -> bool {
        matches!(
            self,
            Code::DeadEnd
                | Code::NoOutcome
                | Code::StateLimit
                | Code::UnreachableNode
                | Code::UnreachableChoice
                | Code::UnusedVariable
                | Code::CheckFailed
                | Code::Gameable
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A place in one of the story's files: the file's index and a byte span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Site {
    pub file: usize,
    pub span: Span,
}

/// A second place a diagnostic points at ("first declared here").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub site: Site,
    pub label: String,
}

/// One problem in a story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub message: String,
    pub site: Site,
    /// The short text under the span.
    pub label: String,
    pub help: Option<String>,
    pub notes: Vec<Note>,
    /// Soundness diagnostics: the node they concern.
    pub node: Option<String>,
    /// Soundness diagnostics: the choices, by text, from the start to the problem.
    pub path: Option<Vec<String>>,
    /// The same path as the numbers `play --choices` takes (1-based among the offered).
    pub choices: Option<Vec<u32>>,
    /// Orders diagnostics that tie on place and code (`gameable`: the strategy's rank).
    pub rank: u32,
}

impl Diagnostic {
    pub fn new(
        code: Code,
        site: Site,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            site,
            label: label.into(),
            help: None,
            notes: Vec::new(),
            node: None,
            path: None,
            choices: None,
            rank: 0,
        }
    }

    /// Sets the path, by text and by number.
    pub fn with_path(mut self, path: (Vec<String>, Vec<u32>)) -> Self {
        self.path = Some(path.0);
        self.choices = Some(path.1);
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_note(mut self, site: Site, label: impl Into<String>) -> Self {
        self.notes.push(Note {
            site,
            label: label.into(),
        });
        self
    }

    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }
}

/// Appends a did-you-mean to `help` when one of `candidates` is close to `name`.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::normalized_damerau_levenshtein(&name.to_lowercase(), &c.to_lowercase());
        let close = score >= 0.6 || strsim::damerau_levenshtein(name, c) <= 1;
        if close && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Finds the 1-based line and column (in Unicode characters) of a byte offset.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
    text_len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex {
            starts,
            text_len: text.len(),
        }
    }

    /// The line and column of `offset` in `text` (the text this index was built from).
    /// A leading byte-order mark does not count as a column.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text_len);
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        (line + 1, 0)
    }

    /// Like [`LineIndex::line_col`], with the column counted in `text`.
    pub fn line_col_in(&self, text: &str, offset: usize) -> (usize, usize) {
        let (line, _) = self.line_col(offset);
        let start = self.starts[line - 1];
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let prefix = &text[start..offset];
        let prefix = prefix.strip_prefix('\u{feff}').unwrap_or(prefix);
        (line, prefix.chars().count() + 1)
    }
}
