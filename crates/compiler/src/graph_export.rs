//! The story map: scenes and outcomes as nodes, choices and diverts as edges, written
//! as Graphviz DOT or as a Mermaid flowchart. Also the printer that writes IR
//! expressions back as scene-language text. No IO.

use std::fmt::Write as _;

use threshold_runtime::get_bit;
use threshold_runtime::ir::{BinOp, Expr, Rating, Stmt, Story};

use crate::explore::Graph;

/// Choice texts longer than this are shortened on the map.
pub const LABEL_CHARS: usize = 48;
/// Labels are wrapped at about this many characters per line in DOT output.
const WRAP: usize = 28;

// ---------------------------------------------------------------------------
// Expressions back to source text.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    Bool,
    Int,
    Unknown,
}

/// Binding strength, loosest first, as in the language: `or` < `and` < `not` <
/// comparisons < `+ -` < unary `-` < atoms.
fn prec(e: &Expr) -> u8 {
    match e {
        Expr::Bin(BinOp::Or, ..) => 1,
        Expr::Bin(BinOp::And, ..) => 2,
        Expr::Not(_) => 3,
        Expr::Bin(BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge, ..) => 4,
        Expr::Bin(BinOp::Add | BinOp::Sub, ..) => 5,
        Expr::Neg(_) => 6,
        Expr::Const(c) if *c < 0 => 6,
        Expr::Const(_) | Expr::Var(_) | Expr::Seen(_) | Expr::At(_) => 7,
    }
}

/// Whether `e` is certainly a true/false value (constants say nothing on their own).
fn is_bool(story: &Story, e: &Expr) -> bool {
    match e {
        Expr::Var(v) => story.variables[*v as usize].is_bool(),
        Expr::Seen(_) | Expr::At(_) | Expr::Not(_) => true,
        Expr::Bin(op, ..) => !matches!(op, BinOp::Add | BinOp::Sub),
        Expr::Const(_) | Expr::Neg(_) => false,
    }
}

/// Writes an expression as the scene language would: `trust >= 6 and not seen(door)`.
/// Guards and conditions are true/false values, so constants at the top print as
/// `true` / `false`.
pub fn expr_text(story: &Story, e: &Expr) -> String {
    let mut s = String::new();
    write_expr(story, e, Want::Bool, &mut s);
    s
}

fn write_expr(story: &Story, e: &Expr, want: Want, out: &mut String) {
    match e {
        Expr::Const(c) => {
            if want == Want::Bool && (*c == 0 || *c == 1) {
                out.push_str(if *c == 1 { "true" } else { "false" });
            } else {
                let _ = write!(out, "{c}");
            }
        }
        Expr::Var(v) => out.push_str(&story.variables[*v as usize].name),
        Expr::Seen(n) => {
            let _ = write!(out, "seen({})", story.nodes[*n as usize].id);
        }
        Expr::At(n) => {
            let _ = write!(out, "at({})", story.nodes[*n as usize].id);
        }
        Expr::Not(x) => {
            out.push_str("not ");
            operand(story, x, Want::Bool, prec(x) < 3, out);
        }
        Expr::Neg(x) => {
            out.push('-');
            // `- -3` and `-(a + b)` need the space or the parentheses.
            operand(story, x, Want::Int, prec(x) < 7, out);
        }
        Expr::Bin(op, a, b) => {
            let p = prec(e);
            let (wa, wb) = match op {
                BinOp::Or | BinOp::And => (Want::Bool, Want::Bool),
                BinOp::Eq | BinOp::Ne => {
                    let w = if is_bool(story, a) || is_bool(story, b) {
                        Want::Bool
                    } else {
                        Want::Unknown
                    };
                    (w, w)
                }
                _ => (Want::Int, Want::Int),
            };
            // Comparisons do not chain, so a comparison inside a comparison needs
            // parentheses on either side; otherwise operators group to the left.
            let left_parens = if p == 4 { prec(a) <= 4 } else { prec(a) < p };
            operand(story, a, wa, left_parens, out);
            let _ = write!(out, " {} ", op.as_str());
            operand(story, b, wb, prec(b) <= p, out);
        }
    }
}

fn operand(story: &Story, e: &Expr, want: Want, parens: bool, out: &mut String) {
    if parens {
        out.push('(');
        write_expr(story, e, want, out);
        out.push(')');
    } else {
        write_expr(story, e, want, out);
    }
}

// ---------------------------------------------------------------------------
// The map.

/// Which way an edge leaves its node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EdgeKind {
    /// Choice `index` (in source order) of the scene.
    Choice {
        index: usize,
        text: String,
        guard: Option<String>,
        sticky: bool,
        /// Offered in some reachable state (true when that is not known).
        offered: bool,
    },
    /// A divert in the node's own body, taken without a choice.
    Divert,
}

/// One edge of the map: a choice or a divert, with the conditions (`if` / `elif` /
/// `else` branches) on the way to the divert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from: u32,
    pub to: u32,
    pub kind: EdgeKind,
    pub when: Vec<String>,
}

/// What the map shows about a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapNode {
    pub id: String,
    pub title: Option<String>,
    pub rating: Option<Rating>,
    /// `None` when the exploration stopped at its limit and nothing is known.
    pub reached: Option<bool>,
    pub start: bool,
}

/// The story as a graph of nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryMap {
    pub title: String,
    pub nodes: Vec<MapNode>,
    pub edges: Vec<Edge>,
}

impl StoryMap {
    /// Builds the map; `graph`, the explored states, marks what no play reaches.
    pub fn new(story: &Story, graph: Option<&Graph>) -> StoryMap {
        let known = graph.filter(|g| !g.limited());
        let runner = threshold_runtime::Runner::new(story);
        let nodes = story
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| MapNode {
                id: n.id.clone(),
                title: n.title.clone(),
                rating: n.rating(),
                reached: known.map(|g| get_bit(&g.entered, i)),
                start: i as u32 == story.start,
            })
            .collect();
        let mut edges = Vec::new();
        for (i, node) in story.nodes.iter().enumerate() {
            let from = i as u32;
            push_block_edges(story, &node.body, from, &EdgeKind::Divert, &mut edges);
            for (c, choice) in node.choices.iter().enumerate() {
                let offered =
                    known.is_none_or(|g| get_bit(&g.offered, runner.choice_id(from, c) as usize));
                let kind = EdgeKind::Choice {
                    index: c,
                    text: choice.text.plain(),
                    guard: choice.guard.as_ref().map(|g| expr_text(story, g)),
                    sticky: choice.sticky,
                    offered,
                };
                push_block_edges(story, &choice.body, from, &kind, &mut edges);
            }
        }
        StoryMap {
            title: story.title.clone(),
            nodes,
            edges,
        }
    }

    /// Graphviz DOT: `dot -Tsvg` draws it.
    pub fn to_dot(&self) -> String {
        let mut s = String::new();
        s.push_str("digraph story {\n");
        let _ = writeln!(
            s,
            "  graph [label=\"{}\", labelloc=t, fontsize=20, fontname=\"Helvetica\", rankdir=TB, nodesep=0.35, ranksep=0.6];",
            dot_escape(&self.title)
        );
        s.push_str(
            "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", color=\"#455a64\", \
             fontname=\"Helvetica\", fontsize=11, margin=\"0.15,0.06\"];\n",
        );
        s.push_str("  edge [color=\"#607d8b\", fontname=\"Helvetica\", fontsize=9, fontcolor=\"#37474f\"];\n");
        if self.nodes.iter().any(|n| n.reached.is_none()) {
            s.push_str(
                "  // what play reaches is not known (no complete exploration): nothing is marked unreachable\n",
            );
        }
        s.push_str("  \"(start)\" [shape=circle, label=\"start\", style=filled, fillcolor=\"#37474f\", fontcolor=\"#ffffff\", fontsize=9, width=0.5, fixedsize=true];\n");
        for n in &self.nodes {
            let _ = writeln!(s, "  \"{}\" [{}];", dot_escape(&n.id), dot_node_attrs(n));
        }
        if let Some(start) = self.nodes.iter().find(|n| n.start) {
            let _ = writeln!(s, "  \"(start)\" -> \"{}\";", dot_escape(&start.id));
        }
        for e in &self.edges {
            let from = &self.nodes[e.from as usize];
            let to = &self.nodes[e.to as usize];
            let label = dot_label(&edge_lines(e));
            let mut attrs = Vec::new();
            if !label.is_empty() {
                attrs.push(format!("label=\"{label}\""));
            }
            let faded = from.reached == Some(false)
                || matches!(e.kind, EdgeKind::Choice { offered: false, .. });
            if faded {
                attrs.push("style=dashed, color=\"#b0bec5\", fontcolor=\"#90a4ae\"".to_string());
            } else if e.kind == EdgeKind::Divert {
                attrs.push("style=bold, color=\"#90a4ae\"".to_string());
            }
            let attrs = if attrs.is_empty() {
                String::new()
            } else {
                format!(" [{}]", attrs.join(", "))
            };
            let _ = writeln!(
                s,
                "  \"{}\" -> \"{}\"{attrs};",
                dot_escape(&from.id),
                dot_escape(&to.id)
            );
        }
        s.push_str("}\n");
        s
    }

    /// A Mermaid flowchart, ready to paste into a Markdown file.
    pub fn to_mermaid(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "%% {}", visible(&self.title));
        s.push_str("flowchart TD\n");
        s.push_str("  classDef scene fill:#ffffff,stroke:#455a64,color:#263238\n");
        for r in [Rating::Good, Rating::Mixed, Rating::Bad] {
            let (fill, stroke, text) = rating_colours(r);
            let _ = writeln!(
                s,
                "  classDef {} fill:{fill},stroke:{stroke},color:{text}",
                r.as_str()
            );
        }
        s.push_str(
            "  classDef unreached fill:#f5f5f5,stroke:#9e9e9e,stroke-dasharray:4 3,color:#757575\n",
        );
        s.push_str("  classDef start fill:#37474f,stroke:#37474f,color:#ffffff\n");
        s.push_str("  begin((\"start\")):::start\n");
        for (i, n) in self.nodes.iter().enumerate() {
            let label = node_lines(n)
                .iter()
                .map(|l| mermaid_escape(l))
                .collect::<Vec<_>>()
                .join("<br/>");
            let class = if n.reached == Some(false) {
                "unreached"
            } else {
                n.rating.map_or("scene", Rating::as_str)
            };
            let (open, close) = if n.rating.is_some() {
                ("([", "])")
            } else {
                ("[", "]")
            };
            let _ = writeln!(s, "  n{i}{open}\"{label}\"{close}:::{class}");
        }
        if let Some(i) = self.nodes.iter().position(|n| n.start) {
            let _ = writeln!(s, "  begin --> n{i}");
        }
        for e in &self.edges {
            let label = edge_lines(e)
                .iter()
                .map(|l| mermaid_escape(l))
                .collect::<Vec<_>>()
                .join("<br/>");
            let faded = self.nodes[e.from as usize].reached == Some(false)
                || matches!(e.kind, EdgeKind::Choice { offered: false, .. });
            let arrow = if faded {
                "-.->"
            } else if e.kind == EdgeKind::Divert {
                "==>"
            } else {
                "-->"
            };
            if label.is_empty() {
                let _ = writeln!(s, "  n{} {arrow} n{}", e.from, e.to);
            } else {
                let _ = writeln!(s, "  n{} {arrow}|\"{label}\"| n{}", e.from, e.to);
            }
        }
        s
    }
}

/// An edge of `kind` from `from` to every node the block diverts to, once for each
/// distinct target and conditions. Edges of different calls never repeat one another
/// (each call has its own `from` and `kind`: a node's body, or one choice of it), so
/// repeats are looked for only among this block's targets: in one pass, with a hash
/// set when the block has many.
fn push_block_edges(
    story: &Story,
    block: &[Stmt],
    from: u32,
    kind: &EdgeKind,
    edges: &mut Vec<Edge>,
) {
    let mut targets = Vec::new();
    diverts(story, block, &mut Vec::new(), &mut targets);
    for (to, when) in first_occurrences(targets) {
        edges.push(Edge {
            from,
            to,
            kind: kind.clone(),
            when,
        });
    }
}

/// Up to this many targets, a repeat is looked for by comparing with each earlier one.
const FEW_TARGETS: usize = 16;

/// The targets in their order, each repeat of an earlier one left out.
fn first_occurrences(mut targets: Vec<(u32, Vec<String>)>) -> Vec<(u32, Vec<String>)> {
    if targets.len() <= FEW_TARGETS {
        let mut kept = 0;
        for i in 0..targets.len() {
            if !targets[..kept].contains(&targets[i]) {
                targets.swap(kept, i);
                kept += 1;
            }
        }
        targets.truncate(kept);
        return targets;
    }
    let mut met = rustc_hash::FxHashSet::default();
    let keep: Vec<bool> = targets.iter().map(|t| met.insert(t)).collect();
    drop(met);
    targets
        .into_iter()
        .zip(keep)
        .filter_map(|(t, k)| k.then_some(t))
        .collect()
}

/// Every divert target in a block, with the branch conditions that lead to it.
fn diverts(
    story: &Story,
    block: &[Stmt],
    when: &mut Vec<String>,
    out: &mut Vec<(u32, Vec<String>)>,
) {
    for stmt in block {
        match stmt {
            Stmt::Divert { target } => {
                out.push((*target, when.clone()));
                return;
            }
            Stmt::If {
                branches,
                otherwise,
            } => {
                for (k, b) in branches.iter().enumerate() {
                    let word = if k == 0 { "if" } else { "elif" };
                    when.push(format!("{word} {}", expr_text(story, &b.cond)));
                    diverts(story, &b.body, when, out);
                    when.pop();
                }
                if !otherwise.is_empty() {
                    when.push("else".to_string());
                    diverts(story, otherwise, when, out);
                    when.pop();
                }
            }
            Stmt::Line { .. } | Stmt::Note { .. } | Stmt::Effects { .. } => {}
        }
    }
}

/// `good`: fill, border and text colours.
pub fn rating_colours(r: Rating) -> (&'static str, &'static str, &'static str) {
    match r {
        Rating::Good => ("#c8e6c9", "#2e7d32", "#1b5e20"),
        Rating::Mixed => ("#ffe0b2", "#ef6c00", "#7a3e00"),
        Rating::Bad => ("#ffcdd2", "#c62828", "#7f0000"),
    }
}

/// Shortens text to `max` characters at a word boundary, ending in `…`.
pub fn shorten(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    let at = cut
        .rfind(' ')
        .filter(|&i| i >= cut.len() / 2)
        .unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end_matches([' ', ',', ';', ':', '.']))
}

fn node_lines(n: &MapNode) -> Vec<String> {
    let mut lines = Vec::new();
    match (&n.title, n.rating) {
        (Some(t), Some(r)) => {
            lines.push(visible(t));
            lines.push(format!("{} · {}", r.as_str(), n.id));
        }
        (None, Some(r)) => lines.push(format!("{} · {}", r.as_str(), n.id)),
        (Some(t), None) => {
            lines.push(visible(t));
            lines.push(format!("({})", n.id));
        }
        (None, None) => lines.push(n.id.clone()),
    }
    if n.reached == Some(false) {
        lines.push("never reached".to_string());
    }
    lines
}

fn edge_lines(e: &Edge) -> Vec<String> {
    let mut lines = Vec::new();
    if let EdgeKind::Choice {
        text,
        guard,
        sticky,
        offered,
        ..
    } = &e.kind
    {
        let mark = if *sticky { "+ " } else { "" };
        lines.push(format!("{mark}{}", shorten(&visible(text), LABEL_CHARS)));
        if let Some(g) = guard {
            lines.push(format!("{{{}}}", shorten(g, LABEL_CHARS)));
        }
        if !offered {
            lines.push("never offered".to_string());
        }
    }
    if !e.when.is_empty() {
        lines.push(shorten(&visible(&e.when.join(", ")), LABEL_CHARS));
    }
    lines
}

fn dot_node_attrs(n: &MapNode) -> String {
    let mut a = vec![format!("label=\"{}\"", dot_label(&node_lines(n)))];
    if n.reached == Some(false) {
        let style = if n.rating.is_some() {
            "filled,dashed"
        } else {
            "rounded,filled,dashed"
        };
        a.push(format!(
            "style=\"{style}\", fillcolor=\"#f5f5f5\", color=\"#9e9e9e\", fontcolor=\"#757575\""
        ));
    } else if let Some(r) = n.rating {
        let (fill, stroke, text) = rating_colours(r);
        a.push(format!(
            "style=\"filled,bold\", fillcolor=\"{fill}\", color=\"{stroke}\", fontcolor=\"{text}\""
        ));
    }
    if n.start {
        a.push("penwidth=2".into());
    }
    a.join(", ")
}

fn wrap_lines(lines: &[String], width: usize) -> Vec<String> {
    lines.iter().flat_map(|l| wrap(l, width)).collect()
}

/// Greedy word wrap; words longer than `width` stay whole.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

/// Whether a character must not reach a terminal raw: C0 controls other than newline
/// and tab, DEL, C1 controls, bidirectional embeddings, overrides, isolates and marks
/// (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C), and U+2028/U+2029. The
/// one rule every writer of the CLI uses too (`text::is_unsafe` is this function): the
/// map is printed to a terminal, so its labels are sanitised here, where they are made.
pub fn is_unsafe(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{8}'
            | '\u{b}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{61c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
    )
}

/// Story text for one line of a label: newlines and tabs become spaces and every
/// unsafe character is shown visibly as `\u{…}` (as the CLI's `text::clean_line`).
pub fn visible(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' => s.push(' '),
            c if is_unsafe(c) => {
                let _ = write!(s, "\\u{{{:x}}}", u32::from(c));
            }
            c => s.push(c),
        }
    }
    s
}

/// Escapes text for a double-quoted DOT string.
fn dot_escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in visible(text).chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            c => s.push(c),
        }
    }
    s
}

/// Label lines wrapped, each escaped, joined with DOT's `\n` (so a backslash in the
/// story's text stays a backslash).
fn dot_label(lines: &[String]) -> String {
    wrap_lines(lines, WRAP)
        .iter()
        .map(|l| dot_escape(l))
        .collect::<Vec<_>>()
        .join("\\n")
}

/// Escapes text for a quoted Mermaid label: every character that could end the label
/// or be read as markup becomes an entity code.
pub fn mermaid_escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in visible(text).chars() {
        match c {
            '"' => s.push_str("#quot;"),
            '#' => s.push_str("#35;"),
            '&' => s.push_str("#amp;"),
            '<' => s.push_str("#lt;"),
            '>' => s.push_str("#gt;"),
            '[' | ']' | '{' | '}' | '|' | '`' => {
                let _ = write!(s, "#{};", u32::from(c));
            }
            c => s.push(c),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unsafe_characters_are_exactly_the_listed_ranges() {
        let unsafe_ranges = [
            (0x0, 0x8),
            (0xb, 0x1f),
            (0x7f, 0x9f),
            (0x61c, 0x61c),
            (0x200e, 0x200f),
            (0x2028, 0x202e),
            (0x2066, 0x2069),
        ];
        for c in (0..=0x10ffffu32).filter_map(char::from_u32) {
            let listed = unsafe_ranges
                .iter()
                .any(|&(lo, hi)| (lo..=hi).contains(&u32::from(c)));
            assert_eq!(is_unsafe(c), listed, "{:x}", u32::from(c));
        }
        assert!(!is_unsafe('\n') && !is_unsafe('\t') && !is_unsafe('é'));
    }

    fn story(text: &str) -> Story {
        crate::test_story(text)
    }

    const VARS: &str = "title: T\nhidden a = 0 in -5..5\nhidden b = 0 in 0..5\nhidden f = false\n";

    fn guard_of(guard: &str) -> String {
        let s = story(&format!(
            "{VARS}scene s\n* {{{guard}}} go\n  -> s\n+ other\n  -> s\n"
        ));
        expr_text(&s, s.nodes[0].choices[0].guard.as_ref().unwrap())
    }

    #[test]
    fn expressions_print_back_as_written() {
        for src in [
            "a >= 3",
            "a + b > 2 and not f",
            "f or a == b and b != 1",
            "not (f or seen(s))",
            "(a < b) == f",
            "f == true",
            "a - (b - 1) > -2",
            "a - b - 1 > 0",
            "-(a + b) < 0",
            "not f == false",
            "(f or f) and f",
            "true",
        ] {
            assert_eq!(guard_of(src), src, "printing back `{src}`");
        }
    }

    #[test]
    fn redundant_parentheses_are_dropped() {
        assert_eq!(guard_of("(a >= 3) and (b <= 2)"), "a >= 3 and b <= 2");
        assert_eq!(guard_of("((f))"), "f");
    }

    const SMALL: &str = "title: Small\nhidden f = false\n\
                         scene a \"A\"\n* {f} Go.\n  -> x\n+ Stay.\n  -> a\n* Leave.\n  -> b\n\
                         scene b\n{if not f}\n-> x\n{end}\n-> y\n\
                         outcome x good \"X\"\noutcome y bad \"Y\"\n";

    #[test]
    fn the_exploration_marks_what_no_play_reaches() {
        let s = story(SMALL);
        let g = Graph::explore(&s, 1000);
        let map = StoryMap::new(&s, Some(&g));
        let reached: Vec<_> = map
            .nodes
            .iter()
            .map(|n| (n.id.as_str(), n.reached))
            .collect();
        assert_eq!(
            reached,
            [
                ("a", Some(true)),
                ("b", Some(true)),
                ("x", Some(true)),
                ("y", Some(false))
            ]
        );
        let go = map
            .edges
            .iter()
            .find(|e| matches!(&e.kind, EdgeKind::Choice { index: 0, .. }))
            .unwrap();
        assert!(
            matches!(&go.kind, EdgeKind::Choice { offered: false, guard: Some(g), .. } if g == "f")
        );
        let from_b: Vec<_> = map
            .edges
            .iter()
            .filter(|e| e.from == 1)
            .map(|e| (e.to, e.when.clone()))
            .collect();
        assert_eq!(from_b, [(2, vec!["if not f".to_string()]), (3, vec![])]);
    }

    #[test]
    fn without_an_exploration_nothing_is_marked() {
        let s = story(SMALL);
        let map = StoryMap::new(&s, None);
        assert!(map.nodes.iter().all(|n| n.reached.is_none()));
        insta::assert_snapshot!(map.to_dot());
    }

    #[test]
    fn repeated_targets_are_left_out_in_order() {
        // Few targets (compared one by one) and many (a hash set), against the plain
        // definition: keep a target unless an earlier one equals it.
        for n in [0usize, 1, 5, 16, 17, 40, 300] {
            let targets: Vec<(u32, Vec<String>)> = (0..n)
                .map(|i| {
                    let when = if i % 3 == 0 {
                        vec![]
                    } else {
                        vec![format!("if c{}", i % 5)]
                    };
                    ((i * 7 % 11) as u32, when)
                })
                .collect();
            let mut expected: Vec<(u32, Vec<String>)> = Vec::new();
            for t in &targets {
                if !expected.contains(t) {
                    expected.push(t.clone());
                }
            }
            assert_eq!(first_occurrences(targets), expected, "{n} targets");
        }
    }

    #[test]
    fn shortening_cuts_at_a_word() {
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(shorten("one two three four five", 12), "one two…");
        assert_eq!(shorten("abcdefghijklmnop", 8), "abcdefg…");
    }

    #[test]
    fn mermaid_labels_cannot_break_out_of_their_quotes() {
        let e = mermaid_escape("Say \"no\" [now] {x} | <b> #1 `a`");
        for bad in ['"', '[', ']', '{', '}', '|', '<', '>', '`'] {
            assert!(!e.contains(bad), "`{bad}` left in {e}");
        }
        assert!(e.starts_with("Say #quot;no#quot; #91;now#93;"));
    }

    #[test]
    fn labels_show_controls_and_bidirectional_overrides_visibly() {
        let s = story(
            "title: T\u{1b}]0;pwned\u{7}\nscene s \"Door\u{202e}way\u{9b}2J\"\n\
             * Say \u{1b}[31mhello\u{2066} \\ there\n  -> e\n\
             outcome e good \"End\u{7f}\u{85}\"\n",
        );
        let map = StoryMap::new(&s, None);
        for out in [map.to_dot(), map.to_mermaid()] {
            assert!(!out.chars().any(is_unsafe), "{out:?}");
            assert!(out.contains("202e"), "{out}");
        }
        let dot = map.to_dot();
        assert!(
            dot.contains(r"Say \\u{1b}[31mhello\\u{2066}\n\\ there"),
            "{dot}"
        );
        assert!(dot.contains(r"End\\u{7f}\\u{85}"), "{dot}");
        let mermaid = map.to_mermaid();
        assert!(mermaid.starts_with(r"%% T\u{1b}]0;pwned\u{7}"), "{mermaid}");
        assert!(mermaid.contains(r"Door\u#123;202e#125;way"), "{mermaid}");
        assert_eq!(visible("a\tb\nc\u{2028}"), r"a b c\u{2028}");
    }
}
