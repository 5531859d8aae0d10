//! `threshold graph`: the story map as Graphviz DOT or a Mermaid flowchart.

use std::io::Write;
use std::path::PathBuf;

use clap::ValueEnum;
use threshold_compiler::graph_export::StoryMap;
use threshold_compiler::{Graph, DEFAULT_MAX_STATES};

use crate::load::load_story;
use crate::report::{self, Style};

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
    /// Stop exploring after this many states (then nothing is marked unreachable).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_STATES)]
    pub max_states: usize,
}

pub fn run(args: &Args) -> u8 {
    let sources = match load_story(&args.story) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let lowered = threshold_compiler::lower(&sources);
    let Some(story) = &lowered.story else {
        report_errors(&sources, &lowered.diagnostics);
        eprintln!(
            "error: `{}` has errors, so it has no map; `threshold check` shows them all",
            args.story.display()
        );
        return 1;
    };
    let graph = Graph::explore(story, args.max_states);
    if graph.limited {
        eprintln!(
            "warning: the story has more than {} states; the map marks nothing as unreachable",
            args.max_states
        );
    }
    let map = StoryMap::new(story, Some(&graph));
    let text = match args.format {
        Format::Dot => map.to_dot(),
        Format::Mermaid => map.to_mermaid(),
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    0
}

/// Prints a story's static errors to standard error.
pub fn report_errors(
    sources: &[threshold_compiler::Source],
    diags: &[threshold_compiler::Diagnostic],
) {
    let style = Style::for_stdout();
    for (_, d) in report::resolve(sources, diags) {
        if d.is_error() {
            eprintln!("{}", report::render(sources, &d, style));
        }
    }
}
