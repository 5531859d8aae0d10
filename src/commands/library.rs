//! Several stories at once for `threshold play`: a picker like the web player's list
//! when several stories are given, and, for a folder that holds several story folders,
//! which stories it holds and how to play one.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::load::load_story;
use crate::text::clean_line;

/// A story's title, summary and content note, or why it cannot be played.
struct Card {
    path: PathBuf,
    title: Option<String>,
    summary: Option<String>,
    content_note: Option<String>,
}

fn card(path: &Path) -> Card {
    let lowered = load_story(path).ok().map(|s| threshold_compiler::lower(&s));
    let story = lowered.as_ref().and_then(|l| l.story.as_ref());
    Card {
        path: path.to_path_buf(),
        title: story.map(|s| s.title.clone()),
        summary: story.and_then(|s| s.summary.clone()),
        content_note: story.and_then(|s| s.content_note.clone()),
    }
}

/// The folders directly under `dir` that hold `.scene` files, when `dir` itself holds
/// none at its top level and there are at least two: a library of stories.
pub fn library(dir: &Path) -> Option<Vec<PathBuf>> {
    if !dir.is_dir() {
        return None;
    }
    let mut top_scenes = false;
    let mut folders = Vec::new();
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let p = entry.path();
        let ft = entry.file_type().ok()?;
        if ft.is_dir() {
            if load_story(&p).is_ok() {
                folders.push(p);
            }
        } else if p.extension().is_some_and(|x| x == "scene") {
            top_scenes = true;
        }
    }
    folders.sort();
    (!top_scenes && folders.len() >= 2).then_some(folders)
}

fn describe(out: &mut impl Write, k: usize, c: &Card) {
    let path = clean_line(&c.path.display().to_string());
    let _ = match &c.title {
        Some(t) => writeln!(out, "{k:>3}. {} ({path})", clean_line(t)),
        None => writeln!(
            out,
            "{k:>3}. {path} (has errors: `threshold check {path}` shows them)"
        ),
    };
    if let Some(s) = &c.summary {
        let _ = writeln!(out, "     {}", clean_line(s));
    }
    if let Some(n) = &c.content_note {
        let _ = writeln!(out, "     Content note: {}", clean_line(n));
    }
}

/// Which story to play: the one given; for a library folder, none (it says what the
/// folder holds, exit 2); for several, the one picked at the prompt (`Err(0)` when the
/// trainee leaves). `one_only`: the options in force need a single story named.
pub fn pick(paths: &[PathBuf], one_only: bool) -> Result<PathBuf, u8> {
    if let [one] = paths {
        let Some(folders) = library(one) else {
            return Ok(one.clone());
        };
        let name = clean_line(&one.display().to_string());
        eprintln!(
            "`{name}` is a folder of {} stories, not one story:",
            folders.len()
        );
        let mut err = std::io::stderr().lock();
        for (k, f) in folders.iter().enumerate() {
            describe(&mut err, k + 1, &card(f));
        }
        let first = clean_line(&folders[0].display().to_string());
        let _ = writeln!(
            err,
            "Play one:  threshold play {first}\nor pick from them all:  threshold play {name}/*"
        );
        return Err(2);
    }
    if one_only {
        eprintln!(
            "error: --json, --choices and --resume play one story; name one of the {} given",
            paths.len()
        );
        return Err(2);
    }
    let cards: Vec<Card> = paths.iter().map(|p| card(p)).collect();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "Choose a story:\n");
    for (k, c) in cards.iter().enumerate() {
        describe(&mut out, k + 1, c);
    }
    let stdin = std::io::stdin();
    loop {
        let _ = write!(out, "\nWhich story? (1-{}, q to leave): ", cards.len());
        let _ = out.flush();
        let mut line = String::new();
        if stdin.lock().read_line(&mut line).unwrap_or(0) == 0 {
            let _ = writeln!(out);
            return Err(0);
        }
        let line = line.trim();
        if line.eq_ignore_ascii_case("q") {
            return Err(0);
        }
        match line.parse::<usize>() {
            Ok(k) if (1..=cards.len()).contains(&k) => {
                let _ = writeln!(out);
                return Ok(cards[k - 1].path.clone());
            }
            _ => {
                let _ = write!(out, "Type a number from 1 to {}.", cards.len());
                if !std::io::stdin().is_terminal() {
                    let _ = writeln!(out);
                }
            }
        }
    }
}
