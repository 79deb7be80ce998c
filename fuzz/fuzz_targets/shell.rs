//! Any text through the shell analyzer, as run in a workspace: no panic
//! escapes it, no abort, no hang (run with -timeout), and every intent's
//! evidence lies inside the text on character boundaries.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // libfuzzer-sys's panic hook aborts at once, even for a panic the
    // analyzer catches (brush-parser's own, on some malformed text). Keep
    // the default hook, so that only a panic escaping the analyzer crashes:
    // libfuzzer-sys aborts on those after unwinding.
    static DEFAULT_HOOK: std::sync::Once = std::sync::Once::new();
    DEFAULT_HOOK.call_once(|| drop(std::panic::take_hook()));
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
