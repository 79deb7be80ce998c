//! The adversarial corpora in `corpora/adversarial/`, judged by the binary
//! as `../shared/tools/score-corpus` does: one `check --jsonl` run, each
//! block case also with a justification.
//!
//! Every case must pass, except those marked `"known_miss"` with the reason
//! (a gap we know and have not closed). A known miss that starts passing
//! fails the test too, so the marks stay true. The score is printed.
//!
//! A case may name a `"secret"` in its text, which must appear in no string
//! of any answer nor anywhere in the activity record (unless marked
//! `"known_leak"` with the reason no mechanism can know it for a secret), or
//! text to `"keep"`, no secret, which no answer may show partly masked.

mod common;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

const JUSTIFICATION: &str = "INC-4711: approved maintenance, reviewed by the on-call DBA";

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Case {
    line: usize,
    text: String,
    expect: String,
    known_miss: Option<String>,
    /// A secret in the text, which no answer may show.
    secret: Option<String>,
    /// Text that is no secret, which must stay visible.
    keep: Option<String>,
}

/// Scores one corpus: returns (passed, total) and the unexpected results.
fn score(file: &str) -> (usize, usize, Vec<String>) {
    let path = repository().join("corpora/adversarial").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let mut cases = Vec::new();
    let mut requests = String::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let case: Value = serde_json::from_str(line).unwrap_or_else(|error| panic!("{file}:{}: {error}", index + 1));
        let kind = case["kind"].as_str().unwrap_or("shell");
        let request = json!({ "kind": kind, "text": case["text"], "cwd": "/home/dev/app" });
        requests.push_str(&format!("{request}\n"));
        let expect = case["expect"].as_str().expect("expect").to_owned();
        if expect != "allow" {
            let justified =
                json!({ "kind": kind, "text": case["text"], "cwd": "/home/dev/app", "justification": JUSTIFICATION });
            requests.push_str(&format!("{justified}\n"));
        }
        cases.push(Case {
            line: index + 1,
            text: case["text"].as_str().unwrap_or_default().to_owned(),
            expect,
            known_miss: case["known_miss"].as_str().map(str::to_owned),
            // A secret no mechanism can know for one is marked `known_leak`.
            secret: case["secret"].as_str().filter(|_| case["known_leak"].is_null()).map(str::to_owned),
            keep: case["keep"].as_str().map(str::to_owned),
        });
    }
    let mut command = common::command();
    // The corpora were written for a user `dev` whose home is /home/dev.
    command.args(["check", "--jsonl"]).env("HOME", "/home/dev").current_dir(repository());
    let run = common::run(command, requests.as_bytes());
    assert_eq!(run.status, 0, "{file}: {run:?}");
    let mut answers = run.stdout.lines().map(|line| {
        let answer: Value = serde_json::from_str(line).unwrap_or_else(|error| panic!("{file}: {error}: {line}"));
        let mut shown = Vec::new();
        strings(&answer, &mut shown);
        (answer["decision"].as_str().unwrap_or("<none>").to_owned(), shown)
    });
    let mut passed = 0;
    let mut wrong = Vec::new();
    for case in &cases {
        let (plain, shown) = answers.next().expect("an answer per request");
        let justified = (case.expect != "allow").then(|| answers.next().expect("a justified answer").0);
        if let Some(secret) = &case.secret
            && shown.iter().any(|text| text.contains(secret.as_str()))
        {
            wrong.push(format!("{file}:{}: the answer shows the secret {secret:?}", case.line));
        }
        if let Some(keep) = &case.keep
            && shown.iter().any(|text| masks_part_of(text, keep))
        {
            wrong.push(format!("{file}:{}: the answer masks {keep:?}, which is no secret", case.line));
        }
        let ok = match (case.expect.as_str(), justified.as_deref()) {
            ("allow", _) => plain == "allow",
            ("block", Some(justified)) => plain != "allow" && justified != "allow",
            ("justify", Some(justified)) => plain != "allow" && justified == "allow",
            (other, _) => panic!("{file}:{}: unknown expectation {other}", case.line),
        };
        passed += usize::from(ok);
        let preview: String = case.text.chars().take(100).collect();
        match (&case.known_miss, ok) {
            (None, false) => {
                wrong.push(format!("{file}:{}: expected {}, got {plain}: {preview:?}", case.line, case.expect))
            }
            (Some(why), true) => {
                wrong.push(format!("{file}:{}: passes now; remove its known_miss ({why}): {preview:?}", case.line))
            }
            _ => {}
        }
    }
    assert!(answers.next().is_none(), "{file}: more answers than requests");
    (passed, cases.len(), wrong)
}

/// Whether `text` shows `keep` with some of its characters masked.
fn masks_part_of(text: &str, keep: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    let keep: Vec<char> = keep.chars().collect();
    text.windows(keep.len()).any(|window| {
        window.iter().zip(&keep).all(|(shown, kept)| shown == kept || *shown == '*')
            && window.iter().zip(&keep).any(|(shown, kept)| *shown == '*' && *kept != '*')
    })
}

/// Every string in an answer, at any depth: what a reader could see.
fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) => out.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|item| strings(item, out)),
        Value::Object(fields) => fields.values().for_each(|field| strings(field, out)),
        _ => {}
    }
}

#[test]
fn adversarial_corpora_are_judged_as_labelled() {
    let mut failures = Vec::new();
    for file in [
        "shell-effects.jsonl",
        "shell-flows.jsonl",
        "sql.jsonl",
        "shell-round2.jsonl",
        "shell-everyday.jsonl",
        "sql-round2.jsonl",
        "secrets.jsonl",
        "round3.jsonl",
        "tools.jsonl",
        "tools-round2.jsonl",
        "gate-round3.jsonl",
        "day-round4.jsonl",
        "wrappers-round5.jsonl",
        "mcp-round6.jsonl",
        "mcp-round7.jsonl",
        "mcp-round8.jsonl",
        "mcp-round9.jsonl",
    ] {
        let (passed, total, wrong) = score(file);
        println!("{file}: {passed}/{total} as labelled");
        failures.extend(wrong);
    }
    assert!(failures.is_empty(), "{} cases differ from their labels:\n{}", failures.len(), failures.join("\n"));
}

/// Every planted secret of the corpora, recorded: neither the activity
/// record's export nor any byte of its files (the database, its journal,
/// blobs) holds one in clear.
#[test]
fn secrets_never_reach_the_record() {
    let mut requests = String::new();
    let mut secrets: Vec<String> = Vec::new();
    let directory = repository().join("corpora/adversarial");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&directory)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "jsonl"))
        .collect();
    files.sort();
    for path in files {
        for line in std::fs::read_to_string(&path).unwrap().lines().filter(|line| !line.trim().is_empty()) {
            let case: Value = serde_json::from_str(line).unwrap();
            let Some(secret) = case["secret"].as_str().filter(|_| case["known_leak"].is_null()) else { continue };
            secrets.push(secret.to_owned());
            let request = json!({ "kind": case["kind"].as_str().unwrap_or("shell"), "text": case["text"], "cwd": "/home/dev/app" });
            requests.push_str(&format!("{request}\n"));
        }
    }
    assert!(secrets.len() > 100, "the corpora plant secrets");
    let data = tempfile::tempdir().unwrap();
    let mut check = common::in_data_dir(data.path());
    check.args(["check", "--jsonl", "--record", "--actor", "corpus", "--session", "secrets"]).env("HOME", "/home/dev");
    let run = common::run(check, requests.as_bytes());
    assert_eq!(run.status, 0, "{run:?}");
    assert_eq!(run.stdout.lines().count(), secrets.len(), "an answer per request");

    let mut export = common::in_data_dir(data.path());
    export.args(["audit", "export", "--format", "jsonl"]);
    let exported = common::run(export, b"");
    assert_eq!(exported.status, 0, "{exported:?}");
    assert!(exported.stdout.lines().count() >= secrets.len(), "every decision is recorded");

    let mut stored: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let mut pending = vec![data.path().to_path_buf()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(std::fs::read_dir(&path).unwrap().map(|entry| entry.unwrap().path()));
        } else {
            stored.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    let mut leaks = Vec::new();
    for secret in &secrets {
        if exported.stdout.contains(secret.as_str()) {
            leaks.push(format!("the export shows {secret:?}"));
        }
        for (path, bytes) in &stored {
            if bytes.windows(secret.len()).any(|window| window == secret.as_bytes()) {
                leaks.push(format!("{} holds {secret:?}", path.display()));
            }
        }
    }
    assert!(leaks.is_empty(), "{} secrets in clear:\n{}", leaks.len(), leaks.join("\n"));
}
