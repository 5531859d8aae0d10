//! One module per subcommand.

pub mod analyze;
pub mod check;
pub mod compile;
pub mod graph;
pub mod play;
pub mod test;
