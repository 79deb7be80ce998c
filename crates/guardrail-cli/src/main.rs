//! The `guardrail` command: glue between the command line and the gate.
//!
//! Every subcommand that judges an action builds its gate with [`gate`],
//! the one place the analyzers are wired to the policy, so no command
//! judges differently from another.

mod cli;
mod commands;
mod config;
mod load;
mod render;
mod request;
mod store;

use std::io::Write;
use std::path::Path;

use clap::Parser;
use guardrail_core::policy::PolicyError;
use guardrail_core::{Guard, Policy};

use crate::cli::{Cli, Command, exit};
use crate::load::LoadError;

fn main() {
    std::process::exit(run());
}

fn run() -> i32 {
    if let Err(error) = config::apply() {
        eprintln!("guardrail: {error}");
        return exit::ERROR;
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() { exit::ERROR } else { exit::ALLOW };
        }
    };
    let result = match cli.command {
        Command::Check(args) => commands::check::run(args),
        Command::Policy(command) => commands::policy::run(command),
        Command::Record(command) => commands::record::run(command),
        Command::Audit(command) => commands::audit::run(command),
        Command::Approvals(command) => commands::approvals::run(command),
        Command::Hook(args) => commands::hook::run(args),
        Command::Exec(args) => commands::exec::run(args),
        Command::Doctor(args) => commands::doctor::run(args),
        Command::Proxy(args) => commands::proxy::run(args),
        Command::Serve(args) => commands::serve::run(args),
        Command::Mcp(args) => commands::mcp::run(args),
    };
    match result {
        Ok(status) => status,
        Err(Failure::Quiet) => exit::ERROR,
        Err(failure) => {
            eprintln!("{failure}");
            exit::ERROR
        }
    }
}

/// The gate every command judges with: the wired guard of
/// `guardrail-gate`, protecting this process's own places (`data_dir`, the
/// default data directory, the policy at `policy_path`, this binary).
pub fn gate(policy: Policy, data_dir: Option<&Path>, policy_path: Option<&Path>) -> Guard {
    guardrail_gate::guard(policy, &guardrail_gate::OwnPlaces::of_this_process(data_dir, policy_path))
}

/// Why a command could not do its job. Printed as `guardrail: ...`, exit 2.
pub enum Failure {
    Usage(String),
    Io(String),
    Policy(PolicyError),
    /// Standard output went away (a closed pipe); nothing more to say.
    Quiet,
}

impl Failure {
    /// Wraps an I/O error about `what`.
    pub fn io(what: &'static str) -> impl Fn(std::io::Error) -> Failure {
        move |error| match error.kind() {
            std::io::ErrorKind::BrokenPipe => Failure::Quiet,
            _ => Failure::Io(format!("{what}: {error}")),
        }
    }
}

impl From<LoadError> for Failure {
    fn from(error: LoadError) -> Failure {
        match error {
            LoadError::Io(message) => Failure::Io(message),
            LoadError::Invalid(error) => Failure::Policy(error),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Usage(message) | Failure::Io(message) => write!(f, "guardrail: {message}"),
            Failure::Policy(error) => {
                for (index, diagnostic) in error.diagnostics.iter().enumerate() {
                    if index > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "guardrail: {diagnostic}")?;
                }
                Ok(())
            }
            Failure::Quiet => Ok(()),
        }
    }
}

/// Writes to standard output; a closed pipe ends the command quietly.
pub fn print(text: &str) -> Result<i32, Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(Failure::io("standard output"))?;
    Ok(exit::ALLOW)
}
