//! Prints the intents of SQL given as arguments or on stdin: a quick way
//! to see what the analyzer makes of a statement while developing.
//!
//! `cargo run -p guardrail-sql --example explain -- "DELETE FROM users"`

use std::io::Read;

fn main() {
    let mut texts: Vec<String> = std::env::args().skip(1).collect();
    if texts.is_empty() {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).expect("reading stdin");
        texts.push(text);
    }
    for text in texts {
        let analysis = guardrail_sql::analyze(&text);
        let masked = guardrail_core::secret::mask(&text, &analysis.secrets);
        for intent in analysis.intents {
            let evidence = intent.span.slice(&masked).unwrap_or("");
            let evidence: String = evidence.chars().take(80).collect();
            let object = intent.object.as_ref().map(|object| format!(" {object}")).unwrap_or_default();
            let note = intent.note.as_ref().map(|note| format!(" ({note})")).unwrap_or_default();
            println!("{} {}{object}{note}\n    {evidence}", intent.kind, intent.scope);
        }
    }
}
