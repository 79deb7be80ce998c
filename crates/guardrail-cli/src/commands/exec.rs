//! `guardrail exec`: check, record, run, record the outcome.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use guardrail_audit::approval::State;
use guardrail_audit::{Awaited, Gate, OutcomeEvent, OutcomeStatus};
use guardrail_core::{Action, ActionKind, Actor, Verdict};
use sha2::{Digest, Sha256};

use crate::cli::ExecArgs;
use crate::{Failure, load};

/// Exit statuses of `exec` itself, after the conventions of `env` and
/// `timeout`, so they stand apart from the command's own.
pub mod status {
    pub const FAILED: i32 = 125;
    pub const REFUSED: i32 = 126;
    pub const NOT_FOUND: i32 = 127;
}

/// How often a waiting exec looks at its approval request.
const APPROVAL_POLL: std::time::Duration = std::time::Duration::from_millis(250);

/// Opens (or finds) the approval request of a held command, says where to
/// approve it, and when waiting (`--wait`, or a terminal to say it on),
/// waits until a person decides or the request expires. Once approved, the gate is asked again, which uses the
/// approval: the decision to run, with its permit. `None` when the command
/// is not to run.
fn wait_for_approval(
    gate: &Gate,
    action: &Action,
    held: &guardrail_audit::Checked,
    args: &ExecArgs,
) -> Result<Option<guardrail_audit::Checked>, Failure> {
    let request = gate
        .request_approval(action, held)
        .map_err(|error| Failure::Io(error.to_string()))?
        .wait()
        .map_err(|error| Failure::Io(error.to_string()))?
        .request;
    // Denied while its request stands: said, and not asked again.
    if let Some(ended) = request.ended(guardrail_audit::now()) {
        eprintln!("guardrail: approval request {} was {ended}; not run", request.id);
        return Ok(None);
    }
    let wait = args.wait || (!args.no_wait && std::io::IsTerminal::is_terminal(&std::io::stderr()));
    eprintln!(
        "guardrail: approval request {id}: a person approves it with `guardrail approvals approve {id}`{}",
        if wait { "; waiting (Ctrl-C to stop)" } else { "; then run the identical command again" },
        id = request.id
    );
    if !wait {
        return Ok(None);
    }
    // Until the request expires (it ends then, and so does the wait).
    let left = request.wait_until.saturating_sub(guardrail_audit::now()).max(0) as u64;
    let until = Instant::now() + std::time::Duration::from_nanos(left) + APPROVAL_POLL;
    let awaited = gate
        .await_approval(action, &held.decision, &request.id, until, APPROVAL_POLL, &mut || true)
        .map_err(|error| Failure::Io(error.to_string()))?;
    match awaited {
        Awaited::Approved(checked) => Ok(Some(checked)),
        Awaited::Ended(current) => {
            match current.state_at(guardrail_audit::now()) {
                // Another gate used it first, or the policy changed.
                State::Approved | State::Consumed => {
                    eprintln!("guardrail: approval {} was approved, but could not be used: not run", request.id)
                }
                _ => {
                    let ended = current.ended(guardrail_audit::now()).unwrap_or_default();
                    eprintln!("guardrail: approval request {} is {ended}; not run", request.id)
                }
            }
            Ok(None)
        }
        Awaited::Waiting => {
            eprintln!("guardrail: approval request {} was not decided in time; not run", request.id);
            Ok(None)
        }
    }
}

pub fn run(args: ExecArgs) -> Result<i32, Failure> {
    match execute(args) {
        Ok(status) => Ok(status),
        Err(failure) => {
            eprintln!("{failure}");
            Ok(status::FAILED)
        }
    }
}

fn execute(args: ExecArgs) -> Result<i32, Failure> {
    let (text, program) = match &args.line {
        Some(line) => (line.clone(), vec!["bash".to_owned(), "-c".to_owned(), line.clone()]),
        None => {
            let command: Vec<String> = args.command.iter().skip_while(|arg| *arg == "--").cloned().collect();
            if command.is_empty() {
                return Err(Failure::Usage("give the command after `--`, or a line with -c".into()));
            }
            (command.iter().map(|arg| guardrail_shell::quote(arg)).collect::<Vec<_>>().join(" "), command)
        }
    };
    let policy = load::policy_validated_once(args.policy.as_deref(), &crate::store::data_dir(&args.store)?)?;
    let recorder = crate::store::recorder(&args.store, None)?;
    let gate = Gate::new(
        crate::gate(policy, Some(&crate::store::data_dir(&args.store)?), args.policy.as_deref()),
        Some(recorder),
    );

    let cwd = std::env::current_dir().map_err(Failure::io("the working directory"))?;
    let mut action = Action::new(ActionKind::Shell, text);
    action.channel = "exec".to_owned();
    action.target = guardrail_audit::data_dir::hostname();
    action.actor = Actor::new(args.actor.clone().unwrap_or_else(current_user), args.actor_kind.into());
    action.context.justification = args.justification.clone();
    action.context.session = args.session.clone();
    action.context.cwd = Some(cwd.to_string_lossy().into_owned());

    // Fail closed: nothing runs unless the decision is durable.
    let mut checked = gate.check(&action).map_err(|error| Failure::Io(error.to_string()))?;
    if checked.decision.verdict == Verdict::RequireApproval {
        let held = checked.receipt.clone().expect("exec always records");
        let decision = Arc::clone(&checked.decision);
        eprintln!("guardrail: {}: {} (rule {})", decision.verdict, decision.reason, decision.rule);
        let approved = wait_for_approval(&gate, &action, &checked, &args);
        // The held decision did not run (a later decision, on its
        // approval, may).
        let outcome = OutcomeEvent { decision: held.seq, status: OutcomeStatus::NotRun, ..Default::default() };
        gate.record_outcome(&held, outcome).map_err(|error| Failure::Io(error.to_string()))?;
        match approved? {
            Some(ran) => checked = ran,
            None => return Ok(status::REFUSED),
        }
    }
    let receipt = checked.receipt.clone().expect("exec always records");
    let decision = &checked.decision;
    // Nothing runs without a permit: a decision that allows, recorded.
    let Some(permit) = checked.permit else {
        eprintln!("guardrail: {}: {} (rule {})", decision.verdict, decision.reason, decision.rule);
        let outcome = OutcomeEvent { decision: receipt.seq, status: OutcomeStatus::NotRun, ..Default::default() };
        gate.record_outcome(&receipt, outcome).map_err(|error| Failure::Io(error.to_string()))?;
        return Ok(status::REFUSED);
    };

    let started = Instant::now();
    // The gate's own settings (a store URL with its password, anchors) are
    // not the governed command's business.
    let mut command = Command::new(&program[0]);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("GUARDRAIL_") {
            command.env_remove(name);
        }
    }
    let spawned =
        command.args(&program[1..]).stdin(Stdio::inherit()).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(error) => {
            let code = if error.kind() == std::io::ErrorKind::NotFound { status::NOT_FOUND } else { status::FAILED };
            let message = format!("guardrail: cannot run {}: {error}", program[0]);
            eprintln!("{message}");
            let outcome = OutcomeEvent {
                decision: receipt.seq,
                status: OutcomeStatus::Failed,
                exit_code: Some(code),
                error: Some(message),
                ..Default::default()
            };
            gate.finish(permit, outcome).map_err(|error| Failure::Io(error.to_string()))?;
            return Ok(code);
        }
    };
    // Pass the output through as it comes, hashing it on the way.
    let mut digest = Sha256::new();
    if let Some(mut output) = child.stdout.take() {
        let mut stdout = std::io::stdout().lock();
        let mut buffer = [0u8; 64 * 1024];
        loop {
            match output.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => {
                    digest.update(&buffer[..read]);
                    // A closed standard output must not stop the command
                    // half-way from our side; keep draining.
                    let _ = stdout.write_all(&buffer[..read]).and_then(|()| stdout.flush());
                }
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
    }
    let exit = child.wait().map_err(Failure::io("waiting for the command"))?;
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    let code = exit_code(&exit);
    let outcome = OutcomeEvent {
        decision: receipt.seq,
        status: if code == 0 { OutcomeStatus::Succeeded } else { OutcomeStatus::Failed },
        exit_code: Some(code),
        duration_ms: Some(duration_ms),
        output_sha256: Some(hex(&digest.finalize())),
        ..Default::default()
    };
    if let Err(error) = gate.finish(permit, outcome) {
        // The command has run; its status still goes back to the caller.
        eprintln!("guardrail: the command ran, but its outcome could not be recorded: {error}");
    }
    Ok(code)
}

#[cfg(unix)]
fn exit_code(status: &std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

#[cfg(not(unix))]
fn exit_code(status: &std::process::ExitStatus) -> i32 {
    status.code().unwrap_or(status::FAILED)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The user running guardrail, as the default actor: the account of the
/// process's user id, which the governed line cannot set (`$USER` it can).
pub fn current_user() -> String {
    #[cfg(unix)]
    {
        let uid = unsafe { libc::getuid() };
        let mut buffer = vec![0 as libc::c_char; 16 * 1024];
        // SAFETY: `passwd` is plain data; getpwuid_r fills it with pointers
        // into `buffer`, which outlives every read of them below.
        let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        let status = unsafe { libc::getpwuid_r(uid, &mut entry, buffer.as_mut_ptr(), buffer.len(), &mut found) };
        if status == 0 && !found.is_null() && !entry.pw_name.is_null() {
            // SAFETY: pw_name points at a NUL-terminated string in `buffer`.
            let name = unsafe { std::ffi::CStr::from_ptr(entry.pw_name) };
            if let Ok(name) = name.to_str()
                && !name.is_empty()
            {
                return name.to_owned();
            }
        }
        format!("uid:{uid}")
    }
    #[cfg(not(unix))]
    {
        std::env::var("USERNAME").unwrap_or_else(|_| Actor::ANONYMOUS.to_owned())
    }
}
