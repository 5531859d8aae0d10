//! `threshold compile`: writes a story's IR as JSON; and the rules every output file
//! follows (`-o`, saves, transcripts): never onto the story, never replacing a FIFO, a
//! device or a link, and a temporary file created exclusively beside the target.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::load::compiled_story;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The story: a `.scene` file or a folder of them.
    #[arg(value_name = "STORY")]
    pub story: PathBuf,
    /// Where to write the JSON (standard output if not given, or `-`).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: &Args) -> u8 {
    let compiled = match compiled_story(&args.story, "compiled") {
        Ok(c) => c,
        Err(code) => return code,
    };
    let story = compiled.story();
    let mut json = crate::text::json_pretty(story);
    json.push('\n');
    match &args.output {
        Some(path) => match write_output(path, json.as_bytes(), &story.files) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("error: {}", crate::text::clean(&e));
                2
            }
        },
        None => {
            let _ = std::io::stdout().lock().write_all(json.as_bytes());
            0
        }
    }
}

/// What writing to a path means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `-`: standard output.
    Stdout,
    /// A regular file (or none yet): replaced whole through a temporary file. A symbolic
    /// link to a regular file names the file it resolves to, so the link stays.
    Replace(PathBuf),
    /// A FIFO or a character device (possibly through a link): opened for writing and
    /// written to, never replaced.
    Through(PathBuf),
}

/// Why nothing was written to `path`: the message names the path and what to do.
fn refused(path: &Path, why: &str, help: &str) -> String {
    format!("cannot write `{}`: {why}\n  help: {help}", path.display())
}

/// What `path` is as an output: refused when it is a folder, a socket, a block device or
/// a link that leads nowhere.
pub fn target(path: &Path) -> Result<Target, String> {
    if path.as_os_str() == "-" {
        return Ok(Target::Stdout);
    }
    let link = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Target::Replace(path.to_path_buf()))
        }
        Err(e) => return Err(refused(path, &e.to_string(), "check the path")),
    };
    let meta = if link.file_type().is_symlink() {
        std::fs::metadata(path).map_err(|_| {
            refused(
                path,
                "it is a symbolic link to something that does not exist",
                "remove the link, or name the file itself",
            )
        })?
    } else {
        link.clone()
    };
    if meta.is_dir() {
        return Err(refused(path, "it is a folder", "name a file inside it"));
    }
    if meta.is_file() {
        if !link.file_type().is_symlink() {
            return Ok(Target::Replace(path.to_path_buf()));
        }
        return Ok(match std::fs::canonicalize(path) {
            Ok(real) => Target::Replace(real),
            Err(_) => Target::Through(path.to_path_buf()),
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let ft = meta.file_type();
        if ft.is_fifo() || ft.is_char_device() {
            return Ok(Target::Through(path.to_path_buf()));
        }
    }
    Err(refused(
        path,
        "it is not a regular file, a FIFO or a character device",
        "name a regular file, or `-` for standard output",
    ))
}

/// Whether `path` is one of `story_files` (compared after resolving links and `..`, and
/// as the same file on disk when both exist).
pub fn is_story_file(path: &Path, story_files: &[String]) -> bool {
    let resolved = resolve(path);
    let meta = std::fs::metadata(path).ok();
    story_files.iter().any(|f| {
        let f = Path::new(f);
        if resolved.is_some() && resolved == resolve(f) {
            return true;
        }
        #[cfg(unix)]
        if let (Some(a), Ok(b)) = (&meta, std::fs::metadata(f)) {
            use std::os::unix::fs::MetadataExt;
            return a.dev() == b.dev() && a.ino() == b.ino();
        }
        false
    })
}

/// `path` made absolute with links resolved; for a file that does not exist yet, its
/// folder resolved and its name kept.
fn resolve(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = std::fs::canonicalize(path) {
        return Some(p);
    }
    let name = path.file_name()?;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let dir = std::fs::canonicalize(dir.unwrap_or(Path::new("."))).ok()?;
    Some(dir.join(name))
}

/// Refuses an output path that is one of the story's files, before anything is written.
pub fn refuse_story_file(path: &Path, story_files: &[String], what: &str) -> Result<(), String> {
    if path.as_os_str() != "-" && is_story_file(path, story_files) {
        return Err(refused(
            path,
            &format!("it is one of the story's files, and {what} would overwrite it"),
            "name another file",
        ));
    }
    Ok(())
}

/// Writes a command's output (`-o`): to standard output for `-`, through a FIFO or a
/// device, or replacing a regular file (or creating one) atomically; never onto one of
/// the story's files.
pub fn write_output(path: &Path, bytes: &[u8], story_files: &[String]) -> Result<(), String> {
    refuse_story_file(path, story_files, "the output")?;
    let io = |e: std::io::Error| format!("cannot write `{}`: {e}", path.display());
    match target(path)? {
        Target::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes).and_then(|()| out.flush()).map_err(io)
        }
        Target::Through(p) => {
            // No `create`, no `truncate`: a FIFO or a device is written to as it is.
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(&p)
                .map_err(io)?;
            f.write_all(bytes).map_err(io)
        }
        Target::Replace(p) => write_atomically(&p, bytes).map_err(io),
    }
}

/// The temporary files beside `NAME` are `.NAME.threshold-tmp<PID>-<random>`.
fn temp_prefix(name: &str) -> String {
    format!(".{name}.threshold-tmp")
}

/// How long a temporary file may stand before it counts as orphaned whatever its PID.
const STALE_AFTER: Duration = Duration::from_secs(60);

/// Writes `bytes` to a temporary file created exclusively in `path`'s folder (never
/// through a link planted there), then renames it over `path`. An existing file keeps
/// its permissions. Temporary files orphaned beside `path` by a killed process (its PID
/// gone, or older than a minute) are removed first.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(d) => d,
        None => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    remove_stale_temps(dir, &name);
    let mut builder = tempfile::Builder::new();
    let prefix = format!("{}{}-", temp_prefix(&name), std::process::id());
    builder.prefix(&prefix);
    let existing = std::fs::metadata(path).ok().map(|m| m.permissions());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // As `File::create` would: 0o666 less the umask.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    if let Some(p) = existing {
        tmp.as_file().set_permissions(p)?;
    }
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Removes the orphaned temporary files for `name` in `dir`: ours by name
/// (`.NAME.threshold-tmp<PID>-…`, and the `.NAME.tmp<PID>` of earlier versions) whose
/// process is gone or which are older than [`STALE_AFTER`]. Only regular files are
/// removed, and failures are ignored: this is tidying, not the write.
fn remove_stale_temps(dir: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let ours = temp_prefix(name);
    let old = format!(".{name}.tmp");
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(file) = file.to_str() else { continue };
        let pid = if let Some(rest) = file.strip_prefix(&ours) {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if !rest[digits.len()..].starts_with('-') {
                continue;
            }
            digits
        } else if let Some(rest) = file.strip_prefix(&old) {
            if rest.is_empty() || !rest.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            rest.to_string()
        } else {
            continue;
        };
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.file_type().is_file() {
            continue;
        }
        let age = meta
            .modified()
            .ok()
            .and_then(|m| SystemTime::now().duration_since(m).ok());
        let old_enough = age.is_some_and(|a| a > STALE_AFTER);
        let mine = pid == std::process::id().to_string();
        if old_enough || (!mine && process_gone(&pid)) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether no process has this PID (known only where `/proc` shows processes).
fn process_gone(pid: &str) -> bool {
    let proc = Path::new("/proc");
    proc.join("self").exists() && !proc.join(pid).exists()
}
