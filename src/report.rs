//! The one place where diagnostics become output: miette reports for people and the
//! contract's JSON for machines. A story's files are made safe to show and indexed by
//! line once ([`Shown`]); every report shares them, and reads only the lines it shows.

use std::fmt;
use std::io::IsTerminal;
use std::sync::Arc;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};
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
    source: Shown,
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

/// One source file as the reports show it: its name and text made safe once (the
/// text byte for byte, so spans stay valid), with the start of every line. Clones
/// share it, so a story's thousand reports hold one copy of each file, not a thousand.
#[derive(Debug, Clone)]
pub struct Shown {
    name: Arc<str>,
    text: Arc<str>,
    /// Byte offset of the start of each line (after each `\n`).
    starts: Arc<[usize]>,
}

impl Shown {
    pub fn new(name: &str, text: &str) -> Shown {
        let text: Arc<str> = Arc::from(neutralise_keeping_offsets(text));
        let starts: Vec<usize> = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Shown {
            name: Arc::from(crate::text::clean_path(std::path::Path::new(name))),
            text,
            starts: starts.into(),
        }
    }

    /// Every file of a story, each made safe and indexed once.
    pub fn all(sources: &[Source]) -> Vec<Shown> {
        sources
            .iter()
            .map(|s| Shown::new(&s.name, &s.text))
            .collect()
    }

    /// The line (from 0) holding byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset) - 1
    }

    /// The line and column (from 1) of `offset` in `text`, the original of this file,
    /// counted as [`LineIndex::line_col_in`] counts them.
    fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.line_of(offset);
        let mut at = offset;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let prefix = &text[self.starts[line].min(at)..at];
        let prefix = prefix.strip_prefix('\u{feff}').unwrap_or(prefix);
        (line + 1, prefix.chars().count() + 1)
    }

    /// The start of line `line`, or the end of the text past the last line.
    fn start_of(&self, line: usize) -> usize {
        self.starts.get(line).copied().unwrap_or(self.text.len())
    }
}

/// miette reads a span with its context lines by scanning the text from its start;
/// here it scans only a window of the lines around the span (a line more on each side
/// than it asks for), and the line numbers are shifted back to the whole file's.
impl SourceCode for Shown {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let start = span.offset();
        let end = start.saturating_add(span.len());
        let first = self
            .line_of(start)
            .saturating_sub(context_lines_before.saturating_add(1));
        let last = self.line_of(end.saturating_sub(1).max(start));
        let from = self.start_of(first);
        let to = self.start_of(last.saturating_add(context_lines_after).saturating_add(2));
        let window = &self.text[from..to];
        // `from` is at or before `start`: it starts the line before the span's.
        let inner = SourceSpan::new((start - from).into(), span.len());
        let got = window.read_span(&inner, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_string(),
            got.data(),
            SourceSpan::new((got.span().offset() + from).into(), got.span().len()),
            got.line() + first,
            got.column(),
            got.line_count() + first,
        )))
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
    let mut out = String::new();
    handler(style)
        .render_report(&mut out, &story_report(&name, sources, diags))
        .expect("rendering into a String cannot fail");
    out
}

/// A story's report (`name` already made safe): each file made safe once, and shared
/// by every diagnostic's report.
fn story_report(name: &str, sources: &[Source], diags: &[&Diagnostic]) -> StoryReport {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let shown = Shown::all(sources);
    StoryReport {
        message: format!("{name}: {}", count_summary(errors, warnings)),
        severity: if errors > 0 {
            Severity::Error
        } else {
            Severity::Warning
        },
        related: diags
            .iter()
            .map(|d| to_report(sources, &shown, d))
            .collect(),
    }
}

/// Renders one diagnostic as a miette graphical report; `shown` is [`Shown::all`] of
/// `sources`, made once for all of a story's diagnostics.
pub fn render(sources: &[Source], shown: &[Shown], d: &Diagnostic, style: Style) -> String {
    let mut out = String::new();
    handler(style)
        .render_report(&mut out, &to_report(sources, shown, d))
        .expect("rendering into a String cannot fail");
    out
}

fn to_report(sources: &[Source], shown: &[Shown], d: &Diagnostic) -> Report {
    let file = d.site.file.min(sources.len().saturating_sub(1));
    let text: &str = sources.get(file).map_or("", |s| s.text.as_str());
    let source = shown
        .get(file)
        .cloned()
        .unwrap_or_else(|| Shown::new("", ""));
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
        } else if let (Some(other), Some(at)) =
            (sources.get(note.site.file), shown.get(note.site.file))
        {
            let (line, col) = at.line_col(&other.text, note.site.span.start);
            help.push(format!("{}: {}:{line}:{col}", note.label, at.name));
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
        source,
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
    let shown = Shown::all(sources);
    for (_, d) in resolve(sources, diags) {
        if d.is_error() {
            eprintln!("{}", render(sources, &shown, &d, style));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A story of `n` scenes, each with a line of padding and a line after a divert
    /// (an `unreachable-line` warning each).
    fn many_warnings(n: usize) -> Vec<Source> {
        let mut text = String::from("title: Many\n");
        for i in 0..n {
            let next = if i + 1 < n {
                format!("s{}", i + 1)
            } else {
                "fin".into()
            };
            text.push_str(&format!(
                "scene s{i}\nThe clock ticks while you wait.\n* Go on.\n  -> {next}\n  Never runs.\n"
            ));
        }
        text.push_str("outcome fin good \"End\"\n");
        vec![Source {
            name: "many.scene".into(),
            text,
        }]
    }

    fn sorted(sources: &[Source]) -> Vec<Diagnostic> {
        let checked =
            threshold_compiler::check(sources, threshold_compiler::CheckOptions::default());
        resolve(sources, &checked.diagnostics)
            .into_iter()
            .map(|(_, d)| d)
            .collect()
    }

    const PLAIN: Style = Style {
        color: false,
        width: 80,
    };

    #[test]
    fn every_report_of_a_story_shares_one_copy_of_its_file() {
        let sources = many_warnings(2_000);
        let diags = sorted(&sources);
        assert_eq!(diags.len(), 2_000);
        let refs: Vec<&Diagnostic> = diags.iter().collect();
        let report = story_report("many.scene", &sources, &refs);
        let first = &report.related[0].source;
        for r in &report.related {
            assert!(Arc::ptr_eq(&r.source.text, &first.text));
            assert!(Arc::ptr_eq(&r.source.starts, &first.starts));
        }
        // The story's `Shown` is gone: the reports hold the only references.
        assert_eq!(Arc::strong_count(&first.text), report.related.len());
        let mut out = String::new();
        handler(PLAIN).render_report(&mut out, &report).unwrap();
        assert_eq!(out.matches("unreachable-line").count(), 2_000);
        assert!(
            out.contains("[many.scene:10001:3]"),
            "the last line numbers are the file's"
        );
    }

    #[test]
    fn reading_a_window_shows_what_reading_the_whole_file_shows() {
        let text = "title: T\r\n\nscene a\n\u{1b}x é\n\n* Go.\n  -> b\n  Dead.\nend\n\n";
        let shown = Shown::new("f", text);
        let whole = shown.text.to_string();
        for start in 0..=whole.len() {
            for len in [0, 1, 3, 9, 40] {
                let span = SourceSpan::new(start.into(), len);
                for (before, after) in [(0, 0), (1, 1), (2, 3), (5, 0)] {
                    let a = shown.read_span(&span, before, after);
                    let b = whole.read_span(&span, before, after);
                    match (a, b) {
                        (Ok(a), Ok(b)) => {
                            let at = format!("{start}+{len} ({before}, {after})");
                            assert_eq!(a.data(), b.data(), "{at}");
                            assert_eq!(a.span(), b.span(), "{at}");
                            assert_eq!(a.line(), b.line(), "{at}");
                            assert_eq!(a.column(), b.column(), "{at}");
                            assert_eq!(a.line_count(), b.line_count(), "{at}");
                            assert_eq!(a.name(), Some("f"));
                        }
                        (Err(_), Err(_)) => {}
                        (a, b) => panic!("{start}+{len}: {:?} / {:?}", a.is_ok(), b.is_ok()),
                    }
                }
            }
        }
    }

    #[test]
    fn reports_render_as_from_the_whole_file() {
        let sources = many_warnings(40);
        let shown = Shown::all(&sources);
        for d in sorted(&sources) {
            let windowed = render(&sources, &shown, &d, PLAIN);
            let whole = to_report(&sources, &shown, &d);
            let full = miette::NamedSource::new("many.scene", sources[0].text.clone());
            let mut out = String::new();
            let plain = WholeFile {
                report: &whole,
                source: full,
            };
            handler(PLAIN).render_report(&mut out, &plain).unwrap();
            assert_eq!(windowed, out);
        }
    }

    /// A report read through miette's own reading of the whole file.
    #[derive(Debug)]
    struct WholeFile<'a> {
        report: &'a Report,
        source: miette::NamedSource<String>,
    }

    impl fmt::Display for WholeFile<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.report.fmt(f)
        }
    }

    impl std::error::Error for WholeFile<'_> {}

    impl miette::Diagnostic for WholeFile<'_> {
        fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
            miette::Diagnostic::code(self.report)
        }
        fn severity(&self) -> Option<miette::Severity> {
            miette::Diagnostic::severity(self.report)
        }
        fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
            miette::Diagnostic::help(self.report)
        }
        fn source_code(&self) -> Option<&dyn miette::SourceCode> {
            Some(&self.source)
        }
        fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
            miette::Diagnostic::labels(self.report)
        }
    }

    #[test]
    fn notes_in_other_files_give_the_files_line_and_column() {
        let shown = Shown::new("a", "ab\n\u{feff}cd\né");
        assert_eq!(shown.line_col("ab\n\u{feff}cd\né", 7), (2, 2));
        assert_eq!(shown.line_col("ab\n\u{feff}cd\né", 9), (3, 1));
    }
}
