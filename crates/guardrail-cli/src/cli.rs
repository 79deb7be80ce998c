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
     \"obligations\":[...],\"justified\":true,\"intents\":[...],\"policy_version\":\"...\",
     \"digest\":\"...\"}
  `decision` is allow, deny, require_justification or require_approval; `obligations`
  and `justified` appear only when there are any. Each intent has id, object (kind
  and name, when known), scope, span (byte offsets start and end in the text),
  evidence (the text of the span, cut at 200 characters), note (when the analyzer
  says why), and the verdict, rule and reason it got. `digest` is the action's
  canonical SHA-256 (kind, target, actor and roles, environment, working directory,
  exact text), which approvals of this exact action bind to. `--json` prints the
  same object for a single action.

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
    /// verdict. Nothing is executed. Nothing is recorded either, unless
    /// --record is given: then the decision is durable in the activity
    /// record before the verdict is printed.
    #[command(after_long_help = CHECK_AFTER)]
    Check(CheckArgs),
    /// Show, validate and test policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Record a prompt, a response or a tool's output, read from standard input.
    ///
    /// The content is masked (passwords, tokens, keys) and appended to the
    /// activity record; content over 4 KiB is stored once, by its SHA-256.
    #[command(subcommand)]
    Record(RecordCommand),
    /// Read, verify and export the activity record.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// List, show, approve and deny the actions held for a person's approval.
    ///
    /// An action the policy holds for approval (`require_approval`) opens a
    /// request bound to its exact text, actor, target and the policy
    /// version. Once approved, the identical action sent again runs, once.
    /// The requester, and the person an agent acts for, cannot decide on
    /// their own request; you decide as the operating-system user running
    /// this command.
    #[command(subcommand)]
    Approvals(ApprovalsCommand),
    /// Answer an AI coding agent's hook: check its shell commands first.
    ///
    /// Reads the agent's hook JSON on standard input, checks the shell
    /// command it is about to run, records the decision, and answers in the
    /// agent's own protocol (allow, deny with the reason, or ask the user).
    /// Post-tool events record the command's output; prompt events record
    /// the prompt. Any internal error blocks the command (exit status 2 with
    /// the error on standard error), since every agent lets a hook's other
    /// failures through.
    #[command(after_long_help = HOOK_AFTER)]
    Hook(HookArgs),
    /// Check a command, record it, run it, and record how it ended.
    ///
    /// `guardrail exec -- CMD ARGS...` runs a program with its arguments;
    /// `guardrail exec -c 'LINE'` runs a shell line with bash. The command
    /// runs only if the policy allows it, and only once the decision is
    /// durable in the activity record; its exit status, duration and a
    /// SHA-256 of its standard output are recorded when it ends.
    #[command(after_long_help = EXEC_AFTER)]
    Exec(ExecArgs),
    /// Check that every installed agent hook reaches a working gate: the
    /// configuration, policy, record, key and anchors it uses, and each
    /// hook run on a harmless command. Exits 1 if any would fail.
    #[command(after_long_help = DOCTOR_AFTER)]
    Doctor(DoctorArgs),
    /// Run the PostgreSQL proxy: clients connect to it instead of the
    /// database, log in as one of its identities, and every statement is
    /// judged and recorded before it reaches the server. The proxy alone
    /// holds the database's credential.
    #[command(after_long_help = PROXY_AFTER, args_conflicts_with_subcommands = true)]
    Proxy(ProxyArgs),
    /// Run the daemon: the HTTP API through which people see and decide on
    /// held actions (`/v1/approvals`), authenticated by bearer tokens, and
    /// the socket that answers agents' hooks while it runs.
    #[command(after_long_help = SERVE_AFTER, args_conflicts_with_subcommands = true)]
    Serve(ServeArgs),
    /// Run an MCP server behind the gate, over stdio (`guardrail mcp --
    /// COMMAND ARGS...` starts the server and sits between it and the
    /// agent) or Streamable HTTP (`--listen ADDR --upstream URL`); every
    /// tool call is judged by what its arguments would do and recorded
    /// before the server sees it, and results are masked.
    #[command(after_long_help = MCP_AFTER, args_conflicts_with_subcommands = true)]
    Mcp(McpArgs),
}

#[derive(Debug, Subcommand)]
pub enum McpCommand {
    /// Rewrite an agent's MCP servers so that each stdio server is started
    /// through `guardrail mcp` (idempotent; HTTP servers are reported).
    Install(McpInstallArgs),
    /// Start the agent's MCP servers directly again.
    Uninstall(McpInstallArgs),
}

#[derive(Debug, Args)]
pub struct McpInstallArgs {
    /// The agent whose MCP servers to rewrite.
    #[arg(value_enum, value_name = "AGENT")]
    pub agent: AgentName,
    /// Rewrite the project's MCP configuration in DIR instead of the user's.
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Print the configuration that would be written, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

const MCP_AFTER: &str = "\
In an agent's MCP configuration, put `guardrail mcp --name NAME --` before
the server's command:
  {\"command\": \"guardrail\", \"args\": [\"mcp\", \"--name\", \"files\", \"--\",
      \"npx\", \"-y\", \"@modelcontextprotocol/server-filesystem\", \"/srv/data\"]}

Or let `guardrail mcp install claude-code` (cursor, gemini, codex) rewrite them.

Over Streamable HTTP, in front of an HTTP server, for callers with a token of
`guardrail serve`'s configuration (`guardrail serve token add NAME --kind agent`):
  guardrail mcp --listen 127.0.0.1:8421 --upstream https://mcp.example.com/mcp \\
      --upstream-token-env EXAMPLE_TOKEN
The agent's server is then http://127.0.0.1:8421/mcp with its bearer token.
`guardrail serve` fronts the [[mcp]] servers of its configuration at /mcp/NAME.

A refused or held call is answered with a tool result marked isError that
says the rule, the reason and how to go on (a justification argument, or an
approval request to have a person approve; a held call waits up to --hold
seconds for one, with progress; the identical call then runs once).
Messages pass through unchanged otherwise.";

#[derive(Debug, Args)]
pub struct McpArgs {
    #[command(subcommand)]
    pub action: Option<McpCommand>,

    /// The server's name in the record (tools are recorded as
    /// mcp__NAME__TOOL). Default: the command's file name.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Who calls the tools. Default: $GUARDRAIL_ACTOR, else `mcp-agent`.
    #[arg(long, value_name = "ID", env = "GUARDRAIL_ACTOR")]
    pub actor: Option<String>,

    /// Whether the caller is an AI agent or a person.
    #[arg(long, value_enum, default_value_t = ActorKindArg::Agent)]
    pub actor_kind: ActorKindArg,

    /// Judge with the Cedar policies in this file or directory instead of
    /// the built-in default policy.
    #[arg(long, value_name = "PATH", env = "GUARDRAIL_POLICY")]
    pub policy: Option<PathBuf>,

    /// How long a call held for a person's approval waits for one (the
    /// client sees progress if it asked for it) before the proxy answers
    /// with the request's id; 0 answers at once.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub hold: u64,

    /// What an argument is, besides what its name and the tool's schema
    /// say: TOOL.ARGUMENT=KIND, KIND one of sql, shell, code, python,
    /// javascript, ruby, path, read, write, url (repeat for several).
    #[arg(long = "reading", value_name = "TOOL.ARG=KIND")]
    pub readings: Vec<String>,

    /// Serve the Streamable HTTP transport on this address instead of
    /// stdio, in front of the HTTP MCP server at --upstream; callers need a
    /// token of `guardrail serve`'s configuration.
    #[arg(long, value_name = "ADDR", requires = "upstream")]
    pub listen: Option<std::net::SocketAddr>,

    /// The HTTP MCP server fronted with --listen (its MCP endpoint's URL).
    #[arg(long, value_name = "URL", requires = "listen")]
    pub upstream: Option<String>,

    /// The environment variable holding the bearer token the proxy
    /// presents to the upstream server (clients never see it).
    #[arg(long, value_name = "VAR", requires = "upstream")]
    pub upstream_token_env: Option<String>,

    /// `guardrail serve`'s configuration, whose tokens callers of --listen
    /// present. Default: serve.toml in the data directory.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The MCP server's command and its arguments.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,

    #[command(flatten)]
    pub store: StoreArgs,
}

const SERVE_AFTER: &str = "\
Quick start:
  guardrail serve token add bob --kind human --role dba     # prints bob's token, once
  guardrail serve                                           # 127.0.0.1:8420
  curl -H \"Authorization: Bearer $TOKEN\" 127.0.0.1:8420/v1/approvals?state=pending
  curl -X POST -H \"Authorization: Bearer $TOKEN\" -d '{\"reason\":\"INC-42\"}' \\
      -H 'Content-Type: application/json' 127.0.0.1:8420/v1/approvals/apr-.../approve

The configuration (TOML, default serve.toml in the data directory) holds
listen and [[tokens]] (name, kind, roles, sha256): only a token's SHA-256 is
kept. While it runs, `guardrail hook` hands agents' events to its socket
(hooks.sock in the data directory) when both judge with the same policy,
store and node; otherwise, or when it is not running, a hook judges itself.
A caller decides as its token's identity: a person, not the requester
nor whom an agent acts for, with the role the rule asks for. Errors are JSON:
{\"error\": {\"code\": ..., \"message\": ...}}.";

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(subcommand)]
    pub command: Option<ServeCommand>,

    /// The daemon's configuration file (TOML). Default: serve.toml in the data directory.
    #[arg(long, value_name = "FILE", env = "GUARDRAIL_SERVE_CONFIG")]
    pub config: Option<PathBuf>,

    /// Where the API listens. Default: the configuration's, else 127.0.0.1:8420.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,

    /// Judge agents' hooks with the Cedar policies in this file or
    /// directory instead of the built-in default policy (the hooks must be
    /// given the same, or they judge themselves).
    #[arg(long, value_name = "PATH", env = "GUARDRAIL_POLICY")]
    pub policy: Option<PathBuf>,

    /// Shadow mode: evaluate the Cedar policies in this file or directory
    /// beside the enforced policy on every decision the daemon makes, and
    /// record what they would have decided, without enforcing it.
    #[arg(long, value_name = "PATH")]
    pub shadow_policy: Option<PathBuf>,

    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum ServeCommand {
    /// Manage the API's tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage the people who log in to the console.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a person who logs in to the console; the password (at least 12
    /// characters) is read from standard input, and only its argon2id
    /// verifier is stored. A running daemon sees the change at once.
    Add {
        #[arg(value_name = "NAME")]
        name: String,
        /// A role the person holds (an approver role); repeat for several.
        #[arg(long = "role", value_name = "ROLE")]
        roles: Vec<String>,
        #[arg(long, value_name = "FILE", env = "GUARDRAIL_SERVE_CONFIG")]
        config: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Remove a person; their console sessions end at their next request.
    Remove {
        #[arg(value_name = "NAME")]
        name: String,
        #[arg(long, value_name = "FILE", env = "GUARDRAIL_SERVE_CONFIG")]
        config: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Mint a token for an identity; it is printed once, and only its
    /// SHA-256 is stored. A running daemon sees the change at once.
    Add {
        #[arg(value_name = "NAME")]
        name: String,
        /// Whether the identity is a person or an agent.
        #[arg(long, value_enum)]
        kind: ActorKindArg,
        /// A role the identity holds (an approver role); repeat for several.
        #[arg(long = "role", value_name = "ROLE")]
        roles: Vec<String>,
        #[arg(long, value_name = "FILE", env = "GUARDRAIL_SERVE_CONFIG")]
        config: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke an identity's token; a running daemon refuses it from the
    /// next request on.
    Revoke {
        #[arg(value_name = "NAME")]
        name: String,
        #[arg(long, value_name = "FILE", env = "GUARDRAIL_SERVE_CONFIG")]
        config: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

const PROXY_AFTER: &str = "\
Quick start:
  echo \"$AGENT_PASSWORD\" | guardrail proxy identity add claude --kind agent --config proxy.toml
  GUARDRAIL_UPSTREAM_PASSWORD=... guardrail proxy --config proxy.toml \\
      --upstream postgres://guardrail@127.0.0.1:5432/app --listen 127.0.0.1:6432
  psql postgres://claude@127.0.0.1:6432/app

The configuration file (TOML) may name listen, upstream, environment, [tls]
certificate and key (PEM), [[identities]] (name, kind, roles, on_behalf_of,
verifier), [masking] columns, max_message_bytes and decision_deadline_ms. Flags
win over it. The upstream's password is best given in GUARDRAIL_UPSTREAM_PASSWORD;
it is masked wherever the proxy prints or records the URL.

Refused statements get SQLSTATE 42501 with the rule, the reason and a hint; the
connection stays usable, and inside a transaction block the refusal aborts the
block as any PostgreSQL error does.";

#[derive(Debug, Args)]
pub struct ProxyArgs {
    #[command(subcommand)]
    pub command: Option<ProxyCommand>,

    /// The proxy's configuration file (TOML).
    #[arg(long, value_name = "FILE", env = "GUARDRAIL_PROXY_CONFIG")]
    pub config: Option<PathBuf>,

    /// Where clients connect. Default: the configuration's, else 127.0.0.1:6432.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,

    /// The PostgreSQL server, as a libpq URL whose user is the proxy's own
    /// (sslmode disable, prefer or require). Default: the configuration's.
    #[arg(long, value_name = "URL", env = "GUARDRAIL_UPSTREAM", hide_env_values = true)]
    pub upstream: Option<String>,

    /// Certificates (PEM) the upstream server's must chain to; without it,
    /// sslmode=require encrypts without authenticating the server.
    #[arg(long, value_name = "FILE")]
    pub upstream_ca: Option<PathBuf>,

    /// Judge with the Cedar policies in this file or directory instead of
    /// the built-in default policy.
    #[arg(long, value_name = "PATH", env = "GUARDRAIL_POLICY")]
    pub policy: Option<PathBuf>,

    /// Threads that analyze long statements (short ones are decided on
    /// the I/O thread that read them).
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub decision_threads: usize,

    /// Threads that serve connections. One serves thousands of
    /// connections; on a machine the database shares, more cost more in
    /// wake-ups than they give.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub io_threads: usize,

    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum ProxyCommand {
    /// Manage who may log in to the proxy.
    #[command(subcommand)]
    Identity(IdentityCommand),
}

#[derive(Debug, Subcommand)]
pub enum IdentityCommand {
    /// Add an identity to the configuration file. Its password is read
    /// from standard input (one line); only its SCRAM-SHA-256 verifier is
    /// stored.
    Add(IdentityAddArgs),
}

#[derive(Debug, Args)]
pub struct IdentityAddArgs {
    /// The name clients log in with (the PostgreSQL user name).
    #[arg(value_name = "NAME")]
    pub name: String,

    /// Whether the identity is an agent or a person.
    #[arg(long, value_enum)]
    pub kind: ActorKindArg,

    /// A role the policy knows the identity by; repeat for several.
    #[arg(long = "role", value_name = "ROLE")]
    pub roles: Vec<String>,

    /// The person an agent acts for.
    #[arg(long, value_name = "WHO")]
    pub on_behalf_of: Option<String>,

    /// The proxy's configuration file, created if absent.
    #[arg(long, value_name = "FILE", env = "GUARDRAIL_PROXY_CONFIG")]
    pub config: PathBuf,
}

const DOCTOR_AFTER: &str = "\
The configuration is the first of: $GUARDRAIL_CONFIG, /etc/guardrail/config.toml,
~/.config/guardrail/config.toml. It may name policy, store, data_dir, node,
anchors and actor:

  policy = \"/etc/guardrail/policies\"
  data_dir = \"/var/lib/guardrail\"
  anchors = [\"nats://127.0.0.1:4222/GUARDRAIL_CHECKPOINTS\"]

Hooks are looked for in the user's settings and the current directory's.";

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The policy to check (default: the configuration's, or the built-in one).
    #[arg(long, value_name = "PATH", env = "GUARDRAIL_POLICY")]
    pub policy: Option<PathBuf>,

    #[command(flatten)]
    pub store: StoreArgs,
}

const HOOK_AFTER: &str = "\
Agents:
  claude-code  Claude Code: PreToolUse and PostToolUse on Bash, UserPromptSubmit
  codex        OpenAI Codex CLI: PreToolUse and PostToolUse on Bash
  cursor       Cursor: beforeShellExecution, afterShellExecution, beforeSubmitPrompt
  gemini       Gemini CLI: BeforeTool and AfterTool on run_shell_command, BeforeAgent

Verdicts in each protocol:
  allow                 let the command run
  deny                  block it, with the reason for the agent
  require_approval      deny, naming the approval request (with --hold, wait for
                        the approval first); once approved, the identical call
                        runs once
  require_justification ask the user (Claude Code, Cursor); deny with the reason
                        where the agent cannot ask (Codex, Gemini CLI)

`guardrail hook install AGENT` adds these hooks to the agent's user settings
(--project DIR: that project's settings instead), keeping every other setting.

Exit status:
  0  answered (the answer is on standard output)
  2  internal error: the command is blocked, the error is on standard error";

const EXEC_AFTER: &str = "\
Exit status:
  the command's own, when it ran (128+N when killed by signal N)
  125  guardrail could not check, record or start the command
  126  the policy did not allow the command; the reason is on standard error
  127  the program was not found";

#[derive(Debug, Args)]
pub struct HookArgs {
    /// The agent whose hook protocol to speak, or `install`.
    #[arg(value_enum, value_name = "AGENT")]
    pub agent: HookAgent,

    /// With `install` or `uninstall`: the agent whose settings to change.
    #[arg(value_enum, value_name = "FOR", required_if_eq_any([("agent", "install"), ("agent", "uninstall")]))]
    pub install_for: Option<AgentName>,

    /// With `install`: write the project's settings in DIR instead of the
    /// user's.
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,

    /// With `install`: print the settings that would be written, and write
    /// nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Judge with the Cedar policies in this file or directory instead of
    /// the built-in default policy.
    #[arg(long, value_name = "PATH", env = "GUARDRAIL_POLICY")]
    pub policy: Option<PathBuf>,

    /// Block (exit 2) if no answer is ready after this many milliseconds.
    /// Agents let a command run when its hook times out, so a hook must
    /// never be slower than the agent's timeout, whatever its input.
    #[arg(long, value_name = "MS", env = "GUARDRAIL_HOOK_DEADLINE_MS", default_value_t = crate::commands::hook::DEFAULT_DEADLINE_MS)]
    pub deadline: u64,

    /// How long a held action waits for a person's approval (in the
    /// console, the API or `guardrail approvals approve`) before the agent
    /// is answered: approved meanwhile, it runs, once; else the answer
    /// names the request. 0, the default, answers at once. With `install`,
    /// the agent's hook timeout is raised by as much: an agent runs the
    /// call when its hook times out.
    #[arg(long, value_name = "SECS", env = "GUARDRAIL_HOOK_HOLD_SECS", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=600))]
    pub hold: u64,

    /// Block (exit 2) if the hook needs more than this many MiB of memory
    /// (at least 64). An agent whose hook crashes runs the command, so
    /// running out of memory, like any abort, ends in the blocking answer.
    #[arg(long, value_name = "MIB", env = "GUARDRAIL_HOOK_MEMORY_MIB", default_value_t = 1024)]
    pub memory: u64,

    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum HookAgent {
    ClaudeCode,
    Codex,
    Cursor,
    Gemini,
    /// Write an agent's settings so that it calls `guardrail hook`.
    Install,
    /// Remove Guardrail's hooks from an agent's settings.
    Uninstall,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AgentName {
    ClaudeCode,
    Codex,
    Cursor,
    Gemini,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Run this line with bash instead of a program and its arguments.
    #[arg(short = 'c', value_name = "LINE", conflicts_with = "command")]
    pub line: Option<String>,

    /// The program and its arguments (after `--`).
    #[arg(
        value_name = "COMMAND",
        trailing_var_arg = true,
        allow_hyphen_values = true,
        required_unless_present = "line"
    )]
    pub command: Vec<String>,

    /// Why the command is needed. Satisfies require_justification, and
    /// nothing stronger.
    #[arg(long, value_name = "TEXT")]
    pub justification: Option<String>,

    /// Who is acting. Default: the user running guardrail, as a human.
    #[arg(long, value_name = "ID", env = "GUARDRAIL_ACTOR")]
    pub actor: Option<String>,

    /// Whether the actor is an AI agent or a person.
    #[arg(long, value_enum, default_value_t = ActorKindArg::Human)]
    pub actor_kind: ActorKindArg,

    /// The session the command belongs to, as recorded.
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,

    /// When the policy holds the command for a person's approval, wait for
    /// their answer (as long as the request waits) and run the command once
    /// it is approved. The default when standard error is a terminal.
    #[arg(long, conflicts_with = "no_wait")]
    pub wait: bool,

    /// When the policy holds the command for a person's approval, exit 126
    /// at once, naming the request; once it is approved, the identical
    /// command runs. The default when standard error is not a terminal (an
    /// agent's or a script's call).
    #[arg(long)]
    pub no_wait: bool,

    /// Judge with the Cedar policies in this file or directory instead of
    /// the built-in default policy.
    #[arg(long, value_name = "PATH", env = "GUARDRAIL_POLICY")]
    pub policy: Option<PathBuf>,

    #[command(flatten)]
    pub store: StoreArgs,
}

const STORE_HELP: &str = "\
Where the record is:
  By default, an SQLite file in the data directory: --data-dir, else
  $GUARDRAIL_DATA_DIR, else $XDG_DATA_HOME/guardrail, else
  ~/.local/share/guardrail. It and the node's signing key are created on
  first use. --store (or $GUARDRAIL_STORE) names another store:
  postgres://user@host/db for one shared by several nodes, or sqlite:PATH.";

/// Where the activity record is, and who is writing it.
#[derive(Debug, Args, Clone)]
pub struct StoreArgs {
    /// The record's store: postgres://..., sqlite:PATH or a file path.
    /// Default: the SQLite file in the data directory.
    #[arg(long, value_name = "STORE", env = "GUARDRAIL_STORE", hide_env_values = true)]
    pub store: Option<String>,

    /// The data directory: the embedded store and this node's signing key.
    #[arg(long, value_name = "DIR", env = "GUARDRAIL_DATA_DIR", hide_env_values = true)]
    pub data_dir: Option<PathBuf>,

    /// This node's name; each node keeps its own chain. Default: the host name.
    #[arg(long, value_name = "NAME", env = "GUARDRAIL_NODE", hide_env_values = true)]
    pub node: Option<String>,

    /// A witness every checkpoint is handed to as it is made, outside the
    /// data directory: file:/PATH, nats://HOST:PORT/STREAM or
    /// postgres://...; repeat or separate with commas. `audit verify`
    /// reads them back.
    #[arg(
        long = "anchor",
        visible_alias = "anchors",
        value_name = "ANCHOR",
        value_delimiter = ',',
        env = "GUARDRAIL_ANCHORS",
        hide_env_values = true
    )]
    pub anchors: Vec<String>,
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

    /// The person an agent acts for (who then cannot approve its requests).
    #[arg(long, value_name = "ID")]
    pub on_behalf_of: Option<String>,

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
    #[arg(long, value_name = "PATH", env = "GUARDRAIL_POLICY")]
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

    /// Record each decision in the activity record (durably, before the
    /// answer is printed). `--record=STORE` records to another store
    /// (postgres://... or sqlite:PATH). If it cannot be recorded, the
    /// command fails with exit status 2.
    #[arg(long, value_name = "STORE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub record: Option<String>,

    /// The session the action belongs to, as recorded.
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,

    /// The conversation or prompt the action came from, as recorded.
    #[arg(long, value_name = "ID")]
    pub prompt_id: Option<String>,

    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Sql,
    Shell,
    /// An agent's tool call: `{"tool": NAME, "input": {...}}`.
    Tool,
}

impl From<Kind> for guardrail_core::ActionKind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Sql => guardrail_core::ActionKind::Sql,
            Kind::Shell => guardrail_core::ActionKind::Shell,
            Kind::Tool => guardrail_core::ActionKind::Tool,
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

#[derive(Debug, Subcommand)]
pub enum RecordCommand {
    /// The prompt an agent was given.
    #[command(after_long_help = STORE_HELP)]
    Prompt(ContentArgs),
    /// The response an agent produced.
    #[command(after_long_help = STORE_HELP)]
    Response(ContentArgs),
    /// The output of a tool an agent ran.
    #[command(after_long_help = STORE_HELP)]
    ToolOutput(ContentArgs),
}

#[derive(Debug, Args)]
pub struct ContentArgs {
    /// Who the content is from or for. Default: the agent "anonymous".
    #[arg(long, value_name = "ID")]
    pub actor: Option<String>,

    /// Whether the actor is an AI agent or a person.
    #[arg(long, value_enum, default_value_t = ActorKindArg::Agent)]
    pub actor_kind: ActorKindArg,

    /// The person or service the agent acts for.
    #[arg(long, value_name = "ID")]
    pub on_behalf_of: Option<String>,

    /// The session the content belongs to.
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,

    /// The conversation or prompt it belongs to.
    #[arg(long, value_name = "ID")]
    pub prompt_id: Option<String>,

    /// The tool whose output this is.
    #[arg(long, value_name = "NAME")]
    pub tool: Option<String>,

    /// The surface it came through.
    #[arg(long, value_name = "NAME", default_value = "cli")]
    pub channel: String,

    /// Print the receipt (node, sequence number, hash) as JSON.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// List records, oldest first (the last --limit that match).
    #[command(after_long_help = STORE_HELP)]
    List(ListArgs),
    /// Show one record in full.
    #[command(after_long_help = STORE_HELP)]
    Show {
        /// The record's sequence number in its node's chain.
        #[arg(value_name = "SEQ")]
        seq: u64,
        /// Print it as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print the latest records, and with -f, new ones as they arrive.
    #[command(after_long_help = STORE_HELP)]
    Tail {
        /// Keep printing records as they are written, until interrupted.
        #[arg(short, long)]
        follow: bool,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Recompute every hash and check every chain and checkpoint.
    ///
    /// Exits 0 when the record is intact, and 1 naming the first bad
    /// sequence number of each node when any record was modified, deleted,
    /// inserted or reordered, or the log was cut back behind a signed
    /// checkpoint.
    #[command(after_long_help = STORE_HELP)]
    Verify {
        /// Checkpoints kept elsewhere (the output of `audit checkpoints`),
        /// checked as well as the store's own.
        #[arg(long, value_name = "FILE")]
        checkpoints: Option<PathBuf>,
        /// A public key (hex, from `audit pubkey`) checkpoints must be
        /// signed with; repeat for several nodes. Default: this node's key.
        #[arg(long = "pubkey", value_name = "HEX")]
        pubkeys: Vec<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print this node's public key, to keep somewhere the node cannot rewrite.
    #[command(after_long_help = STORE_HELP)]
    Pubkey {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Sign a checkpoint of this node's chain now, and print it.
    #[command(after_long_help = STORE_HELP)]
    Checkpoint {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Replace this node's signing key with a new one, endorsed by the old
    /// key in the record itself.
    #[command(after_long_help = STORE_HELP)]
    RotateKey {
        /// The key is lost for good: start a new one and record that it
        /// replaces the lost one, unendorsed (`audit verify` reports it).
        #[arg(long)]
        lost: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print every signed checkpoint as JSON lines, to keep elsewhere and
    /// give back to `audit verify --checkpoints`.
    #[command(after_long_help = STORE_HELP)]
    Checkpoints {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Export records as JSON lines or as OCSF events.
    #[command(after_long_help = STORE_HELP)]
    Export {
        /// `jsonl`: each record as stored (chain fields included); `ocsf`:
        /// OCSF 1.3 events (Datastore Activity 6005, Process Activity 1007,
        /// API Activity 6003; sessions as Authentication 3002, approval
        /// requests as User Access Management 3005).
        #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
        format: ExportFormat,
        #[command(flatten)]
        filter: FilterArgs,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Measure durable appends per second, one at a time and many at once.
    ///
    /// Appends to a fresh store in a temporary directory (or --store) and
    /// prints records per second for each number of appends in flight (1:
    /// each append waits for the one before; N: N sessions at once, spread
    /// over at most 4 threads), with the disk's fsync rate measured in the
    /// same run as the baseline.
    Bench {
        /// Records per run.
        #[arg(long, default_value_t = 20_000)]
        records: usize,
        /// Numbers of appends in flight to measure.
        #[arg(long, value_delimiter = ',', default_value = "1,4,16,64,256,1024")]
        writers: Vec<usize>,
        /// Measure this store instead of a fresh SQLite file.
        #[arg(long, value_name = "STORE")]
        store: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Jsonl,
    Ocsf,
}

#[derive(Debug, Subcommand)]
pub enum ApprovalsCommand {
    /// List approval requests, newest first.
    List {
        /// Only requests in this state: pending, approved, denied, expired, cancelled, consumed.
        #[arg(long, value_name = "STATE")]
        state: Option<String>,
        /// Show at most this many.
        #[arg(short = 'n', long, value_name = "N", default_value_t = 50)]
        limit: usize,
        /// Print each as one JSON object per line.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Show one request in full: the exact action, the rule that held it, the votes.
    Show {
        #[arg(value_name = "ID")]
        id: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Approve a request, as the person running this command.
    Approve {
        #[arg(value_name = "ID")]
        id: String,
        /// Why (recorded).
        #[arg(long, value_name = "TEXT", default_value = "")]
        reason: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Deny a request, as the person running this command; one denial ends it.
    Deny {
        #[arg(value_name = "ID")]
        id: String,
        /// Why (required, recorded, and shown to the requester).
        #[arg(long, value_name = "TEXT")]
        reason: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Withdraw a request, as whoever asked (the actor the action was
    /// checked as) or the person an agent acts for.
    Cancel {
        #[arg(value_name = "ID")]
        id: String,
        /// Who withdraws it. Default: $GUARDRAIL_ACTOR, else the user running this command.
        #[arg(long, value_name = "ID", env = "GUARDRAIL_ACTOR")]
        actor: Option<String>,
        /// Why (recorded).
        #[arg(long, value_name = "TEXT", default_value = "")]
        reason: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Show at most this many records (the latest); 0 for all.
    #[arg(short = 'n', long, value_name = "N", default_value_t = 50)]
    pub limit: usize,
    /// Print each record as one JSON object per line.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Only this actor's records.
    #[arg(long, value_name = "ID")]
    pub actor: Option<String>,
    /// Only decisions with this verdict.
    #[arg(long, value_name = "VERDICT")]
    pub verdict: Option<String>,
    /// Only decisions with this intent (`data.delete_all`) or intent group (`schema.change`).
    #[arg(long, value_name = "ID")]
    pub intent: Option<String>,
    /// Only records from this surface (`cli`, `hook`, `pgproxy`, ...).
    #[arg(long, value_name = "NAME")]
    pub channel: Option<String>,
    /// Only this kind of record: decision, outcome, prompt, response, tool_output, session, approval,
    /// identity, key.
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,
    /// Only this session's records.
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,
    /// Only records at or after this time: RFC 3339, a date, or a duration ago (15m, 2h, 7d).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only records before this time (same forms as --since).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only records whose text contains this (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub text: Option<String>,
    /// Only this node's records.
    #[arg(long = "from-node", value_name = "NAME")]
    pub from_node: Option<String>,
}
