//! Making story, save and diagnostic text safe to show. One rule, [`is_unsafe`], says
//! which characters must never reach a terminal raw (controls, DEL, C1 controls,
//! bidirectional overrides, isolates and marks, line and paragraph separators); every
//! writer to a terminal, a Markdown file, DOT or Mermaid shows them visibly as
//! `\u{…}` through [`clean`] or [`clean_line`], and every JSON writer escapes them
//! through [`json_line`] or [`json_pretty`]. Also Markdown escaping and shell quoting.

use std::fmt::Write as _;

/// Whether a character must not reach a terminal (or a Markdown, DOT or Mermaid file)
/// raw: C0 controls other than newline and tab (escape sequences, bells, carriage
/// returns), DEL, the C1 controls U+0080–U+009F, the bidirectional embeddings,
/// overrides and isolates U+202A–U+202E and U+2066–U+2069, the marks U+200E, U+200F
/// and U+061C (a line can be made to read backwards), and the line and paragraph
/// separators U+2028 and U+2029. The rule is the compiler's, which sanitises the story
/// map with it, so that the map and every other writer agree by construction.
pub use threshold_compiler::graph_export::is_unsafe;

/// Writes `c` as it is shown in place of itself: `\u{1b}`, `\u{202e}` (lowercase hex,
/// as Rust writes it), so that nothing is hidden and the author can find it.
fn push_visible(out: &mut String, c: char) {
    let _ = write!(out, "\\u{{{:x}}}", c as u32);
}

/// The text with every unsafe character (see [`is_unsafe`]) shown visibly as
/// `\u{…}`, newlines and tabs kept: nothing from a story, a save or a file name can
/// move the cursor, recolour or retitle the terminal, ring its bell, or reverse a line.
pub fn clean(text: &str) -> String {
    if !text.chars().any(is_unsafe) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe(c) {
            push_visible(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

/// [`clean`], and the text kept on one line (newlines and tabs become spaces).
pub fn clean_line(text: &str) -> String {
    threshold_compiler::graph_export::visible(text)
}

/// A path as it is shown in a message: [`clean`], and newlines and tabs shown as
/// `\u{a}` and `\u{9}` too, so a file name cannot break the message's line.
pub fn clean_path(path: &std::path::Path) -> String {
    let text = path.display().to_string();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_unsafe(c) || c == '\n' || c == '\t' {
            push_visible(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

/// Replaces unsafe characters byte for byte (`?` for each byte of each one, so
/// `\u{202e}` becomes `???`) so that byte offsets into the text stay valid: for
/// showing a story's source in diagnostics. A carriage return before a newline is
/// kept (a CRLF line end); any other is replaced.
pub fn neutralise_keeping_offsets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let crlf = c == '\r' && chars.peek() == Some(&'\n');
        if is_unsafe(c) && !crlf {
            for _ in 0..c.len_utf8() {
                out.push('?');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// JSON text with every unsafe character still raw in it written as a `\uXXXX`
/// escape (serde_json escapes C0 controls itself, but not DEL, C1 controls, the
/// bidirectional controls or U+2028/U+2029). Unsafe characters can only occur inside
/// strings, so the value read back is unchanged.
fn escape_json(s: String) -> String {
    if !s.chars().any(is_unsafe) {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_unsafe(c) {
            // Every unsafe character is in the Basic Multilingual Plane.
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// A JSON document on one line, every unsafe character escaped: what `check --format
/// json`, `analyze --format json` and each event of `play --json` write.
pub fn json_line<T: serde::Serialize + ?Sized>(v: &T) -> String {
    escape_json(serde_json::to_string(v).expect("a JSON value serialises"))
}

/// A JSON document, indented, every unsafe character escaped like [`json_line`]: what
/// `compile` writes.
pub fn json_pretty<T: serde::Serialize + ?Sized>(v: &T) -> String {
    escape_json(serde_json::to_string_pretty(v).expect("a JSON value serialises"))
}

/// Story text for a Markdown paragraph: cleaned, on one line, with the characters that
/// Markdown would read as markup escaped.
pub fn md(text: &str) -> String {
    let line = clean_line(text);
    let mut out = String::with_capacity(line.len() + 8);
    for (i, c) in line.chars().enumerate() {
        let at_start = i == 0;
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '-' | '+' | '=' if at_start => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    // A line starting "1. " or "1) " would become a list item.
    if let Some(p) = out.find(|c: char| !c.is_ascii_digit()) {
        if p > 0 && matches!(out[p..].chars().next(), Some('.' | ')')) {
            out.insert(p, '\\');
        }
    }
    out
}

/// Quotes a word for a POSIX shell when it needs quoting.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./,:=+@%".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", clean_line(word).replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_shows_controls_visibly_and_keeps_newline_tab_and_text() {
        let raw = "a\u{1b}[31mred\u{7}\u{9b}2J\u{85}b\tc\nd é ✓\u{7f}";
        let shown = concat!(
            r"a\u{1b}[31mred\u{7}\u{9b}2J\u{85}b",
            "\tc\nd é ✓",
            r"\u{7f}"
        );
        assert_eq!(clean(raw), shown);
        assert_eq!(clean_line("x\ny\tz\u{0}"), r"x y z\u{0}");
        assert_eq!(clean("plain text"), "plain text");
    }

    #[test]
    fn bidirectional_controls_are_shown_not_obeyed() {
        let raw = "a\u{202e}b\u{2066}c\u{2069}d\u{200e}\u{200f}\u{61c}\u{2028}\u{2029}";
        assert_eq!(
            clean_line(raw),
            r"a\u{202e}b\u{2066}c\u{2069}d\u{200e}\u{200f}\u{61c}\u{2028}\u{2029}"
        );
        for c in [
            '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{2067}', '\u{2068}',
        ] {
            assert!(is_unsafe(c), "{c:?}");
        }
        for c in [
            '\n', '\t', ' ', 'é', '\u{a0}', '\u{2027}', '\u{202f}', '\u{2065}', '\u{206a}',
        ] {
            assert!(!is_unsafe(c), "{c:?}");
        }
    }

    #[test]
    fn paths_show_every_control_and_line_break() {
        assert_eq!(
            clean_path(std::path::Path::new("a\u{1b}]0;x\u{7}\nb.scene")),
            r"a\u{1b}]0;x\u{7}\u{a}b.scene"
        );
    }

    #[test]
    fn the_story_map_sanitises_exactly_as_the_terminal_does() {
        use threshold_compiler::graph_export as map;
        let raw = "a\u{1b}[2J\u{7}\u{9b}\u{7f}\u{202e}b\u{2066}\tc\nd é";
        assert_eq!(map::visible(raw), clean_line(raw));
        assert_eq!(
            clean_line(raw),
            r"a\u{1b}[2J\u{7}\u{9b}\u{7f}\u{202e}b\u{2066} c d é"
        );
    }

    #[test]
    fn neutralising_keeps_byte_offsets() {
        let raw = "ab\u{1b}c\u{9b}d\u{202e}e\rf\r\n";
        let safe = neutralise_keeping_offsets(raw);
        assert_eq!(safe.len(), raw.len());
        assert_eq!(safe, "ab?c??d???e?f\r\n");
    }

    #[test]
    fn json_escapes_every_unsafe_character_and_reads_back_the_same() {
        let v = serde_json::json!({
            "text": "a\u{9b}b\u{1b}c\u{7f}d\u{2028}e\u{2029}f\u{202e}g\u{7}h\u{85}i"
        });
        for s in [json_line(&v), json_pretty(&v)] {
            assert!(!s.chars().any(is_unsafe), "{s:?}");
            assert!(s.contains(r"\u007f") && s.contains(r"\u2028") && s.contains(r"\u202e"));
            let back: serde_json::Value = serde_json::from_str(&s).unwrap();
            assert_eq!(back, v);
        }
        assert!(!json_line(&v).contains('\n'));
    }

    #[test]
    fn markdown_escapes_markup() {
        assert_eq!(md("*sighs* [x](y) <b>"), r"\*sighs\* \[x\](y) \<b\>");
        assert_eq!(md("# not a heading"), r"\# not a heading");
        assert_eq!(md("- not a list"), r"\- not a list");
        assert_eq!(md("12. not a list"), r"12\. not a list");
        assert_eq!(md("It's 10. Fine."), "It's 10. Fine.");
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote("stories/a.scene"), "stories/a.scene");
        assert_eq!(shell_quote("my story.scene"), "'my story.scene'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
