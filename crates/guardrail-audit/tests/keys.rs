//! The signing key and the anchors: a missing or foreign key refuses to
//! record, a rotation is endorsed in the record, a lost key's replacement
//! is reported; NATS JetStream and PostgreSQL anchors witness every
//! checkpoint; a damaged WAL's lost records show against the anchors.

mod common;

use common::record_some;
use guardrail_audit::anchor::AnchorSpec;
use guardrail_audit::signing::KEY_FILE;
use guardrail_audit::verify::{ProblemKind, Report, Trust, verify};
use guardrail_audit::{CheckpointSigner, Location, Recorder, RecorderConfig};

const NODE: &str = "node-k";

fn config(dir: &std::path::Path) -> RecorderConfig {
    RecorderConfig::new(Location::in_data_dir(dir), NODE.into(), dir.to_path_buf())
}

fn verified(dir: &std::path::Path, external: Vec<guardrail_audit::Checkpoint>) -> Report {
    let mut store = Location::in_data_dir(dir).open_read_only().unwrap();
    let local = CheckpointSigner::load_from(dir).unwrap().map(|signer| (NODE.to_owned(), signer.public_key()));
    verify(store.as_mut(), None, &Trust { local, external, ..Trust::default() }).unwrap()
}

fn kinds(report: &Report) -> Vec<(u64, ProblemKind)> {
    report.problems.iter().map(|problem| (problem.seq, problem.kind)).collect()
}

#[test]
fn a_missing_key_refuses_to_record_until_a_person_says_it_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    record_some(&Recorder::open(config(dir.path())).unwrap(), 5);
    std::fs::remove_file(dir.path().join(KEY_FILE)).unwrap();
    let error = Recorder::open(config(dir.path())).err().expect("no new key is made silently");
    assert!(
        error.to_string().contains("is missing") && error.to_string().contains("audit rotate-key --lost"),
        "{error}"
    );
    assert!(!dir.path().join(KEY_FILE).exists());

    let mut lost = config(dir.path());
    lost.replace_lost_key = true;
    let recorder = Recorder::open(lost).unwrap();
    drop(recorder);
    // Recording goes on, and verify says forever after where the break is.
    let report = verified(dir.path(), Vec::new());
    assert_eq!(kinds(&report), vec![(6, ProblemKind::KeyChange)], "{:#?}", report.problems);
}

#[test]
fn a_foreign_key_refuses_to_record() {
    let dir = tempfile::tempdir().unwrap();
    record_some(&Recorder::open(config(dir.path())).unwrap(), 3);
    let other = tempfile::tempdir().unwrap();
    CheckpointSigner::load_or_create(other.path()).unwrap();
    std::fs::copy(other.path().join(KEY_FILE), dir.path().join(KEY_FILE)).unwrap();
    let error = Recorder::open(config(dir.path())).err().expect("a key that is not the chain's is refused");
    assert!(error.to_string().contains("is not the key"), "{error}");
    // And verify, with that key as the local one, says so too.
    let report = verified(dir.path(), Vec::new());
    assert_eq!(kinds(&report), vec![(3, ProblemKind::KeyChange)], "{:#?}", report.problems);
}

#[test]
fn a_rotation_endorsed_by_the_old_key_verifies_and_a_forged_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let recorder = Recorder::open(config(dir.path())).unwrap();
    record_some(&recorder, 4);
    let old = recorder.public_key().to_owned();
    let rotation = recorder.rotate_key().unwrap();
    assert_eq!(rotation.seq, 5);
    let new = CheckpointSigner::load_from(dir.path()).unwrap().unwrap().public_key();
    assert_ne!(old, new);
    let entry = guardrail_audit::Entry::content(
        guardrail_audit::ContentKind::Prompt,
        &guardrail_core::Actor::default(),
        Default::default(),
        "after the rotation",
    );
    assert_eq!(recorder.record(entry).unwrap().seq, 6);
    drop(recorder);
    let report = verified(dir.path(), Vec::new());
    assert!(report.is_ok(), "{:#?}", report.problems);
    assert_eq!(report.nodes[0].signers.len(), 2);
    // A recorder opened afterwards signs with the new key.
    let reopened = Recorder::open(config(dir.path())).unwrap();
    assert_eq!(reopened.public_key(), new);
    drop(reopened);

    // The rotation record rewritten to hand over to an attacker's key.
    let attacker = CheckpointSigner::generate().unwrap();
    let path = Location::in_data_dir(dir.path());
    let Location::Sqlite(path) = path else { unreachable!() };
    let connection = rusqlite::Connection::open(&path).unwrap();
    let body: String = connection.query_row("SELECT body FROM records WHERE seq = 5", [], |row| row.get(0)).unwrap();
    let forged = body.replace(&new, &attacker.public_key());
    connection.execute("UPDATE records SET body = ?1 WHERE seq = 5", [&forged]).unwrap();
    let report = verified(dir.path(), Vec::new());
    assert_eq!(report.problems.first().map(|problem| problem.seq), Some(5), "{:#?}", report.problems);
}

/// A record cut back with its checkpoints, read against a real witness.
fn cut_back_shows_against(anchor: AnchorSpec) {
    let dir = tempfile::tempdir().unwrap();
    let mut with_anchor = config(dir.path());
    with_anchor.anchors = vec![anchor.clone()];
    let recorder = Recorder::open(with_anchor).unwrap();
    record_some(&recorder, 8);
    drop(recorder);
    let witnessed: Vec<_> =
        anchor.open().unwrap().read().unwrap().into_iter().filter(|checkpoint| checkpoint.node == NODE).collect();
    assert_eq!(witnessed.iter().map(|checkpoint| checkpoint.seq).max(), Some(8), "every batch is witnessed");
    assert!(verified(dir.path(), witnessed.clone()).is_ok());

    let Location::Sqlite(path) = Location::in_data_dir(dir.path()) else { unreachable!() };
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection.execute_batch("DELETE FROM records WHERE seq >= 7; DELETE FROM checkpoints WHERE seq >= 7").unwrap();
    assert!(verified(dir.path(), Vec::new()).is_ok(), "the record alone cannot show a clean cut");
    let report = verified(dir.path(), witnessed);
    assert_eq!(kinds(&report), vec![(7, ProblemKind::CutBack)], "{:#?}", report.problems);
}

#[test]
fn a_nats_jetstream_anchor_witnesses_every_checkpoint_and_keeps_it() {
    let server = std::env::var("GUARDRAIL_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    let stream = format!("GUARDRAIL_TEST_{}_{}", std::process::id(), guardrail_audit::now());
    let anchor = AnchorSpec::parse(&format!("{server}/{stream}")).unwrap();
    cut_back_shows_against(anchor.clone());
    // The stream was made so that what it witnessed cannot be taken back.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let client = async_nats::connect(&server).await.expect("NATS must run for this test");
        let jetstream = async_nats::jetstream::new(client);
        let stream_handle = jetstream.get_stream(&stream).await.unwrap();
        assert!(stream_handle.cached_info().config.deny_delete && stream_handle.cached_info().config.deny_purge);
        assert!(stream_handle.delete_message(1).await.is_err(), "a witnessed checkpoint was deleted");
        assert!(stream_handle.purge().await.is_err(), "the stream was purged");
        jetstream.delete_stream(&stream).await.unwrap();
    });
}

#[test]
fn a_postgresql_anchor_witnesses_every_checkpoint_and_keeps_it() {
    let database = guardrail_testdb::TestDatabase::new("anchor_keys");
    let anchor = AnchorSpec::Postgres(database.url().to_owned());
    cut_back_shows_against(anchor);
    let mut client = postgres::Client::connect(database.url(), postgres::NoTls).unwrap();
    let refused = client.execute("DELETE FROM guardrail_anchors WHERE seq >= 7", &[]).unwrap_err();
    assert!(refused.to_string().contains("db error") || refused.as_db_error().is_some(), "{refused}");
    assert!(client.execute("TRUNCATE guardrail_anchors", &[]).is_err());
    assert!(client.execute("UPDATE guardrail_anchors SET head = 'x'", &[]).is_err());
}

/// SQLite drops every WAL frame after a damaged one when it recovers: the
/// records in them vanish from the record, and only the anchors show it.
#[test]
fn records_lost_to_a_damaged_wal_show_against_the_anchors() {
    let dir = tempfile::tempdir().unwrap();
    let witness = AnchorSpec::File(dir.path().join("elsewhere.jsonl"));
    let mut with_anchor = config(dir.path());
    with_anchor.anchors = vec![witness.clone()];
    let Location::Sqlite(path) = Location::in_data_dir(dir.path()) else { unreachable!() };
    // A reader in the middle of a long read keeps the WAL from being
    // checkpointed past what it reads, as a busy gate's other process
    // would: the records stay in the WAL.
    let recorder = Recorder::open(with_anchor.clone()).unwrap();
    let reader = rusqlite::Connection::open(&path).unwrap();
    reader.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let _: i64 = reader.query_row("SELECT count(*) FROM records", [], |row| row.get(0)).unwrap();
    record_some(&recorder, 20);
    drop(recorder);
    let wal = path.with_extension("sqlite3-wal");
    let mut bytes = std::fs::read(&wal).unwrap();
    assert!(bytes.len() > 32 + 24 + 4096 * 4, "the records are in the WAL: {} bytes", bytes.len());
    // One flipped bit in the payload of a frame half-way through.
    let frame = 32 + (24 + 4096) * (bytes.len() / (24 + 4096) / 2);
    bytes[frame + 24 + 100] ^= 0x01;
    reader.execute_batch("ROLLBACK").unwrap();
    drop(reader);
    std::fs::write(&wal, &bytes).unwrap();
    let _ = std::fs::remove_file(path.with_extension("sqlite3-shm"));

    let report = verified(dir.path(), Vec::new());
    let records = report.nodes.first().map_or(0, |node| node.records);
    assert!(records < 20, "the damaged WAL lost nothing: {records} records");
    assert!(report.is_ok(), "the record alone looks whole: {:#?}", report.problems);
    let witnessed = witness.open().unwrap().read().unwrap();
    let report = verified(dir.path(), witnessed);
    assert_eq!(kinds(&report), vec![(records + 1, ProblemKind::CutBack)], "{:#?}", report.problems);
}

#[test]
fn a_closed_recorder_leaves_its_records_in_the_database_file_and_verify_reads_a_copy() {
    let dir = tempfile::tempdir().unwrap();
    record_some(&Recorder::open(config(dir.path())).unwrap(), 6);
    let Location::Sqlite(path) = Location::in_data_dir(dir.path()) else { unreachable!() };
    // A copy of the database file alone (no WAL, no index) holds every
    // record: the WAL was checkpointed into it when the recorder closed.
    let copy = tempfile::tempdir().unwrap();
    std::fs::copy(&path, copy.path().join(Location::SQLITE_FILE)).unwrap();
    std::fs::copy(dir.path().join(KEY_FILE), copy.path().join(KEY_FILE)).unwrap();
    let report = verified(copy.path(), Vec::new());
    assert!(report.is_ok(), "{:#?}", report.problems);
    assert_eq!(report.nodes[0].records, 6);
}

/// A forged record appended behind the gate's back is never sealed by the
/// next genuine batch, whatever the attacker does to the checkpoint before
/// it (here: passing it off as one of the first format's).
#[test]
fn a_forged_record_is_not_sealed_by_the_next_genuine_batch() {
    let dir = tempfile::tempdir().unwrap();
    record_some(&Recorder::open(config(dir.path())).unwrap(), 5);
    let Location::Sqlite(path) = Location::in_data_dir(dir.path()) else { unreachable!() };
    let connection = rusqlite::Connection::open(&path).unwrap();
    let (time, kind, body, hash): (i64, String, String, String) = connection
        .query_row("SELECT time, kind, body, hash FROM records WHERE seq = 5", [], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .unwrap();
    let prev = guardrail_audit::Hash::from_hex(&hash).unwrap();
    let forged = guardrail_audit::chain::record_hash(NODE, 6, time, &kind, &body, prev);
    connection
        .execute(
            "INSERT INTO records (node, seq, time, kind, body, prev, hash) VALUES (?1, 6, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![NODE, time, kind, body, hash, forged.to_hex()],
        )
        .unwrap();
    connection.execute("UPDATE checkpoints SET first = NULL WHERE seq = 5", []).unwrap();
    let recorder = Recorder::open(config(dir.path())).unwrap();
    let entry = guardrail_audit::Entry::content(
        guardrail_audit::ContentKind::Prompt,
        &guardrail_core::Actor::default(),
        Default::default(),
        "a genuine append after the forgery",
    );
    assert_eq!(recorder.record(entry).unwrap().seq, 7);
    drop(recorder);
    connection.execute("UPDATE checkpoints SET first = 5 WHERE seq = 5", []).unwrap();
    let report = verified(dir.path(), Vec::new());
    assert_eq!(kinds(&report), vec![(6, ProblemKind::Unsigned)], "{:#?}", report.problems);
}

/// A key an attacker made cannot hand the chain over to the real key: the
/// real key never accepted it, so verify says the change is not signed.
#[test]
fn a_hand_over_the_new_key_did_not_accept_is_reported() {
    let real = tempfile::tempdir().unwrap();
    let real_key = CheckpointSigner::load_or_create(real.path()).unwrap();
    // The attacker's own record, in the real data directory's place.
    let forged = tempfile::tempdir().unwrap();
    let recorder = Recorder::open(config(forged.path())).unwrap();
    record_some(&recorder, 3);
    let attacker_key = recorder.public_key().to_owned();
    drop(recorder);
    let attacker = CheckpointSigner::load_from(forged.path()).unwrap().unwrap();
    let event = guardrail_audit::event::KeyEvent {
        key: real_key.public_key(),
        previous: Some(attacker_key.clone()),
        endorsement: Some(attacker.endorse(NODE, &real_key.public_key())),
        acceptance: None,
        reason: "rotated".into(),
    };
    let pending = guardrail_audit::store::Pending {
        time: guardrail_audit::now(),
        kind: "key",
        body: serde_json::to_string(&event).unwrap(),
        blobs: Vec::new(),
    };
    let mut store = Location::in_data_dir(forged.path()).open().unwrap();
    let seal = |first: u64, head: guardrail_audit::store::Head| attacker.sign(NODE, first, head.seq, head.hash, 1);
    store.append(NODE, &[pending], &seal, false).unwrap();
    drop(store);
    // Verified as if the real key were this data directory's.
    std::fs::copy(real.path().join(KEY_FILE), forged.path().join(KEY_FILE)).unwrap();
    let report = verified(forged.path(), Vec::new());
    assert_eq!(
        report.problems.first().map(|problem| (problem.seq, problem.kind)),
        Some((4, ProblemKind::KeyChange)),
        "{:#?}",
        report.problems
    );
}

/// A record wiped behind the gate's back does not restart quietly: the
/// data directory remembers that it recorded this node there.
#[test]
fn a_wiped_record_is_not_restarted_quietly() {
    let dir = tempfile::tempdir().unwrap();
    record_some(&Recorder::open(config(dir.path())).unwrap(), 4);
    let Location::Sqlite(path) = Location::in_data_dir(dir.path()) else { unreachable!() };
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection.execute_batch("DELETE FROM records; DELETE FROM checkpoints; DELETE FROM blobs").unwrap();
    let error = Recorder::open(config(dir.path())).err().expect("a wiped record is refused");
    assert!(error.to_string().contains("was wiped or replaced"), "{error}");
    let report = verified(dir.path(), Vec::new());
    assert_eq!(kinds(&report), vec![(1, ProblemKind::Wiped)], "{:#?}", report.problems);
}
