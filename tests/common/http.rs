//! A small HTTP/1.1 client for `threshold serve`, shared by `tests/serve.rs` and the
//! `serve_load` example (which includes this file by its path): start a server and read
//! the address it listens on, write a request's head, read a response, and find a
//! form's values on a page. How a request is sent and its errors handled is left to each.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Starts `serve` (a command with its arguments, `--addr 127.0.0.1:0` among them) and
/// reads the address it printed on its first line: `127.0.0.1:PORT`.
pub fn listen(serve: &mut Command) -> (Child, String) {
    let mut child = serve
        .stdout(Stdio::piped())
        .spawn()
        .expect("threshold serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (child, addr)
}

/// The head of a request to `addr` on a connection closed after it: `headers` are whole
/// `Name: value\r\n` lines; a POST carries a form of `body_len` bytes.
pub fn head(method: &str, addr: &str, path: &str, headers: &str, body_len: usize) -> String {
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}");
    if method == "POST" {
        head.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {body_len}\r\n"
        ));
    }
    head.push_str("\r\n");
    head
}

#[derive(Debug)]
pub struct Response {
    /// 0 when there is no status line.
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    /// Reads a response: the head up to the first blank line (all of `text` when there
    /// is none), then the body.
    pub fn parse(text: &str) -> Response {
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text, ""));
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(": "))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Response {
            status,
            headers,
            body: body.to_string(),
        }
    }

    /// The first header named `name`, in any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn location(&self) -> Option<&str> {
        self.header("Location")
    }

    /// The cookies set, each as its `name=value`, in order.
    pub fn cookies(&self) -> impl Iterator<Item = &str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("Set-Cookie"))
            .filter_map(|(_, v)| v.split(';').next())
    }
}

/// The `value` of the first input named `name` on a page.
pub fn value_of(page: &str, name: &str) -> Option<String> {
    let at = page.find(&format!("name=\"{name}\" value=\""))? + name.len() + 15;
    Some(page[at..at + page[at..].find('"')?].to_string())
}
