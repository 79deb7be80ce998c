//! `guardrail mcp`: the gate between an agent and an MCP server.
//!
//! Over stdio the proxy is a relay of newline-delimited JSON-RPC messages,
//! byte for byte, except where the gate speaks: every `tools/call` is
//! judged by what its arguments would do (the tool-call analyzer: SQL,
//! shell commands and paths found in them, destroying verbs in the tool's
//! name) before it reaches the server, and recorded; a refused or held call
//! is answered by the proxy with a tool result that has `isError` and a
//! reason the model can act on; tool results are masked (secrets) and
//! recorded on their way back. Everything else passes through unchanged,
//! so any protocol version and any field the gate does not read survive.
//! Over Streamable HTTP ([`http`]) it is the same relay of bodies and event
//! streams, with the caller's bearer token naming who calls.
//! (A relay rather than the `rmcp` SDK: a typed round trip would drop
//! fields and methods it does not know, and terminating each session at the
//! proxy would mean re-originating every feature of the protocol toward the
//! server; a relay passes through any version, and reads only what it
//! judges.)
//!
//! Failing closed: a line that is not JSON, or longer than the limit, ends
//! the session (the client gets a JSON-RPC error first); a server that ends
//! with calls in flight answers each of them with an error; a decision that
//! cannot be recorded refuses the call.

pub mod http;
pub mod install;
mod mediate;
mod stdio;

pub use mediate::McpSettings;
pub use stdio::run_stdio;
