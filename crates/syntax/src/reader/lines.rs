//! Line classification: a trimmed line with its offset, and the prefix tests that tell
//! what kind of line it is (header word, sigil, dialogue, block marker, rated note,
//! metadata) and where its end-of-line comment starts.

use crate::ast::{Rating, Span};

/// One classified line, trimmed: where it starts and its text.
#[derive(Clone, Copy)]
pub(super) struct Line<'s> {
    pub(super) text: &'s str,
    pub(super) start: usize,
}

impl<'s> Line<'s> {
    pub(super) fn span(&self) -> Span {
        Span::new(self.start, self.start + self.text.len())
    }

    /// The part after the first `n` bytes (or nothing, past the end), trimmed, with
    /// its offset.
    pub(super) fn after(&self, n: usize) -> Line<'s> {
        let n = n.min(self.text.len());
        let rest = &self.text[n..];
        let trimmed = rest.trim_start();
        Line {
            text: trimmed,
            start: self.start + n + (rest.len() - trimmed.len()),
        }
    }

    /// The line without its end-of-line comment.
    pub(super) fn without_comment(&self) -> Line<'s> {
        Line {
            text: strip_comment(self.text),
            start: self.start,
        }
    }
}

/// Cuts a `//` comment that follows a blank and stands outside quotes.
pub(super) fn strip_comment(s: &str) -> &str {
    let bytes = s.as_bytes();
    let mut in_quote = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_quote => i += 1,
            b'"' => in_quote = !in_quote,
            b'/' if !in_quote
                && bytes.get(i + 1) == Some(&b'/')
                && i > 0
                && matches!(bytes[i - 1], b' ' | b'\t') =>
            {
                return s[..i].trim_end();
            }
            _ => {}
        }
        i += 1;
    }
    s
}

/// How many lines look like node headers: room to reserve for the nodes.
pub(super) fn count_headers(src: &str) -> usize {
    src.lines()
        .filter(|l| {
            let t = l.trim_start();
            starts_with_word(t, "scene") || starts_with_word(t, "outcome")
        })
        .count()
}

pub(super) fn starts_with_word(s: &str, word: &str) -> bool {
    s.strip_prefix(word)
        .is_some_and(|rest| rest.starts_with([' ', '\t']))
}

pub(super) fn sigil(s: &str, sigil: &str) -> bool {
    s.strip_prefix(sigil)
        .is_some_and(|rest| rest.starts_with([' ', '\t']))
}

/// The length of a leading `IDENT:` followed by a blank or the end, if any.
pub(super) fn dialogue_prefix(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    if !bytes
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
    {
        return None;
    }
    let n = bytes
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    if bytes.get(n) != Some(&b':') {
        return None;
    }
    match bytes.get(n + 1) {
        None | Some(b' ') | Some(b'\t') => Some(n),
        _ => None,
    }
}

/// Which block marker a comment-stripped line is, if it is exactly one.
pub(super) fn block_marker(s: &str) -> Option<&'static str> {
    let inner = s.strip_prefix('{')?.strip_suffix('}')?;
    if inner.contains(['{', '}']) {
        return None;
    }
    let inner = inner.trim();
    if inner == "else" {
        return Some("else");
    }
    if inner == "end" {
        return Some("end");
    }
    for kw in ["if", "elif"] {
        if let Some(rest) = inner.strip_prefix(kw) {
            if rest.is_empty() || rest.starts_with([' ', '\t', '(']) {
                return Some(kw);
            }
        }
    }
    None
}

/// A rated note's prefix: a rating word in lower case, a colon and a blank, with text
/// after it. Returns the rating and the prefix's length in bytes.
pub(super) fn rated_prefix(t: &str) -> Option<(Rating, usize)> {
    let (rating, word) = [
        (Rating::Good, "good"),
        (Rating::Mixed, "mixed"),
        (Rating::Bad, "bad"),
    ]
    .into_iter()
    .find(|(_, w)| t.starts_with(w))?;
    let rest = t[word.len()..].strip_prefix(':')?;
    if !rest.starts_with([' ', '\t']) || rest.trim().is_empty() {
        return None;
    }
    Some((rating, word.len() + 1))
}

pub(super) fn is_metadata(t: &str) -> bool {
    let bytes = t.as_bytes();
    if !bytes
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
    {
        return false;
    }
    let n = bytes
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_' || **b == b'-')
        .count();
    bytes.get(n) == Some(&b':')
}
