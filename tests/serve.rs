//! `threshold serve` end to end: a real server on 127.0.0.1 (port 0) with a real SQLite
//! file, driven over HTTP as a browser would — cookies, forms, redirects — and attacked:
//! markup in a story and in a reflection, a cross-site POST, another trainee's attempt,
//! missing and wrong supervisor tokens, an oversized body.

mod common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use common::command;
use common::http::{self, Response};

const TOKEN: &str = "test-supervisor-token-0123";
const STORY: &str = "tests/fixtures/serve/script.scene";

/// A scratch folder removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!(
            "threshold-serve-{name}-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
    fn db(&self) -> PathBuf {
        self.0.join("attempts.db")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `threshold serve`, killed when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(db: &Path, stories: &[&str]) -> Server {
    let (child, addr) = http::listen(
        command()
            .arg("serve")
            .args(stories)
            .args(["--addr", "127.0.0.1:0", "--db"])
            .arg(db)
            .args(["--supervisor-token", TOKEN, "--workers", "4"]),
    );
    Server { child, addr }
}

/// Sends a request's head, then its body, and reads the response (whatever came back
/// before the server closed the connection: it may refuse a body before reading it).
fn raw(addr: &str, head: &str, body: &[u8]) -> Response {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    Response::parse(&String::from_utf8_lossy(&buf))
}

/// Where a response redirects to.
fn location(r: &Response) -> &str {
    r.location().expect("a redirect")
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A browser: a cookie jar, and requests from this site's own pages.
struct Browser {
    addr: String,
    cookies: HashMap<String, String>,
    extra: Vec<(String, String)>,
}

impl Browser {
    fn new(addr: &str) -> Browser {
        Browser {
            addr: addr.to_string(),
            cookies: HashMap::new(),
            extra: Vec::new(),
        }
    }

    fn send(&mut self, method: &str, path: &str, body: &str) -> Response {
        let mut headers = String::new();
        if !self.cookies.is_empty() {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            headers.push_str(&format!("Cookie: {}\r\n", c.join("; ")));
        }
        for (k, v) in &self.extra {
            headers.push_str(&format!("{k}: {v}\r\n"));
        }
        let head = http::head(method, &self.addr, path, &headers, body.len());
        let r = raw(&self.addr, &head, body.as_bytes());
        for pair in r.cookies() {
            let (n, val) = pair.split_once('=').unwrap();
            self.cookies.insert(n.to_string(), val.to_string());
        }
        r
    }

    fn get(&mut self, path: &str) -> Response {
        self.send("GET", path, "")
    }

    fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Response {
        let body: Vec<String> = form
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        self.send("POST", path, &body.join("&"))
    }

    /// The CSRF token of the form on the page at `path`.
    fn csrf(&mut self, path: &str) -> String {
        let page = self.get(path).body;
        value_of(&page, "csrf")
    }

    /// Starts an attempt of `story`; returns its path, `/a/ID`.
    fn start(&mut self, story: &str, name: &str, extra: &[(&str, &str)]) -> String {
        let csrf = self.csrf("/");
        let mut form = vec![
            ("csrf", csrf.as_str()),
            ("story", story),
            ("name", name),
            ("cohort", "C1"),
        ];
        form.extend_from_slice(extra);
        let r = self.post("/start", &form);
        assert_eq!(r.status, 303, "{}", r.body);
        location(&r).to_string()
    }

    /// Sends choice `n` for step `step` of the attempt at `at`.
    fn choose(&mut self, at: &str, step: usize, n: usize, reflection: &str) -> Response {
        let csrf = self.csrf("/");
        self.post(
            &format!("{at}/choose"),
            &[
                ("csrf", &csrf),
                ("step", &step.to_string()),
                ("choice", &n.to_string()),
                ("reflection", reflection),
            ],
        )
    }

    /// Plays `choices` from the first step, each answered once.
    fn play(&mut self, at: &str, choices: &[usize]) -> Response {
        for (k, &n) in choices.iter().enumerate() {
            let r = self.choose(at, k + 1, n, "");
            assert_eq!(r.status, 303, "{}", r.body);
        }
        self.get(at)
    }

    fn sign_in(&mut self) {
        let r = self.post("/supervisor/login", &[("token", TOKEN)]);
        assert_eq!(r.status, 303, "{}", r.body);
    }
}

/// The `value` of the first input named `name` on a page.
fn value_of(page: &str, name: &str) -> String {
    http::value_of(page, name).unwrap_or_else(|| panic!("no {name} on the page:\n{page}"))
}

/// The step number the page's choice form answers.
fn step_of(page: &str) -> usize {
    value_of(page, "step").parse().unwrap()
}

#[test]
fn a_trainee_plays_to_a_good_and_a_bad_outcome() {
    let dir = Scratch::new("outcomes");
    let server = serve(&dir.db(), &[STORY]);
    let mut b = Browser::new(&server.addr);
    let list = b.get("/");
    assert_eq!(list.status, 200);
    let cookie = list.header("Set-Cookie").expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(list.body.contains("<meta name=\"viewport\""));

    let good = b.start("script", "Rowan", &[]);
    let scene = b.get(&good);
    assert_eq!(scene.status, 200);
    assert!(scene
        .body
        .contains("<button type=\"submit\" name=\"choice\" value=\"3\">"));
    let end = b.play(&good, &[3, 1, 1]);
    assert!(end.body.contains("Held and heard"), "{}", end.body);
    assert!(
        end.body.contains("Your moves: 3 good, 0 mixed, 0 bad"),
        "{}",
        end.body
    );
    assert!(end.body.contains("Where the other doors led"));

    let bad = b.start("script", "Rowan", &[("mode", "coach")]);
    let end = b.play(&bad, &[1, 2]);
    assert!(end.body.contains("A blurred frame"), "{}", end.body);
    assert!(end.body.contains("0 good, 0 mixed, 2 bad"), "{}", end.body);

    // The list shows both attempts, each with where it ended.
    let list = b.get("/").body;
    assert!(list.contains("Held and heard (good)") && list.contains("A blurred frame (bad)"));
}

#[test]
fn a_reload_a_repeated_post_and_a_second_tab_never_duplicate_a_choice() {
    let dir = Scratch::new("idempotent");
    let server = serve(&dir.db(), &[STORY]);
    let mut b = Browser::new(&server.addr);
    let at = b.start("script", "Sam", &[]);
    assert_eq!(step_of(&b.get(&at).body), 1);
    assert_eq!(b.choose(&at, 1, 3, "").status, 303);
    // The same POST again (a reload of the POST, the back button), and a second tab
    // answering step 1 differently: both only show where the attempt stands.
    let again = b.choose(&at, 1, 3, "");
    assert_eq!((again.status, location(&again)), (303, at.as_str()));
    assert_eq!(b.choose(&at, 1, 1, "").status, 303);
    // A step not yet due changes nothing either.
    assert_eq!(b.choose(&at, 5, 1, "").status, 303);
    let page = b.get(&at).body;
    assert_eq!(step_of(&page), 2, "one choice recorded");
    assert!(page.contains("You chose: It sounds like the gaps"));
    let md = b.get(&format!("{at}/transcript.md")).body;
    assert_eq!(md.matches("**Choice ").count(), 1, "{md}");
}

#[test]
fn an_attempt_resumes_from_its_link_and_after_a_kill() {
    let dir = Scratch::new("resume");
    let mut server = serve(&dir.db(), &[STORY]);
    let mut b = Browser::new(&server.addr);
    let at = b.start("script", "Ari", &[]);
    b.choose(&at, 1, 3, "");
    let page = b.get(&at).body.replace("&#x2f;", "/");
    let from = page
        .find("/resume/")
        .expect("the page gives its resume link");
    let path = &page[from..from + page[from..].find('"').unwrap()];

    // The server is killed at once (SIGKILL) and started again on the same file.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let server = serve(&dir.db(), &[STORY]);

    // Another browser, holding only the link.
    let mut other = Browser::new(&server.addr);
    let page = other.get(path);
    assert_eq!(page.status, 200);
    let key = value_of(&page.body, "key");
    let id = at.trim_start_matches("/a/");
    let r = other.post(&format!("/resume/{id}"), &[("key", &key)]);
    assert_eq!((r.status, location(&r)), (303, at.as_str()));
    let page = other.get(&at).body;
    assert_eq!(
        step_of(&page),
        2,
        "the choice made before the kill is there"
    );
    let end = other.play_from(&at, 2, &[1, 1]);
    assert!(end.contains("Held and heard"));
    // A wrong key claims nothing.
    let mut thief = Browser::new(&server.addr);
    let r = thief.post(&format!("/resume/{id}"), &[("key", &"0".repeat(32))]);
    assert_eq!(r.status, 404);
    assert_eq!(thief.get(&at).status, 404);
}

impl Browser {
    fn play_from(&mut self, at: &str, first: usize, choices: &[usize]) -> String {
        for (k, &n) in choices.iter().enumerate() {
            assert_eq!(self.choose(at, first + k, n, "").status, 303);
        }
        self.get(at).body
    }
}

#[test]
fn the_transcript_downloads_as_markdown() {
    let dir = Scratch::new("transcript");
    let server = serve(&dir.db(), &[STORY]);
    let mut b = Browser::new(&server.addr);
    let at = b.start("script", "Kim", &[("reflect", "on")]);
    b.choose(&at, 1, 3, "The worry first.");
    b.play_from(&at, 2, &[1, 1]);
    let r = b.get(&format!("{at}/transcript.md"));
    assert_eq!(r.status, 200);
    assert!(r
        .header("Content-Type")
        .unwrap()
        .starts_with("text/markdown"));
    assert!(r
        .header("Content-Disposition")
        .unwrap()
        .starts_with("attachment;"));
    assert!(r.body.starts_with("# Transcript: "), "{}", r.body);
    assert!(
        r.body.contains("*Reflection:* The worry first."),
        "{}",
        r.body
    );
    assert!(r.body.contains("Held and heard"));
}

#[test]
fn the_supervisor_sees_attempts_and_exports_them() {
    let dir = Scratch::new("supervisor");
    let server = serve(&dir.db(), &[STORY]);
    let mut a = Browser::new(&server.addr);
    let good = a.start("script", "Rowan", &[("reflect", "on")]);
    a.choose(&good, 1, 3, "Ask about the worry");
    a.play_from(&good, 2, &[1, 1]);
    let mut b = Browser::new(&server.addr);
    let bad = b.start("script", "Jules", &[]);
    b.play(&bad, &[1, 2]);

    let mut sup = Browser::new(&server.addr);
    sup.sign_in();
    let index = sup.get("/supervisor").body;
    assert!(index.contains("C1") && index.contains("/supervisor/story/script"));
    let story = sup.get("/supervisor/story/script").body;
    for want in [
        "Rowan",
        "Jules",
        "Held and heard (good)",
        "A blurred frame (bad)",
        "Ask about the worry",
    ] {
        assert!(story.contains(want), "{want} in\n{story}");
    }
    let id = good.trim_start_matches("/a/");
    let one = sup.get(&format!("/supervisor/attempt/{id}"));
    assert_eq!(one.status, 200);
    assert!(one.body.contains("# Transcript: "));

    let csv = sup.get("/supervisor/export.csv");
    assert!(csv.header("Content-Disposition").unwrap().contains(".csv"));
    assert_eq!(csv.body.lines().count(), 1 + 3 + 2, "{}", csv.body);
    let xapi: serde_json::Value =
        serde_json::from_str(&sup.get("/supervisor/export.xapi.json").body).unwrap();
    let statements = xapi.as_array().unwrap();
    assert_eq!(statements.len(), 3 + 1 + 2 + 1);
    let completed: Vec<_> = statements
        .iter()
        .filter(|s| s["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed")
        .collect();
    assert_eq!(completed.len(), 2);
    assert!(completed
        .iter()
        .any(|s| s["result"]["score"]["scaled"] == 1.0));
    assert!(completed
        .iter()
        .any(|s| s["result"]["score"]["scaled"] == 0.0));

    // The same from the command line, from the database alone.
    let out = command()
        .args(["export", "--format", "csv", "--db"])
        .arg(dir.db())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), csv.body);
    let out = command()
        .args(["export", "--format", "xapi", "--db"])
        .arg(dir.db())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), statements.len());
}

#[test]
fn markup_in_a_story_and_in_a_reflection_is_escaped() {
    let dir = Scratch::new("escape");
    let server = serve(&dir.db(), &[STORY]);
    let mut b = Browser::new(&server.addr);
    let list = b.get("/").body;
    assert!(!list.contains("<script>"), "{list}");
    assert!(
        list.contains("&lt;script&gt;alert(&quot;title&quot;)"),
        "{list}"
    );
    let at = b.start(
        "script",
        "<img src=x onerror=alert(1)>",
        &[("reflect", "on")],
    );
    let scene = b.get(&at).body;
    assert!(!scene.contains("<script>"));
    assert!(
        scene.contains("&lt;script&gt;alert(&quot;line&quot;)"),
        "{scene}"
    );
    b.choose(&at, 1, 3, "<script>alert('reflection')</script>");
    let page = b.get(&at).body;
    assert!(
        !page.contains("<script>") && page.contains("&lt;script&gt;alert("),
        "{page}"
    );
    let mut sup = Browser::new(&server.addr);
    sup.sign_in();
    let story = sup.get("/supervisor/story/script").body;
    assert!(
        !story.contains("<script>") && !story.contains("<img"),
        "{story}"
    );
    assert!(story.contains("&lt;img src=x"));
    let r = b.get("/");
    assert!(r
        .header("Content-Security-Policy")
        .unwrap()
        .contains("default-src 'none'"));
}

#[test]
fn a_cross_site_post_is_refused() {
    let dir = Scratch::new("csrf");
    let server = serve(&dir.db(), &[STORY]);
    let mut b = Browser::new(&server.addr);
    let at = b.start("script", "Lee", &[]);
    // Without the token (what another site's form can send, with the cookie).
    let r = b.post(&format!("{at}/choose"), &[("step", "1"), ("choice", "1")]);
    assert_eq!(r.status, 403);
    let r = b.post("/start", &[("story", "script"), ("name", "X")]);
    assert_eq!(r.status, 403);
    // With a token but from another origin.
    let csrf = b.csrf("/");
    b.extra
        .push(("Origin".into(), "http://evil.example".into()));
    let r = b.post(
        &format!("{at}/choose"),
        &[("csrf", &csrf), ("step", "1"), ("choice", "1")],
    );
    assert_eq!(r.status, 403);
    b.extra.clear();
    assert_eq!(step_of(&b.get(&at).body), 1, "nothing was recorded");
}

#[test]
fn another_trainees_attempt_cannot_be_read_or_changed() {
    let dir = Scratch::new("guess");
    let server = serve(&dir.db(), &[STORY]);
    let mut a = Browser::new(&server.addr);
    let at = a.start("script", "Alex", &[]);
    let mut b = Browser::new(&server.addr);
    b.start("script", "Blake", &[]);
    assert_eq!(b.get(&at).status, 404);
    assert_eq!(b.get(&format!("{at}/transcript.md")).status, 404);
    assert_eq!(b.choose(&at, 1, 6 - 5, "").status, 404);
    // A made-up id reads the same as one that exists.
    assert_eq!(b.get(&format!("/a/{}", "f".repeat(32))).status, 404);
    assert_eq!(step_of(&a.get(&at).body), 1, "Alex's attempt is untouched");
}

#[test]
fn the_supervisors_pages_need_the_token() {
    let dir = Scratch::new("token");
    let server = serve(&dir.db(), &[STORY]);
    let mut anon = Browser::new(&server.addr);
    for path in [
        "/supervisor",
        "/supervisor/story/script",
        "/supervisor/export.csv",
        "/supervisor/export.xapi.json",
    ] {
        let r = anon.get(path);
        assert_eq!(r.status, 401, "{path}");
        assert!(!r.body.contains("attempt,"), "{path}");
    }
    anon.extra
        .push(("Authorization".into(), "Bearer wrong-token-000000".into()));
    assert_eq!(anon.get("/supervisor/export.csv").status, 401);
    anon.extra.clear();
    assert_eq!(
        anon.post("/supervisor/login", &[("token", "wrong-token-000000")])
            .status,
        403
    );
    assert!(anon.get("/supervisor").body.contains("Supervisor token"));
    anon.extra
        .push(("Authorization".into(), format!("Bearer {TOKEN}")));
    assert_eq!(anon.get("/supervisor/export.csv").status, 200);
}

#[test]
fn an_oversized_body_is_refused() {
    let dir = Scratch::new("oversized");
    let server = serve(&dir.db(), &[STORY]);
    let mut b = Browser::new(&server.addr);
    let at = b.start("script", "Max", &[("reflect", "on")]);
    let csrf = b.csrf("/");
    let huge = "x".repeat(200 * 1024);
    let r = b.post(
        &format!("{at}/choose"),
        &[
            ("csrf", &csrf),
            ("step", "1"),
            ("choice", "1"),
            ("reflection", &huge),
        ],
    );
    assert_eq!(r.status, 413);
    assert_eq!(step_of(&b.get(&at).body), 1);
}

#[test]
fn a_story_with_errors_is_refused_and_nothing_is_served() {
    let dir = Scratch::new("broken");
    let out = command()
        .args([
            "serve",
            STORY,
            "tests/fixtures/play/broken.scene",
            "--addr",
            "127.0.0.1:0",
            "--db",
        ])
        .arg(dir.db())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("has errors and cannot be served"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_non_loopback_address_needs_a_token() {
    let dir = Scratch::new("addr");
    let out = command()
        .args(["serve", STORY, "--addr", "0.0.0.0:0", "--db"])
        .arg(dir.db())
        .env_remove("THRESHOLD_SUPERVISOR_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a loopback address"));
}

#[test]
fn play_with_several_stories_offers_a_picker_and_a_library_folder_says_what_it_holds() {
    let out = command().args(["play", "stories"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is a folder of"), "{err}");
    assert!(
        err.contains("Just for emergencies (stories/doorway-phone-number)"),
        "{err}"
    );
    assert!(err.contains("Play one:  threshold play stories/"), "{err}");
    assert!(!err.contains("more than one"), "{err}");

    let mut child = command()
        .args([
            "play",
            "--no-pager",
            STORY,
            "tests/fixtures/play/rated.scene",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"7\n2\n\n3\n1\n1\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Choose a story:"), "{text}");
    assert!(text.contains("Type a number from 1 to 2."), "{text}");
    assert!(text.contains("Held and heard"), "{text}");
    assert_eq!(out.status.code(), Some(0), "{text}");
}
