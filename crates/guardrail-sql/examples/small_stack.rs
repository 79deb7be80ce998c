//! Analyzes SQL from stdin on a thread with the given stack (KiB, default
//! 256), printing the intents. Used by `scripts/measure-stack`, and to
//! replay fuzz findings: `... --example small_stack -- 8192 < crash-...`.

use std::io::Read;

fn main() {
    // Bytes, read as the fuzz targets read them: invalid UTF-8 replaced.
    let mut bytes = Vec::new();
    std::io::stdin().read_to_end(&mut bytes).expect("reading stdin");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let kib: usize = std::env::args().nth(1).map_or(256, |kib| kib.parse().expect("a stack size in KiB"));
    std::thread::Builder::new()
        .stack_size(kib << 10)
        .spawn(move || {
            for intent in guardrail_sql::analyze(&text).intents {
                println!("{} {} {}", intent.kind, intent.scope, intent.note.unwrap_or_default());
            }
        })
        .expect("spawning a thread")
        .join()
        .expect("the analyzer panicked");
}
