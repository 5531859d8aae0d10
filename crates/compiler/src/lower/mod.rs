//! The static phase: names, types, ranges and structure, checked while the AST is
//! lowered to the IR. Every static diagnostic of the story comes out of one run.

use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use threshold_runtime::ir;
use threshold_syntax::ast::{self, Span};
use threshold_syntax::{SyntaxError, SyntaxErrorKind};

use crate::diagnostic::{did_you_mean, Code, Diagnostic, LineIndex, Site};

mod decls;
mod exprs;
mod nodes;
mod paths;

use paths::{always_rated, has_note, passes_note};

/// One file of a story: its name as the user gave it, and its text.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: String,
}

/// Where the story's nodes, choices and variables were written.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    /// The header of each IR node.
    pub nodes: Vec<Site>,
    /// Each choice line, per IR node.
    pub choices: Vec<Vec<Site>>,
    /// Each variable's declaration.
    pub vars: Vec<Site>,
    /// The `title:` line (or the start of the first file).
    pub title: Site,
    /// Each check line, at its first column, in story order.
    pub checks: Vec<Site>,
    /// The first column of the `title:` line (or the start of the first file).
    pub title_line: Site,
}

/// The result of the static phase.
#[derive(Debug, Clone)]
pub struct Lowered {
    /// The IR, when the static phase found no error.
    pub story: Option<ir::Story>,
    pub map: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    /// For each variable: whether anything reads or writes it.
    pub used_vars: Vec<bool>,
    /// Nodes and choices as written (for the stats of a story that does not compile).
    pub node_count: usize,
    pub choice_count: usize,
    /// Per IR node: whether it has at least one `!` note; per choice likewise.
    pub node_has_note: Vec<bool>,
    pub choice_has_note: Vec<Vec<bool>>,
    /// Per choice: whether every syntactic path through its body passes a rated note
    /// before its divert.
    pub choice_always_rated: Vec<Vec<bool>>,
    /// Whether any note of the story is rated.
    pub rates_notes: bool,
    /// Per IR node: its id, and whether it is an outcome.
    pub node_ids: Vec<(String, bool)>,
    /// Per variable: its name, whether any expression reads it, and whether an effect
    /// changes it.
    pub var_names: Vec<String>,
    pub read_vars: Vec<bool>,
    pub written_vars: Vec<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Int,
    Bool,
}

impl Ty {
    fn describe(self) -> &'static str {
        match self {
            Ty::Int => "a number",
            Ty::Bool => "true or false",
        }
    }
}

struct VarInfo {
    index: u32,
    ty: Ty,
    shown: bool,
    lo: i64,
    hi: i64,
}

struct NodeInfo {
    index: u32,
    is_outcome: bool,
    rating: Option<ast::Rating>,
    has_choices: bool,
}

const KNOWN_KEYS: [&str; 6] = [
    "title",
    "author",
    "summary",
    "version",
    "start",
    "content_note",
];

/// A table of names in declaration order, hashed with a fast non-cryptographic hash
/// (the names come from the story, not from an adversary the checker must resist).
type Names<V> = IndexMap<String, V, FxBuildHasher>;

struct Lowerer {
    diags: Vec<Diagnostic>,
    file: usize,
    chars: Names<(u32, Site)>,
    vars: Names<(VarInfo, Site)>,
    nodes: Names<(NodeInfo, Site)>,
    used: Vec<bool>,
    read: Vec<bool>,
    written: Vec<bool>,
    in_outcome: bool,
    /// Lowering a choice's body: rated notes are allowed.
    in_choice: bool,
    /// Lowering a check: `at()` and `ended()` are allowed.
    in_check: bool,
    rates_notes: bool,
    lines: Vec<LineIndex>,
    /// Names whose declaration did not parse: not reported again when used.
    broken: Vec<String>,
}

/// Runs the static phase over the files of one story, in story order.
pub fn lower(sources: &[Source]) -> Lowered {
    let mut parsed: Vec<_> = sources
        .iter()
        .map(|s| threshold_syntax::parse(&s.text))
        .collect();
    let mut lw = Lowerer {
        diags: Vec::new(),
        file: 0,
        chars: Names::default(),
        vars: Names::default(),
        nodes: Names::default(),
        used: Vec::new(),
        read: Vec::new(),
        written: Vec::new(),
        in_outcome: false,
        in_choice: false,
        in_check: false,
        rates_notes: false,
        lines: sources.iter().map(|s| LineIndex::new(&s.text)).collect(),
        broken: Vec::new(),
    };
    for (file, p) in parsed.iter().enumerate() {
        lw.broken.extend(p.file.broken_names.iter().cloned());
        for e in &p.errors {
            lw.diags.push(syntax_diagnostic(file, e));
        }
    }

    // Declarations and metadata, across all files.
    let mut meta: IndexMap<&'static str, (String, Site, Site)> = IndexMap::new();
    let mut variables = Vec::new();
    let mut var_sites = Vec::new();
    let mut characters = Vec::new();
    for (file, p) in parsed.iter().enumerate() {
        lw.file = file;
        for d in &p.file.decls {
            match d {
                ast::Decl::Meta {
                    key,
                    value,
                    value_span,
                    ..
                } => lw.meta(key, value, *value_span, &mut meta),
                ast::Decl::Character { id, name, .. } => {
                    let site = lw.site(id.span);
                    if let Some((_, first)) = lw.chars.get(&id.name) {
                        let first = *first;
                        lw.duplicate("character", &id.name, site, first);
                        continue;
                    }
                    let index = characters.len() as u32;
                    lw.chars.insert(id.name.clone(), (index, site));
                    characters.push(ir::Character {
                        id: id.name.clone(),
                        name: name
                            .as_ref()
                            .map_or_else(|| id.name.clone(), |n| n.value.clone()),
                    });
                }
                ast::Decl::Variable {
                    shown,
                    name,
                    init,
                    label,
                    span: decl_span,
                } => {
                    let site = lw.site(name.span);
                    if let Some((_, first)) = lw.vars.get(&name.name) {
                        let first = *first;
                        lw.duplicate("variable", &name.name, site, first);
                        continue;
                    }
                    let (ty, irty, value, lo, hi) = match *init {
                        ast::Init::Bool { value, .. } => {
                            (Ty::Bool, ir::VarType::Bool, i64::from(value), 0, 1)
                        }
                        ast::Init::Int {
                            value,
                            value_span,
                            lo,
                            hi,
                            range_span,
                        } => {
                            let empty = lo > hi;
                            let (lo, hi) = if empty {
                                lw.diags.push(
                                    Diagnostic::new(
                                        Code::OutOfRange,
                                        lw.site(range_span),
                                        format!("the range {lo}..{hi} of `{}` is empty", name.name),
                                        "empty range",
                                    )
                                    .with_help(format!(
                                        "write the smaller bound first: `{hi}..{lo}`"
                                    )),
                                );
                                (lo, lo)
                            } else {
                                (lo, hi)
                            };
                            if !empty && (value < lo || value > hi) {
                                lw.diags.push(
                                    Diagnostic::new(
                                        Code::OutOfRange,
                                        lw.site(value_span),
                                        format!(
                                            "the initial value {value} of `{}` is outside its range {lo}..{hi}",
                                            name.name
                                        ),
                                        "outside the range",
                                    )
                                    .with_help(format!("choose a value from {lo} to {hi}, or widen the range")),
                                );
                            }
                            (
                                Ty::Int,
                                ir::VarType::Int { lo, hi },
                                value.clamp(lo, hi),
                                lo,
                                hi,
                            )
                        }
                    };
                    let index = variables.len() as u32;
                    lw.vars.insert(
                        name.name.clone(),
                        (
                            VarInfo {
                                index,
                                ty,
                                shown: *shown,
                                lo,
                                hi,
                            },
                            site,
                        ),
                    );
                    variables.push(ir::Variable {
                        name: name.name.clone(),
                        label: label.as_ref().map(|l| l.value.clone()),
                        shown: *shown,
                        ty: irty,
                        init: value,
                        at: lw.pos(name.span),
                    });
                    var_sites.push(lw.site(*decl_span));
                }
                // Checks are lowered once every node is known.
                ast::Decl::Check(_) => {}
            }
        }
    }
    lw.used = vec![false; variables.len()];
    lw.read = vec![false; variables.len()];
    lw.written = vec![false; variables.len()];

    // Node names, across all files.
    let mut node_count = 0;
    let mut choice_count = 0;
    let mut kept_count = 0u32;
    let mut kept: Vec<Vec<bool>> = Vec::new();
    for (file, p) in parsed.iter().enumerate() {
        lw.file = file;
        kept.push(vec![false; p.file.nodes.len()]);
        for (k, n) in p.file.nodes.iter().enumerate() {
            node_count += 1;
            choice_count += n.choices.len();
            if n.id.name.is_empty() {
                continue;
            }
            let site = lw.site(n.id.span);
            if let Some((_, first)) = lw.nodes.get(&n.id.name) {
                let first = *first;
                lw.duplicate("node", &n.id.name, site, first);
                continue;
            }
            let index = kept_count;
            kept_count += 1;
            kept[file][k] = true;
            lw.nodes.insert(
                n.id.name.clone(),
                (
                    NodeInfo {
                        index,
                        is_outcome: n.is_outcome(),
                        rating: match &n.kind {
                            ast::NodeKind::Outcome { rating, .. } => Some(*rating),
                            ast::NodeKind::Scene { .. } => None,
                        },
                        has_choices: !n.choices.is_empty(),
                    },
                    site,
                ),
            );
        }
    }

    // Title and start.
    let title_site = match meta.get("title") {
        Some((_, site, _)) => *site,
        None => {
            let site = Site {
                file: 0,
                span: Span::new(0, 0),
            };
            lw.diags.push(
                Diagnostic::new(
                    Code::MissingTitle,
                    site,
                    "the story has no title",
                    "no `title:` in this story",
                )
                .with_help("add a line like `title: The doorway request` before the first scene"),
            );
            site
        }
    };
    let start = match meta.get("start") {
        Some((value, _, value_site)) => match lw.nodes.get(value.as_str()) {
            Some((info, _)) if !info.is_outcome => Some(info.index),
            Some(_) => {
                lw.diags.push(
                    Diagnostic::new(
                        Code::UnknownTarget,
                        *value_site,
                        format!("`start` names the outcome `{value}`; a story starts in a scene"),
                        "an outcome",
                    )
                    .with_help("name a scene, or remove `start:` to begin at the first scene"),
                );
                None
            }
            None => {
                let scenes: Vec<&str> = lw
                    .nodes
                    .iter()
                    .filter(|(_, (i, _))| !i.is_outcome)
                    .map(|(k, _)| k.as_str())
                    .collect();
                let mut d = Diagnostic::new(
                    Code::UnknownTarget,
                    *value_site,
                    format!("`start` names `{value}`, but no scene has that name"),
                    "no such scene",
                );
                d = d.with_help(match did_you_mean(value, scenes) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "name one of the story's scenes, or remove `start:` to begin at the first scene"
                        .to_string(),
                });
                lw.diags.push(d);
                None
            }
        },
        None => {
            let first_scene = lw
                .nodes
                .values()
                .find(|(i, _)| !i.is_outcome)
                .map(|(i, _)| i.index);
            if first_scene.is_none() {
                lw.diags.push(
                    Diagnostic::new(
                        Code::UnknownTarget,
                        title_site,
                        "the story has no scene to start in",
                        "no scene in this story",
                    )
                    .with_help("add a scene, like `scene doorway`, with the story's opening lines"),
                );
            }
            first_scene
        }
    };

    // Bodies.
    let mut nodes = Vec::with_capacity(kept_count as usize);
    let mut map = SourceMap {
        vars: var_sites,
        title: title_site,
        nodes: Vec::with_capacity(kept_count as usize),
        choices: Vec::with_capacity(kept_count as usize),
        checks: Vec::new(),
        title_line: Site {
            file: title_site.file,
            span: {
                let text = &sources.get(title_site.file).map_or("", |s| s.text.as_str());
                let at = title_site.span.start.min(text.len());
                let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                Span::new(start, start)
            },
        },
    };
    let mut choice_always_rated = Vec::with_capacity(kept_count as usize);
    let mut node_ids = Vec::with_capacity(kept_count as usize);
    let mut node_has_note = Vec::with_capacity(kept_count as usize);
    let mut choice_has_note = Vec::with_capacity(kept_count as usize);
    // The bodies are lowered last: text moves from the AST into the IR.
    for (file, p) in parsed.iter_mut().enumerate() {
        lw.file = file;
        for (k, n) in p.file.nodes.iter_mut().enumerate() {
            let is_kept = kept[file][k];
            let lowered = lw.node(n);
            if is_kept {
                map.nodes.push(lw.site(n.header_span));
                map.choices
                    .push(n.choices.iter().map(|c| lw.site(c.span)).collect());
                node_has_note.push(has_note(&n.body));
                choice_has_note.push(n.choices.iter().map(|c| passes_note(&c.body)).collect());
                choice_always_rated.push(n.choices.iter().map(|c| always_rated(&c.body)).collect());
                node_ids.push((n.id.name.clone(), n.is_outcome()));
                nodes.push(lowered);
            }
        }
    }

    // Checks, across all files, once every node is known.
    let mut checks = Vec::new();
    lw.in_check = true;
    lw.in_outcome = true;
    for (file, p) in parsed.iter().enumerate() {
        lw.file = file;
        for d in &p.file.decls {
            if let ast::Decl::Check(c) = d {
                checks.push(lw.check(c, &sources[file].text));
                let line_start = sources[file].text[..c.span.start]
                    .rfind('\n')
                    .map_or(0, |i| i + 1);
                map.checks.push(lw.site(Span::new(line_start, line_start)));
            }
        }
    }
    lw.in_check = false;

    let has_errors = lw.diags.iter().any(Diagnostic::is_error);
    let story = match (has_errors, start) {
        (false, Some(start)) => Some(ir::Story {
            format: ir::FORMAT,
            title: meta.get("title").map(|m| m.0.clone()).unwrap_or_default(),
            author: meta.get("author").map(|m| m.0.clone()),
            summary: meta.get("summary").map(|m| m.0.clone()),
            version: meta.get("version").map(|m| m.0.clone()),
            content_note: meta.get("content_note").map(|m| m.0.clone()),
            start,
            files: sources.iter().map(|s| s.name.clone()).collect(),
            characters,
            variables: variables.clone(),
            nodes,
            checks,
        }),
        _ => None,
    };
    Lowered {
        story,
        map,
        diagnostics: lw.diags,
        used_vars: lw.used,
        node_count,
        choice_count,
        node_has_note,
        choice_has_note,
        choice_always_rated,
        rates_notes: lw.rates_notes,
        node_ids,
        var_names: variables.iter().map(|v| v.name.clone()).collect(),
        read_vars: lw.read,
        written_vars: lw.written,
    }
}

fn syntax_diagnostic(file: usize, e: &SyntaxError) -> Diagnostic {
    let code = match e.kind {
        SyntaxErrorKind::Syntax => Code::SyntaxError,
        SyntaxErrorKind::Misplaced => Code::MisplacedStatement,
    };
    let mut d = Diagnostic::new(
        code,
        Site { file, span: e.span },
        e.message.clone(),
        e.label.clone(),
    );
    d.help = e.help.clone();
    d
}

impl Lowerer {
    fn site(&self, span: Span) -> Site {
        Site {
            file: self.file,
            span,
        }
    }

    fn pos(&self, span: Span) -> ir::Pos {
        ir::Pos {
            file: self.file as u32,
            line: self.lines[self.file].line_col(span.start).0 as u32,
        }
    }
}
