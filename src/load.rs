//! Reading stories from disk: one `.scene` file, or a folder of them in path order;
//! every file read by a bounded reader that refuses FIFOs, devices and oversized files.

use std::fmt;
use std::io::Read;
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

/// The largest story file (and `.test` file, and save) read: 64 MiB, as the contract's
/// "Limits" paragraph says.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// What a path is when it is neither a regular file nor a folder.
fn special_kind(ft: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_char_device() || ft.is_block_device() {
            return "a device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    let _ = ft;
    "neither a regular file nor a folder"
}

/// The error for a path that is not a regular file or folder (`ft` says what it is).
pub fn not_regular(path: &Path, ft: std::fs::FileType, help: &str) -> LoadError {
    err(
        path,
        format!("it is {}, not a regular file or folder", special_kind(ft)),
        Some(help),
    )
}

fn too_large(path: &Path, what: &str) -> LoadError {
    err(
        path,
        format!(
            "the file is larger than {} MiB, the limit for {what}",
            MAX_FILE_BYTES / (1024 * 1024)
        ),
        (what == "a story file").then_some("split the story into files in a folder"),
    )
}

/// Reads a whole file of at most [`MAX_FILE_BYTES`], following symbolic links to regular
/// files. A FIFO, a device or a socket is refused before it is opened (so reading never
/// blocks), and the read itself is bounded, so a file that grows while it is read
/// cannot take more memory. `what` names the kind of file for messages, e.g. "a story
/// file"; `help` says what to give instead.
pub fn read_bounded(path: &Path, what: &str, help: &str) -> Result<Vec<u8>, LoadError> {
    let meta = std::fs::metadata(path).map_err(|e| err(path, io_message(&e), None))?;
    if !meta.is_file() {
        return Err(not_regular(path, meta.file_type(), help));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large(path, what));
    }
    let file = std::fs::File::open(path).map_err(|e| err(path, io_message(&e), None))?;
    // The path may have been replaced between the two looks: check what was opened.
    let opened = file
        .metadata()
        .map_err(|e| err(path, io_message(&e), None))?;
    if !opened.is_file() {
        return Err(not_regular(path, opened.file_type(), help));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(opened.len()).unwrap_or(0));
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| err(path, io_message(&e), None))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(path, what));
    }
    Ok(bytes)
}

/// Reads a story: a `.scene` file, or every `.scene` file under a folder, ordered
/// by relative path (`/` separators, compared as UTF-8 bytes). Inside a folder,
/// symbolic links to folders are not followed; links to files are.
pub fn load_story(path: &Path) -> Result<Vec<Source>, LoadError> {
    let meta = std::fs::metadata(path).map_err(|e| {
        let help = (e.kind() == std::io::ErrorKind::NotFound)
            .then_some("check the path; a story is a `.scene` file or a folder of them");
        err(path, io_message(&e), help)
    })?;
    if !meta.is_dir() && !meta.is_file() {
        return Err(not_regular(path, meta.file_type(), STORY_HELP));
    }
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
        // A link to a folder is not followed: two `up -> ..` links would otherwise
        // walk the tree without end (or exponentially, until the path is too long).
        if ft.is_dir() {
            collect(root, &p, out)?;
        } else if ft.is_symlink() && std::fs::metadata(&p).is_ok_and(|m| m.is_dir()) {
            continue;
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

const STORY_HELP: &str = "a story is a `.scene` file or a folder of them; \
    copy what the pipe or device holds into a file first";

fn read_source(path: &Path) -> Result<Source, LoadError> {
    let text = read_text(path, "a story file", STORY_HELP)?;
    Ok(Source {
        name: path.display().to_string(),
        text,
    })
}

/// [`read_bounded`], then UTF-8: the error names the line of the first invalid byte.
pub fn read_text(path: &Path, what: &str, help: &str) -> Result<String, LoadError> {
    let bytes = read_bounded(path, what, help)?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
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
