//! `guardrail hook AGENT`: the gate in an AI coding agent's hook protocol,
//! and `guardrail hook install AGENT`.
//!
//! Each agent sends JSON on standard input and reads its answer on
//! standard output. All four let a command run when a hook fails in any
//! other way than they define as blocking, so every internal error here
//! ends in the one answer all four read as "block": exit status 2 with the
//! reason on standard error.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use guardrail_audit::Gate;
use guardrail_gate::hook::{self, Agent, Hooks, socket::Answer};
use serde_json::{Value, json};

use crate::cli::{AgentName, HookAgent, HookArgs, StoreArgs};
use crate::{Failure, load};

/// The exit status every agent reads as "block".
const BLOCK: i32 = 2;

/// `--deadline`'s default, in milliseconds.
pub const DEFAULT_DEADLINE_MS: u64 = 20_000;

pub fn run(args: HookArgs) -> Result<i32, Failure> {
    let agent = match args.agent {
        HookAgent::Install => return install(&args),
        HookAgent::Uninstall => return uninstall(&args),
        HookAgent::ClaudeCode => AgentName::ClaudeCode,
        HookAgent::Codex => AgentName::Codex,
        HookAgent::Cursor => AgentName::Cursor,
        HookAgent::Gemini => AgentName::Gemini,
    };
    fail_closed_on_abort(args.memory);
    // Logging costs start-up time: only when asked for.
    if std::env::var_os("GUARDRAIL_LOG").is_some() {
        super::init_log();
    }
    // A held action may wait for approval on top of the time to judge it.
    let watchdog = Watchdog::arm(Duration::from_millis(args.deadline) + Duration::from_secs(args.hold));
    let answered = answer(agent, &args);
    // Disarmed before anything is written: the answer is all or nothing.
    if !watchdog.disarm() {
        return Ok(block(&format!("no answer within {} ms", args.deadline + args.hold * 1000)));
    }
    match answered {
        Ok(Some(output)) => crate::print(&format!("{output}\n")),
        Ok(None) => Ok(0),
        Err(message) => Ok(block(&message)),
    }
}

fn block(message: &str) -> i32 {
    eprintln!("guardrail: blocked, because the hook failed: {message}");
    BLOCK
}

/// Makes the process's own crashes block. Out of memory, a stack overflow
/// or a panic that cannot unwind end a Rust process with SIGABRT, a status
/// every agent reads as "let the command run"; the handler answers exit 2
/// instead. Memory is limited to `mib` MiB (heap and anonymous mappings)
/// so that a parser that allocates without end aborts in moments instead of
/// taking the machine's memory first.
#[cfg(unix)]
fn fail_closed_on_abort(mib: u64) {
    extern "C" fn on_abort(_: libc::c_int) {
        const MESSAGE: &[u8] = b"guardrail: blocked, because the hook failed: it aborted (out of memory?)\n";
        // Only async-signal-safe calls here.
        unsafe {
            libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
            libc::_exit(BLOCK);
        }
    }
    // SAFETY: installs a handler that makes only async-signal-safe calls,
    // and lowers a soft resource limit of this process.
    unsafe {
        libc::signal(libc::SIGABRT, on_abort as *const () as libc::sighandler_t);
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        if libc::getrlimit(libc::RLIMIT_DATA, &mut limit) == 0 {
            // Below 64 MiB the hook could not start its own threads.
            limit.rlim_cur = (mib.max(64).saturating_mul(1 << 20) as libc::rlim_t).min(limit.rlim_max);
            libc::setrlimit(libc::RLIMIT_DATA, &limit);
        }
    }
}

#[cfg(not(unix))]
fn fail_closed_on_abort(_mib: u64) {}

/// Blocks and ends the process when no answer is ready by the deadline.
/// Agents let a command run when its hook times out, and the grammars'
/// parsers have inputs that take them exponential time (the analyzer
/// refuses the shapes known so far before parsing); this bounds the rest.
/// An append being recorded at that moment is rolled back by SQLite.
struct Watchdog {
    armed: mpsc::Sender<()>,
    started: Instant,
    deadline: Duration,
}

impl Watchdog {
    fn arm(deadline: Duration) -> Watchdog {
        let (armed, fired) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = fired.recv_timeout(deadline) {
                std::process::exit(block(&format!("no answer within {} ms", deadline.as_millis())));
            }
        });
        Watchdog { armed, started: Instant::now(), deadline }
    }

    /// Stops the watchdog; false if the deadline passed all the same (an
    /// answer that late blocks too, whichever thread saw it first).
    fn disarm(self) -> bool {
        drop(self.armed);
        self.started.elapsed() <= self.deadline
    }
}

/// The gate's agent for the command line's.
fn agent_of(agent: AgentName) -> Agent {
    match agent {
        AgentName::ClaudeCode => Agent::ClaudeCode,
        AgentName::Codex => Agent::Codex,
        AgentName::Cursor => Agent::Cursor,
        AgentName::Gemini => Agent::Gemini,
    }
}

pub fn agent_id(agent: AgentName) -> &'static str {
    agent_of(agent).id()
}

/// Handles one event; `None` is "no output" (the agent's plain allow).
/// The daemon's socket answers it when `guardrail serve` runs with the same
/// settings; else this process judges and records it.
fn answer(agent: AgentName, args: &HookArgs) -> Result<Option<String>, String> {
    let mut raw = String::new();
    std::io::stdin().read_to_string(&mut raw).map_err(|error| format!("reading standard input: {error}"))?;
    let agent = agent_of(agent);
    let data_dir = crate::store::data_dir(&args.store).map_err(|failure| failure.to_string())?;
    let settings = settings(args.policy.as_deref(), &args.store).map_err(|failure| failure.to_string())?;
    let hold = Duration::from_secs(args.hold);
    let request = hook::socket::Request { agent, settings, input: raw, hold };
    if let Some(answer) = ask_daemon(&data_dir, &request, Duration::from_millis(args.deadline) + hold) {
        tracing::debug!("answered by guardrail serve's hook socket");
        return match answer {
            Answer::Output(output) => Ok(output),
            Answer::Block(why) => Err(why),
            Answer::Unserved(_) => unreachable!("ask_daemon answers None when unserved"),
        };
    }
    tracing::debug!("no guardrail serve answers this hook; judging here");
    let raw = request.input;
    let input: Value = serde_json::from_str(&raw).map_err(|error| format!("the hook input is not JSON: {error}"))?;
    if !hook::needs_gate(agent, &input) {
        return Ok(None);
    }
    let recorder = crate::store::recorder(&args.store, None).map_err(|failure| failure.to_string())?;
    let location = crate::store::location(&args.store, None).map_err(|failure| failure.to_string())?;
    let policy = load::policy_validated_once(args.policy.as_deref(), &data_dir)
        .map_err(|failure| Failure::from(failure).to_string())?;
    let gate = Gate::new(crate::gate(policy, Some(&data_dir), args.policy.as_deref()), Some(recorder));
    Hooks { gate: &gate, pool: None, location: &location, observe: None, console: None, hold }
        .answer(agent, &raw, &input)
}

/// The digest of the settings this hook judges with: the daemon serves it
/// only when its own are the same.
pub fn settings(policy: Option<&Path>, store: &StoreArgs) -> Result<String, Failure> {
    let policy = match policy {
        None => None,
        Some(path) => Some(guardrail_core::policy::validation_key(&load::sources(path)?)),
    };
    let location = crate::store::location(store, None)?.to_string();
    let anchors: Vec<String> = store.anchors.iter().map(|anchor| anchor.trim().to_owned()).collect();
    Ok(hook::socket::settings(policy.as_deref(), &location, &crate::store::node(store), &anchors))
}

/// The daemon's answer, or `None` when no daemon serves this hook (none
/// runs, it judges with other settings, or it failed before answering):
/// the hook then judges itself, so a daemon's trouble never lets an event
/// through unjudged.
#[cfg(unix)]
fn ask_daemon(data_dir: &Path, request: &hook::socket::Request, deadline: Duration) -> Option<Answer> {
    use std::io::{BufRead, BufReader, Write};
    let mut stream = std::os::unix::net::UnixStream::connect(data_dir.join(hook::socket::FILE)).ok()?;
    stream.set_read_timeout(Some(deadline)).ok()?;
    stream.set_write_timeout(Some(deadline)).ok()?;
    stream.write_all(request.to_line().as_bytes()).ok()?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).ok()?;
    match Answer::parse(&line) {
        Ok(Answer::Unserved(_)) | Err(_) => None,
        Ok(answer) => Some(answer),
    }
}

#[cfg(not(unix))]
fn ask_daemon(_: &Path, _: &hook::socket::Request, _: Duration) -> Option<Answer> {
    None
}

/// Where an agent keeps its hooks, for the user or for one project.
pub fn settings_path(agent: AgentName, project: Option<&Path>) -> Result<PathBuf, String> {
    let base = match project {
        Some(project) => project.to_path_buf(),
        None => PathBuf::from(std::env::var_os("HOME").ok_or("$HOME is not set; give --project DIR")?),
    };
    Ok(match agent {
        AgentName::ClaudeCode => base.join(".claude/settings.json"),
        AgentName::Codex => base.join(".codex/hooks.json"),
        AgentName::Cursor => base.join(".cursor/hooks.json"),
        AgentName::Gemini => base.join(".gemini/settings.json"),
    })
}

/// The hook timeout `hook install` writes, in seconds, when a held action
/// does not wait: above `--deadline`'s default, so that the hook's own
/// blocking answer comes first.
const INSTALLED_TIMEOUT_SECS: u64 = 30;

/// The hook entries for an agent: (event, matcher, entry), each with the
/// agent's timeout for the hook (`timeout`, in seconds).
fn entries(agent: AgentName, command: &str, timeout: u64) -> Vec<(&'static str, Value)> {
    let claude = |event: &'static str, matcher: Option<&str>| {
        let mut entry = json!({"hooks": [{"type": "command", "command": command, "timeout": timeout}]});
        if let Some(matcher) = matcher {
            entry["matcher"] = json!(matcher);
        }
        (event, entry)
    };
    match agent {
        // Every tool: files written and read and MCP tools are judged too.
        AgentName::ClaudeCode => {
            vec![claude("PreToolUse", Some("*")), claude("PostToolUse", Some("*")), claude("UserPromptSubmit", None)]
        }
        AgentName::Codex => vec![claude("PreToolUse", Some(".*")), claude("PostToolUse", Some(".*"))],
        AgentName::Cursor => vec![
            ("beforeShellExecution", json!({"command": command, "timeout": timeout, "failClosed": true})),
            ("beforeMCPExecution", json!({"command": command, "timeout": timeout, "failClosed": true})),
            ("beforeReadFile", json!({"command": command, "timeout": timeout, "failClosed": true})),
            ("afterFileEdit", json!({"command": command, "timeout": timeout})),
            ("afterShellExecution", json!({"command": command, "timeout": timeout})),
            ("afterMCPExecution", json!({"command": command, "timeout": timeout})),
            ("beforeSubmitPrompt", json!({"command": command, "timeout": timeout})),
        ],
        AgentName::Gemini => {
            let gemini = |event: &'static str, matcher: Option<&str>| {
                let mut entry = json!({"hooks": [{"name": "guardrail", "type": "command", "command": command, "timeout": timeout * 1000}]});
                if let Some(matcher) = matcher {
                    entry["matcher"] = json!(matcher);
                }
                (event, entry)
            };
            vec![gemini("BeforeTool", Some(".*")), gemini("AfterTool", Some(".*")), gemini("BeforeAgent", None)]
        }
    }
}

/// Adds guardrail's hooks to `settings`, keeping everything else, and
/// replacing entries an earlier install wrote. Returns whether it changed.
fn merge(agent: AgentName, settings: &mut Value, command: &str, timeout: u64) -> Result<bool, String> {
    if !settings.is_object() {
        return Err("the settings file does not hold a JSON object".to_owned());
    }
    let before = settings.clone();
    if agent == AgentName::Cursor && settings.get("version").is_none() {
        settings["version"] = json!(1);
    }
    let hooks = settings.as_object_mut().expect("checked above").entry("hooks").or_insert_with(|| json!({}));
    let hooks = hooks.as_object_mut().ok_or("\"hooks\" in the settings file is not an object")?;
    for (event, entry) in entries(agent, command, timeout) {
        let list = hooks.entry(event).or_insert_with(|| json!([]));
        let list =
            list.as_array_mut().ok_or_else(|| format!("\"hooks.{event}\" in the settings file is not a list"))?;
        // Earlier installs are recognised by their command: `... hook AGENT`.
        let ours = format!("hook {}", agent_id(agent));
        list.retain(|existing| !existing.to_string().contains(&ours));
        list.push(entry);
    }
    Ok(*settings != before)
}

/// The binary hooks call: an installed `guardrail` rather than one in a
/// build directory, which the next `cargo build` or `cargo clean` changes
/// or removes under the agent.
pub(crate) fn hook_binary() -> Result<(PathBuf, Option<String>), Failure> {
    let exe = std::env::current_exe().map_err(Failure::io("finding the guardrail binary"))?;
    let built = |path: &Path| path.components().any(|part| part.as_os_str() == "target");
    if !built(&exe) {
        return Ok((exe, None));
    }
    let installed = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).map(|dir| dir.join("guardrail")).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|candidate| candidate.is_file() && !built(candidate));
    Ok(match installed {
        Some(installed) => (installed, None),
        None => (
            exe.clone(),
            Some(format!(
                "guardrail: warning: {} is a build directory's binary, which the next build changes or removes; \
                 install guardrail (`cargo install --locked --path crates/guardrail-cli`) and install the hook again\n",
                exe.display()
            )),
        ),
    })
}

/// The hook's command line: the binary, the agent, and the settings given
/// to `install` (not those the configuration file gives: the hook reads
/// that file itself, so a change to it reaches every hook).
fn hook_command(exe: &Path, agent: AgentName, args: &HookArgs) -> Result<String, Failure> {
    use guardrail_shell::quote;
    let absolute = |path: &Path| std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let given = |name: &str| !crate::config::from_file(name);
    let mut command = format!("{} hook {}", quote(&exe.to_string_lossy()), agent_id(agent));
    if let Some(policy) = args.policy.as_deref().filter(|_| given("GUARDRAIL_POLICY")) {
        command.push_str(&format!(" --policy {}", quote(&absolute(policy).to_string_lossy())));
    }
    if let Some(dir) = args.store.data_dir.as_deref().filter(|_| given("GUARDRAIL_DATA_DIR")) {
        command.push_str(&format!(" --data-dir {}", quote(&absolute(dir).to_string_lossy())));
    }
    if let Some(store) = args.store.store.as_deref().filter(|_| given("GUARDRAIL_STORE")) {
        if guardrail_core::secret::redact(store, &[]) != store {
            return Err(Failure::Usage(
                "--store holds a password, which an agent's settings file would keep in clear: name the store in \
                 the configuration file (~/.config/guardrail/config.toml, readable only by you) instead"
                    .into(),
            ));
        }
        command.push_str(&format!(" --store {}", quote(store)));
    }
    if args.hold > 0 && given("GUARDRAIL_HOOK_HOLD_SECS") {
        command.push_str(&format!(" --hold {}", args.hold));
    }
    if let Some(node) = args.store.node.as_deref().filter(|_| given("GUARDRAIL_NODE")) {
        command.push_str(&format!(" --node {}", quote(node)));
    }
    if !args.store.anchors.is_empty() && given("GUARDRAIL_ANCHORS") {
        if args.store.anchors.iter().any(|anchor| guardrail_core::secret::redact(anchor, &[]) != anchor.as_str()) {
            return Err(Failure::Usage(
                "--anchor holds a password, which an agent's settings file would keep in clear: name the anchors in \
                 the configuration file (~/.config/guardrail/config.toml, readable only by you) instead"
                    .into(),
            ));
        }
        command.push_str(&format!(" --anchor {}", quote(&args.store.anchors.join(","))));
    }
    if args.deadline != DEFAULT_DEADLINE_MS {
        command.push_str(&format!(" --deadline {}", args.deadline));
    }
    Ok(command)
}

/// `hook uninstall AGENT`: removes Guardrail's hooks from the settings,
/// keeping everything else.
fn uninstall(args: &HookArgs) -> Result<i32, Failure> {
    let agent =
        args.install_for.ok_or_else(|| Failure::Usage("name the agent: guardrail hook uninstall AGENT".into()))?;
    let path = settings_path(agent, args.project.as_deref()).map_err(Failure::Usage)?;
    let mut settings: Value = match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().is_empty() => {
            return crate::print(&format!("guardrail: {} is empty\n", path.display()));
        }
        Ok(text) => serde_json::from_str(&text)
            .map_err(|error| Failure::Usage(format!("{}: not valid JSON: {error}", path.display())))?,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return crate::print(&format!("guardrail: {} does not exist: no hook to remove\n", path.display()));
        }
        Err(error) => return Err(Failure::Io(format!("{}: {error}", path.display()))),
    };
    let ours = format!("hook {}", agent_id(agent));
    let mut removed = 0;
    if let Some(hooks) = settings.get_mut("hooks").and_then(Value::as_object_mut) {
        for list in hooks.values_mut().filter_map(Value::as_array_mut) {
            let before = list.len();
            list.retain(|existing| !existing.to_string().contains(&ours));
            removed += before - list.len();
        }
        hooks.retain(|_, list| list.as_array().is_none_or(|list| !list.is_empty()));
    }
    let text = serde_json::to_string_pretty(&settings).expect("JSON values serialize") + "\n";
    if args.dry_run {
        return crate::print(&text);
    }
    write_settings(&path, &text)?;
    crate::print(&format!(
        "guardrail: removed {removed} hook entries for {} from {}\n",
        agent_id(agent),
        path.display()
    ))
}

/// Writes beside the settings file and renames, so an agent never reads
/// half a file.
pub(crate) fn write_settings(path: &Path, text: &str) -> Result<(), Failure> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|error| Failure::Io(format!("{}: {error}", parent.display())))?;
    }
    let temporary = path.with_extension("json.guardrail-tmp");
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|error| Failure::Io(format!("{}: {error}", path.display())))
}

fn install(args: &HookArgs) -> Result<i32, Failure> {
    let agent =
        args.install_for.ok_or_else(|| Failure::Usage("name the agent: guardrail hook install AGENT".into()))?;
    let (exe, warning) = hook_binary()?;
    if let Some(warning) = &warning {
        eprint!("{warning}");
    }
    let command = hook_command(&exe, agent, args)?;
    let path = settings_path(agent, args.project.as_deref()).map_err(Failure::Usage)?;
    let mut settings: Value = match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().is_empty() => json!({}),
        Ok(text) => serde_json::from_str(&text)
            .map_err(|error| Failure::Usage(format!("{}: not valid JSON: {error}", path.display())))?,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => json!({}),
        Err(error) => return Err(Failure::Io(format!("{}: {error}", path.display()))),
    };
    merge(agent, &mut settings, &command, INSTALLED_TIMEOUT_SECS + args.hold)
        .map_err(|message| Failure::Usage(format!("{}: {message}", path.display())))?;
    let text = serde_json::to_string_pretty(&settings).expect("JSON values serialize") + "\n";
    if args.dry_run {
        return crate::print(&text);
    }
    write_settings(&path, &text)?;
    let mut message = format!("guardrail: {} now calls `{command}` ({})\n", agent_id(agent), path.display());
    if agent == AgentName::Codex {
        message
            .push_str("guardrail: Codex runs new hooks only once trusted: open /hooks in Codex and trust this one\n");
    }
    crate::print(&message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_keeps_other_settings_and_is_idempotent() {
        for agent in [AgentName::ClaudeCode, AgentName::Codex, AgentName::Cursor, AgentName::Gemini] {
            let mut settings = json!({"theme": "dark", "hooks": {"PreToolUse": [{"matcher": "Edit", "hooks": [{"type": "command", "command": "other"}]}]}});
            assert!(merge(agent, &mut settings, "/bin/guardrail hook x", 30).unwrap());
            let once = settings.clone();
            let command = format!("/bin/guardrail hook {}", agent_id(agent));
            merge(agent, &mut settings, &command, 30).unwrap();
            let twice = settings.clone();
            merge(agent, &mut settings, &command, 30).unwrap();
            assert_eq!(settings, twice, "{agent:?}: a second install changes nothing");
            assert_eq!(settings["theme"], "dark");
            assert_eq!(settings["hooks"]["PreToolUse"][0]["matcher"], "Edit", "{agent:?}: other hooks kept");
            assert!(once.to_string().contains("guardrail"));
            let text = settings.to_string();
            assert_eq!(
                text.matches(&command).count(),
                entries(agent, &command, 30).len(),
                "{agent:?}: one entry per event"
            );
        }
    }

    #[test]
    fn a_hold_raises_every_entrys_timeout_by_as_much() {
        for agent in [AgentName::ClaudeCode, AgentName::Codex, AgentName::Cursor, AgentName::Gemini] {
            let written = entries(agent, "/bin/guardrail hook x --hold 45", INSTALLED_TIMEOUT_SECS + 45);
            for (event, entry) in written {
                let text = entry.to_string();
                // Gemini CLI counts milliseconds; the others seconds.
                let expected = if agent == AgentName::Gemini { "\"timeout\":75000" } else { "\"timeout\":75" };
                assert!(text.contains(expected), "{agent:?} {event}: {text}");
            }
        }
    }
}
