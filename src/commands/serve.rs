//! `threshold serve`: the web player and the supervisor's view, attempts kept in SQLite.

use std::path::PathBuf;

use crate::serve;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The stories to offer: `.scene` files or folders of them (e.g. `stories/*`).
    #[arg(required = true, value_name = "STORY")]
    pub stories: Vec<PathBuf>,
    /// Where to listen. An address other than loopback needs a supervisor token.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// The SQLite database that keeps the attempts (created if missing).
    #[arg(long, value_name = "FILE", default_value = "threshold.db")]
    pub db: PathBuf,
    /// The token that opens the supervisor's pages (or `THRESHOLD_SUPERVISOR_TOKEN`).
    #[arg(long, value_name = "TOKEN")]
    pub supervisor_token: Option<String>,
    /// Worker threads answering requests.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub workers: usize,
}

pub fn run(args: &Args) -> u8 {
    let token = args
        .supervisor_token
        .clone()
        .or_else(|| std::env::var("THRESHOLD_SUPERVISOR_TOKEN").ok())
        .filter(|t| !t.trim().is_empty());
    if token.as_ref().is_some_and(|t| t.len() < 12) {
        eprintln!("error: the supervisor token is too short\n  help: use at least 12 characters, e.g. the output of `openssl rand -hex 16`");
        return 2;
    }
    let addrs: Vec<std::net::SocketAddr> =
        match std::net::ToSocketAddrs::to_socket_addrs(&args.addr.as_str()) {
            Ok(a) => a.collect(),
            Err(e) => {
                eprintln!("error: `{}` is not an address to listen on: {e}", args.addr);
                return 2;
            }
        };
    if token.is_none() && !addrs.iter().all(serve::is_loopback) {
        eprintln!(
            "error: `{}` is not a loopback address, and no supervisor token is set\n  help: \
             set --supervisor-token (or THRESHOLD_SUPERVISOR_TOKEN) to serve beyond this \
             machine, or listen on 127.0.0.1",
            args.addr
        );
        return 2;
    }
    let entries = match serve::load_library(&args.stories) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let config = serve::Config {
        addr: args.addr.clone(),
        db: args.db.clone(),
        workers: args.workers,
    };
    let n = entries.len();
    let running = match serve::start(serve::app(entries, token.clone()), &config) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {}", crate::text::clean(&e));
            return 2;
        }
    };
    let mut said = format!(
        "Serving {n} stor{} at http://{}/ (attempts in {})\n",
        if n == 1 { "y" } else { "ies" },
        running.addr,
        args.db.display()
    );
    said.push_str(&match token {
        Some(_) => format!("Supervisor's pages: http://{}/supervisor\n", running.addr),
        None => "Supervisor's pages are off: set --supervisor-token to open them.\n".into(),
    });
    // Standard output may be closed (a test reads the first line only): never a panic.
    let mut out = std::io::stdout().lock();
    let _ = std::io::Write::write_all(&mut out, said.as_bytes());
    let _ = std::io::Write::flush(&mut out);
    drop(out);
    running.wait();
    0
}
