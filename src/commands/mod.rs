//! One module per subcommand.

pub mod analyze;

use threshold_compiler::{Limits, DEFAULT_MAX_MEMORY_MIB, DEFAULT_MAX_STATES};

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
pub mod export;
pub mod graph;
pub mod library;
pub mod play;
pub mod serve;
pub mod test;

/// How far the search of `check`, `graph` and `analyze` may go.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct SearchLimits {
    /// Stop exploring after this many states.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_STATES)]
    pub max_states: usize,
    /// Stop exploring before the states would take more than this many MiB.
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_MAX_MEMORY_MIB as u64,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_memory: u64,
}

impl SearchLimits {
    pub fn limits(&self) -> Limits {
        Limits {
            max_states: self.max_states,
            max_memory: usize::try_from(self.max_memory).unwrap_or(usize::MAX),
        }
    }
}
