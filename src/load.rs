//! Reading stories from disk: one `.scene` file, or a folder of them in path order.

use std::fmt;
use std::path::{Path, PathBuf};

use threshold_compiler::{Lowered, Source};
use threshold_runtime::ir::Story;

/// Why a story could not be read (exit code 2).
#[derive(Debug)]
pub struct LoadError {
    pub path: String,
    pub message: String,
    pub help: Option<String>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot read `{}`: {}", self.path, self.message)?;
        if let Some(h) = &self.help {
            write!(f, "\n  help: {h}")?;
        }
        Ok(())
    }
}

fn err(path: &Path, message: impl Into<String>, help: Option<&str>) -> LoadError {
    LoadError {
        path: path.display().to_string(),
        message: message.into(),
        help: help.map(str::to_string),
    }
}

/// Reads a story: a `.scene` file, or every `.scene` file under a folder, ordered
/// by relative path (`/` separators, compared as UTF-8 bytes).
pub fn load_story(path: &Path) -> Result<Vec<Source>, LoadError> {
    let meta = std::fs::metadata(path).map_err(|e| {
        let help = (e.kind() == std::io::ErrorKind::NotFound)
            .then_some("check the path; a story is a `.scene` file or a folder of them");
        err(path, io_message(&e), help)
    })?;
    if meta.is_dir() {
        let mut files = Vec::new();
        collect(path, path, &mut files)?;
        if files.is_empty() {
            return Err(err(
                path,
                "the folder holds no `.scene` files",
                Some("a folder story is every `.scene` file under the folder"),
            ));
        }
        files.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        files
            .into_iter()
            .map(|(_, full)| read_source(&full))
            .collect()
    } else {
        Ok(vec![read_source(path)?])
    }
}

/// A story read and compiled without errors.
#[derive(Debug)]
pub struct Compiled {
    pub sources: Vec<Source>,
    pub lowered: Lowered,
}

impl Compiled {
    pub fn story(&self) -> &Story {
        self.lowered
            .story
            .as_ref()
            .expect("a compiled story has its IR")
    }
}

/// Loads and compiles a story for a command that needs its IR. On failure it says why
/// on standard error — a story that cannot be read (exit 2), or its static errors and
/// that the story "cannot be {doing}" (exit 1) — and returns the exit code.
pub fn compiled_story(path: &Path, doing: &str) -> Result<Compiled, u8> {
    let sources = load_story(path).map_err(|e| {
        eprintln!("error: {}", crate::text::clean(&e.to_string()));
        2u8
    })?;
    let lowered = threshold_compiler::lower(&sources);
    match lowered.story.is_some() {
        true => Ok(Compiled { sources, lowered }),
        false => {
            crate::report::eprint_errors(&sources, &lowered.diagnostics);
            eprintln!(
                "error: `{}` has errors and cannot be {doing}; `threshold check` shows them all",
                crate::text::clean(&path.display().to_string())
            );
            Err(1)
        }
    }
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<(), LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|e| err(dir, io_message(&e), None))?;
    for entry in entries {
        let entry = entry.map_err(|e| err(dir, io_message(&e), None))?;
        let p = entry.path();
        let ft = entry
            .file_type()
            .map_err(|e| err(&p, io_message(&e), None))?;
        let is_dir = ft.is_dir() || (ft.is_symlink() && p.is_dir());
        if is_dir {
            collect(root, &p, out)?;
        } else if p.extension().is_some_and(|x| x == "scene") {
            let rel = p
                .strip_prefix(root)
                .unwrap_or(&p)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push((rel, p));
        }
    }
    Ok(())
}

fn read_source(path: &Path) -> Result<Source, LoadError> {
    let bytes = std::fs::read(path).map_err(|e| err(path, io_message(&e), None))?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Source {
            name: path.display().to_string(),
            text,
        }),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
            Err(err(
                path,
                format!("the file is not UTF-8 text (invalid byte at line {line}, byte {at})"),
                Some("save the file as UTF-8"),
            ))
        }
    }
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}
