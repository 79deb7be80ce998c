//! The command line, defined once: `--help`, the parser and `docs/cli.md`
//! all come from these types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Exit statuses. `check` exits with its verdict's status
/// ([`guardrail_core::Verdict::exit_code`]); the rest are here.
pub mod exit {
    use guardrail_core::Verdict;

    /// The action is allowed; or a command other than `check` succeeded.
    pub const ALLOW: i32 = Verdict::Allow.exit_code();
    /// `policy validate` or `policy test` found problems (and `check` denied).
    pub const DENY: i32 = Verdict::Deny.exit_code();
    /// Bad usage, an unreadable file, an invalid policy, or an internal error.
    pub const ERROR: i32 = 2;
}

const EXIT_STATUS: &str = "\
Exit status:
  0  allowed (for `check`), or success
  1  denied; or `policy validate` / `policy test` found problems
  2  error: bad usage, unreadable input, invalid policy, internal error
  3  needs a justification (`check` only)
  4  needs a person's approval (`check` only)";

const CHECK_AFTER: &str = "\
JSON lines (--jsonl):
  Each input line is one request object:
    {\"kind\":\"sql\",\"text\":\"DELETE FROM users\",\"justification\":\"...\",\"actor\":\"...\",\"cwd\":\"...\"}
  `text` is required; `kind` defaults to \"sql\". Optional: justification, actor,
  actor_kind (\"agent\" or \"human\"), roles (a list), target, environment, channel,
  cwd, session. Unknown fields are an error, so that typos are not ignored.

  Each output line answers the input line of the same number:
    {\"decision\":\"deny\",\"rule\":\"unbounded-write\",\"reason\":\"...\",
     \"obligations\":[...],\"justified\":true,\"intents\":[...],\"policy_version\":\"...\"}
  `decision` is allow, deny, require_justification or require_approval; `obligations`
  and `justified` appear only when there are any. Each intent has id, object (kind
  and name, when known), scope, span (byte offsets start and end in the text),
  evidence (the text of the span, cut at 200 characters), note (when the analyzer
  says why), and the verdict, rule and reason it got. `--json` prints the same
  object for a single action.

  A line that cannot be read as a request gets
    {\"decision\":\"error\",\"message\":\"line 3: ...\"}
  and the stream goes on. The command exits 0 once every line is answered.

Exit status:
  0  allowed
  1  denied
  2  error: bad usage, unreadable input, invalid policy, internal error
  3  needs a justification
  4  needs a person's approval";

/// Guardrail: a real-time policy gate for actions on production systems.
#[derive(Debug, Parser)]
#[command(name = "guardrail", version, about, after_long_help = EXIT_STATUS, term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decide whether an action may run, without running it.
    ///
    /// Analyzes the action's text with the real grammar, judges every
    /// intent found with the policy, and prints the most restrictive
    /// verdict. Nothing is executed and nothing is recorded.
    #[command(after_long_help = CHECK_AFTER)]
    Check(CheckArgs),
    /// Show, validate and test policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The action's text; `-` reads it from standard input.
    #[arg(value_name = "TEXT", required_unless_present = "jsonl", conflicts_with = "jsonl")]
    pub text: Option<String>,

    /// The language of the text.
    #[arg(long, value_enum, default_value_t = Kind::Sql)]
    pub kind: Kind,

    /// Why the action is needed. Satisfies require_justification, and
    /// nothing stronger.
    #[arg(long, value_name = "TEXT")]
    pub justification: Option<String>,

    /// Who is acting. Unnamed actors are judged as the agent "anonymous".
    #[arg(long, value_name = "ID")]
    pub actor: Option<String>,

    /// Whether the actor is an AI agent or a person.
    #[arg(long, value_enum, default_value_t = ActorKindArg::Agent)]
    pub actor_kind: ActorKindArg,

    /// A role the actor holds; repeat for several.
    #[arg(long = "role", value_name = "ROLE")]
    pub roles: Vec<String>,

    /// The system acted on: a database name, a host.
    #[arg(long, value_name = "NAME", default_value = guardrail_core::Action::DEFAULT_TARGET)]
    pub target: String,

    /// The target's environment, as policies see it.
    #[arg(long, value_name = "NAME", default_value = guardrail_core::ActionContext::DEFAULT_ENVIRONMENT)]
    pub environment: String,

    /// The working directory a shell command runs in.
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<String>,

    /// Judge with the Cedar policies in this file, or in the .cedar files
    /// of this directory, instead of the built-in default policy.
    #[arg(long, value_name = "PATH")]
    pub policy: Option<PathBuf>,

    /// Also list every intent found, the rule that judged it, and the text
    /// it came from.
    #[arg(long)]
    pub explain: bool,

    /// Print the decision as one JSON object.
    #[arg(long, conflicts_with = "jsonl")]
    pub json: bool,

    /// Read one JSON request per line from standard input and write one
    /// JSON answer per line, in order (format below). Exits 0 once every
    /// line is answered, whatever the verdicts.
    #[arg(long)]
    pub jsonl: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Sql,
    Shell,
}

impl From<Kind> for guardrail_core::ActionKind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Sql => guardrail_core::ActionKind::Sql,
            Kind::Shell => guardrail_core::ActionKind::Shell,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ActorKindArg {
    Agent,
    Human,
}

impl From<ActorKindArg> for guardrail_core::ActorKind {
    fn from(kind: ActorKindArg) -> Self {
        match kind {
            ActorKindArg::Agent => guardrail_core::ActorKind::Agent,
            ActorKindArg::Human => guardrail_core::ActorKind::Human,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Print the built-in default policy, to copy and adapt.
    ShowDefault,
    /// Print the Cedar schema policies are validated against.
    Schema,
    /// Check a policy against the schema and Guardrail's annotations.
    ///
    /// Without PATH, checks the built-in default policy. Exits 0 when the
    /// policy is valid and 1 when it is not, listing every problem.
    Validate {
        /// A .cedar file, or a directory of them.
        #[arg(value_name = "PATH")]
        path: Option<PathBuf>,
    },
    /// Run policy test cases: requests with the verdicts they must get.
    ///
    /// CASES holds one JSON object per line (blank lines and lines starting
    /// with # are skipped): the request fields of `check --jsonl`, plus
    /// `expect` (the verdict), and optionally `rule` (the deciding rule's
    /// id), `intents` (the intent ids found) and `name`. Exits 0 when every
    /// case passes and 1 when any fails.
    Test {
        /// The cases file.
        #[arg(value_name = "CASES")]
        cases: PathBuf,
        /// Test these policies instead of the built-in default.
        #[arg(long, value_name = "PATH")]
        policy: Option<PathBuf>,
    },
}
