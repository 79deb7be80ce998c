//! Secret managers: deleting, disabling and overwriting secrets.

use guardrail_core::{IntentKind, Object, Scope};

use super::{Rule, subcommands};
use crate::walk::{Command, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "secret-managers",
    intents: &[IntentKind::SecretDelete, IntentKind::SecretWrite],
    catches: "HashiCorp Vault (kv delete/destroy/metadata delete, delete, secrets disable, auth disable, \
              policy delete, lease and token revoke; kv put/patch/rollback and write overwrite), 1Password's \
              op (item, document, vault, user and group delete; item edit), Doppler (secrets, configs, \
              projects and environments delete; secrets set and upload). Cloud secret stores are in the \
              infrastructure rule.",
    why: "A deleted or overwritten secret breaks every service that reads it, and its old value is often \
          gone for good.",
    example: "vault kv destroy -versions=1-3 secret/myapp/config",
    look_alike: "vault kv get secret/myapp/config",
    gaps: "Reads of secrets are allowed; sending them anywhere is judged by the exfiltration rule.",
};

pub(crate) fn check(walker: &mut Walker, command: &Command<'_>) -> bool {
    let verbs = match command.program {
        "vault" => subcommands(
            command.args,
            &["-address", "-namespace", "-mount", "-format", "-field", "-versions", "-version"],
        ),
        "op" => subcommands(command.args, &["--vault", "--account", "--format", "--session", "--categories", "--tags"]),
        "doppler" => {
            subcommands(command.args, &["-p", "--project", "-c", "--config", "--token", "--scope", "--format"])
        }
        _ => return false,
    };
    let verbs: Vec<&str> = verbs.into_iter().collect();
    let kind = match (command.program, verbs.as_slice()) {
        ("vault", ["kv", "delete" | "destroy", ..] | ["kv", "metadata", "delete", ..] | ["delete", ..]) => {
            Some(IntentKind::SecretDelete)
        }
        (
            "vault",
            ["secrets" | "auth" | "audit", "disable", ..]
            | ["policy", "delete", ..]
            | ["lease" | "token", "revoke", ..],
        ) => Some(IntentKind::SecretDelete),
        ("vault", ["kv", "put" | "patch" | "rollback", ..] | ["write", ..]) => Some(IntentKind::SecretWrite),
        ("op", [_, "delete" | "remove" | "rm", ..]) => Some(IntentKind::SecretDelete),
        ("op", ["item", "edit", ..]) => Some(IntentKind::SecretWrite),
        ("doppler", [_, "delete", ..]) => Some(IntentKind::SecretDelete),
        ("doppler", ["secrets", "set" | "upload", ..]) => Some(IntentKind::SecretWrite),
        _ => None,
    };
    if let Some(kind) = kind {
        let name = verbs.join(" ");
        walker.emit(kind, Scope::Bounded, Some(Object::new("secret", name)), command.span, None);
    }
    true
}
