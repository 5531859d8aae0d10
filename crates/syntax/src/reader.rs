//! Reads a file line by line: classifies each line, parses it with its grammar rule,
//! and assembles nodes, choices and `{if}` blocks with an explicit stack.

use crate::ast::*;
use crate::build::{self, Ctx};
use crate::errors::SyntaxError;
use crate::parser::Rule;
use crate::Parsed;

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

/// A block being filled: the base block of a node or a choice, or an open `{if}`.
enum Frame {
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
    fn stmts(&mut self) -> &mut Vec<Stmt> {
        match self {
            Frame::Base(s) => s,
            Frame::If { body, .. } => body,
        }
    }
}

struct NodeBuilder {
    node: Node,
    frames: Vec<Frame>,
    /// The choice whose body is being filled, if any.
    choice: Option<Choice>,
    /// Inside a choice that stands in an outcome: its lines are not read.
    skipping: bool,
    /// `{if}` lines past [`MAX_IF_DEPTH`] not yet closed.
    overflow: usize,
}

/// One classified line, trimmed: where it starts and its text.
#[derive(Clone, Copy)]
struct Line<'s> {
    text: &'s str,
    start: usize,
}

impl<'s> Line<'s> {
    fn span(&self) -> Span {
        Span::new(self.start, self.start + self.text.len())
    }

    /// The part after the first `n` bytes (or nothing, past the end), trimmed, with
    /// its offset.
    fn after(&self, n: usize) -> Line<'s> {
        let n = n.min(self.text.len());
        let rest = &self.text[n..];
        let trimmed = rest.trim_start();
        Line {
            text: trimmed,
            start: self.start + n + (rest.len() - trimmed.len()),
        }
    }

    /// The line without its end-of-line comment.
    fn without_comment(&self) -> Line<'s> {
        Line {
            text: strip_comment(self.text),
            start: self.start,
        }
    }
}

/// Cuts a `//` comment that follows a blank and stands outside quotes.
pub(crate) fn strip_comment(s: &str) -> &str {
    let bytes = s.as_bytes();
    let mut in_quote = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_quote => i += 1,
            b'"' => in_quote = !in_quote,
            b'/' if !in_quote
                && bytes.get(i + 1) == Some(&b'/')
                && i > 0
                && matches!(bytes[i - 1], b' ' | b'\t') =>
            {
                return s[..i].trim_end();
            }
            _ => {}
        }
        i += 1;
    }
    s
}

/// How many lines look like node headers: room to reserve for the nodes.
fn count_headers(src: &str) -> usize {
    src.lines()
        .filter(|l| {
            let t = l.trim_start();
            starts_with_word(t, "scene") || starts_with_word(t, "outcome")
        })
        .count()
}

fn starts_with_word(s: &str, word: &str) -> bool {
    s.strip_prefix(word)
        .is_some_and(|rest| rest.starts_with([' ', '\t']))
}

fn sigil(s: &str, sigil: &str) -> bool {
    s.strip_prefix(sigil)
        .is_some_and(|rest| rest.starts_with([' ', '\t']))
}

/// The length of a leading `IDENT:` followed by a blank or the end, if any.
fn dialogue_prefix(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    if !bytes
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
    {
        return None;
    }
    let n = bytes
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    if bytes.get(n) != Some(&b':') {
        return None;
    }
    match bytes.get(n + 1) {
        None | Some(b' ') | Some(b'\t') => Some(n),
        _ => None,
    }
}

/// Which block marker a comment-stripped line is, if it is exactly one.
fn block_marker(s: &str) -> Option<&'static str> {
    let inner = s.strip_prefix('{')?.strip_suffix('}')?;
    if inner.contains(['{', '}']) {
        return None;
    }
    let inner = inner.trim();
    if inner == "else" {
        return Some("else");
    }
    if inner == "end" {
        return Some("end");
    }
    for kw in ["if", "elif"] {
        if let Some(rest) = inner.strip_prefix(kw) {
            if rest.is_empty() || rest.starts_with([' ', '\t', '(']) {
                return Some(kw);
            }
        }
    }
    None
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

    // ------------------------------------------------------------------ preamble

    fn preamble_line(&mut self, line: Line<'s>) {
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

    // ------------------------------------------------------------------ headers

    fn header(&mut self, line: Line<'s>) {
        self.finish_node();
        let l = line.without_comment();
        // Decided on the whole line: `scene // note` is a scene header without its
        // name, and the comment leaves only `scene`.
        let is_scene = starts_with_word(line.text, "scene");
        let rule = if is_scene {
            Rule::scene_line
        } else {
            Rule::outcome_line
        };
        let mut broken = false;
        let (id, kind) = match crate::fast::header(l.text, l.start) {
            Some(read) => read,
            None => match build::parse_rule(rule, l.text, l.start) {
                Ok(pair) => {
                    let mut ctx = Ctx {
                        off: l.start,
                        errors: &mut self.errors,
                    };
                    if is_scene {
                        build::build_scene_line(pair, &mut ctx)
                    } else {
                        build::build_outcome_line(pair, &mut ctx)
                    }
                }
                Err(mut err) => {
                    if !is_scene {
                        err.help.get_or_insert_with(|| {
                        "an outcome header is `outcome ID RATING \"Title\"`, with RATING `good`, `mixed` or `bad`"
                            .into()
                    });
                    } else {
                        err.help.get_or_insert_with(|| {
                            "a scene header is `scene ID` or `scene ID \"Title\"`; \
                         prose that starts with \"scene\" needs a leading `\\`"
                                .into()
                        });
                    }
                    self.errors.push(err);
                    broken = true;
                    // Keep reading the body under a placeholder so its lines are still checked.
                    let word = l.after(if is_scene { 5 } else { 7 });
                    let name: String = word
                        .text
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    let id = Ident {
                        span: Span::new(word.start, word.start + name.len()),
                        name,
                    };
                    let kind = if is_scene {
                        NodeKind::Scene { title: None }
                    } else {
                        NodeKind::Outcome {
                            rating: Rating::Mixed,
                            title: StrLit {
                                value: String::new(),
                                span: l.span(),
                            },
                        }
                    };
                    (id, kind)
                }
            },
        };
        self.node = Some(NodeBuilder {
            node: Node {
                id,
                kind,
                header_span: l.span(),
                body: Vec::new(),
                choices: Vec::new(),
                broken,
            },
            frames: vec![Frame::Base(Vec::new())],
            choice: None,
            skipping: false,
            overflow: 0,
        });
    }

    fn finish_node(&mut self) {
        let Some(mut nb) = self.node.take() else {
            return;
        };
        self.close_ifs(&mut nb, true);
        let block = nb.take_base();
        if let Some(mut choice) = nb.choice.take() {
            choice.body = block;
            nb.node.choices.push(choice);
        } else {
            nb.node.body = block;
        }
        self.file.nodes.push(nb.node);
    }

    /// Closes every open `{if}` of the current block. At a header or the end of the
    /// file each one is an error; at a choice line the caller reports one error.
    fn close_ifs(&mut self, nb: &mut NodeBuilder, report: bool) {
        nb.overflow = 0;
        while nb.frames.len() > 1 {
            let open_span = match nb.frames.last() {
                Some(Frame::If { open_span, .. }) => *open_span,
                _ => unreachable!("only the bottom frame is a base"),
            };
            if report {
                self.errors.push(
                    SyntaxError::syntax(open_span, "this `{if}` is never closed", "opened here")
                        .with_help("add `{end}` where the conditional block ends"),
                );
            }
            nb.pop_if();
        }
    }

    // ------------------------------------------------------------------ bodies

    fn body_line(&mut self, line: Line<'s>) {
        let mut nb = self.node.take().expect("a body line belongs to a node");
        self.body_line_in(&mut nb, line);
        self.node = Some(nb);
    }

    fn body_line_in(&mut self, nb: &mut NodeBuilder, line: Line<'s>) {
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

    fn marker(&mut self, nb: &mut NodeBuilder, marker: &str, l: Line<'s>) {
        let span = l.span();
        match marker {
            "if" | "elif" => {
                let rule = if marker == "if" {
                    Rule::if_line
                } else {
                    Rule::elif_line
                };
                let cond = match crate::fast::braced(l.text, l.start, Some(marker)) {
                    Some(cond) => cond,
                    None => match build::parse_rule(rule, l.text, l.start) {
                        Ok(pair) => {
                            let mut ctx = Ctx {
                                off: l.start,
                                errors: &mut self.errors,
                            };
                            build::build_condition_line(pair, &mut ctx)
                        }
                        Err(err) => {
                            self.errors.push(err.with_help_if_none(format!(
                                "a condition looks like `{{{marker} trust >= 3}}`"
                            )));
                            Expr {
                                kind: ExprKind::Bool(true),
                                span,
                            }
                        }
                    },
                };
                if marker == "if" {
                    self.open_if(nb, cond, span);
                } else {
                    self.next_branch(nb, Some(cond), span);
                }
            }
            "else" => self.next_branch(nb, None, span),
            _ => self.end(nb, span),
        }
    }

    fn open_if(&mut self, nb: &mut NodeBuilder, cond: Expr, span: Span) {
        if nb.overflow > 0 || nb.frames.len() > MAX_IF_DEPTH {
            if nb.overflow == 0 {
                self.errors.push(
                    SyntaxError::syntax(
                        span,
                        format!(
                            "`{{if}}` blocks nested too deep (more than {MAX_IF_DEPTH} levels)"
                        ),
                        "nesting too deep",
                    )
                    .with_help("split the scene into several scenes joined by diverts"),
                );
            }
            nb.overflow += 1;
            return;
        }
        nb.frames.push(Frame::If {
            open_span: span,
            done: Vec::new(),
            cond_span: span,
            cond,
            else_span: None,
            body: Vec::new(),
        });
    }

    /// `{elif E}` (with its condition) or `{else}` (without): closes the open branch
    /// and starts the next one.
    fn next_branch(&mut self, nb: &mut NodeBuilder, next: Option<Expr>, span: Span) {
        if nb.overflow > 0 {
            return;
        }
        let marker = if next.is_some() { "elif" } else { "else" };
        match nb.frames.last_mut() {
            Some(Frame::If {
                done,
                cond,
                cond_span,
                else_span: else_span @ None,
                body,
                ..
            }) => {
                let body = std::mem::take(body);
                match next {
                    Some(next) => done.push(Branch {
                        cond: std::mem::replace(cond, next),
                        body,
                        span: std::mem::replace(cond_span, span),
                    }),
                    None => {
                        done.push(Branch {
                            cond: cond.clone(),
                            body,
                            span: *cond_span,
                        });
                        *else_span = Some(span);
                    }
                }
            }
            Some(Frame::If {
                else_span: Some(_), ..
            }) => self.errors.push(if marker == "elif" {
                SyntaxError::misplaced(span, "`{elif}` after `{else}`", "after the `{else}`")
                    .with_help("move this branch above the `{else}`")
            } else {
                SyntaxError::misplaced(span, "a second `{else}` in one block", "second `{else}`")
                    .with_help("a conditional block has at most one `{else}`")
            }),
            _ => self.errors.push(stray(span, marker)),
        }
    }

    fn end(&mut self, nb: &mut NodeBuilder, span: Span) {
        if nb.overflow > 0 {
            nb.overflow -= 1;
            return;
        }
        if nb.frames.len() > 1 {
            nb.pop_if_ending(span);
        } else {
            self.errors.push(stray(span, "end"));
        }
    }

    fn choice(&mut self, nb: &mut NodeBuilder, line: Line<'s>) {
        let span = line.span();
        let sticky = line.text.starts_with('+');
        if nb.node.is_outcome() {
            if nb.frames.len() > 1 {
                self.close_ifs(nb, false);
            }
            self.errors.push(
                SyntaxError::misplaced(
                    span,
                    "an outcome cannot offer choices",
                    "choice in an outcome",
                )
                .with_help("an outcome ends the story; move the choice into a scene"),
            );
            nb.skipping = true;
            return;
        }
        if nb.frames.len() > 1 || nb.overflow > 0 {
            self.close_ifs(nb, false);
            self.errors.push(
                SyntaxError::misplaced(span, "a choice cannot stand inside `{if}`", "inside an open `{if}`")
                    .with_help("give the choice a guard instead: `* {trust >= 3} text`; the open `{if}` ends here"),
            );
        }
        let block = nb.take_base();
        if let Some(mut prev) = nb.choice.take() {
            prev.body = block;
            nb.node.choices.push(prev);
        } else {
            nb.node.body = block;
        }
        let rest = line.after(1);
        let (guard, text_line) = if rest.text.starts_with('{') {
            match rest.text.find('}') {
                Some(close) => {
                    let guard_src = &rest.text[..=close];
                    let guard = match crate::fast::braced(guard_src, rest.start, None) {
                        Some(guard) => Some(guard),
                        None => match build::parse_rule(Rule::guard, guard_src, rest.start) {
                            Ok(pair) => {
                                let mut ctx = Ctx {
                                    off: rest.start,
                                    errors: &mut self.errors,
                                };
                                Some(build::build_condition_line(pair, &mut ctx))
                            }
                            Err(err) => {
                                self.errors.push(err.with_help_if_none(
                                "a guard is a condition in braces right after the sigil: `* {trust >= 3} text`",
                            ));
                                None
                            }
                        },
                    };
                    (guard, rest.after(close + 1))
                }
                None => {
                    self.errors.push(
                        SyntaxError::syntax(
                            Span::new(rest.start, rest.start + 1),
                            "this guard is never closed",
                            "unclosed `{`",
                        )
                        .with_help("a guard looks like `* {trust >= 3} text`"),
                    );
                    (
                        None,
                        Line {
                            text: "",
                            start: rest.start + rest.text.len(),
                        },
                    )
                }
            }
        } else {
            (None, rest)
        };
        if text_line.text.is_empty() && guard.is_some() {
            self.errors.push(
                SyntaxError::syntax(
                    Span::new(text_line.start, text_line.start),
                    "this choice has no text",
                    "text expected here",
                )
                .with_help("write what the trainee says or does after the guard: `* {trust >= 3} Ask again.`"),
            );
        }
        let text = build::build_text(text_line.text, text_line.start, &mut self.errors);
        nb.choice = Some(Choice {
            sticky,
            guard,
            text,
            body: Vec::new(),
            span,
        });
    }
}

/// A rated note's prefix: a rating word in lower case, a colon and a blank, with text
/// after it. Returns the rating and the prefix's length in bytes.
fn rated_prefix(t: &str) -> Option<(Rating, usize)> {
    let (rating, word) = [
        (Rating::Good, "good"),
        (Rating::Mixed, "mixed"),
        (Rating::Bad, "bad"),
    ]
    .into_iter()
    .find(|(_, w)| t.starts_with(w))?;
    let rest = t[word.len()..].strip_prefix(':')?;
    if !rest.starts_with([' ', '\t']) || rest.trim().is_empty() {
        return None;
    }
    Some((rating, word.len() + 1))
}

fn is_metadata(t: &str) -> bool {
    let bytes = t.as_bytes();
    if !bytes
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
    {
        return false;
    }
    let n = bytes
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_' || **b == b'-')
        .count();
    bytes.get(n) == Some(&b':')
}

fn stray(span: Span, marker: &str) -> SyntaxError {
    SyntaxError::misplaced(
        span,
        format!("`{{{marker}}}` without an open `{{if}}`"),
        format!("stray `{{{marker}}}`"),
    )
    .with_help("remove it, or add the `{if …}` it belongs to above it")
}

impl SyntaxError {
    fn with_help_if_none(mut self, help: impl Into<String>) -> Self {
        if self.help.is_none() {
            self.help = Some(help.into());
        }
        self
    }
}

impl NodeBuilder {
    fn push(&mut self, stmt: Stmt) {
        self.frames
            .last_mut()
            .expect("a node always has its base frame")
            .stmts()
            .push(stmt);
    }

    /// Takes the base block, leaving a fresh one. Callers close open `{if}`s first.
    fn take_base(&mut self) -> Vec<Stmt> {
        debug_assert_eq!(self.frames.len(), 1);
        std::mem::take(self.frames[0].stmts())
    }

    fn pop_if(&mut self) {
        let end = self.frames.last().map_or(Span::default(), |f| match f {
            Frame::If {
                body, cond_span, ..
            } => body.last().map_or(*cond_span, Stmt::span),
            Frame::Base(_) => Span::default(),
        });
        self.pop_if_ending(end);
    }

    fn pop_if_ending(&mut self, end_span: Span) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn body(src: &str) -> (Vec<Stmt>, Vec<Choice>, Vec<SyntaxError>) {
        let p = crate::parse(&format!("title: T\nscene a\n{src}"));
        let node = p.file.nodes.into_iter().next().expect("one node");
        (node.body, node.choices, p.errors)
    }

    fn narration(s: &Stmt) -> String {
        match s {
            Stmt::Narration { text, .. } => text
                .parts
                .iter()
                .map(|p| match p {
                    TextPart::Lit(l) => l.clone(),
                    TextPart::Interp(_) => "{}".into(),
                })
                .collect(),
            other => panic!("not narration: {other:?}"),
        }
    }

    #[test]
    fn comments_are_cut_only_after_a_blank_and_outside_quotes() {
        assert_eq!(strip_comment("-> a // go"), "-> a");
        assert_eq!(
            strip_comment("title: https://x.org"),
            "title: https://x.org"
        );
        assert_eq!(
            strip_comment(r#"scene a "A // B" // c"#),
            r#"scene a "A // B""#
        );
        assert_eq!(strip_comment("a//b"), "a//b");
    }

    #[test]
    fn lines_that_look_structural_but_are_narration() {
        let (stmts, choices, errors) =
            body("*sighs*\n+1 for honesty\nhttps://x.org\n{trust} points\n\\* star\n\\Later: gone\n-> b\n");
        assert!(choices.is_empty());
        let texts: Vec<String> = stmts[..6].iter().map(narration).collect();
        assert_eq!(
            texts,
            [
                "*sighs*",
                "+1 for honesty",
                "https://x.org",
                "{} points",
                "* star",
                "Later: gone"
            ]
        );
        // `{trust}` is an interpolation; only unknown names fail, later, in the compiler.
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn dialogue_needs_a_blank_after_the_colon() {
        assert_eq!(dialogue_prefix("patient: hi"), Some(7));
        assert_eq!(dialogue_prefix("patient:"), Some(7));
        assert_eq!(dialogue_prefix("https://x"), None);
        assert_eq!(dialogue_prefix("9lives: x"), None);
    }

    #[test]
    fn block_markers_are_whole_lines() {
        assert_eq!(block_marker("{if x > 1}"), Some("if"));
        assert_eq!(block_marker("{ elif x }"), Some("elif"));
        assert_eq!(block_marker("{else}"), Some("else"));
        assert_eq!(block_marker("{end}"), Some("end"));
        assert_eq!(block_marker("{iffy}"), None);
        assert_eq!(block_marker("{if a} {b}"), None);
        assert_eq!(block_marker("{trust}"), None);
    }

    #[test]
    fn a_choice_owns_the_lines_after_it() {
        let (stmts, choices, errors) =
            body("Opening.\n* {x > 1} First.\n  ~ x += 1\n  -> b\n+ Second.\n  -> a\n");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(stmts.len(), 1);
        assert_eq!(choices.len(), 2);
        assert!(choices[0].guard.is_some() && !choices[0].sticky);
        assert_eq!(choices[0].body.len(), 2);
        assert!(choices[1].sticky && choices[1].guard.is_none());
    }

    #[test]
    fn conditional_blocks_nest() {
        let (stmts, _, errors) =
            body("{if a}\n{if b}\nx\n{else}\ny\n{end}\n{elif c}\nz\n{end}\n-> a\n");
        assert!(errors.is_empty(), "{errors:?}");
        match &stmts[0] {
            Stmt::If {
                branches,
                else_body,
                ..
            } => {
                assert_eq!(branches.len(), 2);
                assert!(else_body.is_none());
                assert!(matches!(
                    &branches[0].body[0],
                    Stmt::If {
                        else_body: Some(_),
                        ..
                    }
                ));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let n = 10_000;
        let src = format!(
            "{}x\n{}-> a\n",
            "{if true}\n".repeat(n),
            "{end}\n".repeat(n)
        );
        let (_, _, errors) = body(&src);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].message.contains("nested too deep"));
    }

    #[test]
    fn errors_on_several_lines_are_all_reported() {
        let (_, _, errors) = body("~ x +\n-> 1a\n{if (}\n{end}\n* {x Go\n  -> a\n");
        let lines: Vec<usize> = errors.iter().map(|e| e.span.start).collect();
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(lines.windows(2).all(|w| w[0] < w[1]));
    }
}
