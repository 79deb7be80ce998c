//! Tampering with the record, every way the issue names, on both backends:
//! `verify` must catch each and name the first bad sequence number, from
//! the record alone where it can, and always against the anchors.

mod common;

use common::{Backend, record_some};
use guardrail_audit::anchor::AnchorSpec;
use guardrail_audit::chain::{Hash, record_hash};
use guardrail_audit::verify::{ProblemKind, Trust, verify};
use guardrail_audit::{CheckpointSigner, Location, Recorder, RecorderConfig};

/// One way to tamper: what it does to the stored rows, and what verify
/// must then say (the first bad sequence number and the kind of problem).
struct Case {
    name: &'static str,
    tamper: fn(&mut dyn Backend),
    first_bad: u64,
    kind: ProblemKind,
}

const NODE: &str = "node-a";
/// Records written (the first is the chain's key record); every one is
/// appended alone, so a checkpoint seals each.
const RECORDS: u64 = 12;

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "a record's content changed",
            tamper: |b| b.execute("UPDATE {records} SET body = replace(body, 'users', 'posts') WHERE seq = 4"),
            first_bad: 4,
            kind: ProblemKind::Modified,
        },
        Case {
            name: "a record's time changed",
            tamper: |b| b.execute("UPDATE {records} SET time = time - 3600000000000 WHERE seq = 3"),
            first_bad: 3,
            kind: ProblemKind::Modified,
        },
        Case {
            name: "a record changed and its hash recomputed",
            tamper: |b| {
                let (time, kind, body, prev) = b.fields(4);
                let body = body.replace("users", "posts");
                let hash = record_hash(NODE, 4, time, &kind, &body, prev);
                b.execute(&format!(
                    "UPDATE {{records}} SET body = '{}', hash = '{}' WHERE seq = 4",
                    body.replace('\'', "''"),
                    hash.to_hex()
                ));
            },
            first_bad: 4,
            kind: ProblemKind::Rewritten,
        },
        Case {
            name: "a record deleted",
            tamper: |b| b.execute("DELETE FROM {records} WHERE seq = 6"),
            first_bad: 6,
            kind: ProblemKind::Missing,
        },
        Case {
            name: "a record deleted and the rest renumbered",
            tamper: |b| {
                b.execute("DELETE FROM {records} WHERE seq = 6");
                b.execute("UPDATE {records} SET seq = -seq WHERE seq > 6");
                b.execute("UPDATE {records} SET seq = -seq - 1 WHERE seq < 0");
            },
            first_bad: 6,
            kind: ProblemKind::Moved,
        },
        Case {
            name: "a forged record inserted and the rest renumbered",
            tamper: |b| {
                b.execute("UPDATE {records} SET seq = -seq WHERE seq >= 5");
                b.execute("UPDATE {records} SET seq = -seq + 1 WHERE seq < 0");
                // A well-formed decision nobody made, chained onto record 4.
                let (time, kind, body, _) = b.fields(4);
                let body = body.replace("users", "posts");
                let prev = b.hash(4);
                let hash = record_hash(NODE, 5, time, &kind, &body, prev);
                b.execute(&format!(
                    "INSERT INTO {{records}} (node, seq, time, kind, body, prev, hash)
                     VALUES ('{NODE}', 5, {time}, '{kind}', '{}', '{}', '{}')",
                    body.replace('\'', "''"),
                    prev.to_hex(),
                    hash.to_hex()
                ));
            },
            first_bad: 5,
            kind: ProblemKind::Inserted,
        },
        Case {
            name: "two records swapped",
            tamper: |b| {
                b.execute("UPDATE {records} SET seq = -1 WHERE seq = 7");
                b.execute("UPDATE {records} SET seq = 7 WHERE seq = 8");
                b.execute("UPDATE {records} SET seq = 8 WHERE seq = -1");
            },
            first_bad: 7,
            kind: ProblemKind::Moved,
        },
        Case {
            name: "two records' contents swapped",
            tamper: |b| {
                let (_, _, seven, _) = b.fields(7);
                let (_, _, eight, _) = b.fields(8);
                for (seq, body) in [(7, eight), (8, seven)] {
                    b.execute(&format!(
                        "UPDATE {{records}} SET body = '{}' WHERE seq = {seq}",
                        body.replace('\'', "''")
                    ));
                }
            },
            first_bad: 7,
            kind: ProblemKind::Modified,
        },
        Case {
            name: "the log cut back behind a checkpoint",
            tamper: |b| b.execute("DELETE FROM {records} WHERE seq >= 9"),
            first_bad: 9,
            kind: ProblemKind::CutBack,
        },
        Case {
            name: "the whole chain rewritten from record 4, every hash recomputed",
            tamper: |b| {
                let mut prev = b.hash(3);
                for seq in 4..=RECORDS {
                    let (time, kind, body, _) = b.fields(seq);
                    let body = if seq == 4 { body.replace("users", "posts") } else { body };
                    let hash = record_hash(NODE, seq, time, &kind, &body, prev);
                    b.execute(&format!(
                        "UPDATE {{records}} SET body = '{}', prev = '{}', hash = '{}' WHERE seq = {seq}",
                        body.replace('\'', "''"),
                        prev.to_hex(),
                        hash.to_hex()
                    ));
                    prev = hash;
                }
            },
            first_bad: 4,
            kind: ProblemKind::Diverged,
        },
        Case {
            name: "a checkpoint's head changed",
            tamper: |b| {
                b.execute(&format!("UPDATE {{checkpoints}} SET head = '{}' WHERE seq = 6", Hash::of(b"x").to_hex()))
            },
            first_bad: 6,
            kind: ProblemKind::BadCheckpoint,
        },
        Case {
            name: "checkpoints re-signed with another key",
            tamper: |b| {
                let dir = tempfile::tempdir().unwrap();
                let other = CheckpointSigner::load_or_create(dir.path()).unwrap();
                let checkpoint = other.sign(NODE, 1, 11, b.hash(11), 1);
                b.execute("DELETE FROM {checkpoints}");
                b.execute(&format!(
                    "INSERT INTO {{checkpoints}} (node, seq, head, time, key, signature, first) VALUES ('{NODE}', 11, '{}', 1, '{}', '{}', 1)",
                    checkpoint.head.to_hex(),
                    checkpoint.key,
                    checkpoint.signature
                ));
            },
            // Against the anchors, the records are still sealed; the
            // checkpoint is by a key the chain never handed over to. (The
            // record alone says records 1 to 12 are sealed by nothing.)
            first_bad: 11,
            kind: ProblemKind::BadCheckpoint,
        },
        Case {
            name: "a record appended without the key",
            tamper: |b| {
                let (time, kind, body, _) = b.fields(RECORDS);
                let prev = b.hash(RECORDS);
                let hash = record_hash(NODE, RECORDS + 1, time, &kind, &body, prev);
                b.execute(&format!(
                    "INSERT INTO {{records}} (node, seq, time, kind, body, prev, hash)
                     VALUES ('{NODE}', {}, {time}, '{kind}', '{}', '{}', '{}')",
                    RECORDS + 1,
                    body.replace('\'', "''"),
                    prev.to_hex(),
                    hash.to_hex()
                ));
            },
            first_bad: RECORDS + 1,
            kind: ProblemKind::Unsigned,
        },
        Case {
            name: "a record added below the chain, where verify does not read",
            tamper: |b| {
                let (time, kind, body, _) = b.fields(4);
                b.execute(&format!(
                    "INSERT INTO {{records}} (node, seq, time, kind, body, prev, hash)
                     VALUES ('{NODE}', 0, {time}, '{kind}', '{}', '{}', '{}')",
                    body.replace('\'', "''"),
                    Hash::GENESIS.to_hex(),
                    Hash::GENESIS.to_hex()
                ));
            },
            first_bad: 0,
            kind: ProblemKind::Inserted,
        },
        Case {
            name: "the newest records cut with their checkpoints",
            tamper: |b| {
                b.execute("DELETE FROM {records} WHERE seq >= 10");
                b.execute("DELETE FROM {checkpoints} WHERE seq >= 10");
            },
            first_bad: 10,
            kind: ProblemKind::CutBack,
        },
        Case {
            name: "the newest record cut with its checkpoint",
            tamper: |b| {
                b.execute(&format!("DELETE FROM {{records}} WHERE seq = {RECORDS}"));
                b.execute(&format!("DELETE FROM {{checkpoints}} WHERE seq = {RECORDS}"));
            },
            first_bad: RECORDS,
            kind: ProblemKind::CutBack,
        },
        Case {
            name: "the record wiped",
            tamper: |b| {
                b.execute("DELETE FROM {records}");
                b.execute("DELETE FROM {checkpoints}");
                b.execute("DELETE FROM {blobs}");
            },
            first_bad: 1,
            kind: ProblemKind::CutBack,
        },
        Case {
            name: "a stored text changed",
            tamper: |b| b.execute("UPDATE {blobs} SET content = {some_bytes}"),
            first_bad: 10,
            kind: ProblemKind::Blob,
        },
    ]
}

/// Cases only a witness outside the store can catch: the rest show in the
/// record alone too.
const ONLY_ANCHORS_SEE: &[&str] =
    &["the newest records cut with their checkpoints", "the newest record cut with its checkpoint"];

/// Writes the same record on `backend`, witnessed by a file anchor, checks
/// it verifies, tampers, and checks verify names the first bad record:
/// against the anchor always, and from the record alone where it can.
fn check_every_case(new_backend: &dyn Fn(&str) -> Box<dyn Backend>) {
    for case in cases() {
        let mut backend = new_backend(case.name);
        let keys = tempfile::tempdir().unwrap();
        let witness = keys.path().join("elsewhere/anchor.jsonl");
        std::fs::create_dir_all(witness.parent().unwrap()).unwrap();
        let anchor = AnchorSpec::File(witness);
        let mut config = RecorderConfig::new(backend.location(), NODE.into(), keys.path().to_path_buf());
        config.anchors = vec![anchor.clone()];
        let recorder = Recorder::open(config).unwrap();
        record_some(&recorder, RECORDS);
        drop(recorder);
        let signer = CheckpointSigner::load_from(keys.path()).unwrap().unwrap();
        let alone = Trust { local: Some((NODE.into(), signer.public_key())), ..Trust::default() };
        let witnessed = anchor.open().unwrap().read().unwrap();
        // The window in which a record is not yet witnessed: none.
        assert_eq!(witnessed.last().map(|checkpoint| checkpoint.seq), Some(RECORDS), "{}", case.name);
        let anchored = Trust { external: witnessed, ..alone.clone() };

        let mut store = backend.location().open().unwrap();
        for trust in [&alone, &anchored] {
            let report = verify(store.as_mut(), None, trust).unwrap();
            assert!(report.is_ok(), "{}: before tampering: {:?}", case.name, report.problems);
            assert_eq!(report.nodes[0].records, RECORDS);
            assert_eq!(report.nodes[0].latest_checkpoint, Some(RECORDS), "{}", case.name);
        }

        (case.tamper)(backend.as_mut());
        let report = verify(store.as_mut(), None, &anchored).unwrap();
        let first = report.problems.first().unwrap_or_else(|| panic!("{}: verify found nothing", case.name));
        assert_eq!((first.seq, first.kind), (case.first_bad, case.kind), "{}: {:#?}", case.name, report.problems);
        let report = verify(store.as_mut(), None, &alone).unwrap();
        assert_eq!(report.is_ok(), ONLY_ANCHORS_SEE.contains(&case.name), "{}: {:#?}", case.name, report.problems);
    }
}

#[test]
fn verify_catches_every_kind_of_tampering_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    check_every_case(&|name| {
        let path = dir.path().join(format!("{}.sqlite3", name.replace(' ', "-").replace('\'', "")));
        Box::new(common::Sqlite::new(path))
    });
}

#[test]
fn verify_catches_every_kind_of_tampering_on_postgres() {
    let counter = std::cell::Cell::new(0);
    check_every_case(&|_| {
        counter.set(counter.get() + 1);
        Box::new(common::Postgres::new(&format!("tamper_{}", counter.get())))
    });
}

/// A log cut back and its checkpoints deleted too: only checkpoints kept
/// elsewhere show it.
#[test]
fn exported_checkpoints_catch_a_log_cut_back_with_its_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("record.sqlite3");
    let config = RecorderConfig::new(Location::Sqlite(path.clone()), NODE.into(), dir.path().to_path_buf());
    let recorder = Recorder::open(config).unwrap();
    record_some(&recorder, RECORDS);
    drop(recorder);
    let mut store = Location::Sqlite(path.clone()).open().unwrap();
    let exported = store.checkpoints(None).unwrap();

    let mut backend = common::Sqlite::new(path);
    backend.execute("DELETE FROM {records} WHERE seq >= 7");
    backend.execute("DELETE FROM {checkpoints} WHERE seq >= 7");
    let trust = Trust::default();
    assert!(verify(store.as_mut(), None, &trust).unwrap().is_ok(), "without the exported checkpoints, nothing shows");
    let trust = Trust { external: exported, ..Trust::default() };
    let report = verify(store.as_mut(), None, &trust).unwrap();
    let first = &report.problems[0];
    assert_eq!((first.seq, first.kind), (7, ProblemKind::CutBack), "{:?}", report.problems);
}
