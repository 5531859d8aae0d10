//! The player: sessions driven from the console or as JSON events, with saves,
//! transcripts and the debrief. Every step is taken by the runtime's transition
//! function through [`threshold_runtime::session::Session`].

pub mod console;
pub mod debrief;
mod pager;
pub mod save;
use crate::text;
pub mod transcript;

use std::collections::VecDeque;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::{json, Map, Value};
use threshold_runtime::ir::Story;
use threshold_runtime::session::{Said, Session, Step};
use threshold_runtime::Stop;

use crate::commands::compile::{self as output, Target};
use debrief::Debrief;
use text::{json_line, shell_quote};

/// How to play, from the command line.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The story path as given.
    pub story_path: String,
    /// Choices to take first, by number among those offered.
    pub choices: Vec<usize>,
    pub json: bool,
    pub coach: bool,
    /// Assessment: undo and restart are off, so the first attempt is the one that counts.
    pub assess: bool,
    /// Print the whole debrief at once, never through a pager.
    pub no_pager: bool,
    pub reflect: bool,
    pub reveal: bool,
    pub transcript: Option<PathBuf>,
    pub save: Option<PathBuf>,
    pub resume: Option<PathBuf>,
}

impl Settings {
    /// Where the session is saved: `--save`, or else the file it was resumed from.
    pub fn save_path(&self) -> Option<&PathBuf> {
        self.save.as_ref().or(self.resume.as_ref())
    }

    /// How the session is played: `assess`, `coach` or `practice`.
    pub fn mode(&self) -> &'static str {
        if self.assess {
            "assess"
        } else if self.coach {
            "coach"
        } else {
            "practice"
        }
    }

    fn options(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        for (on, name) in [
            (self.assess, "assess"),
            (self.coach, "coach"),
            (self.reflect, "reflect"),
            (self.reveal, "reveal"),
            (self.json, "json"),
        ] {
            if on {
                v.push(name);
            }
        }
        v
    }

    /// The exact command that continues a saved session.
    pub fn resume_command(&self) -> Option<String> {
        let save = self.save_path()?;
        let mut cmd = format!(
            "threshold play {} --resume {}",
            shell_quote(&self.story_path),
            shell_quote(&save.display().to_string())
        );
        for (on, flag) in [
            (self.assess, "--assess"),
            (self.coach, "--coach"),
            (self.reflect, "--reflect"),
            (self.reveal, "--reveal"),
        ] {
            if on {
                cmd.push(' ');
                cmd.push_str(flag);
            }
        }
        if let Some(t) = &self.transcript {
            cmd.push_str(" --transcript ");
            cmd.push_str(&shell_quote(&t.display().to_string()));
        }
        Some(cmd)
    }
}

/// The files a session keeps up to date: the save and the transcript. Every write
/// happens under one lock, which the Ctrl-C handler takes before it ends the process.
#[derive(Debug)]
pub struct Files {
    settings: Settings,
    fingerprint: String,
    lock: Arc<Mutex<()>>,
    /// The save's bytes as this session last read (resuming) or wrote them; `None`
    /// until then. A save finding other bytes on disk is refused: another session
    /// has written the file since.
    known: Mutex<Option<Vec<u8>>>,
}

/// Why the files could not be written.
#[derive(Debug)]
enum WriteError {
    /// The save on disk is not what this session last read or wrote.
    Conflict(String),
    Io(String),
}

impl Files {
    /// `known`: the save's bytes when the session was resumed from the file it saves to.
    pub fn new(settings: &Settings, fingerprint: String, known: Option<Vec<u8>>) -> Files {
        Files {
            settings: settings.clone(),
            fingerprint,
            lock: Arc::new(Mutex::new(())),
            known: Mutex::new(known),
        }
    }

    /// Refuses, before anything is written, a save or transcript path that is one of the
    /// story's files, that is not a regular file (or a link to one, or nothing yet), or
    /// that both would write.
    fn check_paths(&self, story_files: &[String]) -> Result<(), String> {
        let save = self.settings.save_path();
        let transcript = self.settings.transcript.as_ref();
        for (path, what) in [(save, "the save"), (transcript, "the transcript")] {
            let Some(path) = path else { continue };
            output::refuse_story_file(path, story_files, what)?;
            if !matches!(output::target(path)?, Target::Replace(_)) {
                return Err(format!(
                    "cannot write {what} to `{}`: it is not a regular file\n  help: name a \
                     regular file; {what} is rewritten after every change",
                    path.display()
                ));
            }
        }
        if let (Some(a), Some(b)) = (save, transcript) {
            if output::is_story_file(a, &[b.display().to_string()]) {
                return Err(format!(
                    "the save and the transcript are the same file, `{}`\n  help: name two files",
                    a.display()
                ));
            }
        }
        Ok(())
    }

    pub fn lock(&self) -> MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes the save and the transcript; a failure is reported and play goes on.
    pub fn persist(&self, session: &Session<'_>, debrief: Option<&Debrief>) {
        let _guard = self.lock();
        self.persist_locked(session, debrief);
    }

    /// [`Files::persist`] for a caller that holds [`Files::lock`].
    ///
    /// A save that would overwrite another session's newer save is refused: the error
    /// says so and the process ends with exit code 2, the file left as it is.
    pub fn persist_locked(&self, session: &Session<'_>, debrief: Option<&Debrief>) {
        match self.write(session, debrief, true) {
            Ok(()) => {}
            Err(WriteError::Io(e)) => eprintln!("warning: {}", text::clean(&e)),
            Err(WriteError::Conflict(e)) => {
                eprintln!("error: {}", text::clean(&e));
                std::process::exit(2);
            }
        }
    }

    /// Writes the save to `path` unless another session has written it since this one
    /// last read or wrote it.
    fn write_save(&self, path: &std::path::Path, bytes: Vec<u8>) -> Result<(), WriteError> {
        let io =
            |e: String| WriteError::Io(format!("cannot write the save `{}`: {e}", path.display()));
        let real = match output::target(path).map_err(WriteError::Io)? {
            Target::Replace(p) => p,
            _ => return Err(io("it is not a regular file".into())),
        };
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(before) = known.as_ref() {
            let now = match std::fs::symlink_metadata(&real) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                _ => Some(
                    crate::load::read_bounded(&real, "a save", "name a regular file")
                        .map_err(|e| io(e.message))?,
                ),
            };
            if now.as_ref().is_some_and(|now| now != before) {
                return Err(WriteError::Conflict(format!(
                    "the save `{}` was written by another session since this one last read or \
                     wrote it, so this session's progress was not saved over it\n  help: resume \
                     from the newer save (`threshold play STORY --resume {}`), or play with \
                     `--save` naming another file",
                    path.display(),
                    shell_quote(&path.display().to_string())
                )));
            }
        }
        output::write_atomically(&real, &bytes).map_err(|e| io(e.to_string()))?;
        *known = Some(bytes);
        Ok(())
    }

    fn write(
        &self,
        session: &Session<'_>,
        debrief: Option<&Debrief>,
        with_save: bool,
    ) -> Result<(), WriteError> {
        if let (true, Some(path)) = (with_save, self.settings.save_path()) {
            let mut save =
                save::SaveFile::of(session, &self.settings.story_path, &self.fingerprint);
            save.assess = self.settings.assess;
            self.write_save(path, save::to_bytes(&save))?;
        }
        if let Some(path) = &self.settings.transcript {
            let meta = transcript::Meta {
                story_path: &self.settings.story_path,
                mode: self.settings.mode(),
                options: self.settings.options(),
            };
            let mut md = transcript::render(session, &meta, debrief);
            md.push('\n');
            let io = |e: String| {
                WriteError::Io(format!(
                    "cannot write the transcript `{}`: {e}",
                    path.display()
                ))
            };
            match output::target(path).map_err(WriteError::Io)? {
                Target::Replace(real) => {
                    output::write_atomically(&real, md.as_bytes()).map_err(|e| io(e.to_string()))?
                }
                _ => return Err(io("it is not a regular file".into())),
            }
        }
        Ok(())
    }

    /// The one line printed when play stops before an outcome.
    pub fn stop_message(&self) -> String {
        match self.settings.resume_command() {
            Some(cmd) => format!("Your place is saved. To go on: {cmd}"),
            None => "Stopped; nothing was saved (play with --save FILE to be able to resume)."
                .to_string(),
        }
    }

    /// Ends the process cleanly on Ctrl-C: waits for any write in progress, prints how
    /// to resume, exits 0. The files are already current: they are written after every
    /// change.
    fn install_interrupt_handler(&self) {
        let lock = Arc::clone(&self.lock);
        let message = self.stop_message();
        let to_stderr = self.settings.json;
        let _ = ctrlc::set_handler(move || {
            let _guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
            if to_stderr {
                let mut e = std::io::stderr().lock();
                let _ = writeln!(e, "{message}");
            } else {
                let mut o = std::io::stdout().lock();
                let _ = writeln!(o, "\n{message}");
                let _ = o.flush();
            }
            std::process::exit(0);
        });
    }
}

/// Plays `story`; returns the exit code.
pub fn run(story: &Story, settings: &Settings) -> u8 {
    let fingerprint = save::fingerprint(story);
    let mut settings = settings.clone();
    let mut known = None;
    // Nothing is read or written before the paths are known to be safe to write.
    if let Err(e) = Files::new(&settings, String::new(), None).check_paths(&story.files) {
        eprintln!("error: {}", text::clean(&e));
        return 2;
    }
    let saves_back = settings.save.is_none() || settings.save == settings.resume;
    let mut session = match &settings.resume {
        Some(path) => {
            let restored = save::read(path).and_then(|(s, bytes)| {
                // A session begun as an assessment stays one.
                settings.assess |= s.assess;
                // Saving back to the same file: it must still hold these bytes then.
                if saves_back {
                    known = Some(bytes);
                }
                save::restore(story, &fingerprint, &s)
            });
            match restored {
                Ok(s) => s,
                Err(e) => {
                    // The message may quote the save's contents: keep it free of controls.
                    let message = format!("cannot resume from `{}`: {e}", path.display());
                    eprintln!("error: {}", text::clean(&message));
                    return 2;
                }
            }
        }
        None => Session::new(story),
    };
    if settings.assess && settings.coach {
        // Only from an assessment save resumed with --coach: the assessment holds.
        settings.coach = false;
    }
    let settings = &settings;
    let files = Files::new(settings, fingerprint, known);
    // A new session writes its files at once (so a bad path fails before play); a
    // resumed one keeps its save as it is until something changes.
    if let Err(WriteError::Io(e) | WriteError::Conflict(e)) =
        files.write(&session, None, settings.resume.is_none())
    {
        eprintln!("error: {}", text::clean(&e));
        return 2;
    }
    files.install_interrupt_handler();
    if settings.json {
        play_json(&mut session, settings, &files)
    } else {
        let out = console::Out::for_stdout(crate::report::Style::for_stdout().color);
        let stdin = std::io::stdin();
        let echo = !std::io::IsTerminal::is_terminal(&stdin);
        console::Console::new(story, settings, &files, stdin.lock(), out, echo).run(&mut session)
    }
}

fn emit(v: Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", json_line(&v));
}

fn emit_body(story: &Story, step: &Step) {
    if let Some(c) = &step.chosen {
        emit(json!({"event": "chose", "number": c.number, "text": c.text}));
    }
    for said in &step.said {
        match said {
            Said::Line {
                node,
                speaker,
                text,
            } => emit(json!({
                "event": "line",
                "node": story.nodes[*node as usize].id,
                "speaker": speaker.map(|s| &story.characters[s as usize].id),
                "text": text,
            })),
            Said::Note { text, rating, .. } => emit(json!({
                "event": "note",
                "text": text,
                "rating": rating.map(|r| r.as_str()),
            })),
        }
    }
}

fn emit_choices(story: &Story, step: &Step) {
    let list: Vec<Value> = step
        .offers
        .iter()
        .map(|o| json!({"number": o.number, "text": o.text}))
        .collect();
    emit(json!({
        "event": "choices",
        "node": story.nodes[step.state.node as usize].id,
        "choices": list,
    }));
}

/// The variables by name, booleans as `true` / `false`.
fn variables_json(story: &Story, vars: &[i64]) -> Value {
    let mut m = Map::new();
    for (v, &x) in story.variables.iter().zip(vars) {
        let val = if v.is_bool() { json!(x != 0) } else { json!(x) };
        m.insert(v.name.clone(), val);
    }
    Value::Object(m)
}

/// `--json`: one event per line; a resumed session first replays its events.
fn play_json(session: &mut Session<'_>, settings: &Settings, files: &Files) -> u8 {
    let story = session.story();
    let mut scripted: VecDeque<usize> = settings.choices.iter().copied().collect();
    let mut from = 0;
    loop {
        let steps = session.steps();
        for (k, step) in steps.iter().enumerate().skip(from) {
            emit_body(story, step);
            if k + 1 < steps.len() {
                emit_choices(story, step);
            }
        }
        from = steps.len();
        let current = session.current();
        let node = &story.nodes[current.state.node as usize];
        let stuck = match current.stop {
            Stop::Choice => None,
            Stop::Outcome => {
                emit(json!({
                    "event": "outcome",
                    "id": node.id,
                    "rating": node.rating().map_or("mixed", |r| r.as_str()),
                    "title": node.title.clone().unwrap_or_default(),
                    "variables": variables_json(story, &current.state.vars),
                    "moves": session.moves(),
                }));
                Some(0)
            }
            stop @ (Stop::DeadEnd | Stop::DivertLoop { .. } | Stop::DivertLimit { .. }) => {
                let (at, reason) = debrief::stuck_at(stop, current.state.node);
                emit(json!({
                    "event": "stuck",
                    "node": story.nodes[at as usize].id,
                    "reason": reason,
                }));
                Some(3)
            }
        };
        if let Some(code) = stuck {
            let d = settings
                .transcript
                .is_some()
                .then(|| debrief::build(session));
            files.persist(session, d.as_ref());
            return code;
        }
        emit_choices(story, current);
        let Some(number) = scripted.pop_front() else {
            let mut paused = json!({"event": "paused", "node": node.id});
            if let Some(save) = settings.save_path() {
                paused["save"] = json!(save.display().to_string());
            }
            emit(paused);
            files.persist(session, None);
            return 0;
        };
        if let Err(e) = session.choose(number) {
            eprintln!("error: at `{}`: {e}", text::clean_line(&node.id));
            return 2;
        }
        files.persist(session, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resume_command_repeats_the_options_that_matter() {
        let s = Settings {
            story_path: "my story.scene".into(),
            reflect: true,
            assess: true,
            transcript: Some("notes.md".into()),
            resume: Some("s.json".into()),
            ..Settings::default()
        };
        assert_eq!(
            s.resume_command().as_deref(),
            Some("threshold play 'my story.scene' --resume s.json --assess --reflect --transcript notes.md")
        );
        let unsaved = Settings::default();
        assert_eq!(unsaved.resume_command(), None);
    }
}
