//! The one place where diagnostics become output: miette reports for people and the
//! contract's JSON for machines.

use std::fmt;
use std::io::IsTerminal;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;
use threshold_compiler::{Diagnostic, LineIndex, Severity, Source};

use crate::text::{clean, neutralise_keeping_offsets};

/// A diagnostic with its place resolved to a file name, line and column.
#[derive(Debug, Clone, Serialize)]
pub struct JsonDiagnostic {
    pub code: &'static str,
    pub severity: &'static str,
    pub message: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub choices: Option<Vec<u32>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

/// Sorts diagnostics by file, line, column and code, and resolves their places.
pub fn resolve(sources: &[Source], diags: &[Diagnostic]) -> Vec<(JsonDiagnostic, Diagnostic)> {
    let indexes: Vec<LineIndex> = sources.iter().map(|s| LineIndex::new(&s.text)).collect();
    let mut out: Vec<(usize, JsonDiagnostic, Diagnostic)> = diags
        .iter()
        .map(|d| {
            let file = d.site.file.min(sources.len().saturating_sub(1));
            let (line, column) = match sources.get(file) {
                Some(s) => indexes[file].line_col_in(&s.text, d.site.span.start),
                None => (1, 1),
            };
            (
                file,
                JsonDiagnostic {
                    code: d.code.as_str(),
                    severity: d.severity().as_str(),
                    message: d.message.clone(),
                    file: sources
                        .get(file)
                        .map_or_else(String::new, |s| s.name.clone()),
                    line,
                    column,
                    node: d.node.clone(),
                    path: d.path.clone(),
                    choices: d.choices.clone(),
                    help: d.help.clone(),
                },
                d.clone(),
            )
        })
        .collect();
    out.sort_by(|a, b| {
        (a.0, a.1.line, a.1.column, a.1.code, a.2.rank, &a.1.message).cmp(&(
            b.0,
            b.1.line,
            b.1.column,
            b.1.code,
            b.2.rank,
            &b.1.message,
        ))
    });
    out.into_iter().map(|(_, j, d)| (j, d)).collect()
}

/// One diagnostic as miette sees it.
#[derive(Debug)]
struct Report {
    code: &'static str,
    severity: Severity,
    message: String,
    source: NamedSource<Arc<str>>,
    labels: Vec<LabeledSpan>,
    help: Option<String>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// How rendered reports look.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

impl Style {
    /// Colour only on a terminal and never with `NO_COLOR`; the terminal's width.
    pub fn for_stdout() -> Style {
        let tty = std::io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let width = terminal_width().unwrap_or(80);
        Style {
            color: tty && !no_color,
            width,
        }
    }
}

pub fn terminal_width() -> Option<usize> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&w| w >= 40)
}

fn span_of(text: &str, d: &Diagnostic) -> SourceSpan {
    let start = d.site.span.start.min(text.len());
    let end = d.site.span.end.clamp(start, text.len());
    SourceSpan::new(start.into(), end - start)
}

/// All diagnostics of one story, as one report whose related reports are the
/// diagnostics themselves.
#[derive(Debug)]
struct StoryReport {
    message: String,
    severity: Severity,
    related: Vec<Report>,
}

impl fmt::Display for StoryReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StoryReport {}

impl miette::Diagnostic for StoryReport {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

fn handler(style: Style) -> GraphicalReportHandler {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme).with_width(style.width)
}

/// Renders every diagnostic of a story (already sorted) as one report.
pub fn render_story(
    story: &std::path::Path,
    sources: &[Source],
    diags: &[&Diagnostic],
    style: Style,
) -> String {
    let name = crate::text::clean_path(story);
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let report = StoryReport {
        message: format!("{name}: {}", count_summary(errors, warnings)),
        severity: if errors > 0 {
            Severity::Error
        } else {
            Severity::Warning
        },
        related: diags.iter().map(|d| to_report(sources, d)).collect(),
    };
    let mut out = String::new();
    handler(style)
        .render_report(&mut out, &report)
        .expect("rendering into a String cannot fail");
    out
}

/// Renders one diagnostic as a miette graphical report.
pub fn render(sources: &[Source], d: &Diagnostic, style: Style) -> String {
    let mut out = String::new();
    handler(style)
        .render_report(&mut out, &to_report(sources, d))
        .expect("rendering into a String cannot fail");
    out
}

fn to_report(sources: &[Source], d: &Diagnostic) -> Report {
    let file = d.site.file.min(sources.len().saturating_sub(1));
    let (name, text): (&str, &str) = sources
        .get(file)
        .map_or(("", ""), |s| (s.name.as_str(), s.text.as_str()));
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        Some(clean(&d.label)),
        span_of(text, d),
    )];
    let mut help = Vec::new();
    if let Some(path) = &d.path {
        if path.is_empty() {
            help.push("reached at the very start, before any choice".to_string());
        } else {
            let mut s = String::from("reached by these choices from the start:");
            for (i, step) in path.iter().enumerate() {
                s.push_str(&format!("\n  {}. {step}", i + 1));
            }
            help.push(s);
        }
    }
    for note in &d.notes {
        if note.site.file == file {
            let start = note.site.span.start.min(text.len());
            let end = note.site.span.end.clamp(start, text.len());
            labels.push(LabeledSpan::new_with_span(
                Some(clean(&note.label)),
                SourceSpan::new(start.into(), end - start),
            ));
        } else if let Some(other) = sources.get(note.site.file) {
            let (line, col) =
                LineIndex::new(&other.text).line_col_in(&other.text, note.site.span.start);
            help.push(format!("{}: {}:{line}:{col}", note.label, other.name));
        }
    }
    if let Some(h) = &d.help {
        help.push(h.clone());
    }
    // Nothing from a story reaches the terminal as a control sequence; offsets stay valid.
    Report {
        code: d.code.as_str(),
        severity: d.severity(),
        message: clean(&d.message),
        source: NamedSource::new(
            crate::text::clean_path(std::path::Path::new(name)),
            Arc::from(neutralise_keeping_offsets(text)),
        ),
        labels,
        help: (!help.is_empty()).then(|| clean(&help.join("\n"))),
    }
}

/// Prints a story's static errors to standard error (for commands that need its IR).
pub fn eprint_errors(sources: &[Source], diags: &[Diagnostic]) {
    let style = Style {
        color: std::io::stderr().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        width: terminal_width().unwrap_or(80),
    };
    for (_, d) in resolve(sources, diags) {
        if d.is_error() {
            eprintln!("{}", render(sources, &d, style));
        }
    }
}

/// "2 errors, 1 warning"
pub fn count_summary(errors: usize, warnings: usize) -> String {
    fn n(k: usize, word: &str) -> String {
        format!("{k} {word}{}", if k == 1 { "" } else { "s" })
    }
    match (errors, warnings) {
        (0, 0) => "no problems".to_string(),
        (e, 0) => n(e, "error"),
        (0, w) => n(w, "warning"),
        (e, w) => format!("{}, {}", n(e, "error"), n(w, "warning")),
    }
}
