//! One client's session: every statement judged before it reaches the
//! server, refusals answered as PostgreSQL errors, row caps enforced, and
//! every statement recorded with what happened.
//!
//! The session reads the client and the server at once and keeps, in
//! order, the executions the server has yet to answer, so that each
//! response is matched to the statement it answers.
//!
//! **Refusals go through the server.** A refused statement is replaced by
//! one the server rejects at once (`guardrail_refused_<nonce>_<n>`, a
//! syntax error), and the server's error is rewritten into the refusal on
//! its way back. The server so does exactly what PostgreSQL does with a
//! failed statement: it aborts the transaction block the client is in (a
//! later `COMMIT` rolls back), skips the rest of an extended-protocol batch
//! up to `Sync`, and answers in the order the client expects.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use bytes::BufMut;
use guardrail_audit::{ApprovalError, Gate, OutcomeEvent, OutcomeStatus, Receipt, RecordError, Ticket};
use guardrail_core::{Action, Actor, Decision, IntentKind, Obligation, Verdict};

use crate::Shared;
use crate::mask::{self, Column, Treatment};
use crate::upstream::BoxStream;
use crate::wire::{self, Conn, Message, Report, WireError};

/// How a session ended badly: told to the client when it can be, and to
/// the log.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("the client: {0}")]
    Client(WireError),
    #[error("the database server: {0}")]
    Server(WireError),
    #[error("{0}")]
    Record(#[from] RecordError),
    #[error("{0}")]
    Protocol(String),
}

/// A statement as judged: what it is, the decision, and how it is recorded.
pub(crate) struct Judged {
    action: Action,
    decision: Arc<Decision>,
    /// The decision's record, once durable, when it is written before the
    /// statement's effect can last (see [`Session::barrier`]).
    receipt: std::sync::OnceLock<Receipt>,
    /// Whether the decision is recorded on its own, ahead (else with its
    /// outcome, after the statement ran).
    ahead: bool,
    /// The most rows a write may change: more are rolled back and refused.
    write_cap: Option<u64>,
    /// The most rows returned to the client.
    read_cap: Option<u64>,
    /// Whether the statement computes values over masked columns or whole
    /// rows, which are then masked: worked out the first time one of its
    /// results has a computed column, not for every statement.
    mask_computed: std::sync::OnceLock<bool>,
}

impl Judged {
    fn masks_computed(&self, rules: &mask::MaskRules) -> bool {
        *self
            .mask_computed
            .get_or_init(|| guardrail_sql::computes_over(&self.action.text, &|name| rules.masks_column(name)))
    }
}

/// A statement the server runs for the client, until the server answers.
struct Exec {
    id: u64,
    judged: Arc<Judged>,
    /// The portal it runs (extended protocol).
    portal: Option<String>,
    /// How its rows' values are masked, once known.
    plan: Option<Arc<Vec<Treatment>>>,
    /// The Sync or Query whose ReadyForQuery ends it at the latest.
    batch: u64,
    /// A simple query: ends at ReadyForQuery; several statements may answer.
    simple: bool,
    started: Instant,
    /// Rows the server reported changed or returned, by command tags.
    rows: u64,
    /// Data rows seen in the current result, and those passed on.
    seen: u64,
    passed: u64,
    /// Rows withheld by the read cap, over all results.
    withheld: u64,
    tags: Vec<String>,
    error: Option<String>,
    /// Rows changed, when over the write cap.
    over: Option<u64>,
    done: bool,
}

/// What the server answers a Sync, Query or FunctionCall with, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    /// The client's: its ReadyForQuery goes to the client.
    Client,
    /// The proxy's own (BEGIN, COMMIT, ROLLBACK around a capped write):
    /// its answer is not the client's.
    Internal,
    /// The proxy's own statement that ends the client's query (the COMMIT
    /// or ROLLBACK of the block it opened): its errors and ReadyForQuery
    /// are the client's, its command tag is not.
    Closing,
}

/// A refusal on its way through the server (see the module's notes).
struct Refusal {
    report: Report,
    /// The batch it was sent in: once that batch is answered, the server
    /// has either rejected it or skipped it.
    batch: u64,
}

pub(crate) struct Session {
    /// Woken by the client's cancel request while a statement is held.
    cancelled: Arc<tokio::sync::Notify>,
    shared: Arc<Shared>,
    client: Conn<BoxStream>,
    server: Conn<BoxStream>,
    actor: Actor,
    database: String,
    id: String,
    statements: HashMap<String, Arc<Judged>>,
    portals: HashMap<String, Arc<Judged>>,
    execs: VecDeque<Exec>,
    /// Units sent (numbered from 1), and the number of the last answered.
    units: VecDeque<(u64, Unit)>,
    sent_units: u64,
    /// The batch of the first ErrorResponse since the last ReadyForQuery:
    /// the server skips the rest of that batch.
    failed_batch: Option<u64>,
    /// The transaction status of the last ReadyForQuery.
    status: u8,
    justification: Option<String>,
    nonce: String,
    refusals: HashMap<u64, Refusal>,
    next_refusal: u64,
    /// Statements judged, for the session's end record.
    pub statements_judged: u64,
    /// The rows and cap of the last write found over its cap.
    last_over: Option<(u64, u64)>,
    next_exec: u64,
    /// Appends not waited for (statements recorded once they ran).
    in_flight: VecDeque<Ticket>,
    /// Decisions of writes in the open transaction block, on their way
    /// into the record, and outcomes waiting for them.
    deferred: Vec<(Arc<Judged>, guardrail_audit::Submitted)>,
    waiting_outcomes: Vec<(Arc<Judged>, OutcomeEvent)>,
    /// Statements prepared with SQL's PREPARE, by name: the text that
    /// prepared them.
    sql_prepared: HashMap<String, String>,
    /// Describe messages the server has yet to answer: batch, kind, name.
    described: VecDeque<(u64, u8, String)>,
    /// Result columns of prepared statements, as described.
    statement_columns: HashMap<String, Arc<Vec<Column>>>,
    /// How each portal's rows are masked.
    portal_plans: HashMap<String, Option<Arc<Vec<Treatment>>>>,
}

/// Statements up to this long are decided on the session's own thread.
const INLINE_DECISION_BYTES: usize = 4096;

/// The SQL a refused statement is replaced by: the server rejects it.
const REFUSED: &str = "guardrail_refused_";

impl Session {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        shared: Arc<Shared>,
        client: Conn<BoxStream>,
        server: Conn<BoxStream>,
        actor: Actor,
        database: String,
        id: String,
        nonce: String,
        cancelled: Arc<tokio::sync::Notify>,
    ) -> Session {
        Session {
            cancelled,
            shared,
            client,
            server,
            actor,
            database,
            id,
            statements: HashMap::new(),
            portals: HashMap::new(),
            execs: VecDeque::new(),
            units: VecDeque::new(),
            sent_units: 0,
            failed_batch: None,
            status: b'I',
            justification: None,
            nonce,
            refusals: HashMap::new(),
            next_refusal: 0,
            statements_judged: 0,
            last_over: None,
            next_exec: 0,
            in_flight: VecDeque::new(),
            deferred: Vec::new(),
            waiting_outcomes: Vec::new(),
            sql_prepared: HashMap::new(),
            described: VecDeque::new(),
            statement_columns: HashMap::new(),
            portal_plans: HashMap::new(),
        }
    }

    /// Relays until either side leaves. A clean Terminate is `Ok`.
    pub(crate) async fn run(&mut self) -> Result<(), SessionError> {
        loop {
            tokio::select! {
                message = self.client.message() => {
                    let message = match message {
                        Ok(message) => message,
                        Err(WireError::Closed) => return Ok(()),
                        Err(error) => {
                            self.fatal_to_client(&error).await;
                            return Err(SessionError::Client(error));
                        }
                    };
                    if message.tag == b'X' {
                        return Ok(());
                    }
                    self.on_client(message).await?;
                    if !self.client.has_message() {
                        self.server.flush().await.map_err(SessionError::Server)?;
                        self.client.flush().await.map_err(SessionError::Client)?;
                    }
                }
                message = self.server.message() => {
                    let message = message.map_err(SessionError::Server)?;
                    self.on_server(message).await?;
                    if !self.server.has_message() {
                        self.client.flush().await.map_err(SessionError::Client)?;
                    }
                }
            }
        }
    }

    async fn fatal_to_client(&mut self, error: &WireError) {
        let report = match error {
            WireError::TooLarge { .. } => Report::fatal("54000", format!("guardrail: {error}")),
            _ => Report::fatal("08P01", format!("guardrail: {error}")),
        };
        report.write_to(&mut self.client.write);
        self.client.shutdown().await;
    }

    pub(crate) async fn close(&mut self) {
        wire::put(&mut self.server.write, b'X', |_| {});
        self.server.shutdown().await;
        self.client.shutdown().await;
    }

    // ---- the client's messages

    async fn on_client(&mut self, message: Message) -> Result<(), SessionError> {
        match message.tag {
            b'Q' => {
                let text = message.fields().str().map_err(SessionError::Client)?;
                self.query(message, text).await
            }
            b'P' => {
                let mut fields = message.fields();
                let name = fields.str().map_err(SessionError::Client)?;
                let text = fields.str().map_err(SessionError::Client)?;
                self.parse(message, name, text).await
            }
            b'B' => {
                let mut fields = message.fields();
                let portal = fields.str().map_err(SessionError::Client)?;
                let statement = fields.str().map_err(SessionError::Client)?;
                match self.statements.get(&statement) {
                    Some(judged) => {
                        self.portals.insert(portal.clone(), Arc::clone(judged));
                        let formats = mask::bind_result_formats(&message.body).map_err(SessionError::Client)?;
                        let plan = self
                            .statement_columns
                            .get(&statement)
                            .and_then(|columns| mask::plan(&self.shared.mask, columns, Some(&formats)));
                        self.portal_plans.insert(portal, plan);
                        message.write_to(&mut self.server.write);
                    }
                    // Never run a statement that was not judged: the server
                    // rejects the marker as it would an unknown statement.
                    None => {
                        self.portals.remove(&portal);
                        let report = Report::error(
                            "26000",
                            format!(
                                "guardrail: prepared statement {statement:?} was not prepared through this session"
                            ),
                        );
                        self.refuse_in_batch(report);
                    }
                }
                Ok(())
            }
            b'E' => {
                let mut fields = message.fields();
                let portal = fields.str().map_err(SessionError::Client)?;
                message.write_to(&mut self.server.write);
                // An unknown portal gets the server's own error; nothing runs.
                if let Some(judged) = self.portals.get(&portal).cloned() {
                    let capped = judged.write_cap.is_some();
                    let plan = self.portal_plans.get(&portal).cloned().flatten();
                    let id = self.push_exec(judged, false);
                    if let Some(exec) = self.execs.back_mut() {
                        exec.portal = Some(portal);
                        exec.plan = plan;
                    }
                    if capped {
                        self.capped_execute(id).await?;
                    }
                }
                Ok(())
            }
            b'C' => {
                let mut fields = message.fields();
                let kind = fields.u8().map_err(SessionError::Client)?;
                let name = fields.str().map_err(SessionError::Client)?;
                match kind {
                    b'S' => {
                        self.statements.remove(&name);
                        self.statement_columns.remove(&name);
                    }
                    _ => {
                        self.portals.remove(&name);
                        self.portal_plans.remove(&name);
                    }
                }
                message.write_to(&mut self.server.write);
                Ok(())
            }
            b'S' => {
                message.write_to(&mut self.server.write);
                self.sent_unit(Unit::Client);
                Ok(())
            }
            b'D' => {
                let mut fields = message.fields();
                let kind = fields.u8().map_err(SessionError::Client)?;
                let name = fields.str().map_err(SessionError::Client)?;
                self.described.push_back((self.sent_units + 1, kind, name));
                message.write_to(&mut self.server.write);
                Ok(())
            }
            // Flush, and COPY data from the client.
            b'H' | b'd' | b'c' | b'f' => {
                message.write_to(&mut self.server.write);
                Ok(())
            }
            b'F' => {
                let report = Report::error(
                    "42501",
                    "guardrail: fast-path function calls are refused: the function and its effect cannot be judged",
                )
                .with_hint("call the function in a SELECT statement, which is judged like any other");
                self.refuse_unit(report);
                Ok(())
            }
            other => {
                let report = Report::fatal("08P01", format!("guardrail: unexpected message type {:?}", other as char));
                report.write_to(&mut self.client.write);
                let _ = self.client.flush().await;
                Err(SessionError::Protocol(format!("the client sent a message of type {:?}", other as char)))
            }
        }
    }

    /// A simple query: judged whole, then run, run inside a transaction
    /// the proxy can roll back (capped writes), or refused.
    async fn query(&mut self, message: Message, text: String) -> Result<(), SessionError> {
        let judged = match self.judge(text).await? {
            Ok(judged) => judged,
            Err(report) => {
                self.refuse_unit(report);
                return Ok(());
            }
        };
        if judged.write_cap.is_some() {
            return self.capped_query(message, judged).await;
        }
        message.write_to(&mut self.server.write);
        self.push_exec(judged, true);
        self.sent_unit(Unit::Client);
        Ok(())
    }

    fn push_exec(&mut self, judged: Arc<Judged>, simple: bool) -> u64 {
        self.next_exec += 1;
        let mut exec = Exec::new(judged, self.sent_units + 1, simple);
        exec.id = self.next_exec;
        self.execs.push_back(exec);
        self.next_exec
    }

    /// The batch the server is answering: the oldest unanswered Sync or
    /// Query, or the batch still open (extended-protocol messages with no
    /// Sync yet).
    fn answering(&self) -> u64 {
        self.units.front().map_or(self.sent_units + 1, |(number, _)| *number)
    }

    async fn parse(&mut self, message: Message, name: String, text: String) -> Result<(), SessionError> {
        match self.judge(text).await? {
            Ok(judged) => {
                self.statements.insert(name, judged);
                message.write_to(&mut self.server.write);
            }
            Err(report) => {
                self.statements.remove(&name);
                self.refuse_in_batch(report);
            }
        }
        Ok(())
    }

    fn sent_unit(&mut self, unit: Unit) {
        self.sent_units += 1;
        self.units.push_back((self.sent_units, unit));
    }

    fn marker(&mut self, report: Report) -> String {
        self.next_refusal += 1;
        self.refusals.insert(self.next_refusal, Refusal { report, batch: self.sent_units + 1 });
        format!("{REFUSED}{}_{}", self.nonce, self.next_refusal)
    }

    /// Refuses a simple query or fast-path call: the server answers the
    /// marker with an error and ReadyForQuery.
    fn refuse_unit(&mut self, report: Report) {
        let marker = self.marker(report);
        wire::query(&mut self.server.write, &marker);
        self.sent_unit(Unit::Client);
    }

    /// Refuses a message of an extended-protocol batch: the server rejects
    /// the marker's Parse, then skips the batch up to its Sync.
    fn refuse_in_batch(&mut self, report: Report) {
        let marker = self.marker(report);
        let name = marker.clone();
        wire::put(&mut self.server.write, b'P', |body| {
            wire::put_str(body, &name);
            wire::put_str(body, &marker);
            body.put_i16(0);
        });
    }

    // ---- judging

    /// Judges one statement text: `Ok` when it may run (its decision
    /// written first when it changes anything), `Err` with the refusal
    /// when not (its decision written first too).
    async fn judge(&mut self, text: String) -> Result<Result<Arc<Judged>, Report>, SessionError> {
        self.statements_judged += 1;
        // `EXECUTE name` of a statement this session prepared is judged
        // with its PREPARE, so that what it runs is read, not guessed.
        let names = guardrail_sql::prepared_names(&text);
        let prepares: Vec<&str> =
            names.executed.iter().filter_map(|name| self.sql_prepared.get(name).map(String::as_str)).collect();
        let text = if prepares.is_empty() {
            text
        } else {
            let mut whole = prepares.join(";\n");
            whole.push_str(";\n");
            whole.push_str(&text);
            whole
        };
        let mut action = self.shared.action(&self.actor, &self.database, &self.id, text);
        action.context.justification = self.justification.clone();
        let action = Gate::as_judged(&action).into_owned();
        // Short statements are decided here, in microseconds (the SQL
        // analyzer moves to a thread of its own when the stack left is too
        // small); longer ones on the decision threads, within the deadline.
        let decision = if action.text.len() <= INLINE_DECISION_BYTES {
            self.shared.pool.guard().check(&action)
        } else {
            match self.shared.pool.decide_async(action.clone()).await {
                Ok(decision) => decision,
                Err(error) => {
                    return Ok(Err(Report::error("53000", format!("guardrail: {error}"))
                        .with_hint("the statement did not run; send it again")));
                }
            }
        };
        // A held statement a person approved runs, once: the approval is
        // used in the transaction that records the decision to run it.
        let mut approved = None;
        let decision = if decision.verdict == Verdict::RequireApproval {
            let used = match self.shared.gate.use_approval(&action, &decision) {
                Ok(ticket) => ticket.await,
                Err(error) => Err(ApprovalError::Record(error)),
            };
            match used {
                Ok(changed) => {
                    approved = changed.receipt;
                    Arc::new(guardrail_audit::approved(&decision, &changed.request))
                }
                Err(ApprovalError::Refused(_)) => decision,
                Err(ApprovalError::Record(error)) => return Ok(Err(self.unrecorded(&error))),
            }
        } else {
            decision
        };
        let decision = if decision.verdict == Verdict::RequireApproval {
            let (seq, request, ended) = self.hold(&action, &decision).await;
            // Denied while its request stands: refused at once, saying so.
            if ended.is_some() {
                return Ok(Err(waiting_for(refusal(&decision, seq), request.as_deref(), ended.as_deref())));
            }
            match self.wait_for_approval(&action, &decision, request.as_deref()).await? {
                Some((changed, receipt)) => {
                    approved = receipt;
                    Arc::new(guardrail_audit::approved(&decision, &changed))
                }
                None => return Ok(Err(waiting_for(refusal(&decision, seq), request.as_deref(), None))),
            }
        } else {
            decision
        };
        if decision.verdict != Verdict::Allow {
            let seq = self.record_refusal(&action, &decision).await;
            return Ok(Err(refusal(&decision, seq)));
        }
        let (write_cap, read_cap) = caps(&decision);
        // A cap is enforced by the count the server reports; a write it
        // does not count (in a WITH, under EXPLAIN ANALYZE) cannot be capped.
        if write_cap.is_some() && guardrail_sql::has_uncounted_writes(&action.text) {
            // Recorded as what it is: a refusal, by the proxy's rule.
            let mut refused = (*decision).clone();
            refused.verdict = Verdict::Deny;
            refused.rule = "row-cap".to_owned();
            refused.reason = "this statement changes rows inside a WITH, EXPLAIN ANALYZE or COPY, whose number the \
                              server does not report, so its row cap cannot be enforced"
                .to_owned();
            let refused = Arc::new(refused);
            let seq = self.record_refusal(&action, &refused).await;
            let mut report = refusal(&refused, seq);
            report.hint = Some("run the UPDATE or DELETE as a statement of its own".to_owned());
            return Ok(Err(report));
        }
        let light = is_light(&decision) && !self.shared.record_failing.load(Ordering::Relaxed);
        let ends_block =
            decision.intents.iter().any(|judgement| judgement.intent.kind == IntentKind::TransactionControl);
        // Whatever ends a transaction block waits for the records of every
        // write made in it.
        if ends_block && let Err(report) = self.barrier().await {
            return Ok(Err(report));
        }
        let judged = Arc::new(Judged {
            action,
            decision,
            receipt: approved.clone().map(std::sync::OnceLock::from).unwrap_or_default(),
            ahead: !light || approved.is_some(),
            write_cap,
            read_cap,
            mask_computed: std::sync::OnceLock::new(),
        });
        if !light && approved.is_none() {
            // Written ahead. Inside a transaction block a write's effect
            // lasts only once the block commits: its record may be written
            // meanwhile, and is waited for before anything that ends the
            // block. Elsewhere the statement runs only once its decision is
            // durable. A record that cannot be written refuses it.
            let in_block = self.status == b'T' && !ends_block;
            let submitted = if in_block {
                self.shared.gate.submit_lazy(&judged.action, Arc::clone(&judged.decision))
            } else {
                self.shared.gate.submit(&judged.action, Arc::clone(&judged.decision))
            };
            match submitted {
                Ok(submitted) if in_block => {
                    self.deferred.push((Arc::clone(&judged), submitted));
                }
                Ok(submitted) => match submitted.recorded().await {
                    Ok(checked) => {
                        self.shared.record_failing.store(false, Ordering::Relaxed);
                        let permit = checked.permit.expect("an allowing decision, recorded, has a permit");
                        let _ = judged.receipt.set(permit.receipt().clone());
                    }
                    Err(error) => return Ok(Err(self.unrecorded(&error))),
                },
                Err(error) => return Ok(Err(self.unrecorded(&error))),
            }
        }
        if changes_schema(&judged.decision) {
            self.shared.catalog.forget();
        }
        let action = &judged.action;
        if let Some(value) = guardrail_sql::session_justification(&action.text) {
            self.justification = value;
        }
        for name in names.deallocated {
            match name {
                Some(name) => drop(self.sql_prepared.remove(&name)),
                None => self.sql_prepared.clear(),
            }
        }
        for name in names.prepared {
            self.sql_prepared.insert(name, action.text.clone());
        }
        Ok(Ok(judged))
    }

    /// Records a held statement's decision and opens its approval request
    /// (or finds the one waiting for the identical statement, or the one
    /// that denied it while it stands): where the decision sits, the
    /// request's id, and how it ended if it did. A hold that cannot be
    /// recorded is still a refusal.
    async fn hold(
        &mut self,
        action: &Action,
        decision: &Arc<Decision>,
    ) -> (Option<u64>, Option<String>, Option<String>) {
        let checked = match self.shared.record_decision(action, Arc::clone(decision)).await {
            Ok(checked) => checked,
            Err(error) => {
                self.shared.record_failed(&self.id, &error, "a held statement");
                return (None, None, None);
            }
        };
        let seq = checked.receipt.as_ref().map(|receipt| receipt.seq);
        let opened = match self.shared.gate.request_approval(action, &checked) {
            Ok(ticket) => ticket.await,
            Err(error) => Err(ApprovalError::Record(error)),
        };
        match opened {
            Ok(changed) => {
                let ended = changed.request.ended(guardrail_audit::now());
                (seq, Some(changed.request.id), ended)
            }
            Err(error) => {
                tracing::error!(session = %self.id, %error, "an approval request could not be opened");
                (seq, None, None)
            }
        }
    }

    /// Holds a statement waiting for approval request `request`: a
    /// `NOTICE` tells the client which request and where to decide it, then
    /// the approval is tried every half second until the hold's end. An
    /// approval given meanwhile is used (consumed with the record of the
    /// decision to run it): the request and that record's receipt. `None`
    /// when the hold ends (or the request is denied, cancelled or expired)
    /// first: the statement is refused.
    async fn wait_for_approval(
        &mut self,
        action: &Action,
        held: &Arc<Decision>,
        request: Option<&str>,
    ) -> Result<Option<(guardrail_audit::approval::Request, Option<guardrail_audit::Receipt>)>, SessionError> {
        use guardrail_audit::approval::State;
        let hold = self.shared.approval_hold;
        let Some(id) = request.filter(|_| !hold.is_zero()) else { return Ok(None) };
        let link = match &self.shared.console {
            Some(console) => format!(" ({}/console/approvals/{id})", console.trim_end_matches('/')),
            None => String::new(),
        };
        Report::notice(format!(
            "guardrail: this statement waits for a person's approval: request {id}{link}; held up to {} s",
            hold.as_secs()
        ))
        .with_hint(format!("a person approves it in the console or with `guardrail approvals approve {id}`"))
        .write_to(&mut self.client.write);
        self.client.flush().await.map_err(SessionError::Client)?;
        let until = tokio::time::Instant::now() + hold;
        let location = self.shared.gate.recorder().map(|recorder| recorder.location().clone());
        // What the client sends while it waits is kept for later, up to a
        // buffer's worth; then it is no longer read until the hold ends.
        let mut listening = true;
        while tokio::time::Instant::now() < until {
            let pause = tokio::time::sleep(APPROVAL_POLL.min(until - tokio::time::Instant::now()));
            let cancelled = Arc::clone(&self.cancelled);
            tokio::select! {
                () = pause => {}
                // Cancelled (Ctrl-C in psql): the statement is refused now.
                () = cancelled.notified() => return Ok(None),
                read = self.client.read_more(), if listening => match read {
                    // The client went away: nobody waits for the statement,
                    // and it must not run after all.
                    Err(error) => return Err(SessionError::Client(error)),
                    Ok(()) => listening = self.client.buffered() < 64 << 10,
                },
            }
            // Read first: only an approved request is worth a write.
            if let Some(location) = location.clone() {
                let wanted = id.to_owned();
                let state = tokio::task::spawn_blocking(move || {
                    let request = location.open_read_only().ok()?.approval(&wanted).ok()??;
                    Some(request.state_at(guardrail_audit::now()))
                })
                .await
                .ok()
                .flatten();
                match state {
                    Some(State::Pending) => continue,
                    Some(state) if state != State::Approved => return Ok(None),
                    _ => {}
                }
            }
            let used = match self.shared.gate.use_approval(action, held) {
                Ok(ticket) => ticket.await,
                Err(error) => Err(ApprovalError::Record(error)),
            };
            match used {
                Ok(changed) => return Ok(Some((changed.request, changed.receipt))),
                // Another identical statement used it first: held again.
                Err(ApprovalError::Refused(_)) => return Ok(None),
                Err(ApprovalError::Record(error)) => {
                    self.shared.record_failed(&self.id, &error, "an approval");
                    return Ok(None);
                }
            }
        }
        Ok(None)
    }

    /// Records a refusal before it is answered, and says where it sits; a
    /// refusal that cannot be recorded is still a refusal.
    async fn record_refusal(&mut self, action: &Action, decision: &Arc<Decision>) -> Option<u64> {
        match self.shared.record_decision(action, Arc::clone(decision)).await {
            Ok(checked) => checked.receipt.map(|receipt| receipt.seq),
            Err(error) => {
                self.shared.record_failed(&self.id, &error, "a refusal");
                None
            }
        }
    }

    fn unrecorded(&self, error: &RecordError) -> Report {
        self.shared.record_failed(&self.id, error, "a decision");
        Report::error("58000", format!("guardrail: {error}"))
            .with_hint("the statement did not run: nothing runs that cannot be recorded")
    }

    /// Waits until the decisions of every write in the open transaction
    /// block are durable, then records the outcomes that waited for them.
    /// A decision that could not be recorded refuses what would end the
    /// block (so the block cannot commit).
    async fn barrier(&mut self) -> Result<(), Report> {
        let mut failure = None;
        if !self.deferred.is_empty() {
            self.shared.gate.flush();
        }
        for (judged, submitted) in std::mem::take(&mut self.deferred) {
            match submitted.recorded().await {
                Ok(checked) => {
                    if let Some(permit) = checked.permit {
                        let _ = judged.receipt.set(permit.receipt().clone());
                    }
                }
                Err(error) => failure = Some(self.unrecorded(&error)),
            }
        }
        for (judged, outcome) in std::mem::take(&mut self.waiting_outcomes) {
            match judged.receipt.get() {
                Some(receipt) => {
                    let ticket = self.shared.gate.submit_outcome(receipt, outcome);
                    self.watch(ticket);
                }
                None => tracing::error!(session = %self.id, "an outcome lost its decision's record"),
            }
        }
        match failure {
            Some(report) => Err(report),
            None => Ok(()),
        }
    }

    // ---- capped writes

    /// An extended-protocol Execute of a capped write, just forwarded: the
    /// proxy waits for its result before reading the client further, and
    /// when it changed more rows than the cap, makes the server fail the
    /// batch, which rolls the write back.
    async fn capped_execute(&mut self, id: u64) -> Result<(), SessionError> {
        wire::put(&mut self.server.write, b'H', |_| {});
        self.server.flush().await.map_err(SessionError::Server)?;
        let batch = self.sent_units + 1;
        self.last_over = None;
        // Wait until this execution is answered, or the server skips it
        // (an earlier message of its batch failed).
        while self.execs.iter().any(|exec| exec.id == id && !exec.done) && self.failed_batch != Some(batch) {
            let message = self.server.message().await.map_err(SessionError::Server)?;
            self.on_server(message).await?;
        }
        self.finish_extended();
        if let Some((rows, cap)) = self.last_over.take() {
            let report = over_cap(rows, cap);
            self.refuse_in_batch(report);
            wire::put(&mut self.server.write, b'H', |_| {});
            self.server.flush().await.map_err(SessionError::Server)?;
        }
        self.client.flush().await.map_err(SessionError::Client)?;
        Ok(())
    }

    /// A simple query holding a capped write. Outside a transaction block
    /// the proxy opens one around it; when the write changed more rows than
    /// the cap, the server is made to fail the block (and the proxy's own
    /// block is rolled back), else the proxy's block commits.
    async fn capped_query(&mut self, message: Message, judged: Arc<Judged>) -> Result<(), SessionError> {
        if judged.decision.intents.iter().any(|judgement| judgement.intent.kind == IntentKind::TransactionControl) {
            let report = Report::error(
                "42501",
                "guardrail: a write with a row cap cannot share a query string with BEGIN, COMMIT or ROLLBACK",
            )
            .with_hint("send the transaction control statements and the write as separate queries");
            self.refuse_unit(report);
            return Ok(());
        }
        // Whatever the server still owes the client comes first.
        self.drain().await?;
        let wrapped = self.status == b'I';
        if wrapped {
            self.internal("BEGIN").await?;
        }
        message.write_to(&mut self.server.write);
        self.push_exec(judged, true);
        // Its ReadyForQuery is the proxy's to answer, once it knows the count.
        self.sent_unit(Unit::Internal);
        self.last_over = None;
        self.drain().await?;
        let over = self.last_over.take();
        match (over, wrapped) {
            (Some((rows, cap)), _) => {
                self.refuse_unit(over_cap(rows, cap));
                if wrapped {
                    // The marker's ReadyForQuery ('E') is not the client's:
                    // the proxy's ROLLBACK ends the block it opened.
                    if let Some(last) = self.units.back_mut() {
                        last.1 = Unit::Internal;
                    }
                    self.drain().await?;
                    self.send_internal("ROLLBACK", Unit::Closing);
                } else {
                    self.drain().await?;
                }
            }
            (None, true) if self.status == b'E' => self.send_internal("ROLLBACK", Unit::Closing),
            (None, true) => self.send_internal("COMMIT", Unit::Closing),
            // The held ReadyForQuery of the write is the client's.
            (None, false) => wire::ready_for_query(&mut self.client.write, self.status),
        }
        self.server.flush().await.map_err(SessionError::Server)?;
        Ok(())
    }

    /// Sends one of the proxy's own statements and waits for its answer.
    async fn internal(&mut self, sql: &str) -> Result<(), SessionError> {
        self.send_internal(sql, Unit::Internal);
        self.drain().await
    }

    fn send_internal(&mut self, sql: &str, unit: Unit) {
        wire::query(&mut self.server.write, sql);
        self.sent_unit(unit);
    }

    /// Reads the server until it has answered every unit sent.
    async fn drain(&mut self) -> Result<(), SessionError> {
        self.server.flush().await.map_err(SessionError::Server)?;
        while !self.units.is_empty() {
            let message = self.server.message().await.map_err(SessionError::Server)?;
            self.on_server(message).await?;
        }
        self.client.flush().await.map_err(SessionError::Client)?;
        Ok(())
    }

    // ---- the server's messages

    async fn on_server(&mut self, message: Message) -> Result<(), SessionError> {
        // A unit of the proxy's own with no execution of the client's.
        let own = self.units.front().filter(|(number, unit)| {
            *unit != Unit::Client && self.execs.front().is_none_or(|exec| exec.batch != *number)
        });
        let internal = own.is_some();
        let closing = own.is_some_and(|(_, unit)| *unit == Unit::Closing);
        match message.tag {
            b'D' => {
                let mut plan = None;
                if let Some(exec) = self.current() {
                    exec.seen += 1;
                    let cap = exec.judged.read_cap;
                    if cap.is_some_and(|cap| exec.passed >= cap) {
                        exec.withheld += 1;
                        return Ok(());
                    }
                    exec.passed += 1;
                    plan = exec.plan.clone();
                }
                match plan.map(|plan| mask::row(&message.body, &plan)).transpose().map_err(SessionError::Server)? {
                    Some(Some(masked)) => mask::write_row(&mut self.client.write, &masked),
                    _ => message.write_to(&mut self.client.write),
                }
            }
            b'n' => {
                if self.described.front().is_some_and(|(batch, _, _)| *batch == self.answering()) {
                    self.described.pop_front();
                }
                message.write_to(&mut self.client.write);
            }
            b'd' => {
                // COPY ... TO STDOUT: one row per message.
                if let Some(exec) = self.current() {
                    exec.seen += 1;
                    if exec.judged.read_cap.is_some_and(|cap| exec.passed >= cap) {
                        exec.withheld += 1;
                        return Ok(());
                    }
                    exec.passed += 1;
                }
                message.write_to(&mut self.client.write);
            }
            b'T' => {
                let mut columns = mask::columns(&message.body).map_err(SessionError::Server)?;
                self.name_sources(&mut columns).await;
                let answering = self.answering();
                // Computed values over masked columns or whole rows come
                // from no table column: masked when the statement makes any.
                if columns.iter().any(|column| column.table_oid == 0)
                    && self.judged_for_result(answering).is_some_and(|judged| judged.masks_computed(&self.shared.mask))
                {
                    for column in columns.iter_mut().filter(|column| column.table_oid == 0) {
                        column.unknown_source = true;
                    }
                }
                if self.described.front().is_some_and(|(batch, _, _)| *batch == answering) {
                    // The answer to a Describe.
                    let (_, kind, name) = self.described.pop_front().expect("checked");
                    if kind == b'S' {
                        self.statement_columns.insert(name, Arc::new(columns));
                    } else {
                        let plan = mask::plan(&self.shared.mask, &columns, None);
                        if let Some(exec) = self.execs.iter_mut().find(|exec| {
                            !exec.done && exec.batch == answering && exec.portal.as_deref() == Some(name.as_str())
                        }) {
                            exec.plan = plan.clone();
                        }
                        self.portal_plans.insert(name, plan);
                    }
                } else {
                    // A simple query's next result.
                    let plan = mask::plan(&self.shared.mask, &columns, None);
                    if let Some(exec) = self.current() {
                        exec.seen = 0;
                        exec.passed = 0;
                        exec.plan = plan;
                    }
                }
                message.write_to(&mut self.client.write);
            }
            b'H' => {
                if let Some(exec) = self.current() {
                    exec.seen = 0;
                    exec.passed = 0;
                }
                message.write_to(&mut self.client.write);
            }
            b'C' => {
                let tag = message.fields().str().map_err(SessionError::Server)?;
                if internal {
                    return Ok(());
                }
                let Some(exec) = self.current() else {
                    message.write_to(&mut self.client.write);
                    return Ok(());
                };
                let rows = wire::command_rows(&tag).unwrap_or(0);
                exec.rows += rows;
                exec.tags.push(tag.clone());
                let changed = is_write_tag(&tag);
                if changed
                    && let Some(cap) = exec.judged.write_cap
                    && rows > cap
                {
                    exec.over = Some(exec.over.unwrap_or(0).max(rows));
                    if !exec.simple {
                        exec.done = true;
                    }
                    self.finish_extended();
                    return Ok(());
                }
                let capped_read = exec.passed < exec.seen;
                let (passed, seen, cap) = (exec.passed, exec.seen, exec.judged.read_cap);
                if !exec.simple {
                    exec.done = true;
                }
                if capped_read {
                    let verb = tag.split(' ').next().unwrap_or("SELECT").to_owned();
                    Report::notice(format!(
                        "guardrail: {passed} of {seen} rows returned; the rest were withheld by the row cap of {}",
                        cap.unwrap_or(passed)
                    ))
                    .with_hint("add a LIMIT, or narrow the WHERE clause, to read the rows you need")
                    .write_to(&mut self.client.write);
                    wire::put(&mut self.client.write, b'C', |body| wire::put_str(body, &format!("{verb} {passed}")));
                } else {
                    message.write_to(&mut self.client.write);
                }
                self.finish_extended();
            }
            b'I' | b's' => {
                if let Some(exec) = self.current()
                    && !exec.simple
                {
                    exec.done = true;
                }
                if !internal {
                    message.write_to(&mut self.client.write);
                }
                self.finish_extended();
            }
            b'E' => {
                let report = Report::parse(&message.body).map_err(SessionError::Server)?;
                let batch = self.answering();
                self.failed_batch.get_or_insert(batch);
                // A refusal the server rejected for us: the client sees the refusal.
                if let Some(refusal) = self.refusal_in(&report) {
                    refusal.report.write_to(&mut self.client.write);
                    return Ok(());
                }
                if let Some(exec) = self.current() {
                    exec.error = Some(report.message.clone());
                    if !exec.simple {
                        exec.done = true;
                    }
                }
                self.finish_extended();
                if internal && !closing {
                    tracing::warn!(session = %self.id, code = %report.code, "the proxy's own statement failed: {}", report.message);
                }
                if !internal || closing || report.severity == "FATAL" {
                    message.write_to(&mut self.client.write);
                }
            }
            b'Z' => {
                let status = message.body.first().copied().unwrap_or(b'I');
                self.status = status;
                let Some((number, unit)) = self.units.pop_front() else {
                    return Err(SessionError::Protocol("the server sent ReadyForQuery unasked".into()));
                };
                self.failed_batch = None;
                self.refusals.retain(|_, refusal| refusal.batch > number);
                while self.described.front().is_some_and(|(batch, _, _)| *batch <= number) {
                    self.described.pop_front();
                }
                // Every execution of this batch is over: run or skipped.
                while self.execs.front().is_some_and(|exec| exec.batch <= number) {
                    let exec = self.execs.pop_front().expect("checked");
                    if exec.over.is_some() {
                        let cap = exec.judged.write_cap.unwrap_or(0);
                        self.last_over = exec.over.map(|rows| (rows, cap));
                    }
                    self.record_exec(exec);
                }
                if unit != Unit::Internal {
                    message.write_to(&mut self.client.write);
                }
            }
            // Everything else passes: ParseComplete, BindComplete,
            // CloseComplete, descriptions, notices, notifications,
            // parameter changes, COPY's responses.
            _ => {
                if !internal || matches!(message.tag, b'N' | b'A' | b'S') {
                    message.write_to(&mut self.client.write);
                }
            }
        }
        Ok(())
    }

    /// The statement a row description being answered belongs to: the
    /// described statement or portal, or the simple query running.
    fn judged_for_result(&mut self, answering: u64) -> Option<Arc<Judged>> {
        match self.described.front() {
            Some((batch, kind, name)) if *batch == answering => {
                if *kind == b'S' { self.statements.get(name) } else { self.portals.get(name) }.cloned()
            }
            _ => self.current().map(|exec| Arc::clone(&exec.judged)),
        }
    }

    /// Fills in the table column each result column comes from. A table
    /// whose names cannot be read has its columns masked (fail closed).
    async fn name_sources(&mut self, columns: &mut [Column]) {
        let database = self.shared.upstream.database(&self.database).to_owned();
        for column in columns.iter_mut().filter(|column| column.table_oid != 0 && column.attnum > 0) {
            match self.shared.catalog.columns(&self.shared.upstream, &database, column.table_oid).await {
                Ok(names) => column.source = names.get(&column.attnum).cloned(),
                Err(error) => {
                    tracing::warn!(session = %self.id, table = column.table_oid, "cannot read column names: {error}");
                    column.unknown_source = true;
                }
            }
        }
    }

    /// The execution the server is answering now: the oldest unfinished
    /// one of the batch being answered.
    fn current(&mut self) -> Option<&mut Exec> {
        let batch = self.answering();
        self.execs.iter_mut().find(|exec| !exec.done && exec.batch == batch)
    }

    /// Records extended-protocol executions that are finished, in order.
    fn finish_extended(&mut self) {
        while self.execs.front().is_some_and(|exec| exec.done && !exec.simple) {
            let exec = self.execs.pop_front().expect("checked");
            if let Some(rows) = exec.over {
                self.last_over = Some((rows, exec.judged.write_cap.unwrap_or(0)));
            }
            self.record_exec(exec);
        }
    }

    fn refusal_in(&mut self, report: &Report) -> Option<Refusal> {
        let at = report.message.find(REFUSED)?;
        let rest = &report.message[at + REFUSED.len()..];
        let rest = rest.strip_prefix(self.nonce.as_str())?.strip_prefix('_')?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        self.refusals.remove(&digits.parse().ok()?)
    }

    /// Appends what happened to an execution; a failure to record is
    /// remembered, and later statements are written ahead (and refused if
    /// that fails too).
    fn record_exec(&mut self, exec: Exec) {
        // Column names may have changed: read them afresh.
        if changes_schema(&exec.judged.decision) {
            self.shared.catalog.forget();
        }
        let status = if exec.over.is_some() || exec.error.is_some() {
            OutcomeStatus::Failed
        } else if exec.done || exec.simple && !exec.tags.is_empty() {
            OutcomeStatus::Succeeded
        } else {
            OutcomeStatus::NotRun
        };
        let error = match exec.over {
            Some(rows) => Some(format!(
                "changed {rows} rows, over the cap of {}; rolled back",
                exec.judged.write_cap.unwrap_or(0)
            )),
            None => exec.error,
        };
        let outcome = OutcomeEvent {
            status,
            rows: (!exec.tags.is_empty()).then_some(exec.rows.saturating_sub(exec.withheld)),
            duration_ms: Some(exec.started.elapsed().as_secs_f64() * 1000.0),
            error,
            command: (!exec.tags.is_empty()).then(|| exec.tags.join("; ")),
            ..OutcomeEvent::default()
        };
        let gate = &self.shared.gate;
        let ticket = match (exec.judged.ahead, exec.judged.receipt.get()) {
            (true, Some(receipt)) => gate.submit_outcome(receipt, outcome),
            // Its decision is still on its way (a write in a block).
            (true, None) => {
                self.waiting_outcomes.push((exec.judged, outcome));
                return;
            }
            (false, _) => gate.submit_ran(&exec.judged.action, &exec.judged.decision, outcome),
        };
        self.watch(ticket);
    }

    fn watch(&mut self, ticket: Result<Ticket, RecordError>) {
        match ticket {
            Ok(ticket) => self.in_flight.push_back(ticket),
            Err(error) => self.shared.record_failed(&self.id, &error, "a statement that ran"),
        }
        // Appends the session did not wait for are looked at as they
        // finish, without a task each.
        while let Some(ticket) = self.in_flight.front_mut() {
            match ticket.try_result() {
                None => break,
                Some(result) => {
                    if let Err(error) = result {
                        self.shared.record_failed(&self.id, &error, "a statement that ran");
                    }
                    self.in_flight.pop_front();
                }
            }
        }
    }

    /// Waits for every append still in flight (at the session's end).
    pub(crate) async fn settle(&mut self) {
        let _ = self.barrier().await;
        while let Some(ticket) = self.in_flight.pop_front() {
            if let Err(error) = ticket.await {
                self.shared.record_failed(&self.id, &error, "a statement that ran");
            }
        }
    }
}

impl Exec {
    fn new(judged: Arc<Judged>, batch: u64, simple: bool) -> Exec {
        Exec {
            id: 0,
            judged,
            portal: None,
            plan: None,
            batch,
            simple,
            started: Instant::now(),
            rows: 0,
            seen: 0,
            passed: 0,
            withheld: 0,
            tags: Vec::new(),
            error: None,
            over: None,
            done: false,
        }
    }
}

/// Whether the decision changes the schema (column names may change).
fn changes_schema(decision: &Decision) -> bool {
    decision.intents.iter().any(|judgement| judgement.intent.kind.groups().contains(&"schema.change"))
}

/// Statements recorded once they ran, not before: they read, or change
/// only the session.
fn is_light(decision: &Decision) -> bool {
    decision.intents.iter().all(|judgement| {
        matches!(
            judgement.intent.kind,
            IntentKind::DataRead
                | IntentKind::DataExport
                | IntentKind::SessionShow
                | IntentKind::SessionSet
                | IntentKind::SessionReset
                | IntentKind::TransactionControl
        )
    })
}

/// The write cap and the read cap of an allowed decision: its row cap,
/// applied to the rows it changes when it updates or deletes, and to the
/// rows it returns when it reads.
fn caps(decision: &Decision) -> (Option<u64>, Option<u64>) {
    let cap = decision.obligations.iter().find_map(|obligation| match obligation {
        Obligation::CapRows { rows } => Some(*rows),
        _ => None,
    });
    let has = |kinds: &[IntentKind]| decision.intents.iter().any(|judgement| kinds.contains(&judgement.intent.kind));
    let writes =
        has(&[IntentKind::DataUpdate, IntentKind::DataDelete, IntentKind::DataUpdateAll, IntentKind::DataDeleteAll]);
    let reads = has(&[IntentKind::DataRead, IntentKind::DataExport]);
    (cap.filter(|_| writes), cap.filter(|_| reads))
}

fn is_write_tag(tag: &str) -> bool {
    matches!(tag.split(' ').next(), Some("UPDATE" | "DELETE" | "MERGE" | "INSERT"))
}

fn over_cap(rows: u64, cap: u64) -> Report {
    Report::error(
        "42501",
        format!(
            "guardrail: this write changed {rows} rows, over the cap of {cap} rows; it was rolled back (rule row-cap)"
        ),
    )
    .with_hint("change fewer rows at a time: narrow the WHERE clause, or work in batches under the cap")
}

/// The error a refused statement gets: the rule and the reason, and how to
/// go on.
pub(crate) fn refusal(decision: &Decision, seq: Option<u64>) -> Report {
    let verb = match decision.verdict {
        Verdict::Deny => "refused",
        Verdict::RequireJustification => "needs a justification",
        Verdict::RequireApproval => "needs a person's approval",
        Verdict::Allow => "allowed",
    };
    let hint = match decision.verdict {
        Verdict::RequireJustification => {
            "say why in the statement, /* justification: INC-42 add index */, or for the session with \
             SET guardrail.justification = '...', and send it again"
        }
        Verdict::RequireApproval => {
            "a person must approve this exact statement (guardrail approvals approve); once approved, send \
             the identical statement again and it runs once"
        }
        _ => "this takes a change of policy, not a justification; do what the reason says, or ask the policy's owner",
    };
    let intents: Vec<String> = decision
        .intents
        .iter()
        .filter(|judgement| judgement.verdict != Verdict::Allow)
        .map(|judgement| match &judgement.intent.object {
            Some(object) => format!("{} on {}", judgement.intent.kind.id(), object.name),
            None => judgement.intent.kind.id().to_owned(),
        })
        .collect();
    let mut detail = format!("intents: {}", intents.join(", "));
    if let Some(seq) = seq {
        detail.push_str(&format!("; recorded as decision #{seq}"));
    }
    Report::error("42501", format!("guardrail: {verb} by rule {}: {}", decision.rule, decision.reason))
        .with_detail(detail)
        .with_hint(hint)
}

/// How often a held statement looks for its approval.
const APPROVAL_POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// A held statement's refusal, naming its approval request: the one that
/// lets the identical statement run, or (`ended`) the one that ended it,
/// which stands against it.
fn waiting_for(report: Report, request: Option<&str>, ended: Option<&str>) -> Report {
    let Some(id) = request else { return report };
    let ended = ended.map(|ended| format!(" was {ended}")).unwrap_or_default();
    let detail = match &report.detail {
        Some(detail) => format!("{detail}; approval request {id}{ended}"),
        None => format!("approval request {id}{ended}"),
    };
    let hint = if ended.is_empty() {
        format!(
            "a person approves it with `guardrail approvals approve {id}`; then send the identical statement \
             again: it runs once"
        )
    } else {
        "the identical statement is refused while the request stands".to_owned()
    };
    report.with_detail(detail).with_hint(hint)
}
