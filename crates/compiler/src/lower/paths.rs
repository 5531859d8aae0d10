//! Syntactic paths through a body, as `falls-through` walks them (a path ends at its
//! first divert): whether every path diverts, and whether some or every path passes a
//! note or a rated note (for the teaching lints).

use threshold_syntax::ast;

pub(super) fn has_note(block: &[ast::Stmt]) -> bool {
    block.iter().any(|s| match s {
        ast::Stmt::Note { .. } => true,
        ast::Stmt::If {
            branches,
            else_body,
            ..
        } => {
            branches.iter().any(|b| has_note(&b.body))
                || else_body.as_ref().is_some_and(|e| has_note(&e.body))
        }
        _ => false,
    })
}

/// Whether some syntactic path through a choice's body passes a note before it ends;
/// a path ends at its first divert.
pub(super) fn passes_note(block: &[ast::Stmt]) -> bool {
    body_paths(block, &|s| matches!(s, ast::Stmt::Note { .. })).marked
}

/// Whether every syntactic path through a choice's body passes a rated note before
/// its divert.
pub(super) fn always_rated(block: &[ast::Stmt]) -> bool {
    !body_paths(block, &|s| {
        matches!(
            s,
            ast::Stmt::Note {
                rating: Some(_),
                ..
            }
        )
    })
    .unmarked
}

/// A set of syntactic paths, as `falls-through` walks them: whether it holds a path
/// that passed a marked statement, and whether it holds one that did not.
#[derive(Debug, Clone, Copy, Default)]
struct Paths {
    marked: bool,
    unmarked: bool,
}

impl Paths {
    fn is_empty(self) -> bool {
        !self.marked && !self.unmarked
    }

    fn union(self, o: Paths) -> Paths {
        Paths {
            marked: self.marked || o.marked,
            unmarked: self.unmarked || o.unmarked,
        }
    }
}

/// Every path through a choice's body, ended at its divert or run off the end.
fn body_paths(block: &[ast::Stmt], marks: &impl Fn(&ast::Stmt) -> bool) -> Paths {
    let start = Paths {
        marked: false,
        unmarked: true,
    };
    let (ended, open) = walk_paths(block, start, marks);
    ended.union(open)
}

/// Runs the paths `cur` through `block`: those that end at a divert in it, and those
/// that run out of its end.
fn walk_paths(
    block: &[ast::Stmt],
    mut cur: Paths,
    marks: &impl Fn(&ast::Stmt) -> bool,
) -> (Paths, Paths) {
    let mut ended = Paths::default();
    for s in block {
        if cur.is_empty() {
            break;
        }
        match s {
            ast::Stmt::Divert { .. } | ast::Stmt::Invalid { diverts: true, .. } => {
                ended = ended.union(cur);
                cur = Paths::default();
            }
            ast::Stmt::If {
                branches,
                else_body,
                ..
            } => {
                let mut open = Paths::default();
                let arms = branches
                    .iter()
                    .map(|b| b.body.as_slice())
                    .chain(std::iter::once(
                        else_body.as_ref().map_or(&[][..], |e| &e.body),
                    ));
                for arm in arms {
                    let (e, o) = walk_paths(arm, cur, marks);
                    ended = ended.union(e);
                    open = open.union(o);
                }
                cur = open;
            }
            s if marks(s) => {
                cur = Paths {
                    marked: true,
                    unmarked: false,
                };
            }
            _ => {}
        }
    }
    (ended, cur)
}

/// Whether a block ends in a divert on every syntactic path.
pub(super) fn always_diverts(block: &[ast::Stmt]) -> bool {
    block.iter().any(|s| match s {
        ast::Stmt::Divert { .. } | ast::Stmt::Invalid { diverts: true, .. } => true,
        ast::Stmt::If {
            branches,
            else_body,
            ..
        } => {
            else_body.as_ref().is_some_and(|e| always_diverts(&e.body))
                && branches.iter().all(|b| always_diverts(&b.body))
        }
        _ => false,
    })
}
