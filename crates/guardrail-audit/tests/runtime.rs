//! The recorder in a long-running async server: opened and appended to
//! from a tokio runtime's threads (its blocking clients live on the
//! writer's own thread), receipts awaited, and a full queue a typed error.

use std::path::Path;

use guardrail_audit::{ContentDetails, ContentKind, Entry, Location, RecordError, Recorder, RecorderConfig};
use guardrail_core::Actor;

fn entry(index: usize) -> Entry {
    Entry::content(ContentKind::Prompt, &Actor::default(), ContentDetails::default(), &format!("prompt {index}"))
}

fn config(location: Location, dir: &Path) -> RecorderConfig {
    RecorderConfig::new(location, "node-rt".into(), dir.to_path_buf())
}

#[test]
fn a_recorder_opens_and_appends_from_inside_a_tokio_runtime() {
    let database = guardrail_testdb::TestDatabase::new("recorder_runtime");
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let receipts = runtime.block_on(async {
        // A blocking PostgreSQL client made on this thread would panic here.
        let recorder = Recorder::open(config(Location::Postgres(database.url().to_owned()), dir.path())).unwrap();
        let tickets: Vec<_> = (0..50).map(|index| recorder.submit(entry(index)).unwrap()).collect();
        let mut receipts = Vec::new();
        for ticket in tickets {
            receipts.push(ticket.await.unwrap());
        }
        tokio::task::spawn_blocking(move || drop(recorder)).await.unwrap();
        receipts
    });
    let seqs: Vec<u64> = receipts.iter().map(|receipt| receipt.seq).collect();
    assert_eq!(seqs, (2..=51).collect::<Vec<_>>(), "after the chain's key record, in order");
}

#[test]
fn a_full_queue_refuses_an_append_with_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(Location::in_data_dir(dir.path()), dir.path());
    config.max_pending = 1;
    let recorder = Recorder::open(config).unwrap();
    let results: Vec<_> = (0..2_000).map(|index| recorder.submit(entry(index))).collect();
    assert!(results.iter().any(|result| matches!(result, Err(RecordError::Overloaded(1)))), "never overloaded");
    for ticket in results.into_iter().flatten() {
        ticket.wait().expect("an append that was taken is written");
    }
}

#[test]
fn lazy_appends_share_commits_are_each_answered_and_flush_ends_the_wait() {
    let dir = tempfile::tempdir().unwrap();
    let recorder = Recorder::open(config(Location::in_data_dir(dir.path()), dir.path())).unwrap();
    // Many lazy appends from several threads: each gets its own receipt.
    let receipts: Vec<_> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..4)
            .map(|thread| {
                let recorder = &recorder;
                scope.spawn(move || {
                    let tickets: Vec<_> =
                        (0..100).map(|index| recorder.submit_lazy(entry(thread * 100 + index)).unwrap()).collect();
                    tickets.into_iter().map(|ticket| ticket.wait().unwrap()).collect::<Vec<_>>()
                })
            })
            .collect();
        threads.into_iter().flat_map(|thread| thread.join().unwrap()).collect()
    });
    let mut seqs: Vec<u64> = receipts.iter().map(|receipt| receipt.seq).collect();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), 400, "every lazy append is its own record");
    // A flush answers a lazy append without waiting out the window.
    let ticket = recorder.submit_lazy(entry(1000)).unwrap();
    recorder.flush();
    assert!(ticket.wait().is_ok());
    // Appends still waiting when the recorder goes are answered.
    let tickets: Vec<_> = (0..10).map(|index| recorder.submit_lazy(entry(2000 + index)).unwrap()).collect();
    drop(recorder);
    for ticket in tickets {
        ticket.wait().expect("written before the writer stopped");
    }
}
