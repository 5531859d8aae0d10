//! `threshold export`: the attempts kept by `threshold serve`, as CSV or xAPI statements.

use std::path::PathBuf;

use crate::serve::{db::Db, export};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One row per choice, with the attempt's trainee, cohort and outcome.
    Csv,
    /// xAPI 1.0.3 statements: one per choice, one completion per outcome.
    Xapi,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The database `threshold serve` keeps.
    #[arg(long, value_name = "FILE", default_value = "threshold.db")]
    pub db: PathBuf,
    #[arg(long, value_enum, required_unless_present = "backup")]
    pub format: Option<ExportFormat>,
    /// Instead of exporting, write a consistent copy of the whole database to FILE
    /// (`VACUUM INTO`), safe while the server runs.
    #[arg(long, value_name = "FILE", conflicts_with = "format")]
    pub backup: Option<PathBuf>,
    /// The IRI that activity and extension ids begin with (the server's address).
    #[arg(long, value_name = "IRI", default_value = "http://127.0.0.1:8080/")]
    pub base: String,
}

pub fn run(args: &Args) -> u8 {
    if !args.db.is_file() {
        eprintln!(
            "error: cannot read `{}`: no such file\n  help: give the database `threshold serve --db` wrote",
            crate::text::clean(&args.db.display().to_string())
        );
        return 2;
    }
    let db = match Db::open(&args.db) {
        Ok(db) => db,
        Err(e) => {
            eprintln!(
                "error: cannot open the database `{}`: {e}",
                args.db.display()
            );
            return 2;
        }
    };
    if let Some(to) = &args.backup {
        if to.exists() {
            eprintln!(
                "error: `{}` already exists\n  help: name a new file for the copy",
                to.display()
            );
            return 2;
        }
        return match db.backup_to(to) {
            Ok(()) => {
                println!("Copied `{}` to `{}`.", args.db.display(), to.display());
                0
            }
            Err(e) => {
                eprintln!("error: cannot write the copy `{}`: {e}", to.display());
                2
            }
        };
    }
    let mut base = args.base.clone();
    if !base.ends_with('/') {
        base.push('/');
    }
    let out = match args.format.unwrap_or(ExportFormat::Csv) {
        ExportFormat::Csv => export::csv(&db),
        ExportFormat::Xapi => export::xapi(&db, &base).map(|v| crate::text::json_pretty(&v)),
    };
    match out {
        Ok(mut s) => {
            if !s.ends_with('\n') {
                s.push('\n');
            }
            // A closed pipe (`| head`) ends the output quietly.
            let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), s.as_bytes());
            0
        }
        Err(e) => {
            eprintln!("error: cannot read the database: {e}");
            2
        }
    }
}
