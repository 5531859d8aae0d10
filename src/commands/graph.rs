//! `threshold graph`: the story map as Graphviz DOT or a Mermaid flowchart.

use std::io::Write;
use std::path::PathBuf;

use clap::ValueEnum;
use threshold_compiler::graph_export::StoryMap;
use threshold_compiler::Graph;

use super::compile::write_output;
use super::SearchLimits;
use crate::load::compiled_story;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Graphviz: `threshold graph STORY | dot -Tsvg > map.svg`.
    Dot,
    /// A Mermaid flowchart, for Markdown files.
    Mermaid,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The story: a `.scene` file or a folder of them.
    #[arg(value_name = "STORY")]
    pub story: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Dot)]
    pub format: Format,
    /// How far the search may go (when it stops early, nothing is marked unreachable).
    #[command(flatten)]
    pub limits: SearchLimits,
    /// Where to write the map (standard output if not given, or `-`).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: &Args) -> u8 {
    let compiled = match compiled_story(&args.story, "drawn as a map") {
        Ok(c) => c,
        Err(code) => return code,
    };
    let story = compiled.story();
    let graph = Graph::explore_within(story, args.limits.limits());
    if let Some(stopped) = graph.stopped {
        eprintln!("warning: {stopped}; the map marks nothing as unreachable");
    }
    let map = StoryMap::new(story, Some(&graph));
    let text = match args.format {
        Format::Dot => map.to_dot(),
        Format::Mermaid => map.to_mermaid(),
    };
    match &args.output {
        Some(path) => match write_output(path, text.as_bytes(), &story.files) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("error: {}", crate::text::clean(&e));
                2
            }
        },
        None => {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            0
        }
    }
}
