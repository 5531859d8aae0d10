//! Showing the full debrief: at once when it fits the terminal, when the output is not
//! a terminal, or with `--no-pager`; otherwise through `$PAGER` (or `less -R`), falling
//! back to printing when no pager can be run.

use std::io::{IsTerminal, Write};
use std::process::{Command, Stdio};

/// The terminal's height in lines (`LINES` first), when standard output is a terminal.
fn terminal_height() -> Option<usize> {
    if let Some(h) = std::env::var("LINES")
        .ok()
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|&h| h > 0)
    {
        return Some(h);
    }
    terminal_size::terminal_size().map(|(_, terminal_size::Height(h))| usize::from(h))
}

/// Whether `text` should go through a pager: a terminal, paging allowed, and more lines
/// than fit on one screen (one line is kept for the prompt).
pub fn wants_pager(text: &str, no_pager: bool) -> bool {
    if no_pager || !std::io::stdout().is_terminal() {
        return false;
    }
    match terminal_height() {
        Some(h) => text.lines().count() >= h,
        None => false,
    }
}

/// Runs the pager on `text`; false when no pager could be run (nothing was shown).
pub fn page(text: &str) -> bool {
    let pager = std::env::var("PAGER")
        .ok()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty());
    let mut cmd = match &pager {
        // `PAGER` may carry options (`less -R`): the shell reads it.
        Some(p) => {
            let mut c = Command::new("sh");
            c.arg("-c").arg(p);
            c
        }
        None => {
            let mut c = Command::new("less");
            c.arg("-R");
            c
        }
    };
    let Ok(mut child) = cmd.stdin(Stdio::piped()).spawn() else {
        return false;
    };
    if let Some(mut stdin) = child.stdin.take() {
        // The reader may quit before reading everything: that is not a failure.
        let _ = stdin.write_all(text.as_bytes());
    }
    match child.wait() {
        // 126 and 127: the shell found no such command, or could not run it.
        Ok(status) => !matches!(status.code(), Some(126 | 127)),
        Err(_) => false,
    }
}
