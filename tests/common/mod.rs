//! Shared helpers for the CLI tests: run the `threshold` binary from the project root
//! with a fixed, colourless 80-column terminal, and read what it printed.

#![allow(dead_code)]

use std::process::{Command, Output};

use serde_json::Value;

/// Runs `threshold ARGS…` from the project root, without colour, 80 columns wide.
pub fn threshold(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_threshold"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("COLUMNS", "80")
        .args(args)
        .output()
        .expect("run threshold")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("UTF-8 output")
}

/// The one JSON document on standard output.
pub fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).expect("a JSON document")
}
