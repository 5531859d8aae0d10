//! The trainee's console: wrapped narration and dialogue, numbered choices, the prompt
//! and its commands (`u` undo, `r` restart after a confirmation, `q` quit, `?` help;
//! undo and restart are off with `--assess`), coach notes and reflections, and the
//! debrief at the end (its first screen, then the rest, paged on a terminal).

use std::collections::VecDeque;
use std::io::{BufRead, Write};

use threshold_runtime::ir::{format_value, Story, VarType};
use threshold_runtime::session::{Said, Session, Step};
use threshold_runtime::Stop;

use super::debrief;
use super::{Files, Settings};
use crate::text::clean_line;

/// How console text looks: the wrap width and whether to use bold and dim.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub width: usize,
    pub color: bool,
}

impl Out {
    /// The terminal's width (`COLUMNS` first), kept between 40 and 100 columns.
    pub fn for_stdout(color: bool) -> Out {
        let width = crate::report::terminal_width().unwrap_or_else(textwrap::termwidth);
        Out {
            width: width.clamp(40, 100),
            color,
        }
    }

    /// Story text, cleaned and wrapped, with a first-line and a hanging indent; ends
    /// with a newline.
    pub fn wrap(&self, text: &str, first: &str, rest: &str) -> String {
        let text = clean_line(text);
        let opts = textwrap::Options::new(self.width.saturating_sub(1).max(20))
            .initial_indent(first)
            .subsequent_indent(rest)
            .word_splitter(textwrap::WordSplitter::NoHyphenation);
        let mut s = textwrap::fill(&text, opts);
        s.push('\n');
        s
    }

    pub fn bold(&self, s: &str) -> String {
        if self.color {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    pub fn dim(&self, s: &str) -> String {
        if self.color {
            format!("\x1b[2m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    /// A heading rule: `── Title ─────`.
    pub fn rule(&self, title: &str) -> String {
        let title = clean_line(title);
        let used = textwrap::core::display_width(&title) + 4;
        let rest = self.width.saturating_sub(used + 1).max(3);
        self.bold(&format!("── {title} {}", "─".repeat(rest)))
    }
}

/// What the trainee typed at the prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Choose(usize),
    Undo,
    Restart,
    Quit,
    Help,
    /// A number that is not offered.
    Missing(usize),
    /// Anything else.
    Unknown,
}

/// Reads one entry at the prompt, where choices 1..=`n` are offered.
pub fn parse(entry: &str, n: usize) -> Command {
    let e = entry.trim().to_lowercase();
    match e.as_str() {
        "u" | "undo" => Command::Undo,
        "r" | "restart" => Command::Restart,
        "q" | "quit" | "exit" => Command::Quit,
        "?" | "h" | "help" => Command::Help,
        _ => match e.parse::<usize>() {
            Ok(k) if (1..=n).contains(&k) => Command::Choose(k),
            Ok(k) => Command::Missing(k),
            Err(_) => Command::Unknown,
        },
    }
}

const HELP: &str = concat!(
    "  1, 2, …  take that choice\n",
    "  u        undo: take back your last choice (it stays in the record)\n",
    "  r        restart from the beginning (asks first; your choices stay in the record)\n",
    "  q        quit (with --save, your place is kept)\n",
    "  ?        this help",
);

const HELP_ASSESS: &str = concat!(
    "  1, 2, …  take that choice\n",
    "  q        quit (with --save, your place is kept)\n",
    "  ?        this help\n",
    "  This is an assessment: undo and restart are off, so your first answer counts.",
);

const NO_UNDO: &str = "Undo is off in this assessment: your first answer is the one that counts. \
                       Take your time, then choose.";
const NO_RESTART: &str = "Restart is off in this assessment: the first attempt is the one that \
                          counts. You can play again afterwards without --assess.";

/// The console player.
pub struct Console<'a, R: BufRead> {
    pub out: Out,
    input: R,
    story: &'a Story,
    settings: &'a Settings,
    files: &'a Files,
    scripted: VecDeque<usize>,
    echo: bool,
}

impl<R: BufRead> std::fmt::Debug for Console<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console")
            .field("out", &self.out)
            .finish_non_exhaustive()
    }
}

fn print(s: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(s.as_bytes());
    let _ = o.flush();
}

impl<'a, R: BufRead> Console<'a, R> {
    /// `echo`: write each entry back (when the input is not a terminal).
    pub fn new(
        story: &'a Story,
        settings: &'a Settings,
        files: &'a Files,
        input: R,
        out: Out,
        echo: bool,
    ) -> Self {
        Console {
            echo,
            out,
            input,
            story,
            settings,
            files,
            scripted: settings.choices.iter().copied().collect(),
        }
    }

    /// One line of input without its line end; `None` at the end of input.
    fn read_line(&mut self) -> Option<String> {
        let mut buf = Vec::new();
        match self.input.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(
                String::from_utf8_lossy(&buf)
                    .trim_end_matches(['\n', '\r'])
                    .to_string(),
            ),
        }
    }

    fn ask(&mut self, prompt: &str) -> Option<String> {
        print(&self.out.bold(prompt));
        let line = self.read_line();
        // A terminal echoes what is typed; input from a pipe or file is echoed here, so
        // that the output reads the same.
        if self.echo {
            print(&format!("{}\n", clean_line(line.as_deref().unwrap_or(""))));
        }
        line
    }

    /// Plays until an outcome, a stuck state, a quit or the end of input; returns the
    /// exit code.
    pub fn run(&mut self, session: &mut Session<'_>) -> u8 {
        let story = self.story;
        let out = self.out;
        let mut head = format!("\n{}\n", out.rule(&story.title));
        if let Some(summary) = &story.summary {
            head.push_str(&out.dim(&out.wrap(summary, "", "")));
        }
        print(&head);
        if let Some(note) = &story.content_note {
            print(&format!(
                "\n{}",
                out.wrap(note, "Content note: ", "              ")
            ));
            if self.settings.choices.is_empty() {
                match self.ask("Press Enter to begin, or q to quit. ") {
                    Some(l) if parse(&l, 0) != Command::Quit => {}
                    _ => return self.quit(session),
                }
            }
        }
        if session.choice_count() > 0 {
            let last = session
                .current()
                .chosen
                .as_ref()
                .map(|c| c.text.clone())
                .unwrap_or_default();
            print(&format!(
                "\n{}",
                out.dim(&out.wrap(
                    &format!(
                        "Resuming after {} choice{}; your last was \u{201c}{last}\u{201d}.",
                        session.choice_count(),
                        if session.choice_count() == 1 { "" } else { "s" }
                    ),
                    "",
                    ""
                ))
            ));
        }
        print("\n");
        self.show_step(session.current());
        loop {
            match session.stop() {
                Stop::Outcome
                | Stop::DeadEnd
                | Stop::DivertLoop { .. }
                | Stop::DivertLimit { .. } => return self.finish(session),
                Stop::Choice => {}
            }
            self.show_offers(session);
            let n = session.offers().len();
            let from_console = self.scripted.is_empty();
            let number = if let Some(k) = self.scripted.pop_front() {
                if !(1..=n).contains(&k) {
                    eprintln!(
                        "error: choice {k} is not offered at `{}`; choose from 1 to {n}",
                        clean_line(&story.nodes[session.state().node as usize].id)
                    );
                    return 2;
                }
                k
            } else {
                match self.prompt(session) {
                    Some(k) => k,
                    None => return self.quit(session),
                }
            };
            let Ok(step) = session.choose(number) else {
                return 2;
            };
            let text = step
                .chosen
                .as_ref()
                .map(|c| c.text.clone())
                .unwrap_or_default();
            self.files.persist(session, None);
            print(&out.dim(&out.wrap(&text, "» ", "  ")));
            if self.settings.reflect && from_console {
                match self.ask("Why this choice? One line for your supervisor (Enter to skip): ") {
                    Some(l) => {
                        let l = clean_line(l.trim());
                        if !l.is_empty() {
                            session.reflect(l);
                            self.files.persist(session, None);
                        }
                    }
                    None => return self.quit(session),
                }
            }
            print("\n");
            self.show_step(session.current());
        }
    }

    /// Asks until a choice is made; handles the commands. `None`: quit or end of input.
    fn prompt(&mut self, session: &mut Session<'_>) -> Option<usize> {
        let out = self.out;
        loop {
            let n = session.offers().len();
            let entry = self.ask(&format!("Your choice (1-{n}, ? for help): "))?;
            match parse(&entry, n) {
                Command::Choose(k) => return Some(k),
                Command::Quit => return None,
                Command::Help => print(&format!(
                    "{}\n",
                    out.dim(if self.settings.assess {
                        HELP_ASSESS
                    } else {
                        HELP
                    })
                )),
                Command::Undo if self.settings.assess => {
                    print(&out.dim(&out.wrap(NO_UNDO, "", "")))
                }
                Command::Restart if self.settings.assess => {
                    print(&out.dim(&out.wrap(NO_RESTART, "", "")));
                }
                Command::Undo => match session.undo() {
                    Some(c) => {
                        self.files.persist(session, None);
                        print(&format!(
                            "\n{}\n",
                            out.dim(&out.wrap(
                                &format!("Took back: \u{201c}{}\u{201d}", c.text),
                                "↶ ",
                                "  "
                            ))
                        ));
                        self.show_step(session.current());
                        self.show_offers(session);
                    }
                    None => print(&out.dim("Nothing to undo yet: this is the first choice.\n")),
                },
                Command::Restart if session.choice_count() == 0 => {
                    print(&out.dim("Nothing to restart: you are at the beginning.\n"))
                }
                Command::Restart => {
                    let answer = self.ask(
                        "Restart from the beginning? Your choices so far stay in the record. [y/N] ",
                    )?;
                    if !matches!(answer.trim().to_lowercase().as_str(), "y" | "yes") {
                        print(&format!("{}\n", out.dim("Carrying on from here.")));
                        self.show_offers(session);
                        continue;
                    }
                    session.restart();
                    self.files.persist(session, None);
                    print(&format!(
                        "\n{}\n\n",
                        out.dim("↺ Starting again from the beginning.")
                    ));
                    self.show_step(session.current());
                    self.show_offers(session);
                }
                Command::Missing(k) => print(&out.dim(&format!(
                    "There is no choice {k} here. Type a number from 1 to {n}, or ? for help.\n"
                ))),
                Command::Unknown => print(&out.dim(&format!(
                    "Type a number from 1 to {n} to choose, or ? for help.\n"
                ))),
            }
        }
    }

    /// The lines (and, in coach mode, the notes) of a step.
    fn show_step(&self, step: &Step) {
        let out = self.out;
        let mut s = String::new();
        for said in &step.said {
            match said {
                Said::Line {
                    speaker: Some(who),
                    text,
                    ..
                } => {
                    let name = clean_line(&self.story.characters[*who as usize].name);
                    let lead = format!("{name}: ");
                    let wrapped = out.wrap(text, &lead, "    ");
                    // Set the name off in bold (the name itself is cleaned above).
                    match wrapped.strip_prefix(&lead) {
                        Some(rest) => {
                            s.push_str(&out.bold(&format!("{name}:")));
                            s.push(' ');
                            s.push_str(rest);
                        }
                        None => s.push_str(&wrapped),
                    }
                    s.push('\n');
                }
                Said::Line { text, .. } => {
                    s.push_str(&out.wrap(text, "", ""));
                    s.push('\n');
                }
                Said::Note { text, .. } if self.settings.coach => {
                    s.push_str(&out.wrap(text, "  ! ", "    "));
                    s.push('\n');
                }
                Said::Note { .. } => {}
            }
        }
        print(&s);
    }

    /// The numbered choices and, beside them, the shown variables (all with `--reveal`).
    fn show_offers(&self, session: &Session<'_>) {
        let out = self.out;
        let mut s = String::new();
        for o in session.offers() {
            s.push_str(&out.wrap(&o.text, &format!("  {:>2}. ", o.number), "      "));
        }
        let state = session.state();
        let vars: Vec<String> = self
            .story
            .variables
            .iter()
            .zip(&state.vars)
            .filter(|(v, _)| v.shown || self.settings.reveal)
            .map(|(v, &x)| {
                let value = match v.ty {
                    VarType::Int { lo: 0, hi } => format!("{x}/{hi}"),
                    VarType::Int { lo, hi } => format!("{x} ({lo} to {hi})"),
                    VarType::Bool => format_value(x, true),
                };
                let hidden = if v.shown { "" } else { " (hidden)" };
                format!("{}{hidden}: {value}", clean_line(v.display_name()))
            })
            .collect();
        let one_line = format!("[{}]", vars.join(" · "));
        if vars.is_empty() {
        } else if textwrap::core::display_width(&one_line) + 6 < out.width {
            s.push_str(&out.dim(&out.wrap(&one_line, "      ", "       ")));
        } else {
            for v in &vars {
                s.push_str(&out.dim(&out.wrap(v, "      · ", "        ")));
            }
        }
        s.push('\n');
        print(&s);
    }

    /// Play has stopped: the debrief (at an outcome or stuck), the transcript, the code.
    fn finish(&mut self, session: &Session<'_>) -> u8 {
        let out = self.out;
        let d = debrief::build(session);
        let code = match &d.end {
            debrief::End::Outcome { .. } => 0,
            debrief::End::Stuck { node, reason } => {
                let why = if *reason == "divert-loop" {
                    "its diverts run in a circle and never reach a choice or an outcome"
                } else if *reason == "divert-limit" {
                    "its diverts ran a million times without reaching a choice or an outcome"
                } else {
                    "no choice is available here"
                };
                print(&format!(
                    "{}\n",
                    out.wrap(
                        &format!(
                            "The story is stuck at `{node}` ({reason}): {why}. This is a fault in the story, \
                             not in your play; `threshold check` shows how it arises."
                        ),
                        "",
                        ""
                    )
                ));
                3
            }
        };
        self.files.persist(session, Some(&d));
        let full = debrief::render_console(&d, &out);
        if super::pager::wants_pager(&full, self.settings.no_pager) && super::pager::page(&full) {
            // The pager has shown it all; the summary stays on the screen.
            let mut s = debrief::render_summary(&d, &out);
            s.push_str(&out.dim(&out.wrap(
                "The full debrief was shown in a pager (play with --no-pager to print it).",
                "",
                "",
            )));
            print(&s);
        } else {
            print(&full);
        }
        code
    }

    /// Quit or end of input: the session is saved (with `--save`) and the way back is shown.
    fn quit(&mut self, session: &Session<'_>) -> u8 {
        let _guard = self.files.lock();
        self.files.persist_locked(session, None);
        print(&format!("\n{}\n", self.files.stop_message()));
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_at_the_prompt() {
        assert_eq!(parse(" 2 ", 3), Command::Choose(2));
        assert_eq!(parse("4", 3), Command::Missing(4));
        assert_eq!(parse("0", 3), Command::Missing(0));
        assert_eq!(parse("U", 3), Command::Undo);
        assert_eq!(parse("restart", 3), Command::Restart);
        assert_eq!(parse("q", 3), Command::Quit);
        assert_eq!(parse("?", 3), Command::Help);
        assert_eq!(parse("", 3), Command::Unknown);
        assert_eq!(parse("two", 3), Command::Unknown);
    }

    #[test]
    fn wrapping_keeps_to_the_width_and_strips_controls() {
        let out = Out {
            width: 40,
            color: false,
        };
        let s = out.wrap(
            "\u{1b}[2JA long line of narration that must wrap at forty columns, not later.",
            "  ",
            "    ",
        );
        assert!(!s.contains('\u{1b}'));
        for line in s.lines() {
            assert!(textwrap::core::display_width(line) < 40, "{line:?}");
        }
        assert!(s.lines().nth(1).unwrap().starts_with("    "));
    }
}
