//! Feeds arbitrary UTF-8 text to both phases of `threshold check`, with a small state
//! limit. Neither phase may panic, overflow the stack or hang, and every diagnostic must
//! point inside the text, on character boundaries.

#![no_main]

use libfuzzer_sys::fuzz_target;
use threshold_compiler::{check, CheckOptions, Limits, Source};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let sources = [Source {
        name: "fuzz.scene".to_string(),
        text: text.to_string(),
    }];
    let options = CheckOptions {
        limits: Limits::states(10_000),
        teaching: true,
    };
    let checked = check(&sources, options);
    for d in &checked.diagnostics {
        let span = d.site.span;
        assert!(span.start <= span.end && span.end <= text.len(), "{d:?}");
        assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end), "{d:?}");
    }
    let has_static_error = checked
        .diagnostics
        .iter()
        .any(|d| d.is_error() && !d.code.is_soundness());
    assert_eq!(checked.lowered.story.is_some(), !has_static_error);
});
