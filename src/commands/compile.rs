//! `threshold compile`: writes a story's IR as JSON.

use std::io::Write;
use std::path::PathBuf;

use crate::load::compiled_story;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The story: a `.scene` file or a folder of them.
    #[arg(value_name = "STORY")]
    pub story: PathBuf,
    /// Where to write the JSON (standard output if not given).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: &Args) -> u8 {
    let compiled = match compiled_story(&args.story, "compiled") {
        Ok(c) => c,
        Err(code) => return code,
    };
    let story = compiled.story();
    let json = serde_json::to_string_pretty(story).expect("the IR serialises");
    match &args.output {
        Some(path) => {
            if let Err(e) = write_atomically(path, json.as_bytes()) {
                eprintln!("error: cannot write `{}`: {e}", path.display());
                return 2;
            }
            0
        }
        None => {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{json}");
            0
        }
    }
}

/// Writes to a temporary file in the same folder, then renames it over `path`.
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = match dir {
        Some(d) => d.join(format!(".{name}.tmp{}", std::process::id())),
        None => std::path::PathBuf::from(format!(".{name}.tmp{}", std::process::id())),
    };
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
