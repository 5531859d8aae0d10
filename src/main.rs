//! The `threshold` command: check, compile and play scene stories.

mod commands;
mod load;
mod play;
mod report;
mod serve;
mod text;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Write, prove and play branching training scenes.
#[derive(Debug, Parser)]
#[command(name = "threshold", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check stories: every static error at once, then a proof that every reachable
    /// state can reach an outcome.
    Check(commands::check::Args),
    /// Compile a story to its JSON intermediate form.
    Compile(commands::compile::Args),
    /// Play a story in the console.
    Play(commands::play::Args),
    /// Draw the story map: scenes, outcomes and choices, as Graphviz DOT or Mermaid.
    Graph(commands::graph::Args),
    /// Analyse a story: paths, probabilities and expected choices for every outcome,
    /// hidden variables at each outcome, what stays reachable after each choice.
    Analyze(commands::analyze::Args),
    /// Run the story tests (`*.test` files) kept beside stories.
    Test(commands::test::Args),
    /// Serve stories to trainees in the browser, keeping every attempt in SQLite, with
    /// a supervisor's view behind a token.
    Serve(commands::serve::Args),
    /// Export the attempts `serve` kept, as CSV or xAPI 1.0.3 statements.
    Export(commands::export::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    let code = match cli.command {
        Command::Check(args) => commands::check::run(&args),
        Command::Compile(args) => commands::compile::run(&args),
        Command::Play(args) => commands::play::run(&args),
        Command::Graph(args) => commands::graph::run(&args),
        Command::Analyze(args) => commands::analyze::run(&args),
        Command::Test(args) => commands::test::run(&args),
        Command::Serve(args) => commands::serve::run(&args),
        Command::Export(args) => commands::export::run(&args),
    };
    ExitCode::from(code)
}

/// A command line clap refused (or `--help`, `--version`). Help and the version are
/// printed as clap prints them; an error quotes what was typed — a path, a value —
/// so it is printed as plain text made safe (see `text::clean`).
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        e.exit();
    }
    eprint!("{}", text::clean(&e.render().to_string()));
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }
}
