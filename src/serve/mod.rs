//! `threshold serve`: a web player for trainees and a supervisor's view, with every
//! attempt kept in SQLite. Play goes through the runtime's [`Session`]; the debrief and
//! the transcript are the player's own (`crate::play`). `http` reads requests and
//! builds responses, `db` keeps attempts, `pages` serves trainees, `supervisor` the
//! supervisor, `export` writes CSV and xAPI.
//!
//! [`Session`]: threshold_runtime::session::Session

pub mod db;
pub mod export;
pub mod http;
mod pages;
mod supervisor;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use std::sync::Arc;

use minijinja::Environment;
use threshold_compiler::CheckOptions;
use threshold_runtime::ir::Story;

use crate::load::load_story;
use db::Db;
use http::{ReadError, Req, Resp};

/// A story the server offers.
#[derive(Debug)]
pub struct Entry {
    /// The name in URLs and the database: the story folder's (or file's) name.
    pub slug: String,
    /// The path as given on the command line.
    pub path: String,
    pub story: Story,
    pub fingerprint: String,
    /// The story explored once at start, shared by every debrief of it.
    pub explored: Option<crate::play::debrief::Explored>,
}

/// How to serve.
#[derive(Debug, Clone)]
pub struct Config {
    pub addr: String,
    pub db: PathBuf,
    /// Worker threads answering requests.
    pub workers: usize,
}

/// What every worker shares.
#[derive(Debug)]
pub struct App {
    pub entries: Vec<Entry>,
    pub token: Option<String>,
    pub templates: Environment<'static>,
}

impl App {
    pub fn entry(&self, slug: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.slug == slug)
    }
}

/// A story's name in URLs: its last path component without `.scene`, in lower case,
/// with anything but letters, digits and `-` made `-`.
pub fn slug_of(path: &Path) -> String {
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if s.is_empty() {
        "story".into()
    } else {
        s
    }
}

/// Reads and checks every story. A story that cannot be read, or that has errors, is
/// reported as `threshold check` reports it, and nothing is served (exit 2 or 1).
pub fn load_library(paths: &[PathBuf]) -> Result<Vec<Entry>, u8> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut exit = 0;
    for path in paths {
        let sources = match load_story(path) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {}", crate::text::clean(&e.to_string()));
                exit = exit.max(2);
                continue;
            }
        };
        let checked = threshold_compiler::check(&sources, CheckOptions::default());
        let errors: Vec<_> = checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect();
        let story = match (errors.is_empty(), checked.lowered.story) {
            (true, Some(story)) => story,
            _ => {
                crate::report::eprint_errors(&sources, &errors);
                eprintln!(
                    "error: `{}` has errors and cannot be served; `threshold check` shows them all",
                    crate::text::clean(&path.display().to_string())
                );
                exit = exit.max(1);
                continue;
            }
        };
        let mut slug = slug_of(path);
        let base = slug.clone();
        let mut k = 2;
        while entries.iter().any(|e| e.slug == slug) {
            slug = format!("{base}-{k}");
            k += 1;
        }
        entries.push(Entry {
            slug,
            path: path.display().to_string(),
            fingerprint: crate::play::save::fingerprint(&story),
            explored: crate::play::debrief::Explored::of(&story),
            story,
        });
    }
    if exit != 0 {
        return Err(exit);
    }
    Ok(entries)
}

/// Whether `addr` is a loopback address (127.0.0.0/8 or ::1).
pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

/// The page templates, escaped by default (every template name ends in `.html`).
fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    for (name, text) in [
        ("base.html", include_str!("templates/base.html")),
        ("list.html", include_str!("templates/list.html")),
        ("scene.html", include_str!("templates/scene.html")),
        ("debrief.html", include_str!("templates/debrief.html")),
        ("message.html", include_str!("templates/message.html")),
        ("line.html", include_str!("templates/line.html")),
        ("_debrief.html", include_str!("templates/_debrief.html")),
        ("resume.html", include_str!("templates/resume.html")),
        ("sup_login.html", include_str!("templates/sup_login.html")),
        ("sup_index.html", include_str!("templates/sup_index.html")),
        ("sup_story.html", include_str!("templates/sup_story.html")),
        (
            "sup_attempt.html",
            include_str!("templates/sup_attempt.html"),
        ),
    ] {
        env.add_template(name, text)
            .expect("the page templates are valid");
    }
    env
}

/// A running server: where it listens, and how to stop it.
pub struct Running {
    pub addr: SocketAddr,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running").field("addr", &self.addr).finish()
    }
}

impl Running {
    /// Serves until the process ends.
    pub fn wait(self) {
        for w in self.workers {
            let _ = w.join();
        }
    }
}

/// Opens the database, binds the address and starts the workers.
pub fn start(app: App, config: &Config) -> Result<Running, String> {
    // Bring the schema up to date once, before any worker opens a connection.
    Db::open(&config.db)
        .map_err(|e| format!("cannot open the database `{}`: {e}", config.db.display()))?;
    let server = tiny_http::Server::http(&config.addr)
        .map_err(|e| format!("cannot listen on `{}`: {e}", config.addr))?;
    let addr = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| "the server is not on an IP address".to_string())?;
    let server = Arc::new(server);
    let app = Arc::new(app);
    let mut workers = Vec::new();
    for _ in 0..config.workers.max(1) {
        let server = Arc::clone(&server);
        let app = Arc::clone(&app);
        let path = config.db.clone();
        workers.push(std::thread::spawn(move || {
            let mut db = match Db::open(&path) {
                Ok(db) => db,
                Err(e) => {
                    eprintln!("error: cannot open the database: {e}");
                    return;
                }
            };
            while let Ok(mut request) = server.recv() {
                let resp = respond(&app, &mut db, &mut request);
                let _ = request.respond(resp);
            }
        }));
    }
    Ok(Running { addr, workers })
}

fn respond(app: &App, db: &mut Db, request: &mut tiny_http::Request) -> Resp {
    let req = match http::read(request) {
        Ok(r) => r,
        Err(ReadError::TooLarge) => return http::text(413, "The request is too large.\n"),
        Err(ReadError::Bad) => return http::text(400, "The request could not be read.\n"),
    };
    route(app, db, &req).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        http::text(
            500,
            "Something went wrong on the server; nothing was lost. Try again.\n",
        )
    })
}

/// Why a page could not be made.
pub type PageResult = Result<Resp, String>;

fn route(app: &App, db: &mut Db, req: &Req) -> PageResult {
    let parts: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    match (req.post, parts.as_slice()) {
        (false, ["style.css"]) => Ok(http::with_body(
            200,
            "text/css; charset=utf-8",
            include_str!("templates/style.css").as_bytes().to_vec(),
        )),
        (_, ["supervisor", ..]) => supervisor::route(app, db, req, &parts[1..]),
        _ => pages::route(app, db, req, &parts),
    }
}

/// Renders a template with `ctx`.
pub fn render(app: &App, name: &str, ctx: minijinja::Value) -> Result<String, String> {
    app.templates
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .map_err(|e| format!("cannot render {name}: {e:#}"))
}

/// Builds the shared state: the stories and the page templates.
pub fn app(entries: Vec<Entry>, token: Option<String>) -> App {
    App {
        entries,
        token,
        templates: templates(),
    }
}
