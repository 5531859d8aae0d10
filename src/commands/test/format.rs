//! The story-test format: plain-text test cases of choices and expectations, read line
//! by line. `docs/testing.md` describes it for authors.

use std::fmt;

/// A parsed `.test` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestFile {
    pub cases: Vec<Case>,
}

/// One test case: a name and its steps, played from the start of the story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub name: String,
    pub line: usize,
    pub steps: Vec<Step>,
}

/// One line of a test case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub line: usize,
    /// The line as written (trimmed), for failure messages.
    pub source: String,
    pub kind: StepKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    pub fn holds(self, a: i64, b: i64) -> bool {
        match self {
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
        }
    }
}

/// A value in a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    Int(i64),
    Bool(bool),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(v) => write!(f, "{v}"),
            Value::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// What kind of text an `expect` looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// A line of narration or dialogue shown so far.
    Line,
    /// A feedback note given so far.
    Note,
    /// A choice offered now.
    Offered,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    /// `choose 2`: the second of the choices offered.
    ChooseNumber(usize),
    /// `choose "text"`: the offered choice with exactly this text.
    ChooseText(String),
    /// `expect outcome ID`
    Outcome(String),
    /// `expect rating good`
    Rating(String),
    /// `expect trust >= 6`, `expect rehearsed`, `expect not rehearsed`
    Compare {
        var: String,
        op: CmpOp,
        value: Value,
    },
    /// `expect line "…"`, `expect no line "…"`, `expect offered "…"`, …
    Text {
        what: Seen,
        text: String,
        present: bool,
    },
}

/// A line that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

const RATINGS: [&str; 3] = ["good", "mixed", "bad"];

/// Parses a test file; every line that does not parse is reported.
pub fn parse(text: &str) -> Result<TestFile, Vec<ParseError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut cases: Vec<Case> = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let src = raw.trim();
        if src.is_empty() || src.starts_with("//") {
            continue;
        }
        let (word, rest) = split_word(src);
        let result = match word {
            "test" => {
                let name = match unquote_all(rest) {
                    Ok(Some(n)) => n,
                    Ok(None) => rest.to_string(),
                    Err(e) => {
                        errors.push(ParseError { line, message: e });
                        continue;
                    }
                };
                if name.trim().is_empty() {
                    Err("a test needs a name: `test The effective move holds the frame`".to_string())
                } else {
                    cases.push(Case {
                        name: name.trim().to_string(),
                        line,
                        steps: Vec::new(),
                    });
                    continue;
                }
            }
            "choose" => parse_choose(rest),
            "expect" => parse_expect(rest),
            _ => Err(format!(
                "`{}` is not a step; a line is `test NAME`, `choose …`, `expect …` or a `//` comment",
                shorten(src)
            )),
        };
        match (result, cases.last_mut()) {
            (Err(message), _) => errors.push(ParseError { line, message }),
            (Ok(_), None) => errors.push(ParseError {
                line,
                message: "this step comes before any `test NAME` line".to_string(),
            }),
            (Ok(kind), Some(case)) => case.steps.push(Step {
                line,
                source: src.to_string(),
                kind,
            }),
        }
    }
    if errors.is_empty() {
        Ok(TestFile { cases })
    } else {
        Err(errors)
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(39).collect::<String>())
    } else {
        s.to_string()
    }
}

fn split_word(s: &str) -> (&str, &str) {
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], s[i..].trim_start()),
        None => (s, ""),
    }
}

fn parse_choose(rest: &str) -> Result<StepKind, String> {
    const HELP: &str =
        "write `choose 2` (the second choice offered) or `choose \"exact choice text\"`";
    if let Some(text) = unquote_all(rest)? {
        return Ok(StepKind::ChooseText(text));
    }
    match rest.parse::<usize>() {
        Ok(0) => Err("choices are numbered from 1".to_string()),
        Ok(n) => Ok(StepKind::ChooseNumber(n)),
        Err(_) if rest.is_empty() => Err(format!("choose what? {HELP}")),
        Err(_) => Err(format!(
            "`choose {}` is neither a number nor quoted text; {HELP}",
            shorten(rest)
        )),
    }
}

fn parse_expect(rest: &str) -> Result<StepKind, String> {
    let (word, after) = split_word(rest);
    let text_kind = |w: &str| match w {
        "line" => Some(Seen::Line),
        "note" => Some(Seen::Note),
        "offered" => Some(Seen::Offered),
        _ => None,
    };
    let quoted = |s: &str| s.starts_with(['"', '“']);
    // `expect line "…"`, `expect note "…"`, `expect offered "…"`.
    if let Some(what) = text_kind(word).filter(|_| quoted(after)) {
        return text_step(what, after, true);
    }
    // `expect no line "…"`, `expect no note "…"`, `expect not offered "…"`.
    if word == "no" || word == "not" {
        let (w2, after2) = split_word(after);
        if quoted(after2) {
            match (word, text_kind(w2)) {
                ("no", Some(what @ (Seen::Line | Seen::Note)))
                | ("not", Some(what @ Seen::Offered)) => {
                    return text_step(what, after2, false);
                }
                ("not", Some(Seen::Line | Seen::Note)) => {
                    return Err(format!("write `expect no {w2} \"…\"`"))
                }
                ("no", Some(Seen::Offered)) => {
                    return Err("write `expect not offered \"…\"`".to_string())
                }
                _ => {}
            }
        }
    }
    match word {
        "outcome" if is_ident(after) => return Ok(StepKind::Outcome(after.to_string())),
        "outcome" => {
            return Err(
                "write `expect outcome ID`, with the outcome's id from its `outcome` line"
                    .to_string(),
            )
        }
        "rating" if RATINGS.contains(&after) => return Ok(StepKind::Rating(after.to_string())),
        "rating" => {
            return Err(
                "write `expect rating good`, `expect rating mixed` or `expect rating bad`"
                    .to_string(),
            )
        }
        _ => {}
    }
    parse_comparison(rest)
}

fn text_step(what: Seen, rest: &str, present: bool) -> Result<StepKind, String> {
    match unquote_all(rest)? {
        Some(text) if text.trim().is_empty() => Err("the quoted text is empty".to_string()),
        Some(text) => Ok(StepKind::Text {
            what,
            text,
            present,
        }),
        None => Err("put the text in double quotes".to_string()),
    }
}

/// `trust >= 6`, `trust = 6`, `rehearsed`, `not rehearsed`, `rehearsed == false`.
fn parse_comparison(rest: &str) -> Result<StepKind, String> {
    const HELP: &str =
        "an expectation is `outcome ID`, `rating good`, `line \"…\"`, `note \"…\"`, \
                        `offered \"…\"`, or a comparison such as `trust >= 6`";
    if rest.is_empty() {
        return Err(format!("expect what? {HELP}"));
    }
    let (first, after) = split_word(rest);
    if first == "not" && is_ident(after) {
        return Ok(StepKind::Compare {
            var: after.to_string(),
            op: CmpOp::Eq,
            value: Value::Bool(false),
        });
    }
    let name_end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let (name, tail) = (&rest[..name_end], rest[name_end..].trim_start());
    if !is_ident(name) {
        return Err(format!(
            "`expect {}` is not an expectation; {HELP}",
            shorten(rest)
        ));
    }
    if tail.is_empty() {
        return Ok(StepKind::Compare {
            var: name.to_string(),
            op: CmpOp::Eq,
            value: Value::Bool(true),
        });
    }
    let ops = [
        ("==", CmpOp::Eq),
        ("!=", CmpOp::Ne),
        ("<=", CmpOp::Le),
        (">=", CmpOp::Ge),
        ("<", CmpOp::Lt),
        (">", CmpOp::Gt),
        ("=", CmpOp::Eq),
    ];
    let Some((op, value)) = ops
        .iter()
        .find_map(|(t, op)| tail.strip_prefix(t).map(|v| (*op, v.trim())))
    else {
        return Err(format!(
            "`expect {}`: after the name comes a comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`) and a value",
            shorten(rest)
        ));
    };
    let value =
        match value {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            v => Value::Int(v.parse().map_err(|_| {
                format!("`{}` is not a whole number, `true` or `false`", shorten(v))
            })?),
        };
    Ok(StepKind::Compare {
        var: name.to_string(),
        op,
        value,
    })
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// If `s` is one quoted string (straight quotes with `\"` and `\\` escapes, or curly
/// quotes), its text; `None` if `s` does not start with a quote.
fn unquote_all(s: &str) -> Result<Option<String>, String> {
    let s = s.trim();
    if let Some(body) = s.strip_prefix('“') {
        return match body.strip_suffix('”') {
            Some(t) if !t.contains(['“', '”']) => Ok(Some(t.to_string())),
            _ => Err("the text must be one quoted string, ending the line".to_string()),
        };
    }
    let Some(body) = s.strip_prefix('"') else {
        return Ok(None);
    };
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('"' | '\\')) => out.push(e),
                Some(e) => {
                    out.push('\\');
                    out.push(e);
                }
                None => return Err("the quoted text is not closed: it ends in `\\`".to_string()),
            },
            '"' => {
                return if chars.as_str().trim().is_empty() {
                    Ok(Some(out))
                } else {
                    Err(
                        "the quoted text must end the line; write a quote inside it as `\\\"`"
                            .to_string(),
                    )
                };
            }
            c => out.push(c),
        }
    }
    Err("the quoted text is not closed: add a `\"` at the end".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(text: &str) -> Vec<StepKind> {
        let f = parse(text).expect("parses");
        f.cases
            .into_iter()
            .flat_map(|c| c.steps)
            .map(|s| s.kind)
            .collect()
    }

    fn error(text: &str) -> ParseError {
        parse(text).expect_err("does not parse").remove(0)
    }

    #[test]
    fn a_case_reads_like_a_script() {
        let f = parse(
            "// The effective move\n\
             test The effective move holds\n  choose 6\n  choose \"Name the fear.\"\n\n\
             \texpect outcome frame_held\n  expect rating good\n  expect trust >= 6\n\
             test \"Second\"\n  expect line \"Rowan nods.\"\n",
        )
        .expect("parses");
        assert_eq!(f.cases.len(), 2);
        assert_eq!(f.cases[0].name, "The effective move holds");
        assert_eq!(f.cases[0].line, 2);
        assert_eq!(f.cases[1].name, "Second");
        let s = &f.cases[0].steps;
        assert_eq!(s[0].kind, StepKind::ChooseNumber(6));
        assert_eq!(s[1].kind, StepKind::ChooseText("Name the fear.".into()));
        assert_eq!(
            (s[2].line, s[2].kind.clone()),
            (6, StepKind::Outcome("frame_held".into()))
        );
        assert_eq!(s[3].kind, StepKind::Rating("good".into()));
        assert_eq!(
            s[4].kind,
            StepKind::Compare {
                var: "trust".into(),
                op: CmpOp::Ge,
                value: Value::Int(6)
            }
        );
        assert_eq!(s[4].source, "expect trust >= 6");
    }

    #[test]
    fn comparisons_and_booleans() {
        let got = steps(
            "test t\nexpect trust = 3\nexpect trust != -2\nexpect rehearsed\nexpect not rehearsed\nexpect given == true\nexpect frame<4\n",
        );
        let cmp = |var: &str, op, value| StepKind::Compare {
            var: var.into(),
            op,
            value,
        };
        assert_eq!(
            got,
            [
                cmp("trust", CmpOp::Eq, Value::Int(3)),
                cmp("trust", CmpOp::Ne, Value::Int(-2)),
                cmp("rehearsed", CmpOp::Eq, Value::Bool(true)),
                cmp("rehearsed", CmpOp::Eq, Value::Bool(false)),
                cmp("given", CmpOp::Eq, Value::Bool(true)),
                cmp("frame", CmpOp::Lt, Value::Int(4)),
            ]
        );
    }

    #[test]
    fn text_expectations_and_their_negations() {
        let got = steps(
            "test t\nexpect line \"She said \\\"no\\\".\"\nexpect no line \"x\"\nexpect note “curly”\nexpect no note \"y\"\nexpect offered \"z\"\nexpect not offered \"w\"\n",
        );
        let t = |what, text: &str, present| StepKind::Text {
            what,
            text: text.into(),
            present,
        };
        assert_eq!(
            got,
            [
                t(Seen::Line, "She said \"no\".", true),
                t(Seen::Line, "x", false),
                t(Seen::Note, "curly", true),
                t(Seen::Note, "y", false),
                t(Seen::Offered, "z", true),
                t(Seen::Offered, "w", false),
            ]
        );
    }

    #[test]
    fn a_variable_may_share_a_name_with_a_keyword() {
        let got = steps("test t\nexpect line >= 2\nexpect offered\n");
        assert!(matches!(&got[0], StepKind::Compare { var, op: CmpOp::Ge, .. } if var == "line"));
        assert!(
            matches!(&got[1], StepKind::Compare { var, value: Value::Bool(true), .. } if var == "offered")
        );
    }

    #[test]
    fn mistakes_are_reported_by_line_in_words() {
        assert_eq!(
            error("choose 1\n").message,
            "this step comes before any `test NAME` line"
        );
        let e = error("test t\n\nchose 1\n");
        assert_eq!(e.line, 3);
        assert!(
            e.message.contains("`chose 1` is not a step"),
            "{}",
            e.message
        );
        assert!(error("test t\nchoose 0\n")
            .message
            .contains("numbered from 1"));
        assert!(error("test t\nchoose first\n")
            .message
            .contains("neither a number nor quoted text"));
        assert!(error("test t\nchoose \"open\n")
            .message
            .contains("not closed"));
        assert!(error("test t\nchoose \"a\" b\n")
            .message
            .contains("must end the line"));
        assert!(error("test t\nexpect rating great\n")
            .message
            .contains("rating good"));
        assert!(error("test t\nexpect trust >= lots\n")
            .message
            .contains("not a whole number"));
        assert!(error("test t\nexpect trust ~ 3\n")
            .message
            .contains("comparison"));
        assert!(error("test t\nexpect not line \"x\"\n")
            .message
            .contains("expect no line"));
        assert!(error("test\n").message.contains("needs a name"));
        let all = parse("test t\nchose 1\nexpect\nchoose\n").expect_err("three errors");
        assert_eq!(all.iter().map(|e| e.line).collect::<Vec<_>>(), [2, 3, 4]);
    }
}
