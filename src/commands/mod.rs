//! One module per subcommand.

pub mod analyze;
/// How `check` and `analyze` write their results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people: reports and tables.
    Human,
    /// For tools: one JSON document.
    Json,
}

pub mod check;
pub mod compile;
pub mod graph;
pub mod play;
pub mod test;
