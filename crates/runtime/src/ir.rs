//! The compiled story: a serialisable intermediate representation with every name
//! resolved to an index. The compiler writes it; the runtime runs it.

use serde::{Deserialize, Serialize};

/// The version of the IR's serialised form; bumped on any incompatible change.
pub const FORMAT: u32 = 2;

/// Index of a node in [`Story::nodes`].
pub type NodeId = u32;
/// Index of a variable in [`Story::variables`].
pub type VarId = u32;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Story {
    /// Always [`FORMAT`] for stories this version writes.
    pub format: u32,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_note: Option<String>,
    pub start: NodeId,
    /// The source files, in story order; [`Pos::file`] indexes this list.
    pub files: Vec<String>,
    pub characters: Vec<Character>,
    pub variables: Vec<Variable>,
    pub nodes: Vec<Node>,
    /// The author's checks, in story order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
}

/// A property of the story, proven over every reachable state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    #[serde(flatten)]
    pub kind: CheckKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The check as written, after `check` and before the label.
    pub text: String,
    pub at: Pos,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum CheckKind {
    /// Every reachable state satisfies the expression.
    Always { expr: Expr },
    /// No reachable state satisfies the expression.
    Never { expr: Expr },
    /// Some reachable state satisfies the expression.
    CanReach { expr: Expr },
    /// From every reachable state satisfying `when`, a state satisfying `reach` is
    /// reachable (the state itself counts).
    Whenever { when: Expr, reach: Expr },
}

impl CheckKind {
    /// The check's expressions, in the order written.
    pub fn exprs(&self) -> Vec<&Expr> {
        match self {
            CheckKind::Always { expr }
            | CheckKind::Never { expr }
            | CheckKind::CanReach { expr } => {
                vec![expr]
            }
            CheckKind::Whenever { when, reach } => vec![when, reach],
        }
    }
}

/// Where something was written: a file of [`Story::files`] and a 1-based line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Pos {
    pub file: u32,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Character {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum VarType {
    Int { lo: i64, hi: i64 },
    Bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variable {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub shown: bool,
    #[serde(flatten)]
    pub ty: VarType,
    /// The initial value; booleans are 0 or 1.
    pub init: i64,
    pub at: Pos,
}

impl Variable {
    /// The name the debrief shows: the label, or the name.
    pub fn display_name(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.name)
    }

    pub fn is_bool(&self) -> bool {
        matches!(self.ty, VarType::Bool)
    }

    /// Clamps a value into the declared range (booleans are already 0 or 1).
    pub fn clamp(&self, v: i64) -> i64 {
        match self.ty {
            VarType::Int { lo, hi } => v.clamp(lo, hi),
            VarType::Bool => v,
        }
    }

    /// The value as the story prints it.
    pub fn format(&self, v: i64) -> String {
        format_value(v, self.is_bool())
    }
}

/// Prints a value: booleans as `true` / `false`, integers in decimal.
pub fn format_value(v: i64, is_bool: bool) -> String {
    if is_bool {
        if v != 0 { "true" } else { "false" }.to_string()
    } else {
        v.to_string()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum NodeKind {
    Scene,
    Outcome { rating: Rating },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub id: String,
    #[serde(flatten)]
    pub kind: NodeKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub at: Pos,
    pub body: Block,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
}

impl Node {
    pub fn is_outcome(&self) -> bool {
        matches!(self.kind, NodeKind::Outcome { .. })
    }

    pub fn rating(&self) -> Option<Rating> {
        match self.kind {
            NodeKind::Outcome { rating } => Some(rating),
            NodeKind::Scene => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub sticky: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<Expr>,
    pub text: Text,
    pub body: Block,
    pub at: Pos,
}

pub type Block = Vec<Stmt>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "stmt", rename_all = "lowercase")]
pub enum Stmt {
    /// Narration (`speaker: None`) or dialogue.
    Line {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        speaker: Option<u32>,
        text: Text,
    },
    /// A feedback note; a rated note carries its rating.
    Note {
        text: Text,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rating: Option<Rating>,
    },
    Effects {
        effects: Vec<Effect>,
    },
    Divert {
        target: NodeId,
    },
    If {
        branches: Vec<Branch>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        otherwise: Block,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Branch {
    pub cond: Expr,
    pub body: Block,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AssignOp {
    Set,
    Add,
    Sub,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Effect {
    pub var: VarId,
    pub op: AssignOp,
    pub value: Expr,
}

/// Text with interpolated expressions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Text {
    pub parts: Vec<TextPart>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TextPart {
    Lit(String),
    Expr { expr: Expr, is_bool: bool },
}

impl Text {
    /// The text with every interpolation written as `{…}`: for labels and paths,
    /// where no state is at hand.
    pub fn plain(&self) -> String {
        let mut s = String::new();
        for p in &self.parts {
            match p {
                TextPart::Lit(l) => s.push_str(l),
                TextPart::Expr { .. } => s.push_str("{…}"),
            }
        }
        s
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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

/// An expression; booleans evaluate to 0 or 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expr {
    Const(i64),
    Var(VarId),
    Seen(NodeId),
    /// The state is at this node (only in checks).
    At(NodeId),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
}

impl BinOp {
    /// The operator as the scene language writes it.
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

impl Expr {
    /// Calls `f` on this expression and on every expression inside it.
    pub fn walk(&self, f: &mut impl FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Not(x) | Expr::Neg(x) => x.walk(f),
            Expr::Bin(_, a, b) => {
                a.walk(f);
                b.walk(f);
            }
            Expr::Const(_) | Expr::Var(_) | Expr::Seen(_) | Expr::At(_) => {}
        }
    }
}

fn walk_text(t: &Text, f: &mut impl FnMut(&Expr)) {
    for p in &t.parts {
        if let TextPart::Expr { expr, .. } = p {
            expr.walk(f);
        }
    }
}

fn walk_block(b: &[Stmt], f: &mut impl FnMut(&Expr)) {
    for s in b {
        match s {
            Stmt::Line { text, .. } | Stmt::Note { text, .. } => walk_text(text, f),
            Stmt::Effects { effects } => effects.iter().for_each(|e| e.value.walk(f)),
            Stmt::Divert { .. } => {}
            Stmt::If {
                branches,
                otherwise,
            } => {
                for br in branches {
                    br.cond.walk(f);
                    walk_block(&br.body, f);
                }
                walk_block(otherwise, f);
            }
        }
    }
}

impl Node {
    /// Calls `f` on every expression of the node, and every expression inside those:
    /// guards, conditions, effect values and interpolations.
    pub fn walk_exprs(&self, f: &mut impl FnMut(&Expr)) {
        walk_block(&self.body, f);
        for c in &self.choices {
            if let Some(g) = &c.guard {
                g.walk(f);
            }
            walk_text(&c.text, f);
            walk_block(&c.body, f);
        }
    }
}

impl Story {
    /// The nodes that some `seen()` names, in the story or in a check, in order, each once.
    pub fn seen_nodes(&self) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut push = |e: &Expr| {
            if let Expr::Seen(n) = e {
                out.push(*n);
            }
        };
        for node in &self.nodes {
            node.walk_exprs(&mut push);
        }
        for check in &self.checks {
            for e in check.kind.exprs() {
                e.walk(&mut push);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}
