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
//!
//! Codex keeps them in `~/.codex/config.toml`, as `[mcp_servers.NAME]`
//! tables of the same fields: rewritten in place ([`wrap_codex`]), its
//! comments and layout kept.

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

/// Wraps every stdio server of Codex's `config.toml` (its text); the new
/// text and what changed.
pub fn wrap_codex(text: &str, guardrail: &str) -> Result<(String, Vec<Change>), String> {
    codex_servers(text, |name, entry| {
        let command = entry.get("command").and_then(|item| item.as_str()).map(str::to_owned);
        let args: Vec<String> = entry
            .get("args")
            .and_then(|item| item.as_array())
            .map(|args| args.iter().filter_map(|arg| arg.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        let Some(command) = command else {
            return entry.contains_key("url").then(|| Change::Http(name.to_owned()));
        };
        let is_guardrail = std::path::Path::new(&command).file_name().is_some_and(|file| file == "guardrail");
        if is_guardrail && args.first().map(String::as_str) == Some("mcp") {
            return Some(Change::AlreadyWrapped(name.to_owned()));
        }
        let mut wrapped: Vec<String> = ["mcp", "--name", name, "--", &command].map(str::to_owned).to_vec();
        wrapped.extend(args);
        set(entry, "command", toml_edit::value(guardrail));
        set(entry, "args", toml_edit::value(wrapped.into_iter().collect::<toml_edit::Array>()));
        Some(Change::Wrapped(name.to_owned()))
    })
}

/// Undoes [`wrap_codex`].
pub fn unwrap_codex(text: &str) -> Result<(String, Vec<Change>), String> {
    codex_servers(text, |name, entry| {
        let command = entry.get("command").and_then(|item| item.as_str())?;
        if std::path::Path::new(command).file_name().is_none_or(|file| file != "guardrail") {
            return None;
        }
        let args: Vec<String> =
            entry.get("args")?.as_array()?.iter().filter_map(|arg| arg.as_str().map(str::to_owned)).collect();
        if args.first().map(String::as_str) != Some("mcp") {
            return None;
        }
        let start = args.iter().position(|arg| arg == "--")? + 1;
        let original = args.get(start)?.clone();
        set(entry, "command", toml_edit::value(original));
        set(entry, "args", toml_edit::value(args[start + 1..].iter().cloned().collect::<toml_edit::Array>()));
        Some(Change::Unwrapped(name.to_owned()))
    })
}

/// Sets `key`, keeping the comments around it.
fn set(entry: &mut dyn toml_edit::TableLike, key: &str, value: toml_edit::Item) {
    match entry.get_mut(key) {
        Some(item) => *item = value,
        None => {
            entry.insert(key, value);
        }
    }
}

fn codex_servers(
    text: &str,
    mut change: impl FnMut(&str, &mut dyn toml_edit::TableLike) -> Option<Change>,
) -> Result<(String, Vec<Change>), String> {
    let mut document: toml_edit::DocumentMut = text.parse().map_err(|error| format!("not TOML: {error}"))?;
    let mut changes = Vec::new();
    if let Some(servers) = document.get_mut("mcp_servers").and_then(|item| item.as_table_like_mut()) {
        for (name, entry) in servers.iter_mut() {
            if let Some(entry) = entry.as_table_like_mut() {
                changes.extend(change(&name, entry));
            }
        }
    }
    Ok((document.to_string(), changes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codex_servers_are_wrapped_in_place_and_unwrapped_exactly() {
        let original = "# my Codex settings\nmodel = \"o4\"\n\n[mcp_servers.files]\n# the project's files\ncommand = \"npx\"\nargs = [\"-y\", \"@modelcontextprotocol/server-filesystem\", \"/srv\"]\nenv = { \"A\" = \"1\" }\n\n[mcp_servers.remote]\nurl = \"https://mcp.example.com/mcp\"\n";
        let (wrapped, changes) = wrap_codex(original, "/usr/local/bin/guardrail").unwrap();
        assert_eq!(changes, [Change::Wrapped("files".into()), Change::Http("remote".into())]);
        let parsed: toml_edit::DocumentMut = wrapped.parse().unwrap();
        assert_eq!(parsed["mcp_servers"]["files"]["command"].as_str(), Some("/usr/local/bin/guardrail"));
        let args: Vec<&str> =
            parsed["mcp_servers"]["files"]["args"].as_array().unwrap().iter().filter_map(|arg| arg.as_str()).collect();
        assert_eq!(
            args,
            ["mcp", "--name", "files", "--", "npx", "-y", "@modelcontextprotocol/server-filesystem", "/srv"]
        );
        assert!(wrapped.contains("# my Codex settings") && wrapped.contains("# the project's files"), "{wrapped}");
        let (again, changes) = wrap_codex(&wrapped, "/usr/local/bin/guardrail").unwrap();
        assert_eq!(again, wrapped, "installing twice changes nothing");
        assert!(changes.contains(&Change::AlreadyWrapped("files".into())));
        let (unwrapped, changes) = unwrap_codex(&wrapped).unwrap();
        assert_eq!(changes, [Change::Unwrapped("files".into())]);
        let parsed: toml_edit::DocumentMut = unwrapped.parse().unwrap();
        assert_eq!(parsed["mcp_servers"]["files"]["command"].as_str(), Some("npx"));
        assert_eq!(parsed["mcp_servers"]["files"]["args"].as_array().unwrap().len(), 3);
        assert!(wrap_codex("not = [toml", "g").is_err());
    }

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
