//! Any text through the shell analyzer, as run in a workspace: no panic,
//! no abort, and every intent's evidence lies inside the text on character
//! boundaries.

#![no_main]

use guardrail_core::Analyzer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let analyzer = guardrail_shell::ShellAnalyzer::new(Some("/home/dev".to_owned()));
    let analysis = analyzer.analyze_in(&text, Some("/home/dev/app"));
    for intent in analysis.intents {
        assert!(
            intent.span.start <= intent.span.end && intent.span.slice(&text).is_some(),
            "span {:?} is not a slice of a {}-byte text",
            intent.span,
            text.len()
        );
    }
});
