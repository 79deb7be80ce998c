//! Rough timings of the secret detectors, for the numbers in
//! docs/secrets.md:
//!
//! ```sh
//! cargo run --release -p guardrail-core --example detect_timing
//! ```
//!
//! Run it fresh: the first lines time the one-time compiling of the
//! detectors' regular expressions, which happens once per process.

use std::time::{Duration, Instant};

use guardrail_core::secret::{DETECTORS, detect};

/// A harmless statement of about 100 bytes, as the gate sees on every decision.
const SQL: &str =
    "SELECT id, email, created_at FROM users WHERE account_id = 42 AND status = 'active' ORDER BY id LIMIT 50";

fn main() {
    // A fresh process: the first call compiles what the statement triggers.
    let first_sql = time(|| detect(SQL));
    // Every detector's example triggers every regular expression: what is
    // left to compile is compiled now.
    let examples: String = DETECTORS.iter().map(|detector| detector.example).collect::<Vec<_>>().join("\n");
    let first_examples = time(|| detect(&examples));
    let again_examples = time(|| detect(&examples));
    let sql = per_call(SQL, 100_000);
    println!("detect, first call on {} bytes of harmless SQL: {first_sql:?}", SQL.len());
    println!(
        "detect, first call on every detector's example ({} bytes): {first_examples:?}; second call: {again_examples:?}",
        examples.len()
    );
    println!("one-time compiling, roughly: {:?}", (first_sql + first_examples).saturating_sub(sql + again_examples));
    println!("detect on {} bytes of harmless SQL: {sql:?} per call", SQL.len());
    let secret_sql = "ALTER ROLE app WITH LOGIN PASSWORD 'hunter2' VALID UNTIL '2030-01-01' CONNECTION LIMIT 10";
    println!(
        "detect on {} bytes of SQL with a password: {:?} per call",
        secret_sql.len(),
        per_call(secret_sql, 100_000)
    );
    let log = log(1 << 20);
    println!(
        "detect on a {} byte log ({} secrets found): {:?} per call",
        log.len(),
        detect(&log).len(),
        per_call(&log, 20)
    );
    for detector in DETECTORS {
        let start = Instant::now();
        for _ in 0..20 {
            std::hint::black_box(detector.find(&log));
        }
        // Each run alone lowercases its own copy of the text, as detect does once for all.
        println!("    {} alone: {:?}", detector.name, start.elapsed() / 20);
    }
    let json = json(1 << 20);
    println!(
        "detect on {} bytes of JSON tool output ({} secrets found): {:?} per call",
        json.len(),
        detect(&json).len(),
        per_call(&json, 20)
    );
}

fn time<T>(f: impl FnOnce() -> T) -> Duration {
    let start = Instant::now();
    std::hint::black_box(f());
    start.elapsed()
}

fn per_call(text: &str, calls: u32) -> Duration {
    let start = Instant::now();
    for _ in 0..calls {
        std::hint::black_box(detect(std::hint::black_box(text)));
    }
    start.elapsed() / calls
}

/// An application log of about `size` bytes: mostly harmless lines that
/// mention keys, tokens and passwords, a secret every 500 lines.
fn log(size: usize) -> String {
    let mut log = String::with_capacity(size + 200);
    let mut line = 0;
    while log.len() < size {
        line += 1;
        let text = match line % 500 {
            0 => format!("2024-05-01T12:00:{:02}Z WARN retrying with PGPASSWORD=hunter{line} psql -h db\n", line % 60),
            100 => "2024-05-01T12:00:00Z DEBUG header Authorization: Bearer 4f9a8b7c6d5e4f3a2b1c\n".to_owned(),
            _ => format!(
                "2024-05-01T12:00:{:02}Z INFO request id={line} path=/api/v1/users/{line} status=200 duration_ms=12 \
                 sort_key=created_at max_tokens=512 password_reset=false cache hit for key {line}\n",
                line % 60
            ),
        };
        log.push_str(&text);
    }
    log
}

/// JSON of about `size` bytes, as a tool might return: objects with keys,
/// a token field now and then.
fn json(size: usize) -> String {
    let mut json = String::with_capacity(size + 200);
    json.push('[');
    let mut item = 0;
    while json.len() < size {
        item += 1;
        if item % 1000 == 0 {
            json.push_str(&format!("{{\"id\": {item}, \"access_token\": \"tok_{item}_aZ\"}},"));
        } else {
            json.push_str(&format!(
                "{{\"id\": {item}, \"key\": \"user:{item}\", \"primary_key\": \"id\", \"name\": \"Item {item}\", \
                 \"tags\": [\"a\", \"b\"], \"url\": \"https://example.com/items/{item}\"}},"
            ));
        }
    }
    json.push_str("{}]");
    json
}
