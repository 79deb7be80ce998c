//! `guardrail mcp install`: an agent's MCP server entries rewritten so
//! that each stdio server is started through `guardrail mcp`, and back.
//!
//! The agents keep their servers under `mcpServers` (Claude Code's
//! `.mcp.json` and `~/.claude.json`, Cursor's `mcp.json`, Gemini CLI's
//! `settings.json`), each `{"command", "args", "env"}` for a server over
//! stdio or `{"url"}` (or `"httpUrl"`, `"type": "http"`) for one over HTTP.
//! A stdio entry becomes `{"command": GUARDRAIL, "args": ["mcp", "--name",
//! NAME, "--", COMMAND, ARGS...], "env": ...}`: the same server, started by
//! the gate. Entries already wrapped are left as they are, so installing
//! twice changes nothing; HTTP entries are reported, not changed.

use serde_json::{Value, json};

/// What happened to one server entry.
#[derive(Debug, PartialEq, Eq)]
pub enum Change {
    Wrapped(String),
    Unwrapped(String),
    AlreadyWrapped(String),
    /// Over HTTP: the stdio proxy cannot stand in front of it.
    Http(String),
}

/// Whether `entry` starts its server through `guardrail mcp`.
fn wrapped(entry: &Value) -> bool {
    let command = entry["command"].as_str().unwrap_or("");
    let first = entry["args"][0].as_str();
    std::path::Path::new(command).file_name().is_some_and(|name| name == "guardrail") && first == Some("mcp")
}

/// Wraps every stdio server under `mcpServers` in `settings` (and, for
/// Claude Code's user file, under each project's `mcpServers`).
pub fn wrap(settings: &mut Value, guardrail: &str) -> Vec<Change> {
    each_server(settings, |name, entry| {
        if wrapped(entry) {
            return Some(Change::AlreadyWrapped(name.to_owned()));
        }
        let Some(command) = entry["command"].as_str().map(str::to_owned) else {
            return (entry.get("url").is_some() || entry.get("httpUrl").is_some())
                .then(|| Change::Http(name.to_owned()));
        };
        let mut args = vec![json!("mcp"), json!("--name"), json!(name), json!("--"), json!(command)];
        args.extend(entry["args"].as_array().cloned().unwrap_or_default());
        entry["command"] = json!(guardrail);
        entry["args"] = Value::Array(args);
        Some(Change::Wrapped(name.to_owned()))
    })
}

/// Undoes [`wrap`]: each wrapped server started directly again.
pub fn unwrap(settings: &mut Value) -> Vec<Change> {
    each_server(settings, |name, entry| {
        if !wrapped(entry) {
            return None;
        }
        let args = entry["args"].as_array().cloned().unwrap_or_default();
        let start = args.iter().position(|arg| arg == "--")? + 1;
        let command = args.get(start)?.clone();
        entry["command"] = command;
        entry["args"] = Value::Array(args[start + 1..].to_vec());
        Some(Change::Unwrapped(name.to_owned()))
    })
}

fn each_server(settings: &mut Value, mut change: impl FnMut(&str, &mut Value) -> Option<Change>) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut visit = |servers: &mut Value| {
        if let Some(servers) = servers.as_object_mut() {
            for (name, entry) in servers.iter_mut() {
                if entry.is_object() {
                    changes.extend(change(name, entry));
                }
            }
        }
    };
    visit(&mut settings["mcpServers"]);
    if let Some(projects) = settings.get_mut("projects").and_then(Value::as_object_mut) {
        for project in projects.values_mut() {
            if project.get("mcpServers").is_some() {
                visit(&mut project["mcpServers"]);
            }
        }
    }
    if settings.get("mcpServers").is_some_and(Value::is_null) {
        settings.as_object_mut().map(|object| object.remove("mcpServers"));
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdio_servers_are_wrapped_once_and_unwrapped_exactly() {
        let original = json!({
            "theme": "dark",
            "mcpServers": {
                "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/srv"], "env": {"A": "1"}},
                "remote": {"type": "http", "url": "https://mcp.example.com/mcp"},
                "bare": {"command": "mcp-server-git"},
            },
            "projects": {"/w": {"mcpServers": {"db": {"command": "node", "args": ["db.js"]}}}},
        });
        let mut settings = original.clone();
        let changes = wrap(&mut settings, "/usr/local/bin/guardrail");
        assert_eq!(changes.len(), 4, "{changes:?}");
        assert!(changes.contains(&Change::Http("remote".into())));
        assert_eq!(
            settings["mcpServers"]["files"],
            json!({"command": "/usr/local/bin/guardrail", "args": ["mcp", "--name", "files", "--", "npx", "-y", "@modelcontextprotocol/server-filesystem", "/srv"], "env": {"A": "1"}})
        );
        assert_eq!(settings["mcpServers"]["bare"]["args"], json!(["mcp", "--name", "bare", "--", "mcp-server-git"]));
        assert_eq!(settings["projects"]["/w"]["mcpServers"]["db"]["args"][4], "node");
        assert_eq!(settings["theme"], "dark");
        let once = settings.clone();
        let again = wrap(&mut settings, "/usr/local/bin/guardrail");
        assert_eq!(settings, once, "installing twice changes nothing");
        assert!(again.iter().all(|change| !matches!(change, Change::Wrapped(_))), "{again:?}");
        unwrap(&mut settings);
        assert_eq!(settings["mcpServers"]["files"], original["mcpServers"]["files"]);
        assert_eq!(settings["projects"], original["projects"]);
        assert_eq!(settings["mcpServers"]["bare"], json!({"command": "mcp-server-git", "args": []}));
    }
}
