//! Running the `guardrail` binary from tests.

use std::io::Write;
use std::process::{Command, Stdio};

/// What a run of the binary did.
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}\n--- stdout\n{}--- stderr\n{}", self.status, self.stdout, self.stderr)
    }
}

/// The binary, to be given arguments, environment and directory.
pub fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_guardrail"));
    // No configuration file of whoever runs the tests (an empty one).
    command.env("GUARDRAIL_CONFIG", "/dev/null").env_remove("GUARDRAIL_POLICY").env_remove("GUARDRAIL_ACTOR");
    command
}

/// The binary with its data directory in `dir`, node `test-node`, and no
/// store or hook settings from the environment of whoever runs the tests.
#[allow(dead_code, reason = "not every test file records")]
pub fn in_data_dir(dir: &std::path::Path) -> Command {
    let mut command = command();
    command
        .env("GUARDRAIL_DATA_DIR", dir)
        .env("GUARDRAIL_NODE", "test-node")
        .env_remove("GUARDRAIL_STORE")
        .env_remove("GUARDRAIL_ANCHORS")
        .env_remove("GUARDRAIL_HOOK_DEADLINE_MS")
        .env_remove("GUARDRAIL_HOOK_MEMORY_MIB");
    command
}

/// Runs `command` with `stdin` as its input, to completion.
pub fn run(mut command: Command, stdin: &[u8]) -> Run {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting guardrail");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let output = child.wait_with_output().unwrap();
    Run {
        status: output.status.code().expect("guardrail was killed by a signal"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// `guardrail ARGS` run at a terminal (a pseudo-terminal made by
/// util-linux's `script`), where a person types `typed`: how a decision
/// is made from the command line. What it printed, both streams, is
/// `stdout`.
#[allow(dead_code)] // not every test binary decides at a terminal
pub fn at_terminal(dir: &std::path::Path, args: &[&str], typed: &str) -> Run {
    let quote = |arg: &str| format!("'{}'", arg.replace('\'', "'\\''"));
    let line = std::iter::once(env!("CARGO_BIN_EXE_guardrail"))
        .chain(args.iter().copied())
        .map(quote)
        .collect::<Vec<_>>()
        .join(" ");
    let command = in_data_dir(dir);
    let mut script = std::process::Command::new("script");
    script.args(["-qec", &line, "/dev/null"]);
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => script.env(key, value),
            None => script.env_remove(key),
        };
    }
    run(script, format!("{typed}\n").as_bytes())
}

/// Decides `id` at a terminal, confirming it as a person does.
#[allow(dead_code)]
pub fn decide(dir: &std::path::Path, verb: &str, id: &str, reason: Option<&str>) -> Run {
    let mut args = vec!["approvals", verb, id];
    if let Some(reason) = reason {
        args.extend(["--reason", reason]);
    }
    let tail: String = id.chars().skip(id.len() - 4).collect();
    at_terminal(dir, &args, &tail)
}
