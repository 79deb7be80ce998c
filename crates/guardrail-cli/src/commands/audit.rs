//! `guardrail audit`: read, verify and export the activity record.

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use guardrail_audit::event::{Event, OutcomeStatus, Text};
use guardrail_audit::export::{self, Ocsf};
use guardrail_audit::query::{self, Entry as Read, Filter};
use guardrail_audit::signing::{Checkpoint, CheckpointSigner};
use guardrail_audit::verify::{self, Trust};
use guardrail_audit::{Entry, Location, Recorder, RecorderConfig, Store, time};
use guardrail_core::{Action, Verdict};

use crate::Failure;
use crate::cli::{AuditCommand, ExportFormat, FilterArgs, ListArgs, StoreArgs, exit};

/// Records read per query.
const PAGE: usize = 5_000;

pub fn run(command: AuditCommand) -> Result<i32, Failure> {
    match command {
        AuditCommand::List(args) => list(&args),
        AuditCommand::Show { seq, json, store } => show(seq, json, &store),
        AuditCommand::Tail { follow, list: args } => tail(&args, follow),
        AuditCommand::Verify { checkpoints, pubkeys, json, store } => {
            verify(checkpoints.as_deref(), pubkeys, json, &store)
        }
        AuditCommand::Pubkey { store } => {
            // Read where it exists; made, with the chain's first record, where not.
            let key = match CheckpointSigner::load_from(&crate::store::data_dir(&store)?).map_err(Failure::Io)? {
                Some(signer) => signer.public_key(),
                None => crate::store::recorder(&store, None)?.public_key().to_owned(),
            };
            crate::print(&format!("{key}\n"))
        }
        AuditCommand::RotateKey { lost, store } => rotate_key(lost, &store),
        AuditCommand::Checkpoint { store } => {
            let recorder = crate::store::recorder(&store, None)?;
            match recorder.checkpoint().map_err(|error| Failure::Io(error.to_string()))? {
                Some(checkpoint) => crate::print(&format!("{}\n", checkpoint_json(&checkpoint))),
                None => Err(Failure::Usage(format!("node {} has no records to checkpoint yet", recorder.node()))),
            }
        }
        AuditCommand::Checkpoints { store } => {
            let mut store = crate::store::open(&store)?;
            let checkpoints = store.checkpoints(None).map_err(store_error)?;
            let text: String =
                checkpoints.iter().map(|checkpoint| format!("{}\n", checkpoint_json(checkpoint))).collect();
            crate::print(&text)
        }
        AuditCommand::Export { format, filter, store } => export(format, &filter, &store),
        AuditCommand::Bench { records, writers, store } => bench(records, &writers, store.as_deref()),
    }
}

fn rotate_key(lost: bool, args: &StoreArgs) -> Result<i32, Failure> {
    let data_dir = crate::store::data_dir(args)?;
    let old = CheckpointSigner::load_from(&data_dir).map_err(Failure::Io)?.map(|signer| signer.fingerprint());
    let mut config = crate::store::recorder_config(args, None)?;
    if lost {
        if let Some(old) = old {
            return Err(Failure::Usage(format!(
                "the signing key {old} is in {}: it is not lost; rotate it without --lost",
                data_dir.display()
            )));
        }
        config.replace_lost_key = true;
        let recorder = Recorder::open(config).map_err(|error| Failure::Io(error.to_string()))?;
        return crate::print(&format!(
            "new signing key {} for node {}; its record says it replaces a lost key without that key's endorsement, \
             which `audit verify` reports from now on\n",
            guardrail_audit::signing::fingerprint(recorder.public_key()),
            recorder.node()
        ));
    }
    if old.is_none() {
        return Err(Failure::Usage(format!(
            "there is no signing key in {} to rotate (pass --lost if it is lost for good)",
            data_dir.display()
        )));
    }
    let recorder = Recorder::open(config).map_err(|error| Failure::Io(error.to_string()))?;
    let before = guardrail_audit::signing::fingerprint(recorder.public_key());
    let receipt = recorder.rotate_key().map_err(|error| Failure::Io(error.to_string()))?;
    let after = CheckpointSigner::load_from(&data_dir).map_err(Failure::Io)?.map(|signer| signer.fingerprint());
    crate::print(&format!(
        "rotated node {}'s signing key {before} to {}, endorsed by the old key in record {}\n",
        recorder.node(),
        after.unwrap_or_default(),
        receipt.seq
    ))
}

fn store_error(error: guardrail_audit::StoreError) -> Failure {
    Failure::Io(format!("reading the activity record: {error}"))
}

fn checkpoint_json(checkpoint: &Checkpoint) -> String {
    serde_json::to_string(checkpoint).expect("checkpoints serialize")
}

fn filter(args: &FilterArgs) -> Result<Filter, Failure> {
    let now = guardrail_audit::now();
    let time = |text: &Option<String>| text.as_deref().map(|text| time::parse(text, now)).transpose();
    let verdict = args
        .verdict
        .as_deref()
        .map(str::parse::<Verdict>)
        .transpose()
        .map_err(|error| Failure::Usage(format!("--verdict: {error}")))?;
    if let Some(kind) = &args.kind
        && !Event::KINDS.contains(&kind.as_str())
    {
        return Err(Failure::Usage(format!(
            "--kind: unknown kind {kind:?} (expected one of {})",
            Event::KINDS.join(", ")
        )));
    }
    if let Some(intent) = &args.intent {
        let known = guardrail_core::IntentKind::from_id(intent).is_some()
            || guardrail_core::intent::GROUPS.iter().any(|(group, _)| group == intent);
        if !known {
            return Err(Failure::Usage(format!(
                "--intent: unknown intent {intent:?} (an intent such as data.delete_all, or a group: {}; \
                 `guardrail policy schema` lists them all)",
                guardrail_core::intent::GROUPS.iter().map(|(group, _)| *group).collect::<Vec<_>>().join(", ")
            )));
        }
    }
    Ok(Filter {
        node: args.from_node.clone(),
        actor: args.actor.clone(),
        verdict,
        intent: args.intent.clone(),
        channel: args.channel.clone(),
        kind: args.kind.clone(),
        session: args.session.clone(),
        since: time(&args.since).map_err(|error| Failure::Usage(format!("--since: {error}")))?,
        until: time(&args.until).map_err(|error| Failure::Usage(format!("--until: {error}")))?,
        text: args.text.clone(),
    })
}

impl From<query::ReadError> for Failure {
    fn from(error: query::ReadError) -> Failure {
        match error {
            query::ReadError::Store(error) => store_error(error),
        }
    }
}

fn scan(store: &mut dyn Store, filter: &Filter, each: impl FnMut(Read) -> Result<(), Failure>) -> Result<(), Failure> {
    query::scan(store, filter, each)
}

fn latest(store: &mut dyn Store, filter: &Filter, limit: usize) -> Result<(VecDeque<Read>, usize), Failure> {
    Ok(query::latest(store, filter, limit)?)
}

fn list(args: &ListArgs) -> Result<i32, Failure> {
    let filter = filter(&args.filter)?;
    let mut store = crate::store::open(&args.store)?;
    let (entries, total) = latest(store.as_mut(), &filter, args.limit)?;
    let mut text = String::new();
    for entry in &entries {
        text.push_str(&render(entry, args.json));
    }
    crate::print(&text)?;
    if entries.len() < total {
        eprintln!("guardrail: showing the last {} of {total} records; --limit 0 shows all", entries.len());
    }
    Ok(exit::ALLOW)
}

fn render(entry: &Read, json: bool) -> String {
    if json {
        format!("{}\n", export::jsonl(entry))
    } else {
        format!("{}\n", crate::render::terminal_safe(&line(entry)))
    }
}

/// One record on one line, for people.
fn line(entry: &Read) -> String {
    let record = &entry.record;
    let head = format!("{}  {}#{}", time::rfc3339(record.time), record.node, record.seq);
    let who = |actor: &guardrail_audit::event::RecordedActor, channel: &str| {
        format!("{} ({}) via {channel}", actor.id, actor.kind)
    };
    match &entry.event {
        Event::Decision(decision) => format!(
            "{head}  {:<21}  {}  {}  [{}{}]",
            decision.verdict.as_str(),
            who(&decision.actor, &decision.channel),
            one_line(decision.text.preview()),
            decision.rule,
            decision.approval.as_deref().map(|id| format!(", approved in {id}")).unwrap_or_default()
        ),
        Event::Outcome(outcome) => {
            let mut facts = vec![status(outcome.status).to_owned()];
            facts.extend(outcome.command.as_deref().map(one_line));
            facts.extend(outcome.rows.map(|rows| format!("{rows} rows")));
            facts.extend(outcome.exit_code.map(|code| format!("exit {code}")));
            facts.extend(outcome.duration_ms.map(|ms| format!("{ms:.1} ms")));
            facts.extend(outcome.error.as_deref().map(one_line));
            facts.extend(outcome.approved_by.as_deref().map(|who| format!("let run by {who}")));
            format!("{head}  {:<21}  of #{}: {}", "outcome", outcome.decision, facts.join(", "))
        }
        Event::Prompt(content) | Event::Response(content) | Event::ToolOutput(content) => format!(
            "{head}  {:<21}  {}  {}",
            record.kind,
            who(&content.actor, &content.channel),
            one_line(content.content.preview())
        ),
        Event::Session(session) => format!(
            "{head}  {:<21}  {}  session {} on {}{}{}{}",
            format!("session {}", session.phase.as_str()),
            who(&session.actor, &session.channel),
            session.session,
            session.target,
            session.peer.as_deref().map(|peer| format!(" from {peer}")).unwrap_or_default(),
            if session.tls { " (TLS)" } else { "" },
            session.detail.as_deref().map(|detail| format!(": {}", one_line(detail))).unwrap_or_default(),
        ),
        Event::Approval(approval) => format!(
            "{head}  {:<21}  {}  {} by {}{} (decision #{})",
            format!("approval {}", approval.transition.as_str()),
            who(&approval.actor, &approval.channel),
            approval.id,
            approval.by,
            approval
                .reason
                .as_deref()
                .filter(|reason| !reason.is_empty())
                .map(|reason| format!(": {}", one_line(reason)))
                .unwrap_or_default(),
            approval.decision,
        ),
        Event::Unreadable(unreadable) => format!(
            "{head}  {:<21}  a {} record that does not read ({}): run `guardrail audit verify`",
            "unreadable",
            unreadable.stored_kind,
            one_line(&unreadable.error)
        ),
        Event::Identity(identity) => format!(
            "{head}  {:<21}  {} {} ({}){} by {} in {}",
            format!("identity {}", identity.change.as_str()),
            identity.credential,
            identity.actor.id,
            identity.actor.kind,
            if identity.roles.is_empty() {
                String::new()
            } else {
                format!(" with roles {}", identity.roles.join(", "))
            },
            identity.by,
            identity.file,
        ),
        Event::Key(key) => format!(
            "{head}  {:<21}  signing key {}: {}",
            "key",
            guardrail_audit::signing::fingerprint(&key.key),
            key.reason
        ),
    }
}

fn status(status: OutcomeStatus) -> &'static str {
    match status {
        OutcomeStatus::Succeeded => "succeeded",
        OutcomeStatus::Failed => "failed",
        OutcomeStatus::NotRun => "not run",
    }
}

/// The first 100 characters, on one line.
fn one_line(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars = flat.chars();
    let mut short: String = chars.by_ref().take(100).collect();
    if chars.next().is_some() {
        short.push('…');
    }
    short
}

fn show(seq: u64, json: bool, args: &StoreArgs) -> Result<i32, Failure> {
    let node = crate::store::node(args);
    let mut store = crate::store::open(args)?;
    let Some(record) = store.record(&node, seq).map_err(store_error)? else {
        let nodes = store.nodes().map_err(store_error)?;
        let others: Vec<&String> = nodes.iter().filter(|other| **other != node).collect();
        let hint = if others.is_empty() {
            String::new()
        } else {
            format!(
                " (other nodes in this record: {}; choose one with --node)",
                others.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", ")
            )
        };
        return Err(Failure::Usage(format!("node {node} has no record {seq}{hint}")));
    };
    let entry = Read::decode(record).map_err(Failure::Io)?;
    // A stored text is shown in full.
    let full = match entry.event.text() {
        Some(Text::Stored { sha256, .. }) => {
            store.blob(sha256).map_err(store_error)?.map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        }
        _ => None,
    };
    if json {
        let mut value = export::jsonl(&entry);
        if let Some(full) = full {
            value["full_text"] = serde_json::Value::String(full);
        }
        return crate::print(&format!("{value}\n"));
    }
    crate::print(&crate::render::terminal_safe(&details(&entry, full.as_deref())))
}

fn details(entry: &Read, full: Option<&str>) -> String {
    use std::fmt::Write as _;
    let record = &entry.record;
    let mut out = String::new();
    let mut field = |name: &str, value: &str| {
        let _ = writeln!(out, "{name:<16}{value}");
    };
    field("record", &format!("{}#{}", record.node, record.seq));
    field("time", &time::rfc3339(record.time));
    field("kind", &record.kind);
    let value = serde_json::to_value(&entry.event).expect("events serialize");
    if let serde_json::Value::Object(object) = value {
        for (key, value) in object {
            if key == "kind" {
                continue;
            }
            let shown = match (&key[..], &value) {
                ("text" | "content", _) if full.is_some() => full.unwrap_or_default().to_owned(),
                (_, serde_json::Value::String(text)) => text.clone(),
                ("actor", actor) => match actor["on_behalf_of"].as_str() {
                    Some(principal) => format!(
                        "{} ({}) on behalf of {principal}",
                        actor["id"].as_str().unwrap_or(""),
                        actor["kind"].as_str().unwrap_or("")
                    ),
                    None => {
                        format!("{} ({})", actor["id"].as_str().unwrap_or(""), actor["kind"].as_str().unwrap_or(""))
                    }
                },
                ("intents", serde_json::Value::Array(intents)) => intents
                    .iter()
                    .map(|intent| {
                        format!(
                            "\n  {} {} {} [{}..{}] -> {} ({})",
                            intent["id"].as_str().unwrap_or(""),
                            intent["object"].as_str().unwrap_or("-"),
                            intent["scope"].as_str().unwrap_or(""),
                            intent["span"][0],
                            intent["span"][1],
                            intent["verdict"].as_str().unwrap_or(""),
                            intent["rule"].as_str().unwrap_or("")
                        )
                    })
                    .collect(),
                (_, other) => other.to_string(),
            };
            field(&key, &shown);
        }
    }
    field("prev", &record.prev.to_hex());
    field("hash", &record.hash.to_hex());
    out
}

fn tail(args: &ListArgs, follow: bool) -> Result<i32, Failure> {
    let filter = filter(&args.filter)?;
    let mut store = crate::store::open(&args.store)?;
    let limit = if args.limit == 0 { 10 } else { args.limit };
    let (entries, _) = latest(store.as_mut(), &filter, limit)?;
    let mut out = std::io::stdout().lock();
    for entry in &entries {
        out.write_all(render(entry, args.json).as_bytes()).map_err(Failure::io("standard output"))?;
    }
    out.flush().map_err(Failure::io("standard output"))?;
    if !follow {
        return Ok(exit::ALLOW);
    }
    // Follow each node's chain from its current head: chains only grow, so
    // nothing committed later is missed, whatever order nodes commit in.
    let mut heads: BTreeMap<String, u64> = BTreeMap::new();
    for node in store.nodes().map_err(store_error)? {
        let head = store.head(&node).map_err(store_error)?.map_or(0, |head| head.seq);
        heads.insert(node, head);
    }
    loop {
        for node in store.nodes().map_err(store_error)? {
            let after = heads.get(&node).copied().unwrap_or(0);
            let records = store.chain(&node, after, PAGE).map_err(store_error)?;
            for record in records {
                heads.insert(node.clone(), record.seq);
                let entry = Read::decode(record).map_err(Failure::Io)?;
                if filter.matches(&entry) {
                    out.write_all(render(&entry, args.json).as_bytes()).map_err(Failure::io("standard output"))?;
                }
            }
        }
        out.flush().map_err(Failure::io("standard output"))?;
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// What `audit verify` (and the console's integrity page) trusts: the keys
/// given, the local node's key, checkpoints exported to `checkpoints` and
/// those the anchors witnessed.
pub fn trust(keys: Vec<String>, checkpoints: Option<&Path>, args: &StoreArgs) -> Result<Trust, Failure> {
    let mut trust = Trust { keys, ..Trust::default() };
    for key in &trust.keys {
        if guardrail_audit::signing::decode_key(key).is_none() {
            return Err(Failure::Usage(format!("--pubkey: {key:?} is not a public key (64 hex digits)")));
        }
    }
    let data_dir = crate::store::data_dir(args)?;
    if let Some(signer) = CheckpointSigner::load_from(&data_dir).map_err(Failure::Io)? {
        trust.local = Some((crate::store::node(args), signer.public_key()));
    }
    if let Some(path) = checkpoints {
        trust.external = read_checkpoints(path)?;
    }
    let anchors = crate::store::anchors(args)?;
    for spec in &anchors {
        let mut anchor = spec.open().map_err(Failure::Io)?;
        let witnessed = anchor.read().map_err(|error| Failure::Io(format!("anchor {spec}: {error}")))?;
        trust.external.extend(witnessed);
    }
    Ok(trust)
}

fn verify(checkpoints: Option<&Path>, keys: Vec<String>, json: bool, args: &StoreArgs) -> Result<i32, Failure> {
    let trust = trust(keys, checkpoints, args)?;
    let anchors = crate::store::anchors(args)?;
    let mut store = crate::store::open(args)?;
    let report = verify::verify(store.as_mut(), None, &trust).map_err(store_error)?;
    let mut out = String::new();
    if json {
        let value = serde_json::json!({
            "ok": report.is_ok(),
            "nodes": report.nodes.iter().map(|node| serde_json::json!({
                "node": node.node,
                "records": node.records,
                "head": node.head.map(|hash| hash.to_hex()),
                "checkpoints": node.checkpoints,
                "latest_checkpoint": node.latest_checkpoint,
                "signers": node.signers,
                "anchored": node.anchored,
            })).collect::<Vec<_>>(),
            "problems": report.problems.iter().map(|problem| serde_json::json!({
                "node": problem.node,
                "seq": problem.seq,
                "kind": format!("{:?}", problem.kind).to_lowercase(),
                "message": problem.message,
            })).collect::<Vec<_>>(),
        });
        out.push_str(&format!("{value}\n"));
    } else {
        for node in &report.nodes {
            let signed = match node.latest_checkpoint {
                Some(seq) => format!(
                    "{} checkpoint{} (latest at record {seq}), signed by {}{}",
                    node.checkpoints,
                    if node.checkpoints == 1 { "" } else { "s" },
                    node.signers.join(", "),
                    if node.anchored { "" } else { " (key taken from the record itself: pass --pubkey to anchor it)" }
                ),
                None => "no signed checkpoint (run `guardrail audit checkpoint`)".to_owned(),
            };
            out.push_str(&format!("node {}: {} records; {signed}\n", node.node, node.records));
        }
        for spec in &anchors {
            out.push_str(&format!("anchor {spec}: read back and compared\n"));
        }
        // The first problem of each node names its first bad record; the
        // rest follow from it more often than not, but are listed too.
        let mut first: BTreeMap<&str, u64> = BTreeMap::new();
        for problem in &report.problems {
            first.entry(&problem.node).or_insert(problem.seq);
        }
        for (node, seq) in &first {
            out.push_str(&format!("FAILED: node {node}: the first bad record is {seq}\n"));
        }
        for problem in &report.problems {
            out.push_str(&format!("  {}#{}: {}\n", problem.node, problem.seq, problem.message));
        }
        if report.is_ok() {
            out.push_str("ok: every record and checkpoint verifies\n");
        }
    }
    // Node names and problems come from the store: shown, never obeyed.
    crate::print(&crate::render::terminal_safe(&out))?;
    Ok(if report.is_ok() { exit::ALLOW } else { exit::DENY })
}

fn read_checkpoints(path: &Path) -> Result<Vec<Checkpoint>, Failure> {
    let text = std::fs::read_to_string(path).map_err(|error| Failure::Io(format!("{}: {error}", path.display())))?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            serde_json::from_str(line)
                .map_err(|error| Failure::Usage(format!("{}:{}: not a checkpoint: {error}", path.display(), index + 1)))
        })
        .collect()
}

fn export(format: ExportFormat, filter_args: &FilterArgs, args: &StoreArgs) -> Result<i32, Failure> {
    let filter = filter(filter_args)?;
    let mut store = crate::store::open(args)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut ocsf = Ocsf::default();
    let written = scan(store.as_mut(), &filter, |entry| {
        let value = match format {
            ExportFormat::Jsonl => export::jsonl(&entry),
            ExportFormat::Ocsf => ocsf.event(&entry),
        };
        // A reader that stops early (`| head`) ends the export quietly.
        serde_json::to_writer(&mut out, &value).map_err(|error| match error.io_error_kind() {
            Some(std::io::ErrorKind::BrokenPipe) => Failure::Quiet,
            _ => Failure::Io(error.to_string()),
        })?;
        out.write_all(b"\n").map_err(Failure::io("standard output"))
    });
    // A reader that has read enough (`| head`) ends the export, which
    // changed nothing: a normal end, not an error.
    match written.and_then(|()| out.flush().map_err(Failure::io("standard output"))) {
        Ok(()) | Err(Failure::Quiet) => Ok(exit::ALLOW),
        Err(failure) => Err(failure),
    }
}

/// Durable appends per second for each number of concurrent writers, with
/// the disk's own fsync rate measured in the same run as the baseline.
fn bench(records: usize, writers: &[usize], store: Option<&str>) -> Result<i32, Failure> {
    let scratch = tempdir()?;
    let fsync = fsync_baseline(&scratch).map_err(Failure::io("measuring fsync"))?;
    let mut out = format!(
        "baseline: fsync of a 4 KiB write takes {:.0} µs (median of 200): {:.0} fsyncs/s\n\n",
        fsync.as_secs_f64() * 1e6,
        1.0 / fsync.as_secs_f64()
    );
    let guard = crate::gate(guardrail_core::Policy::default_policy(), None, None);
    let action = Action::sql("UPDATE accounts SET balance = balance - 100 WHERE id = 42");
    let decision = guard.check(&action);
    let version = guard.policy().version().to_owned();
    // The CPU cost of preparing one record (masking, JSON), on one core.
    let started = Instant::now();
    let prepared = 20_000;
    for _ in 0..prepared {
        std::hint::black_box(Entry::decision(&action, &decision, &version).encoded_len());
    }
    let prepare = started.elapsed() / prepared;
    out.push_str(&format!(
        "baseline: preparing a record (mask, serialize) takes {:.1} µs on one core\n\n",
        prepare.as_secs_f64() * 1e6
    ));
    // The CPU cost of the signature that seals each committed batch.
    let signer = CheckpointSigner::generate().map_err(Failure::Io)?;
    let started = Instant::now();
    let signatures = 5_000u32;
    for seq in 0..u64::from(signatures) {
        std::hint::black_box(signer.sign("bench", seq, seq, guardrail_audit::Hash::of(b"head"), 0));
    }
    let sign = started.elapsed() / signatures;
    out.push_str(&format!(
        "baseline: signing a batch's checkpoint (Ed25519) takes {:.1} µs on one core\n\n",
        sign.as_secs_f64() * 1e6
    ));
    out.push_str("in flight   records/s   p50 µs   p99 µs   records per fsync   records per batch   signing share\n");
    crate::print(&out)?;
    for (run, &count) in writers.iter().enumerate() {
        let count = count.max(1);
        let location = match store {
            Some(store) => Location::parse(store).map_err(Failure::Usage)?,
            None => Location::Sqlite(scratch.join(format!("bench-{run}.sqlite3"))),
        };
        let config =
            RecorderConfig::new(location.clone(), format!("bench-{}-{run}", std::process::id()), scratch.clone());
        let recorder = Recorder::open(config).map_err(|error| Failure::Io(error.to_string()))?;
        // `count` appends in flight at once, from at most 4 threads: many
        // sessions multiplexed on few threads, as a proxy would run them.
        let threads = count.min(4);
        let window = count / threads;
        let per_thread = records.div_ceil(threads);
        let started = Instant::now();
        let mut latencies: Vec<Duration> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut latencies = Vec::with_capacity(per_thread);
                        let mut in_flight = VecDeque::with_capacity(window);
                        for _ in 0..per_thread {
                            if in_flight.len() == window {
                                let (start, ticket): (Instant, guardrail_audit::Ticket) =
                                    in_flight.pop_front().expect("a full window");
                                ticket.wait().expect("bench append");
                                latencies.push(start.elapsed());
                            }
                            let entry = Entry::decision(&action, &decision, &version);
                            in_flight.push_back((Instant::now(), recorder.submit(entry).expect("bench append")));
                        }
                        for (start, ticket) in in_flight {
                            ticket.wait().expect("bench append");
                            latencies.push(start.elapsed());
                        }
                        latencies
                    })
                })
                .collect();
            handles.into_iter().flat_map(|handle| handle.join().expect("bench writer")).collect()
        });
        let elapsed = started.elapsed();
        let node = recorder.node().to_owned();
        drop(recorder);
        let batches = location.open().map_err(store_error)?.checkpoints(Some(&node)).map_err(store_error)?.len();
        latencies.sort();
        let rate = latencies.len() as f64 / elapsed.as_secs_f64();
        let quantile = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
        crate::print(&format!(
            "{count:>9}   {rate:>9.0}   {:>6.0}   {:>6.0}   {:>17.1}   {:>17.1}   {:>12.2}%\n",
            quantile(0.5),
            quantile(0.99),
            rate * fsync.as_secs_f64(),
            latencies.len() as f64 / batches.max(1) as f64,
            100.0 * batches as f64 * sign.as_secs_f64() / elapsed.as_secs_f64()
        ))?;
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(exit::ALLOW)
}

fn tempdir() -> Result<std::path::PathBuf, Failure> {
    let dir = std::env::temp_dir().join(format!("guardrail-bench-{}", std::process::id()));
    guardrail_audit::data_dir::create_private(&dir).map_err(Failure::Io)?;
    Ok(dir)
}

fn fsync_baseline(dir: &Path) -> std::io::Result<Duration> {
    let path = dir.join("fsync-baseline");
    let mut file = std::fs::File::create(&path)?;
    let block = [0u8; 4096];
    let mut times = Vec::with_capacity(200);
    for _ in 0..200 {
        let start = Instant::now();
        file.write_all(&block)?;
        file.sync_data()?;
        times.push(start.elapsed());
    }
    std::fs::remove_file(&path)?;
    times.sort();
    Ok(times[times.len() / 2])
}
