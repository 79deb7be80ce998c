//! Any text through the SQL analyzer: no panic, no abort, and every
//! intent's evidence lies inside the text on character boundaries.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let analysis = guardrail_sql::analyze(&text);
    for span in &analysis.secrets {
        assert!(span.slice(&text).is_some(), "secret {span:?} is not a slice of the text");
    }
    for intent in analysis.intents {
        assert!(
            intent.span.start <= intent.span.end && intent.span.slice(&text).is_some(),
            "span {:?} is not a slice of a {}-byte text",
            intent.span,
            text.len()
        );
    }
});
