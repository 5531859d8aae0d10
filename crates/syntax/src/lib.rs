//! Threshold's scene-language parser: source text in, an AST with byte spans and every
//! syntax error out. No IO.
//!
//! A file is read line by line (`reader`), so an error on one line never hides errors on
//! other lines; each line is parsed with a rule of the pest grammar in `grammar/scene.pest`
//! and turned into AST values by one `build_<rule>` function per rule (`build`).

pub mod ast;
mod build;
pub mod errors;
mod fast;
mod reader;

pub use errors::{SyntaxError, SyntaxErrorKind};
pub use reader::{MAX_EXPR_DEPTH, MAX_IF_DEPTH};

/// The reserved words of the language; none of them can be a name.
pub const RESERVED: &[&str] = &[
    "and", "or", "not", "true", "false", "in", "seen", "if", "elif", "else", "end",
];

/// The pest parser generated from `grammar/scene.pest`.
pub mod parser {
    #![allow(missing_docs, missing_debug_implementations)]
    use pest_derive::Parser;

    #[derive(Parser)]
    #[grammar = "../../grammar/scene.pest"]
    pub struct SceneParser;
}

/// The result of parsing one file: the tree (with invalid lines kept as
/// [`ast::Stmt::Invalid`] where structure needs them) and every syntax error found.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub file: ast::File,
    pub errors: Vec<SyntaxError>,
}

/// Parses one `.scene` file. Never panics and never fails: problems come back in
/// [`Parsed::errors`], in source order.
pub fn parse(source: &str) -> Parsed {
    reader::Reader::new(source).read()
}
