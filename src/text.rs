//! Making story, save and diagnostic text safe to show: control characters stripped for the
//! terminal and transcripts, Markdown escaping, JSON lines without raw C1 controls,
//! and shell quoting for the resume command.

/// Whether a character is a C0 or C1 control (or DEL) that must not reach a terminal.
/// Newline and tab are kept.
pub fn is_unsafe(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

/// The text with every C0/C1 control character (except newline and tab) removed, so
/// that nothing from a story or a save can move the cursor, recolour or retitle the
/// terminal.
pub fn clean(text: &str) -> String {
    text.chars().filter(|&c| !is_unsafe(c)).collect()
}

/// [`clean`], and the text kept on one line (newlines and tabs become spaces).
pub fn clean_line(text: &str) -> String {
    text.chars()
        .filter(|&c| !is_unsafe(c))
        .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
        .collect()
}

/// Replaces unsafe characters byte for byte (`?` for each byte), so that byte offsets
/// into the text stay valid: for showing diagnostics about a story's source.
pub fn neutralise_keeping_offsets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_unsafe(c) && c != '\r' {
            out.push_str(&"?".repeat(c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    out
}

/// A JSON document as one line, with C1 controls written as `\u00XX` escapes
/// (JSON writers escape C0 controls already; the value read back is unchanged).
pub fn json_line(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if !s.chars().any(is_unsafe) {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
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
    fn clean_strips_c0_and_c1_but_keeps_newline_tab_and_text() {
        let raw = "a\u{1b}[31mred\u{7}\u{9b}2J\u{85}b\tc\nd é ✓";
        assert_eq!(clean(raw), "a[31mred2Jb\tc\nd é ✓");
        assert_eq!(clean_line("x\ny\tz\u{0}"), "x y z");
    }

    #[test]
    fn neutralising_keeps_byte_offsets() {
        let raw = "ab\u{1b}c\u{9b}d\r\n";
        let safe = neutralise_keeping_offsets(raw);
        assert_eq!(safe.len(), raw.len());
        assert_eq!(safe, "ab?c??d\r\n");
    }

    #[test]
    fn json_lines_escape_c1_and_read_back_the_same() {
        let v = serde_json::json!({"text": "a\u{9b}b\u{1b}c"});
        let line = json_line(&v);
        assert!(!line.chars().any(is_unsafe), "{line:?}");
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back, v);
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
