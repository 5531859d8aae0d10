//! `threshold play`: plays a story in the console, or as JSON events with `--json`.

use std::path::PathBuf;

use crate::load::compiled_story;
use crate::play::{self, Settings};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The story: a `.scene` file or a folder of them; several stories offer a picker.
    #[arg(required = true, value_name = "STORY")]
    pub stories: Vec<PathBuf>,
    /// Pick choices by their number among those offered at each step, e.g. `2,1,3`.
    #[arg(long, value_name = "N,N,…", value_delimiter = ',')]
    pub choices: Option<Vec<usize>>,
    /// Write one JSON object per line instead of the console view.
    #[arg(long)]
    pub json: bool,
    /// Coach mode: show each feedback note right after the choice, not only in the debrief.
    #[arg(long)]
    pub coach: bool,
    /// Assessment: undo and restart are off, so the first attempt is the one that counts.
    #[arg(long, conflicts_with = "coach")]
    pub assess: bool,
    /// Print the whole debrief at once instead of paging it on a terminal.
    #[arg(long)]
    pub no_pager: bool,
    /// After each choice, ask for one line on why (kept in the transcript and the save).
    #[arg(long, conflicts_with = "json")]
    pub reflect: bool,
    /// Supervisor view: show hidden variables beside the choices too.
    #[arg(long)]
    pub reveal: bool,
    /// Keep a Markdown transcript of the session in FILE (lines, choices, reflections, debrief).
    #[arg(long, value_name = "FILE")]
    pub transcript: Option<PathBuf>,
    /// Save the session to FILE after every choice, to continue it later with `--resume`.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Continue the session saved in FILE (and keep saving to it unless `--save` says otherwise).
    #[arg(long, value_name = "FILE")]
    pub resume: Option<PathBuf>,
}

pub fn run(args: &Args) -> u8 {
    let one_only = args.json || args.choices.is_some() || args.resume.is_some();
    let path = match super::library::pick(&args.stories, one_only) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let compiled = match compiled_story(&path, "played") {
        Ok(c) => c,
        Err(code) => return code,
    };
    let story = compiled.story();
    let settings = Settings {
        story_path: path.display().to_string(),
        choices: args.choices.clone().unwrap_or_default(),
        json: args.json,
        coach: args.coach,
        assess: args.assess,
        no_pager: args.no_pager,
        reflect: args.reflect,
        reveal: args.reveal,
        transcript: args.transcript.clone(),
        save: args.save.clone(),
        resume: args.resume.clone(),
    };
    play::run(story, &settings)
}
