//! `threshold test`: runs the story tests (`*.test` files) kept beside stories.
//!
//! Which tests run: for a folder story, every `*.test` file under the folder (in path
//! order); for a story file `NAME.scene`, `NAME.test` beside it; a `.test` file given
//! by itself runs against `NAME.scene` beside it if there is one, else against the
//! folder it is in.

mod format;
mod run;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::load::load_story;
use crate::text::{clean, clean_line, clean_path};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Stories (`.scene` files or folders), or `.test` files.
    #[arg(required = true, value_name = "STORY")]
    pub paths: Vec<PathBuf>,
}

/// A test file and the story it runs against.
#[derive(Debug)]
struct Job {
    test: PathBuf,
    story: PathBuf,
}

#[derive(Debug, Default)]
struct Totals {
    passed: usize,
    failed: usize,
    exit: u8,
}

pub fn run(args: &Args) -> u8 {
    let mut totals = Totals::default();
    let mut out = std::io::stdout().lock();
    let mut jobs = Vec::new();
    for path in &args.paths {
        match find_tests(path) {
            Ok(found) if found.is_empty() => {
                let _ = writeln!(out, "{}: no tests", clean_path(path));
            }
            Ok(found) => jobs.extend(found),
            Err(e) => {
                eprintln!("error: {}", crate::text::clean(&e));
                totals.exit = 2;
            }
        }
    }
    for job in &jobs {
        run_job(job, &mut totals, &mut out);
    }
    let _ = writeln!(
        out,
        "tests: {} passed, {} failed",
        totals.passed, totals.failed
    );
    if totals.failed > 0 {
        totals.exit = totals.exit.max(1);
    }
    totals.exit
}

fn find_tests(path: &Path) -> Result<Vec<Job>, String> {
    let meta = std::fs::metadata(path)
        .map_err(|e| format!("cannot read `{}`: {}", path.display(), io_text(&e)))?;
    if !meta.is_dir() && !meta.is_file() {
        // A FIFO or a device: reading it could block or never end.
        return Err(crate::load::not_regular(path, meta.file_type(), TEST_HELP).to_string());
    }
    if meta.is_dir() {
        let mut tests = Vec::new();
        collect(path, &mut tests)
            .map_err(|e| format!("cannot read `{}`: {}", path.display(), io_text(&e)))?;
        tests.sort_by(|a, b| rel(path, a).as_bytes().cmp(rel(path, b).as_bytes()));
        return Ok(tests
            .into_iter()
            .map(|test| Job {
                test,
                story: path.to_path_buf(),
            })
            .collect());
    }
    if path.extension().is_some_and(|x| x == "test") {
        let scene = path.with_extension("scene");
        let story = if scene.is_file() {
            scene
        } else {
            match path.parent().filter(|p| !p.as_os_str().is_empty()) {
                Some(p) => p.to_path_buf(),
                None => PathBuf::from("."),
            }
        };
        return Ok(vec![Job {
            test: path.to_path_buf(),
            story,
        }]);
    }
    let test = path.with_extension("test");
    match std::fs::metadata(&test) {
        Ok(m) if m.is_file() => Ok(vec![Job {
            test,
            story: path.to_path_buf(),
        }]),
        Ok(m) => Err(crate::load::not_regular(&test, m.file_type(), TEST_HELP).to_string()),
        Err(_) => Ok(Vec::new()),
    }
}

const TEST_HELP: &str = "give a story (a `.scene` file or a folder) or a `.test` file";

/// Every `.test` file under `dir`; links to folders are not followed, as the loader
/// does not follow them.
fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let p = entry.path();
        let ft = entry.file_type()?;
        if ft.is_dir() {
            collect(&p, out)?;
        } else if ft.is_symlink() && std::fs::metadata(&p).is_ok_and(|m| m.is_dir()) {
            continue;
        } else if p.extension().is_some_and(|x| x == "test") {
            out.push(p);
        }
    }
    Ok(())
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn io_text(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

fn run_job(job: &Job, totals: &mut Totals, out: &mut impl Write) {
    let name = clean_path(&job.test);
    let text = match crate::load::read_text(&job.test, "a `.test` file", TEST_HELP) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {}", crate::text::clean(&e.to_string()));
            totals.exit = 2;
            return;
        }
    };
    let file = match format::parse(&text) {
        Ok(f) => f,
        Err(errors) => {
            for e in errors {
                eprintln!("error: {name}:{}: {}", e.line, clean(&e.message));
            }
            eprintln!("error: `{name}` has mistakes, so none of its tests ran");
            totals.exit = 2;
            return;
        }
    };
    let _ = writeln!(out, "{name} (story: {})", clean_path(&job.story));
    let sources = match load_story(&job.story) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {}", crate::text::clean(&e.to_string()));
            totals.exit = 2;
            return;
        }
    };
    let lowered = threshold_compiler::lower(&sources);
    let Some(story) = &lowered.story else {
        crate::report::eprint_errors(&sources, &lowered.diagnostics);
        let _ = writeln!(
            out,
            "  FAIL  every test: the story has errors, so it cannot be played; `threshold check` shows them all"
        );
        totals.failed += file.cases.len();
        return;
    };
    let names = run::check_names(story, &file);
    if !names.is_empty() {
        for e in names {
            eprintln!("error: {name}:{}: {}", e.line, clean(&e.message));
        }
        eprintln!("error: `{name}` names things the story does not have, so none of its tests ran");
        totals.exit = 2;
        return;
    }
    let short = job
        .test
        .file_name()
        .map_or(name.clone(), |n| clean_path(Path::new(n)));
    for case in &file.cases {
        match run::run_case(story, case) {
            Ok(()) => {
                totals.passed += 1;
                let _ = writeln!(out, "  ok    {}", clean_line(&case.name));
            }
            Err(f) => {
                totals.failed += 1;
                // The test's and the story's text, made safe to show.
                let _ = writeln!(out, "  FAIL  {}", clean_line(&case.name));
                let _ = writeln!(out, "        {short}:{}: {}", f.line, clean_line(&f.step));
                let _ = writeln!(out, "        expected {}", clean(&f.expected));
                let _ = writeln!(out, "        but {}", indent(&clean(&f.got), "          "));
                if !f.chosen.is_empty() {
                    let _ = writeln!(out, "        after choosing:");
                    for (number, text) in &f.chosen {
                        let _ = writeln!(out, "          {number}. {}", clean_line(text));
                    }
                }
            }
        }
    }
}

fn indent(text: &str, pad: &str) -> String {
    text.replace('\n', &format!("\n{pad}"))
}
