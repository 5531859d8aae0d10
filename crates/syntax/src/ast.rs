//! The abstract syntax tree of one scene file, with byte spans into the source.

use std::fmt;

/// A half-open byte range into the source text of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The span from the start of `self` to the end of `other`.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    pub fn len(self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A quoted string, unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrLit {
    pub value: String,
    pub span: Span,
}

/// One parsed `.scene` file: its preamble declarations, then its nodes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct File {
    pub decls: Vec<Decl>,
    pub nodes: Vec<Node>,
    /// Names from declaration lines that did not parse: references to them are not
    /// reported again as unknown.
    pub broken_names: Vec<String>,
}

/// A preamble line.
#[derive(Debug, Clone, PartialEq)]
pub enum Decl {
    /// `key: value`
    Meta {
        key: Ident,
        value: String,
        value_span: Span,
        span: Span,
    },
    /// `character ID "Name"`
    Character {
        id: Ident,
        name: Option<StrLit>,
        span: Span,
    },
    /// `check …`: a property the checker proves over every reachable state.
    Check(Check),
    /// `hidden|shown ID = INIT "Label"`
    Variable {
        shown: bool,
        name: Ident,
        init: Init,
        label: Option<StrLit>,
        span: Span,
    },
}

/// `check always E`, `check never E`, `check can reach E`, `check whenever E1, can reach E2`.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub kind: CheckKind,
    pub label: Option<StrLit>,
    /// The whole line (without its comment).
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CheckKind {
    Always(Expr),
    Never(Expr),
    CanReach(Expr),
    Whenever(Expr, Expr),
}

/// The initial value and type of a declared variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Init {
    Int {
        value: i64,
        value_span: Span,
        lo: i64,
        hi: i64,
        range_span: Span,
    },
    Bool {
        value: bool,
        span: Span,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rating {
    Good,
    Mixed,
    Bad,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Good => "good",
            Rating::Mixed => "mixed",
            Rating::Bad => "bad",
        }
    }
}

impl fmt::Display for Rating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Scene { title: Option<StrLit> },
    Outcome { rating: Rating, title: StrLit },
}

/// A `scene` or `outcome` with its body.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub id: Ident,
    pub kind: NodeKind,
    /// The whole header line (without its comment).
    pub header_span: Span,
    /// The opening lines, before the first choice.
    pub body: Vec<Stmt>,
    pub choices: Vec<Choice>,
    /// The header did not parse (its error is reported); structure checks of the
    /// node as a whole are skipped.
    pub broken: bool,
}

impl Node {
    pub fn is_outcome(&self) -> bool {
        matches!(self.kind, NodeKind::Outcome { .. })
    }
}

/// `* text` or `+ {guard} text`, with the lines it owns.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub sticky: bool,
    pub guard: Option<Expr>,
    pub text: Text,
    pub body: Vec<Stmt>,
    /// The whole choice line.
    pub span: Span,
}

/// A body statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    Narration {
        text: Text,
        span: Span,
    },
    Dialogue {
        speaker: Ident,
        text: Text,
        span: Span,
    },
    /// `! text`, or a rated note `! good: text` (the rating is not part of the text).
    Note {
        text: Text,
        rating: Option<Rating>,
        span: Span,
    },
    Effects {
        effects: Vec<Effect>,
        span: Span,
    },
    Divert {
        target: Ident,
        span: Span,
    },
    If {
        branches: Vec<Branch>,
        else_body: Option<ElseBranch>,
        span: Span,
    },
    /// A line that did not parse (its error is reported); `diverts` keeps the
    /// structure checks quiet about a divert line that was only mistyped.
    Invalid {
        diverts: bool,
        span: Span,
    },
}

impl Stmt {
    pub fn span(&self) -> Span {
        match self {
            Stmt::Narration { span, .. }
            | Stmt::Dialogue { span, .. }
            | Stmt::Note { span, .. }
            | Stmt::Effects { span, .. }
            | Stmt::Divert { span, .. }
            | Stmt::If { span, .. }
            | Stmt::Invalid { span, .. } => *span,
        }
    }
}

/// `{if E}` or `{elif E}` and the lines up to the next marker.
#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    pub cond: Expr,
    pub body: Vec<Stmt>,
    /// The marker line.
    pub span: Span,
}

/// `{else}` and the lines up to `{end}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ElseBranch {
    pub body: Vec<Stmt>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignOp {
    Set,
    Add,
    Sub,
}

/// `target op value` inside an effects line.
#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    pub target: Ident,
    pub op: AssignOp,
    pub op_span: Span,
    pub value: Expr,
}

/// Text with `{E}` interpolations.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Text {
    pub parts: Vec<TextPart>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TextPart {
    Lit(String),
    Interp(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
}

impl BinOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Int(i64),
    Bool(bool),
    Var(String),
    Seen(Ident),
    /// `at(ID)`: only in checks.
    At(Ident),
    /// `ended(RATING)`: only in checks.
    Ended(Rating),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
}
