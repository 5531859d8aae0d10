//! The examples in `docs/checking.md` are what `threshold check` really reports: each
//! story block followed by a JSON block must produce every diagnostic the JSON lists.

mod common;

use std::path::Path;

use serde_json::Value;

/// `(story, expected diagnostics, extra flags)` for each example of the page.
fn examples(doc: &str) -> Vec<(String, Vec<Value>, Vec<String>)> {
    let mut out = Vec::new();
    let mut rest = doc;
    while let Some(start) = rest.find("\n```\n") {
        let before = &rest[..start];
        let after = &rest[start + 5..];
        let Some(end) = after.find("```\n") else {
            break;
        };
        let story = &after[..end];
        let tail = &after[end + 4..];
        rest = tail;
        let Some(json_block) = tail.strip_prefix("```json\n") else {
            continue;
        };
        let json_end = json_block.find("```").expect("a closed JSON block");
        let expected = json_block[..json_end]
            .lines()
            .map(|l| serde_json::from_str(l).expect("one diagnostic a line"))
            .collect();
        // A flag the prose before the example names, like `--max-states 100000`.
        let para = before.rsplit("\n\n").next().unwrap_or("");
        let mut flags = match para.find("--max-states ") {
            Some(i) => {
                let n: String = para[i + 13..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                vec!["--max-states".to_string(), n]
            }
            None => Vec::new(),
        };
        if para.contains("With `--teaching`") {
            flags.push("--teaching".to_string());
        }
        out.push((story.to_string(), expected, flags));
        rest = &json_block[json_end..];
    }
    out
}

#[test]
fn checking_examples_are_what_check_reports() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/checking.md"))
            .expect("docs/checking.md");
    let all = examples(&doc);
    assert!(all.len() >= 24, "the page has its examples ({})", all.len());
    let dir = std::env::temp_dir().join(format!("threshold-docs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (i, (story, expected, flags)) in all.iter().enumerate() {
        let path = dir.join(format!("example-{i}.scene"));
        std::fs::write(&path, story).unwrap();
        let mut args = vec!["check", "--format", "json"];
        args.extend(flags.iter().map(String::as_str));
        let path_text = path.to_str().unwrap().to_string();
        args.push(&path_text);
        let o = common::threshold(&args);
        let actual = common::json(&o)["stories"][0]["diagnostics"].clone();
        let actual = actual.as_array().unwrap();
        for e in expected {
            let found = actual.iter().any(|a| {
                e.as_object()
                    .unwrap()
                    .iter()
                    .all(|(k, v)| a.get(k) == Some(v))
            });
            assert!(
                found,
                "example {i}:\n{story}\nexpected {e}\ngot {actual:#?}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
