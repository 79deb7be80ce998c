//! SIGKILL under load: a process appending with many threads is killed at
//! random moments, again and again. Afterwards the record verifies, and
//! every append the process acknowledged is there, with the hash it was
//! acknowledged with.
//!
//! The appending process is this test binary run again, with
//! `GUARDRAIL_CRASH_CHILD` naming the store (so the test has its own
//! `main`: `harness = false`).

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use guardrail_audit::verify::{Trust, verify};
use guardrail_audit::{CheckpointSigner, Location, Recorder, RecorderConfig};

const CHILD: &str = "GUARDRAIL_CRASH_CHILD";
const NODE: &str = "crash";
const WRITERS: usize = 8;
const KILLS: usize = 25;

fn main() {
    match std::env::var_os(CHILD) {
        Some(dir) => append_until_killed(Path::new(&dir)),
        None => {
            acknowledged_appends_survive_sigkill_and_the_record_verifies();
            eprintln!("test acknowledged_appends_survive_sigkill_and_the_record_verifies ... ok");
        }
    }
}

fn acknowledged_appends_survive_sigkill_and_the_record_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let mut acknowledged: HashMap<u64, String> = HashMap::new();
    let mut random = Random::seeded();
    for round in 0..KILLS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(CHILD, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        // Read acknowledgements on a thread; kill at a random moment after
        // the child is ready (start-up is not what is being tested).
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut acks = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line == "ready" {
                    let _ = ready_tx.send(());
                }
                // Only whole lines count; a line cut by the kill has no hash.
                if let Some((seq, hash)) = line.strip_prefix("ack ").and_then(|rest| rest.split_once(' '))
                    && hash.len() == 64
                {
                    acks.push((seq.parse::<u64>().unwrap(), hash.to_owned()));
                }
            }
            acks
        });
        ready_rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("round {round}: the child never got ready"));
        let wait = Duration::from_millis(20 + random.below(300));
        let started = Instant::now();
        while started.elapsed() < wait {
            if child.try_wait().unwrap().is_some() {
                panic!("round {round}: the appending process exited by itself");
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        for (seq, hash) in reader.join().unwrap() {
            if let Some(previous) = acknowledged.insert(seq, hash.clone()) {
                panic!("record {seq} was acknowledged twice: {previous} and {hash}");
            }
        }
    }
    assert!(acknowledged.len() > KILLS * 10, "too few appends to mean anything: {}", acknowledged.len());

    let location = Location::in_data_dir(dir.path());
    let mut store = location.open().unwrap();
    let signer = CheckpointSigner::load_from(dir.path()).unwrap().unwrap();
    let trust = Trust { local: Some((NODE.into(), signer.public_key())), ..Trust::default() };
    let report = verify(store.as_mut(), None, &trust).unwrap();
    assert!(report.is_ok(), "{:#?}", report.problems);
    for (seq, hash) in &acknowledged {
        let record = store.record(NODE, *seq).unwrap().unwrap_or_else(|| panic!("acknowledged record {seq} is gone"));
        assert_eq!(&record.hash.to_hex(), hash, "record {seq} is not the one acknowledged");
    }
    eprintln!(
        "{KILLS} kills, {} acknowledged appends, {} records after recovery",
        acknowledged.len(),
        report.nodes[0].records
    );
}

/// The appending process, started by the test above.
fn append_until_killed(dir: &Path) {
    let config = RecorderConfig::new(Location::in_data_dir(dir), NODE.into(), dir.to_path_buf());
    let recorder = Recorder::open(config).unwrap();
    let guard = guardrail_core::Guard::new(guardrail_core::Policy::default_policy());
    println!("ready");
    std::thread::scope(|scope| {
        for _ in 0..WRITERS {
            scope.spawn(|| {
                loop {
                    common::record_one(&recorder, &guard, |seq, hash| {
                        // Printed only after the receipt: acknowledged means durable.
                        let mut out = std::io::stdout().lock();
                        let _ = writeln!(out, "ack {seq} {hash}");
                        let _ = out.flush();
                    });
                }
            });
        }
    });
}

/// A small xorshift generator: kill moments differ from run to run.
struct Random(u64);

impl Random {
    fn seeded() -> Random {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
        eprintln!("crash test seed: {nanos}");
        Random(nanos | 1)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}
