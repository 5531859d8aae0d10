//! Shared helpers for the CLI tests: run the `threshold` binary from the project root
//! with a fixed, colourless 80-column terminal (with nothing, text or a live conversation
//! on standard input), read what it printed, and make scratch folders.

#![allow(dead_code)]

pub mod http;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use serde_json::Value;

/// How long a live player is waited for before the test fails (a hang must fail, not
/// hang the suite).
pub const PATIENCE: Duration = Duration::from_secs(60);

/// `threshold`, to be given its arguments: run from the project root, without colour,
/// 80 columns wide.
pub fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_threshold"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("COLUMNS", "80");
    c
}

/// Runs `threshold ARGS…` (standard input inherited) to its end.
pub fn threshold(args: &[&str]) -> Output {
    command().args(args).output().expect("run threshold")
}

/// Starts `threshold ARGS…` with `stdin` as its standard input and its output piped.
pub fn spawn(args: &[&str], stdin: Stdio) -> Child {
    command()
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run threshold")
}

/// Runs `threshold ARGS…` with `input` on standard input.
pub fn with_input(args: &[&str], input: &str) -> Output {
    let mut child = spawn(args, Stdio::piped());
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // The binary may exit before it reads everything (a refused resume, say).
    let _ = stdin.write_all(input.as_bytes());
    drop(stdin);
    child.wait_with_output().expect("wait for threshold")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("UTF-8 output")
}

/// The exit code (the binary was not ended by a signal).
pub fn code(o: &Output) -> i32 {
    o.status.code().expect("the binary exited normally")
}

/// The one JSON document on standard output.
pub fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).expect("a JSON document")
}

/// The diagnostics of the first story in a `check --format json` document.
pub fn diagnostics(doc: &Value) -> &[Value] {
    doc["stories"][0]["diagnostics"]
        .as_array()
        .expect("a list of diagnostics")
}

/// A diagnostic's code and line.
pub fn code_and_line(d: &Value) -> (String, u64) {
    (
        d["code"].as_str().unwrap().to_string(),
        d["line"].as_u64().unwrap(),
    )
}

/// Standard output read as one JSON document a line (`play --json`'s events).
pub fn events(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

/// A fresh, empty folder for one test's files, named after the test file and `name`.
pub fn scratch(name: &str) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{}-{name}", env!("CARGO_CRATE_NAME")));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// A path as an argument.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// A running `threshold` whose output is read as it comes and whose input is written
/// line by line.
pub struct Live {
    pub child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<String>,
    seen: String,
}

/// How a [`Live`] run ended.
pub struct Ended {
    pub code: Option<i32>,
    /// All of standard output, from the start.
    pub stdout: String,
    pub stderr: String,
}

impl Live {
    pub fn start(args: &[&str]) -> Live {
        let mut child = spawn(args, Stdio::piped());
        let mut out = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0
                    || tx
                        .send(String::from_utf8_lossy(&buf[..n]).into_owned())
                        .is_err()
                {
                    break;
                }
            }
        });
        Live {
            stdin: child.stdin.take(),
            child,
            rx,
            seen: String::new(),
        }
    }

    /// Waits until `needle` has appeared in the output.
    pub fn wait_for(&mut self, needle: &str) {
        self.wait_for_times(needle, 1);
    }

    /// Waits until `needle` has appeared `count` times in the output.
    pub fn wait_for_times(&mut self, needle: &str, count: usize) {
        while self.seen.matches(needle).count() < count {
            match self.rx.recv_timeout(PATIENCE) {
                Ok(chunk) => self.seen.push_str(&chunk),
                Err(_) => {
                    let _ = self.child.kill();
                    panic!("never saw {needle:?} {count} times in:\n{}", self.seen);
                }
            }
        }
    }

    /// Past the content note, to the first prompt.
    pub fn past_note(&mut self) {
        self.wait_for("Press Enter");
        self.send("\n");
        self.wait_for("Your choice");
    }

    pub fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Closes standard input and waits for the end: the exit code and what was printed.
    pub fn finish(mut self) -> Ended {
        drop(self.stdin.take());
        let mut stderr = String::new();
        let _ = self
            .child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr);
        let status = self.child.wait().unwrap();
        while let Ok(chunk) = self.rx.recv_timeout(PATIENCE) {
            self.seen.push_str(&chunk);
        }
        Ended {
            code: status.code(),
            stdout: self.seen,
            stderr,
        }
    }
}
