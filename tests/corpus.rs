//! Data-driven tests: every story under `tests/corpus/` is checked by the `threshold`
//! binary, and its diagnostics must match the `.expected` file beside it, line for line.
//!
//! Each expected line is `SEVERITY CODE LINE:COLUMN`, then `node=ID` and `path=[…]` for
//! soundness diagnostics. Run with `UPDATE_EXPECT=1` to rewrite the expected files,
//! then review the difference.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn stories() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for group in ["pass", "fail"] {
        let dir = corpus_dir().join(group);
        for entry in std::fs::read_dir(&dir).expect("corpus folder") {
            let p = entry.expect("corpus entry").path();
            if p.is_dir() || p.extension().is_some_and(|e| e == "scene") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn describe(d: &Value) -> String {
    let mut s = format!(
        "{} {} {}:{}",
        d["severity"].as_str().unwrap(),
        d["code"].as_str().unwrap(),
        d["line"],
        d["column"]
    );
    if let Some(node) = d.get("node") {
        s.push_str(&format!(" node={}", node.as_str().unwrap()));
    }
    if let Some(path) = d.get("path") {
        s.push_str(&format!(" path={path}"));
    }
    s
}

fn check_json(story: &Path) -> (Value, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_threshold"))
        .args(["check", "--format", "json"])
        .arg(story)
        .output()
        .expect("run threshold");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    (doc, out.status.code().unwrap_or(-1))
}

#[test]
fn corpus_matches_expected_diagnostics() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    let all = stories();
    assert!(all.len() >= 20, "the corpus holds its stories");
    for story in all {
        let (doc, code) = check_json(&story);
        let s = &doc["stories"][0];
        let diags = s["diagnostics"].as_array().expect("diagnostics");
        let actual: String = diags.iter().map(|d| describe(d) + "\n").collect();
        let expected_path = story.with_extension("expected");
        let is_pass = story.parent().unwrap().ends_with("pass");
        if is_pass {
            if diags.iter().any(|d| d["severity"] == "error") || code != 0 {
                failures.push(format!(
                    "{}: expected to pass, got:\n{actual}",
                    story.display()
                ));
            }
        } else if code != 1 && diags.iter().any(|d| d["severity"] == "error") {
            failures.push(format!("{}: exit code {code}, expected 1", story.display()));
        }
        if update {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "{}:\n--- expected\n{expected}--- actual\n{actual}",
                story.display()
            ));
        }
        // `ok` is true exactly when the story alone exits 0.
        assert_eq!(s["ok"].as_bool(), Some(code == 0), "{}", story.display());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
