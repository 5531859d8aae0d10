//! Readings without the parser for the common simple forms of the lines that need one:
//! expressions (parenthesised a few levels deep), guards and conditions, effects, interpolated text
//! without escapes, and node headers without escapes. Each gives exactly what the
//! grammar and its `build_<rule>` functions give, or `None` to leave the line to the
//! grammar (which also reports every error); the tests below hold them to that.

use crate::ast::*;
use crate::RESERVED;

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// At most this many operators are read here; longer expressions go to the grammar,
/// which bounds them.
const MAX_OPERATORS: usize = 64;
/// At most this many parentheses deep; deeper goes to the grammar, which bounds it.
const MAX_DEPTH: usize = 8;

/// A cursor over one line (or a piece of one) that starts at byte `off` of the file.
struct Cursor<'a> {
    src: &'a str,
    s: &'a [u8],
    i: usize,
    off: usize,
    ops: usize,
    depth: usize,
}

impl<'a> Cursor<'a> {
    fn new(src: &'a str, off: usize) -> Self {
        Cursor {
            src,
            s: src.as_bytes(),
            i: 0,
            off,
            ops: 0,
            depth: 0,
        }
    }

    fn blanks(&mut self) {
        while matches!(self.s.get(self.i), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn at_end(&self) -> bool {
        self.i == self.s.len()
    }

    fn span(&self, a: usize, b: usize) -> Span {
        Span::new(self.off + a, self.off + b)
    }

    /// The word (identifier characters) at the cursor, without moving.
    fn word(&self) -> Option<&'a str> {
        if !self.s.get(self.i).copied().is_some_and(is_ident_start) {
            return None;
        }
        let len = self.s[self.i..]
            .iter()
            .take_while(|&&b| is_ident_char(b))
            .count();
        Some(&self.src[self.i..self.i + len])
    }

    fn keyword(&mut self, kw: &str) -> Option<Span> {
        if self.word() == Some(kw) {
            let a = self.i;
            self.i += kw.len();
            Some(self.span(a, self.i))
        } else {
            None
        }
    }

    fn byte(&mut self, b: u8) -> bool {
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn ident(&mut self) -> Option<Ident> {
        let w = self.word()?;
        if RESERVED.contains(&w) {
            return None;
        }
        let a = self.i;
        self.i += w.len();
        Some(Ident {
            name: w.to_string(),
            span: self.span(a, self.i),
        })
    }

    fn op(&mut self) -> Option<()> {
        self.ops += 1;
        (self.ops <= MAX_OPERATORS).then_some(())
    }

    fn expr(&mut self) -> Option<Expr> {
        self.chain("or", BinOp::Or, Self::and)
    }

    fn and(&mut self) -> Option<Expr> {
        self.chain("and", BinOp::And, Self::not)
    }

    /// `operand (KEYWORD operand)*`, folded to the left.
    fn chain(
        &mut self,
        kw: &str,
        op: BinOp,
        operand: fn(&mut Self) -> Option<Expr>,
    ) -> Option<Expr> {
        let mut acc = operand(self)?;
        loop {
            self.blanks();
            if self.keyword(kw).is_none() {
                return Some(acc);
            }
            self.op()?;
            let rhs = operand(self)?;
            acc = binary(op, acc, rhs);
        }
    }

    fn not(&mut self) -> Option<Expr> {
        let mut nots = Vec::new();
        loop {
            self.blanks();
            match self.keyword("not") {
                Some(span) => {
                    self.op()?;
                    nots.push(span);
                }
                None => break,
            }
        }
        let mut e = self.cmp()?;
        for not_span in nots.into_iter().rev() {
            e = Expr {
                span: not_span.to(e.span),
                kind: ExprKind::Unary(UnOp::Not, Box::new(e)),
            };
        }
        Some(e)
    }

    fn cmp_op(&mut self) -> Option<BinOp> {
        let two = self.s.get(self.i..self.i + 2);
        let op = match two {
            Some(b"==") => Some((BinOp::Eq, 2)),
            Some(b"!=") => Some((BinOp::Ne, 2)),
            Some(b"<=") => Some((BinOp::Le, 2)),
            Some(b">=") => Some((BinOp::Ge, 2)),
            _ => match self.s.get(self.i) {
                Some(b'<') => Some((BinOp::Lt, 1)),
                Some(b'>') => Some((BinOp::Gt, 1)),
                _ => None,
            },
        };
        op.map(|(op, n)| {
            self.i += n;
            op
        })
    }

    fn cmp(&mut self) -> Option<Expr> {
        let lhs = self.sum()?;
        self.blanks();
        let Some(op) = self.cmp_op() else {
            return Some(lhs);
        };
        self.op()?;
        let rhs = self.sum()?;
        self.blanks();
        // A second comparison is a syntax error: the grammar says so.
        if self.cmp_op().is_some() {
            return None;
        }
        Some(binary(op, lhs, rhs))
    }

    fn sum(&mut self) -> Option<Expr> {
        let mut acc = self.unary()?;
        loop {
            self.blanks();
            let op = match self.s.get(self.i) {
                Some(b'+') => BinOp::Add,
                Some(b'-') => BinOp::Sub,
                _ => return Some(acc),
            };
            self.i += 1;
            self.op()?;
            let rhs = self.unary()?;
            acc = binary(op, acc, rhs);
        }
    }

    fn unary(&mut self) -> Option<Expr> {
        let mut negs = Vec::new();
        loop {
            self.blanks();
            if self.byte(b'-') {
                self.op()?;
                negs.push(self.span(self.i - 1, self.i));
            } else {
                break;
            }
        }
        let mut e = self.atom()?;
        for neg_span in negs.into_iter().rev() {
            e = Expr {
                span: neg_span.to(e.span),
                kind: ExprKind::Unary(UnOp::Neg, Box::new(e)),
            };
        }
        Some(e)
    }

    fn atom(&mut self) -> Option<Expr> {
        self.blanks();
        let a = self.i;
        let first = *self.s.get(self.i)?;
        if first.is_ascii_digit() {
            let len = self.s[a..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            let v: i64 = self.src[a..a + len].parse().ok()?;
            self.i += len;
            return Some(Expr {
                kind: ExprKind::Int(v),
                span: self.span(a, self.i),
            });
        }
        if first == b'(' {
            // A parenthesised expression takes the parentheses' span, as `build_paren` does.
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return None;
            }
            self.i += 1;
            let mut e = self.expr()?;
            self.blanks();
            if !self.byte(b')') {
                return None;
            }
            self.depth -= 1;
            e.span = self.span(a, self.i);
            return Some(e);
        }
        let kind = match self.word()? {
            "true" => {
                self.i += 4;
                ExprKind::Bool(true)
            }
            "false" => {
                self.i += 5;
                ExprKind::Bool(false)
            }
            "seen" => {
                self.i += 4;
                self.blanks();
                if !self.byte(b'(') {
                    return None;
                }
                self.blanks();
                let id = self.ident()?;
                self.blanks();
                if !self.byte(b')') {
                    return None;
                }
                ExprKind::Seen(id)
            }
            w if RESERVED.contains(&w) => return None,
            // `at(ID)`, `ended(RATING)`, or a name called like a function: the grammar's.
            w if self.s[a + w.len()..]
                .iter()
                .find(|b| !matches!(b, b' ' | b'\t'))
                == Some(&b'(') =>
            {
                return None
            }
            w => {
                self.i += w.len();
                ExprKind::Var(w.to_string())
            }
        };
        Some(Expr {
            kind,
            span: self.span(a, self.i),
        })
    }

    /// `"text"` with no backslash inside.
    fn string(&mut self) -> Option<StrLit> {
        let a = self.i;
        if !self.byte(b'"') {
            return None;
        }
        let len = self.s[self.i..]
            .iter()
            .take_while(|&&b| b != b'"' && b != b'\\')
            .count();
        if self.s.get(self.i + len) != Some(&b'"') {
            return None;
        }
        let value = self.src[self.i..self.i + len].to_string();
        self.i += len + 1;
        Some(StrLit {
            value,
            span: self.span(a, self.i),
        })
    }
}

fn binary(op: BinOp, lhs: Expr, rhs: Expr) -> Expr {
    Expr {
        span: lhs.span.to(rhs.span),
        kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
    }
}

/// `{E}`, or `{KEYWORD E}` for `{if E}` and `{elif E}`: the whole input.
pub(crate) fn braced(input: &str, off: usize, keyword: Option<&str>) -> Option<Expr> {
    let mut c = Cursor::new(input, off);
    if !c.byte(b'{') {
        return None;
    }
    if let Some(kw) = keyword {
        c.blanks();
        c.keyword(kw)?;
    }
    let e = c.expr()?;
    c.blanks();
    (c.byte(b'}') && c.at_end()).then_some(e)
}

/// `~ target op value, …`: the whole input.
pub(crate) fn effects(input: &str, off: usize) -> Option<Vec<Effect>> {
    let mut c = Cursor::new(input, off);
    if !c.byte(b'~') {
        return None;
    }
    let mut out = Vec::new();
    loop {
        c.blanks();
        let target = c.ident()?;
        c.blanks();
        let a = c.i;
        let op = match c.s.get(c.i..c.i + 2) {
            Some(b"+=") => AssignOp::Add,
            Some(b"-=") => AssignOp::Sub,
            _ if c.s.get(c.i) == Some(&b'=') && c.s.get(c.i + 1) != Some(&b'=') => AssignOp::Set,
            _ => return None,
        };
        c.i += if op == AssignOp::Set { 1 } else { 2 };
        let op_span = c.span(a, c.i);
        let value = c.expr()?;
        out.push(Effect {
            target,
            op,
            op_span,
            value,
        });
        c.blanks();
        if c.at_end() {
            return Some(out);
        }
        if !c.byte(b',') {
            return None;
        }
    }
}

/// Text with interpolations and no backslash.
pub(crate) fn text(input: &str, off: usize) -> Option<Text> {
    // Deep parentheses, even in plain words, are the grammar's to report.
    if input.contains('\\') || crate::build::check_nesting(input, off).is_err() {
        return None;
    }
    let mut parts = Vec::new();
    let mut rest = 0;
    let mut ops = 0;
    while let Some(open) = input[rest..].find('{').map(|i| rest + i) {
        if open > rest {
            parts.push(TextPart::Lit(input[rest..open].to_string()));
        }
        let close = open + input[open..].find('}')?;
        let mut c = Cursor::new(&input[..close], off);
        c.i = open + 1;
        c.ops = ops;
        let e = c.expr()?;
        ops = c.ops;
        c.blanks();
        if !c.at_end() {
            return None;
        }
        parts.push(TextPart::Interp(e));
        rest = close + 1;
    }
    if rest < input.len() {
        parts.push(TextPart::Lit(input[rest..].to_string()));
    }
    Some(Text {
        parts,
        span: Span::new(off, off + input.len()),
    })
}

/// `scene ID ["Title"]` or `outcome ID RATING "Title"`: the whole input, no escapes.
pub(crate) fn header(input: &str, off: usize) -> Option<(Ident, NodeKind)> {
    let mut c = Cursor::new(input, off);
    let scene = c.keyword("scene").is_some();
    if !scene {
        c.keyword("outcome")?;
    }
    c.blanks();
    let id = c.ident()?;
    c.blanks();
    let kind = if scene {
        let title = if c.at_end() { None } else { Some(c.string()?) };
        NodeKind::Scene { title }
    } else {
        let rating = match c.word()? {
            "good" => Rating::Good,
            "mixed" => Rating::Mixed,
            "bad" => Rating::Bad,
            _ => return None,
        };
        c.i += rating.as_str().len();
        c.blanks();
        NodeKind::Outcome {
            rating,
            title: c.string()?,
        }
    };
    c.blanks();
    c.at_end().then_some((id, kind))
}

#[cfg(test)]
mod tests {
    //! Every reading here must equal the grammar's, on many generated lines.
    use super::*;
    use crate::build::{self, parse_rule, Ctx};
    use crate::parser::Rule;

    fn by_grammar<T>(
        rule: Rule,
        input: &str,
        off: usize,
        build: fn(pest::iterators::Pair<'_, Rule>, &mut Ctx<'_>) -> T,
    ) -> Option<T> {
        let pair = parse_rule(rule, input, off).ok()?;
        let mut errors = Vec::new();
        let v = build(
            pair,
            &mut Ctx {
                off,
                errors: &mut errors,
            },
        );
        errors.is_empty().then_some(v)
    }

    /// Random token soups: mostly valid expressions, many not.
    fn soups(n: usize) -> Vec<String> {
        let tokens = [
            "trust",
            "x_1",
            "3",
            "0",
            "12",
            "true",
            "false",
            "and",
            "or",
            "not",
            "seen(door)",
            "seen( d )",
            "==",
            "!=",
            "<",
            "<=",
            ">",
            ">=",
            "+",
            "-",
            "(",
            ")",
            "end",
            "in",
            "notx",
            "99999999999999999999",
            "=",
            "!",
            "&&",
            ",",
            "\t",
        ];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let fixed = [
            "not (v2 == 5)",
            "(a + 1) > (b - 2)",
            "((x))",
            "( seen(d) or x ) and y",
            "-(3 - x) < 2",
            "not(x)",
            "(x",
            "x)",
            "((((((((((x))))))))))",
        ];
        fixed
            .iter()
            .map(|s| s.to_string())
            .chain((0..n).map(|_| {
                let len = 1 + next() as usize % 7;
                let mut s = String::new();
                for _ in 0..len {
                    let t = tokens[next() as usize % tokens.len()];
                    s.push_str(t);
                    if next() % 3 != 0 {
                        s.push(' ');
                    }
                }
                s.trim().to_string()
            }))
            .collect()
    }

    #[test]
    fn guards_and_conditions_read_as_the_grammar_reads_them() {
        let mut read = 0;
        for e in soups(4000) {
            for (src, rule, kw) in [
                (format!("{{{e}}}"), Rule::guard, None),
                (format!("{{if {e}}}"), Rule::if_line, Some("if")),
                (format!("{{ elif {e} }}"), Rule::elif_line, Some("elif")),
            ] {
                let slow = by_grammar(rule, &src, 7, build::build_condition_line);
                if let Some(fast) = braced(&src, 7, kw) {
                    assert_eq!(Some(fast), slow, "{src:?}");
                    read += 1;
                }
            }
        }
        assert!(
            read > 300,
            "the fast reading covers the common forms ({read})"
        );
    }

    #[test]
    fn effects_read_as_the_grammar_reads_them() {
        let mut read = 0;
        let soups = soups(3000);
        for (i, e) in soups.iter().enumerate() {
            let other = &soups[(i * 7) % soups.len()];
            for src in [
                format!("~ trust += {e}"),
                format!("~ a = {e}, b -= {other}"),
                format!("~ x={e},y+=1"),
                format!("~ end = {e}"),
            ] {
                let slow = by_grammar(Rule::effects_line, &src, 3, build::build_effects_line);
                if let Some(fast) = effects(&src, 3) {
                    assert_eq!(Some(fast), slow, "{src:?}");
                    read += 1;
                }
            }
        }
        assert!(
            read > 300,
            "the fast reading covers the common forms ({read})"
        );
    }

    #[test]
    fn interpolated_text_reads_as_the_grammar_reads_it() {
        let mut read = 0;
        for e in soups(3000) {
            for src in [
                format!("Trust is {{{e}}}."),
                format!("{{{e}}} and {{ trust }} }} stray"),
                format!("no braces {e}"),
            ] {
                let mut errors = Vec::new();
                let slow = {
                    // The grammar's reading, without the fast paths of `build_text`.
                    match parse_rule(Rule::text, &src, 5) {
                        Ok(pair) => {
                            let mut ctx = Ctx {
                                off: 5,
                                errors: &mut errors,
                            };
                            let mut parts: Vec<TextPart> = Vec::new();
                            for piece in pair.into_inner() {
                                match piece.as_rule() {
                                    Rule::text_chunk => match parts.last_mut() {
                                        Some(TextPart::Lit(l)) => l.push_str(piece.as_str()),
                                        _ => parts.push(TextPart::Lit(piece.as_str().into())),
                                    },
                                    Rule::interp => {
                                        parts.push(TextPart::Interp(build::build_expr(
                                            piece.into_inner().next().unwrap(),
                                            &mut ctx,
                                        )))
                                    }
                                    _ => {}
                                }
                            }
                            Some(Text {
                                parts,
                                span: Span::new(5, 5 + src.len()),
                            })
                        }
                        Err(_) => None,
                    }
                };
                if let Some(fast) = text(&src, 5) {
                    assert!(errors.is_empty());
                    assert_eq!(Some(fast), slow, "{src:?}");
                    read += 1;
                }
            }
        }
        assert!(
            read > 300,
            "the fast reading covers the common forms ({read})"
        );
    }

    #[test]
    fn headers_read_as_the_grammar_reads_them() {
        for src in [
            "scene door",
            "scene door \"At the door\"",
            "scene  d_2\t\"A\"",
            "scene end",
            "scene door At",
            "scene door \"esc \\\" aped\"",
            "scene door \"\"",
            "outcome held good \"Held\"",
            "outcome held  mixed\t\"Held, mostly\"",
            "outcome held great \"x\"",
            "outcome held goodness \"x\"",
            "outcome held bad",
            "outcome held bad \"x\" y",
            "outcome in good \"x\"",
        ] {
            let rule = if src.starts_with("scene") {
                Rule::scene_line
            } else {
                Rule::outcome_line
            };
            let builder = if rule == Rule::scene_line {
                build::build_scene_line
            } else {
                build::build_outcome_line
            };
            let slow = by_grammar(rule, src, 2, builder);
            match header(src, 2) {
                Some(fast) => assert_eq!(Some(fast), slow, "{src:?}"),
                None => assert!(slow.is_none() || src.contains('\\'), "{src:?}"),
            }
        }
    }
}
