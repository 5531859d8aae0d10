//! Syntax errors, and the adapter that turns pest's failures into plain words.

use crate::ast::Span;
use crate::parser::Rule;

/// What kind of problem a [`SyntaxError`] is; the compiler maps each to a diagnostic code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyntaxErrorKind {
    /// The line does not parse (`syntax-error`).
    Syntax,
    /// The line parses but stands where it cannot (`misplaced-statement`).
    Misplaced,
}

/// A problem found while reading a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub kind: SyntaxErrorKind,
    pub span: Span,
    pub message: String,
    /// A short text shown under the span.
    pub label: String,
    pub help: Option<String>,
}

impl SyntaxError {
    pub fn syntax(span: Span, message: impl Into<String>, label: impl Into<String>) -> Self {
        SyntaxError {
            kind: SyntaxErrorKind::Syntax,
            span,
            message: message.into(),
            label: label.into(),
            help: None,
        }
    }

    pub fn misplaced(span: Span, message: impl Into<String>, label: impl Into<String>) -> Self {
        SyntaxError {
            kind: SyntaxErrorKind::Misplaced,
            span,
            message: message.into(),
            label: label.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// The human name of a grammar rule, as authors read it in "expected …".
pub fn rule_name(rule: Rule) -> &'static str {
    use Rule::*;
    match rule {
        ident | any_word => "a name",
        reserved => "a name that is not a reserved word",
        int | signed_int => "a whole number",
        string | string_inner => "a quoted text like \"Alex\"",
        expr | or_expr | and_expr | not_expr | cmp_expr | sum | unary | atom | paren | neg => {
            "an expression like `trust >= 3`"
        }
        kw_and => "`and`",
        kw_or => "`or`",
        kw_not => "`not`",
        kw_true | kw_false | bool_initial => "`true` or `false`",
        kw_seen | seen_call => "`seen(NODE)`",
        kw_at | at_call => "`at(NODE)`",
        kw_ended | ended_call => "`ended(good)`, `ended(mixed)` or `ended(bad)`",
        check_line | kw_check | check_form => "a check like `check never ended(good) and given`",
        check_always | kw_always => "`always` and a condition",
        check_never | kw_never => "`never` and a condition",
        check_reach | can_reach => "`can reach` and a condition",
        check_whenever | kw_whenever => "`whenever CONDITION, can reach CONDITION`",
        cmp_op => "a comparison like `>=`",
        add_op => "an operator like `+`",
        text | text_piece | text_chunk | brace_escape => "text",
        interp => "an interpolation like `{trust}`",
        metadata_line => "metadata like `title: The doorway request`",
        meta_key => "a metadata key like `title`",
        meta_value => "a value",
        character_line | kw_character => "a character like `character patient \"Alex\"`",
        variable_line => "a variable like `hidden trust = 5 in 0..10 \"Patient trust\"`",
        visibility => "`hidden` or `shown`",
        initial => "an initial value: `true`, `false` or a number with a range like `5 in 0..10`",
        int_initial => "a number with a range like `5 in 0..10`",
        kw_in => "`in` and a range like `0..10`",
        range => "a range like `0..10`",
        scene_line | kw_scene => "a scene header like `scene doorway \"At the door\"`",
        outcome_line | kw_outcome => {
            "an outcome header like `outcome held good \"The frame holds\"`"
        }
        rating => "a rating: `good`, `mixed` or `bad`",
        effects_line | effect => "an effect like `trust += 1`",
        assign_op => "`=`, `+=` or `-=`",
        divert_line => "a divert like `-> doorway`",
        if_line | kw_if => "`{if CONDITION}`",
        elif_line | kw_elif => "`{elif CONDITION}`",
        guard => "a guard like `{trust >= 3}`",
        EOI => "the end of the line",
        WHITESPACE | ident_start | ident_char => "a space",
    }
}

/// Turns a pest error on a piece of text that starts at byte `offset` of the file
/// into a [`SyntaxError`] whose message says in words what was expected.
pub fn from_pest(err: pest::error::Error<Rule>, input: &str, offset: usize) -> SyntaxError {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let found_len = input[pos..].chars().next().map_or(0, char::len_utf8);
    let span = Span::new(offset + pos, offset + pos + found_len);
    let rest = &input[pos..];
    let found = describe_found(rest);

    // Common mistakes get their own message.
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if crate::RESERVED.contains(&word.as_str()) {
        let positives_name = match &err.variant {
            ErrorVariant::ParsingError { positives, .. } => positives.contains(&Rule::ident),
            ErrorVariant::CustomError { .. } => false,
        };
        if positives_name {
            return SyntaxError::syntax(
                Span::new(offset + pos, offset + pos + word.len()),
                format!("`{word}` is a reserved word and cannot be used as a name"),
                "reserved word",
            )
            .with_help(format!("choose another name, like `{word}_1`"));
        }
    }
    if ["==", "!=", "<=", ">=", "<", ">"]
        .iter()
        .any(|op| rest.starts_with(op))
        && input[..pos].contains(['<', '>', '='])
    {
        return SyntaxError::syntax(span, "comparisons do not chain", "a second comparison")
            .with_help("compare two values at a time and join them: `a < b and b < c`");
    }

    let expected = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut names: Vec<&str> = Vec::new();
            for r in positives {
                let n = rule_name(*r);
                if !names.contains(&n) {
                    names.push(n);
                }
            }
            join_or(&names)
        }
        ErrorVariant::CustomError { message } => message.clone(),
    };
    let message = if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {expected}, found {found}")
    };
    let positives: &[Rule] = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => positives,
        ErrorVariant::CustomError { .. } => &[],
    };
    let mut e = SyntaxError::syntax(span, message, format!("expected {}", short(&expected)));
    e.help = common_mistake(rest, positives);
    e
}

/// A hint for mistakes authors often make, judged from the text at the error.
fn common_mistake(rest: &str, positives: &[Rule]) -> Option<String> {
    let hint = |s: &str| Some(s.to_string());
    if rest.starts_with("&&") {
        return hint("write `and` instead of `&&`");
    }
    if rest.starts_with("||") {
        return hint("write `or` instead of `||`");
    }
    if rest.starts_with("=>") {
        return hint("did you mean `>=`?");
    }
    if rest.starts_with("=<") {
        return hint("did you mean `<=`?");
    }
    if rest.starts_with("=+") {
        return hint("did you mean `+=`?");
    }
    if rest.starts_with("=-") {
        return hint("did you mean `-=`?");
    }
    if rest.starts_with('!') && !rest.starts_with("!=") {
        return hint("write `not` instead of `!`");
    }
    if rest.starts_with('=') && positives.contains(&Rule::cmp_op) {
        return hint("to compare two values, write `==`");
    }
    if positives.contains(&Rule::assign_op) {
        if rest.starts_with('+') {
            return hint("did you mean `+=`?");
        }
        if rest.starts_with('-') {
            return hint("did you mean `-=`?");
        }
    }
    if positives.contains(&Rule::string)
        && rest.starts_with(|c: char| c.is_alphanumeric() || c == '_')
    {
        return hint("text here goes in double quotes, like \"Alex\"");
    }
    if positives.contains(&Rule::range) && rest.contains('-') {
        return hint("a range is written with two dots: `0..10`");
    }
    None
}

fn short(expected: &str) -> &str {
    if expected.is_empty() {
        "something else"
    } else {
        expected
    }
}

fn describe_found(rest: &str) -> String {
    match rest.chars().next() {
        None => "the end of the line".to_string(),
        Some(c) if c.is_ascii_alphanumeric() || c == '_' => {
            let w: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            format!("`{w}`")
        }
        Some(c) => format!("`{c}`"),
    }
}

/// "a", "a or b", "a, b or c".
pub fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}
