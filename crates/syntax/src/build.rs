//! One `build_<rule>` function per grammar rule: pest pairs in, AST values out.

use pest::iterators::Pair;
use pest::Parser;

use crate::ast::*;
use crate::errors::{from_pest, SyntaxError};
use crate::parser::{Rule, SceneParser};
use crate::reader::{MAX_EXPR_DEPTH, MAX_EXPR_OPERATORS};

/// Where the text being built starts in the file, and where errors go.
pub(crate) struct Ctx<'e> {
    pub off: usize,
    pub errors: &'e mut Vec<SyntaxError>,
}

impl Ctx<'_> {
    fn span(&self, p: &Pair<'_, Rule>) -> Span {
        let s = p.as_span();
        Span::new(self.off + s.start(), self.off + s.end())
    }
}

/// Parses `input` (which starts at byte `off` of the file) with `rule`, after the
/// nesting checks that keep the parser's recursion bounded.
pub(crate) fn parse_rule(
    rule: Rule,
    input: &str,
    off: usize,
) -> Result<Pair<'_, Rule>, SyntaxError> {
    check_nesting(input, off)?;
    let mut pairs = SceneParser::parse(rule, input).map_err(|e| from_pest(e, input, off))?;
    let pair = pairs.next().expect("a successful parse yields its rule");
    let operators = pair
        .clone()
        .into_inner()
        .flatten()
        .filter(|p| {
            matches!(
                p.as_rule(),
                Rule::kw_and | Rule::kw_or | Rule::kw_not | Rule::cmp_op | Rule::add_op | Rule::neg
            )
        })
        .count();
    if operators > MAX_EXPR_OPERATORS {
        return Err(SyntaxError::syntax(
            Span::new(off, off + input.len()),
            format!("this line has more than {MAX_EXPR_OPERATORS} operators"),
            "too long",
        )
        .with_help("split the condition or effect over several lines"));
    }
    Ok(pair)
}

pub(crate) fn check_nesting(input: &str, off: usize) -> Result<(), SyntaxError> {
    let mut depth = 0usize;
    for (i, c) in input.char_indices() {
        match c {
            '(' => {
                depth += 1;
                if depth > MAX_EXPR_DEPTH {
                    return Err(SyntaxError::syntax(
                        Span::new(off + i, off + i + 1),
                        format!("parentheses nested too deep (more than {MAX_EXPR_DEPTH} levels)"),
                        "nesting too deep",
                    )
                    .with_help("simplify the expression"));
                }
            }
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

pub(crate) fn build_string(p: Pair<'_, Rule>, ctx: &Ctx<'_>) -> StrLit {
    let span = ctx.span(&p);
    let inner = p.into_inner().next().map_or("", |i| i.as_str());
    StrLit {
        value: unescape(inner),
        span,
    }
}

pub(crate) fn build_ident(p: Pair<'_, Rule>, ctx: &Ctx<'_>) -> Ident {
    Ident {
        name: p.as_str().to_string(),
        span: ctx.span(&p),
    }
}

fn build_number(p: Pair<'_, Rule>, ctx: &mut Ctx<'_>) -> i64 {
    match p.as_str().parse::<i64>() {
        Ok(v) => v,
        Err(_) => {
            let span = ctx.span(&p);
            ctx.errors.push(
                SyntaxError::syntax(span, "this number is too large", "too large")
                    .with_help(format!("numbers go from {} to {}", i64::MIN, i64::MAX)),
            );
            0
        }
    }
}

pub(crate) fn build_expr(p: Pair<'_, Rule>, ctx: &mut Ctx<'_>) -> Expr {
    debug_assert_eq!(p.as_rule(), Rule::expr);
    let inner = p.into_inner().next().expect("expr holds or_expr");
    build_or_expr(inner, ctx)
}

fn fold_binary(
    p: Pair<'_, Rule>,
    ctx: &mut Ctx<'_>,
    operand: fn(Pair<'_, Rule>, &mut Ctx<'_>) -> Expr,
) -> Expr {
    let mut it = p.into_inner();
    let mut acc = operand(it.next().expect("an operand"), ctx);
    while let Some(op) = it.next() {
        let op = match op.as_rule() {
            Rule::kw_or => BinOp::Or,
            Rule::kw_and => BinOp::And,
            Rule::add_op if op.as_str() == "+" => BinOp::Add,
            Rule::add_op => BinOp::Sub,
            other => unreachable!("operator rule {other:?}"),
        };
        let rhs = operand(it.next().expect("an operand after an operator"), ctx);
        let span = acc.span.to(rhs.span);
        acc = Expr {
            kind: ExprKind::Binary(op, Box::new(acc), Box::new(rhs)),
            span,
        };
    }
    acc
}

fn build_or_expr(p: Pair<'_, Rule>, ctx: &mut Ctx<'_>) -> Expr {
    fold_binary(p, ctx, build_and_expr)
}

fn build_and_expr(p: Pair<'_, Rule>, ctx: &mut Ctx<'_>) -> Expr {
    fold_binary(p, ctx, build_not_expr)
}

fn build_not_expr(p: Pair<'_, Rule>, ctx: &mut Ctx<'_>) -> Expr {
    let mut nots = Vec::new();
    let mut operand = None;
    for item in p.into_inner() {
        match item.as_rule() {
            Rule::kw_not => nots.push(ctx.span(&item)),
            _ => operand = Some(build_cmp_expr(item, ctx)),
        }
    }
    let mut e = operand.expect("not_expr holds a comparison");
    for not_span in nots.into_iter().rev() {
        let span = not_span.to(e.span);
        e = Expr {
            kind: ExprKind::Unary(UnOp::Not, Box::new(e)),
            span,
        };
    }
    e
}

fn build_cmp_expr(p: Pair<'_, Rule>, ctx: &mut Ctx<'_>) -> Expr {
    let mut it = p.into_inner();
    let lhs = build_sum(it.next().expect("a sum"), ctx);
    let Some(op) = it.next() else { return lhs };
    let op = match op.as_str() {
        "==" => BinOp::Eq,
        "!=" => BinOp::Ne,
        "<=" => BinOp::Le,
        ">=" => BinOp::Ge,
        "<" => BinOp::Lt,
        _ => BinOp::Gt,
    };
    let rhs = build_sum(it.next().expect("a sum after a comparison"), ctx);
    let span = lhs.span.to(rhs.span);
    Expr {
        kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
        span,
    }
}

fn build_sum(p: Pair<'_, Rule>, ctx: &mut Ctx<'_>) -> Expr {
    fold_binary(p, ctx, build_unary)
}

fn build_unary(p: Pair<'_, Rule>, ctx: &mut Ctx<'_>) -> Expr {
    let mut negs = Vec::new();
    let mut operand = None;
    for item in p.into_inner() {
        match item.as_rule() {
            Rule::neg => negs.push(ctx.span(&item)),
            _ => operand = Some(build_atom(item, ctx)),
        }
    }
    let mut e = operand.expect("unary holds an atom");
    for neg_span in negs.into_iter().rev() {
        let span = neg_span.to(e.span);
        e = Expr {
            kind: ExprKind::Unary(UnOp::Neg, Box::new(e)),
            span,
        };
    }
    e
}

fn build_atom(p: Pair<'_, Rule>, ctx: &mut Ctx<'_>) -> Expr {
    let item = p.into_inner().next().expect("atom holds one item");
    let span = ctx.span(&item);
    let kind = match item.as_rule() {
        Rule::int => ExprKind::Int(build_number(item, ctx)),
        Rule::kw_true => ExprKind::Bool(true),
        Rule::kw_false => ExprKind::Bool(false),
        Rule::seen_call => ExprKind::Seen(build_seen_call(item, ctx)),
        Rule::at_call => ExprKind::At(build_at_call(item, ctx)),
        Rule::ended_call => ExprKind::Ended(build_ended_call(item)),
        Rule::ident => ExprKind::Var(item.as_str().to_string()),
        Rule::paren => return build_paren(item, ctx),
        other => unreachable!("atom rule {other:?}"),
    };
    Expr { kind, span }
}

fn build_seen_call(p: Pair<'_, Rule>, ctx: &mut Ctx<'_>) -> Ident {
    let id = p
        .into_inner()
        .find(|i| i.as_rule() == Rule::ident)
        .expect("seen(ID)");
    build_ident(id, ctx)
}

fn build_at_call(p: Pair<'_, Rule>, ctx: &mut Ctx<'_>) -> Ident {
    let id = p
        .into_inner()
        .find(|i| i.as_rule() == Rule::ident)
        .expect("at(ID)");
    build_ident(id, ctx)
}

fn build_ended_call(p: Pair<'_, Rule>) -> Rating {
    let r = p
        .into_inner()
        .find(|i| i.as_rule() == Rule::rating)
        .expect("ended(RATING)");
    build_rating(r.as_str())
}

/// `good`, `mixed` or `bad`, as the grammar's `rating` rule matched it.
pub(crate) fn build_rating(word: &str) -> Rating {
    match word {
        "good" => Rating::Good,
        "mixed" => Rating::Mixed,
        _ => Rating::Bad,
    }
}

pub(crate) fn build_check_line(p: Pair<'_, Rule>, ctx: &mut Ctx<'_>, span: Span) -> Decl {
    let mut kind = None;
    let mut label = None;
    for item in p.into_inner() {
        match item.as_rule() {
            Rule::check_always | Rule::check_never | Rule::check_reach | Rule::check_whenever => {
                let rule = item.as_rule();
                let mut exprs = item
                    .into_inner()
                    .filter(|i| i.as_rule() == Rule::expr)
                    .map(|e| build_expr(e, ctx));
                let first = exprs.next().expect("a check has an expression");
                kind = Some(match rule {
                    Rule::check_always => CheckKind::Always(first),
                    Rule::check_never => CheckKind::Never(first),
                    Rule::check_reach => CheckKind::CanReach(first),
                    _ => {
                        CheckKind::Whenever(first, exprs.next().expect("whenever E1, can reach E2"))
                    }
                });
            }
            Rule::string => label = Some(build_string(item, ctx)),
            _ => {}
        }
    }
    Decl::Check(Check {
        kind: kind.expect("a check form"),
        label,
        span,
    })
}

fn build_paren(p: Pair<'_, Rule>, ctx: &mut Ctx<'_>) -> Expr {
    let span = ctx.span(&p);
    let mut e = build_expr(p.into_inner().next().expect("(expr)"), ctx);
    e.span = span;
    e
}

/// Text with no brace and no backslash: the `text` rule reads it as one chunk (or as
/// nothing, when empty), so it is taken as it stands, without running the parser.
fn plain_text(input: &str, off: usize) -> Option<Text> {
    if input.bytes().any(|b| matches!(b, b'{' | b'}' | b'\\')) {
        return None;
    }
    check_nesting(input, off).ok()?;
    let parts = if input.is_empty() {
        Vec::new()
    } else {
        vec![TextPart::Lit(input.to_string())]
    };
    Some(Text {
        parts,
        span: Span::new(off, off + input.len()),
    })
}

/// A divert line that is exactly `-> ID` (blanks around the name), read without
/// running the parser; anything else goes to the `divert_line` rule.
pub(crate) fn plain_divert(input: &str, off: usize) -> Option<Ident> {
    let rest = input.strip_prefix("->")?;
    let name_at = input.len() - rest.trim_start_matches([' ', '\t']).len();
    let tail = &input[name_at..];
    if !tail
        .as_bytes()
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
    {
        return None;
    }
    let len = tail
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    let name = &tail[..len];
    if !tail[len..].trim_matches([' ', '\t']).is_empty() || crate::RESERVED.contains(&name) {
        return None;
    }
    Some(Ident {
        name: name.to_string(),
        span: Span::new(off + name_at, off + name_at + len),
    })
}

/// Parses text with `{E}` interpolations; on an error the text is kept literally.
pub(crate) fn build_text(input: &str, off: usize, errors: &mut Vec<SyntaxError>) -> Text {
    if let Some(text) = plain_text(input, off).or_else(|| crate::fast::text(input, off)) {
        return text;
    }
    let span = Span::new(off, off + input.len());
    if let Some(err) = misplaced_marker_in_text(input, off) {
        errors.push(err);
        return literal_text(input, span);
    }
    match parse_rule(Rule::text, input, off) {
        Ok(pair) => {
            let mut ctx = Ctx { off, errors };
            let mut parts = Vec::new();
            for piece in pair.into_inner() {
                match piece.as_rule() {
                    Rule::brace_escape => push_lit(&mut parts, &piece.as_str()[1..]),
                    Rule::text_chunk => push_lit(&mut parts, piece.as_str()),
                    Rule::interp => {
                        let e = piece.into_inner().next().expect("{expr}");
                        parts.push(TextPart::Interp(build_expr(e, &mut ctx)));
                    }
                    Rule::EOI => {}
                    other => unreachable!("text rule {other:?}"),
                }
            }
            Text { parts, span }
        }
        Err(mut err) => {
            if let Some(open) = unclosed_brace(input) {
                err = SyntaxError::syntax(
                    Span::new(off + open, off + open + 1),
                    "this `{` starts an interpolation that is never closed",
                    "unclosed `{`",
                )
                .with_help("close it with `}`, or write `\\{` for a literal brace");
            } else {
                err.help.get_or_insert_with(|| {
                    "inside `{…}` goes an expression like `{trust}`; write `\\{` for a literal brace"
                        .to_string()
                });
            }
            errors.push(err);
            literal_text(input, span)
        }
    }
}

fn literal_text(input: &str, span: Span) -> Text {
    Text {
        parts: vec![TextPart::Lit(input.to_string())],
        span,
    }
}

fn push_lit(parts: &mut Vec<TextPart>, s: &str) {
    if let Some(TextPart::Lit(prev)) = parts.last_mut() {
        prev.push_str(s);
    } else {
        parts.push(TextPart::Lit(s.to_string()));
    }
}

/// The byte offset of a `{` that has no `}` after it, outside `\{` escapes.
fn unclosed_brace(input: &str) -> Option<usize> {
    let bytes = input.as_bytes();
    let mut open = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if matches!(bytes.get(i + 1), Some(b'{') | Some(b'}')) => i += 1,
            b'{' if open.is_none() => open = Some(i),
            b'}' => open = None,
            _ => {}
        }
        i += 1;
    }
    open
}

/// `{if …}` written inside a line of text rather than on a line of its own.
fn misplaced_marker_in_text(input: &str, off: usize) -> Option<SyntaxError> {
    let bytes = input.as_bytes();
    for (i, _) in input.match_indices('{') {
        if i > 0 && bytes[i - 1] == b'\\' {
            continue;
        }
        let rest = input[i + 1..].trim_start();
        let word: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if matches!(word.as_str(), "if" | "elif" | "else" | "end") {
            let end = input[i..].find('}').map_or(input.len(), |j| i + j + 1);
            return Some(
                SyntaxError::syntax(
                    Span::new(off + i, off + end),
                    format!("`{{{word}…}}` must stand alone on its own line"),
                    "block marker inside a line",
                )
                .with_help(
                    "put each `{if …}`, `{elif …}`, `{else}` and `{end}` on a line of its own",
                ),
            );
        }
    }
    None
}

pub(crate) fn build_scene_line(p: Pair<'_, Rule>, ctx: &mut Ctx<'_>) -> (Ident, NodeKind) {
    let mut id = None;
    let mut title = None;
    for item in p.into_inner() {
        match item.as_rule() {
            Rule::ident => id = Some(build_ident(item, ctx)),
            Rule::string => title = Some(build_string(item, ctx)),
            _ => {}
        }
    }
    (id.expect("scene ID"), NodeKind::Scene { title })
}

pub(crate) fn build_outcome_line(p: Pair<'_, Rule>, ctx: &mut Ctx<'_>) -> (Ident, NodeKind) {
    let mut id = None;
    let mut rating = Rating::Mixed;
    let mut title = None;
    for item in p.into_inner() {
        match item.as_rule() {
            Rule::ident => id = Some(build_ident(item, ctx)),
            Rule::rating => rating = build_rating(item.as_str()),
            Rule::string => title = Some(build_string(item, ctx)),
            _ => {}
        }
    }
    (
        id.expect("outcome ID"),
        NodeKind::Outcome {
            rating,
            title: title.expect("outcome title"),
        },
    )
}

pub(crate) fn build_metadata_line(p: Pair<'_, Rule>, ctx: &mut Ctx<'_>, span: Span) -> Decl {
    let mut key = None;
    let mut value = String::new();
    let mut value_span = Span::new(span.end, span.end);
    for item in p.into_inner() {
        match item.as_rule() {
            Rule::meta_key => key = Some(build_ident(item, ctx)),
            Rule::meta_value => {
                value = item.as_str().trim_end().to_string();
                let s = ctx.span(&item);
                value_span = Span::new(s.start, s.start + value.len());
            }
            _ => {}
        }
    }
    Decl::Meta {
        key: key.expect("metadata key"),
        value,
        value_span,
        span,
    }
}

pub(crate) fn build_character_line(p: Pair<'_, Rule>, ctx: &mut Ctx<'_>, span: Span) -> Decl {
    let mut id = None;
    let mut name = None;
    for item in p.into_inner() {
        match item.as_rule() {
            Rule::ident => id = Some(build_ident(item, ctx)),
            Rule::string => name = Some(build_string(item, ctx)),
            _ => {}
        }
    }
    Decl::Character {
        id: id.expect("character ID"),
        name,
        span,
    }
}

pub(crate) fn build_variable_line(p: Pair<'_, Rule>, ctx: &mut Ctx<'_>, span: Span) -> Decl {
    let mut shown = false;
    let mut name = None;
    let mut init = None;
    let mut label = None;
    for item in p.into_inner() {
        match item.as_rule() {
            Rule::visibility => shown = item.as_str() == "shown",
            Rule::ident => name = Some(build_ident(item, ctx)),
            Rule::initial => init = Some(build_initial(item, ctx)),
            Rule::string => label = Some(build_string(item, ctx)),
            _ => {}
        }
    }
    Decl::Variable {
        shown,
        name: name.expect("variable name"),
        init: init.expect("initial value"),
        label,
        span,
    }
}

fn build_initial(p: Pair<'_, Rule>, ctx: &mut Ctx<'_>) -> Init {
    let item = p.into_inner().next().expect("initial holds a value");
    match item.as_rule() {
        Rule::bool_initial => {
            let span = ctx.span(&item);
            Init::Bool {
                value: item.as_str() == "true",
                span,
            }
        }
        Rule::int_initial => build_int_initial(item, ctx),
        other => unreachable!("initial rule {other:?}"),
    }
}

fn build_int_initial(p: Pair<'_, Rule>, ctx: &mut Ctx<'_>) -> Init {
    let mut it = p.into_inner();
    let value_pair = it.next().expect("initial number");
    let value_span = ctx.span(&value_pair);
    let value = build_number(value_pair, ctx);
    let range = it.find(|i| i.as_rule() == Rule::range).expect("a range");
    let (lo, hi, range_span) = build_range(range, ctx);
    Init::Int {
        value,
        value_span,
        lo,
        hi,
        range_span,
    }
}

fn build_range(p: Pair<'_, Rule>, ctx: &mut Ctx<'_>) -> (i64, i64, Span) {
    let span = ctx.span(&p);
    let mut it = p.into_inner();
    let lo = build_number(it.next().expect("low bound"), ctx);
    let hi = build_number(it.next().expect("high bound"), ctx);
    (lo, hi, span)
}

pub(crate) fn build_effects_line(p: Pair<'_, Rule>, ctx: &mut Ctx<'_>) -> Vec<Effect> {
    p.into_inner()
        .filter(|i| i.as_rule() == Rule::effect)
        .map(|e| build_effect(e, ctx))
        .collect()
}

fn build_effect(p: Pair<'_, Rule>, ctx: &mut Ctx<'_>) -> Effect {
    let mut it = p.into_inner();
    let target = build_ident(it.next().expect("effect target"), ctx);
    let op_pair = it.next().expect("effect operator");
    let op_span = ctx.span(&op_pair);
    let op = match op_pair.as_str() {
        "+=" => AssignOp::Add,
        "-=" => AssignOp::Sub,
        _ => AssignOp::Set,
    };
    let value = build_expr(it.next().expect("effect value"), ctx);
    Effect {
        target,
        op,
        op_span,
        value,
    }
}

pub(crate) fn build_divert_line(p: Pair<'_, Rule>, ctx: &mut Ctx<'_>) -> Ident {
    let id = p
        .into_inner()
        .find(|i| i.as_rule() == Rule::ident)
        .expect("divert target");
    build_ident(id, ctx)
}

/// `if_line`, `elif_line` and `guard` all hold one expression.
pub(crate) fn build_condition_line(p: Pair<'_, Rule>, ctx: &mut Ctx<'_>) -> Expr {
    let e = p
        .into_inner()
        .find(|i| i.as_rule() == Rule::expr)
        .expect("a condition");
    build_expr(e, ctx)
}

#[cfg(test)]
mod fast_path_tests {
    //! The parser-free readings of plain text and plain diverts give exactly what the
    //! grammar gives.
    use super::*;

    fn by_grammar_text(input: &str, off: usize) -> (Text, Vec<SyntaxError>) {
        let mut errors = Vec::new();
        let span = Span::new(off, off + input.len());
        let text = match parse_rule(Rule::text, input, off) {
            Ok(pair) => {
                let mut parts = Vec::new();
                for piece in pair.into_inner() {
                    if piece.as_rule() == Rule::text_chunk {
                        push_lit(&mut parts, piece.as_str());
                    }
                }
                Text { parts, span }
            }
            Err(e) => {
                errors.push(e);
                literal_text(input, span)
            }
        };
        (text, errors)
    }

    #[test]
    fn plain_text_matches_the_grammar() {
        let mut samples: Vec<String> = [
            "",
            "The patient pauses.",
            "*sighs* (quietly) 50% // not a comment",
            "https://example.org: a link",
            "é, ü and 漢字",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        samples.push(format!("{}x{}", "(".repeat(70), ")".repeat(70)));
        let mut seed = 7u64;
        for _ in 0..500 {
            let mut s = String::new();
            for _ in 0..(seed % 12) {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let alphabet = b"ab (){}\\:*-> \t";
                s.push(alphabet[(seed >> 33) as usize % alphabet.len()] as char);
            }
            samples.push(s);
        }
        for s in samples {
            let s = s.trim();
            let mut errors = Vec::new();
            let fast = build_text(s, 10, &mut errors);
            if plain_text(s, 10).is_some() {
                let (slow, slow_errors) = by_grammar_text(s, 10);
                assert_eq!(fast, slow, "{s:?}");
                assert!(errors.is_empty() && slow_errors.is_empty(), "{s:?}");
            }
        }
    }

    #[test]
    fn plain_divert_matches_the_grammar() {
        for s in [
            "-> doorway",
            "->  d_2",
            "-> _x",
            "-> end",
            "-> end_x",
            "-> 2x",
            "-> a b",
            "-> a\t",
            "-> é",
            "->",
            "-> a(",
            "-> seen",
        ] {
            let fast = plain_divert(s, 4);
            let slow = parse_rule(Rule::divert_line, s, 4).ok().map(|p| {
                let mut errors = Vec::new();
                build_divert_line(
                    p,
                    &mut Ctx {
                        off: 4,
                        errors: &mut errors,
                    },
                )
            });
            match fast {
                Some(ident) => assert_eq!(Some(ident), slow, "{s:?}"),
                // Only lines the grammar may reject, or reads with its own rule, are left to it.
                None => assert!(slow.is_none() || s.contains(['\t', ' ']), "{s:?}"),
            }
        }
    }
}
