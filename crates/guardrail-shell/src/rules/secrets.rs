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

/// Commands whose output is a stored secret: secret managers' reads, cloud
/// CLIs' credential exports, keychains. `(program, words)`: every word
/// must appear, in order, among the command's operands and options.
const SECRET_OUTPUTS: &[(&str, &[&str], &str)] = &[
    ("vault", &["kv", "get"], "a secret from Vault"),
    ("vault", &["read"], "a secret from Vault"),
    ("vault", &["kv", "list"], ""),
    ("vault", &["print", "token"], "a Vault token"),
    ("vault", &["token", "create"], "a Vault token"),
    ("vault", &["token", "lookup"], ""),
    ("kubectl", &["get", "secret"], "a Kubernetes secret"),
    ("kubectl", &["get", "secrets"], "Kubernetes secrets"),
    ("kubectl", &["config", "view", "--raw"], "the cluster credentials in kubeconfig"),
    ("kubectl", &["create", "token"], "a Kubernetes service account token"),
    ("oc", &["get", "secret"], "an OpenShift secret"),
    ("oc", &["whoami", "-t"], "an OpenShift token"),
    ("aws", &["secretsmanager", "get-secret-value"], "a secret from AWS Secrets Manager"),
    ("aws", &["secretsmanager", "batch-get-secret-value"], "secrets from AWS Secrets Manager"),
    ("aws", &["ssm", "get-parameter"], "a parameter from AWS SSM"),
    ("aws", &["ssm", "get-parameters"], "parameters from AWS SSM"),
    ("aws", &["ssm", "get-parameters-by-path"], "parameters from AWS SSM"),
    ("aws", &["configure", "get"], "AWS CLI configuration"),
    ("aws", &["configure", "export-credentials"], "AWS credentials"),
    ("aws", &["sts", "get-session-token"], "AWS session credentials"),
    ("aws", &["sts", "assume-role"], "AWS role credentials"),
    ("aws", &["iam", "create-access-key"], "a new AWS access key"),
    ("gcloud", &["secrets", "versions", "access"], "a secret from Google Secret Manager"),
    ("gcloud", &["auth", "print-access-token"], "a Google access token"),
    ("gcloud", &["auth", "print-identity-token"], "a Google identity token"),
    ("gcloud", &["auth", "application-default", "print-access-token"], "a Google access token"),
    ("az", &["keyvault", "secret", "show"], "a secret from Azure Key Vault"),
    ("az", &["keyvault", "secret", "download"], "a secret from Azure Key Vault"),
    ("az", &["account", "get-access-token"], "an Azure access token"),
    ("op", &["read"], "a 1Password secret"),
    ("op", &["item", "get"], "a 1Password item"),
    ("op", &["document", "get"], "a 1Password document"),
    ("doppler", &["secrets"], "Doppler secrets"),
    ("bw", &["get"], "a Bitwarden secret"),
    ("pass", &["show"], "a password from pass"),
    ("gopass", &["show"], "a password from gopass"),
    ("security", &["find-generic-password"], "a password from the keychain"),
    ("security", &["find-internet-password"], "a password from the keychain"),
    ("secret-tool", &["lookup"], "a password from the keyring"),
    ("gh", &["auth", "token"], "a GitHub token"),
    ("glab", &["auth", "status", "--show-token"], "a GitLab token"),
    ("heroku", &["auth:token"], "a Heroku token"),
    ("git", &["credential", "fill"], "git credentials"),
    ("sops", &["-d"], "a decrypted sops file"),
    ("sops", &["--decrypt"], "a decrypted sops file"),
    ("chamber", &["read"], "a secret from chamber"),
    ("chamber", &["export"], "secrets from chamber"),
    ("keyctl", &["print"], "a kernel keyring secret"),
];

/// What secret a command prints, if it prints one: a secret manager's
/// read, a credential export, a token.
pub(crate) fn output(program: &str, args: &[crate::words::Arg]) -> Option<String> {
    if program.starts_with("docker-credential-") && args.iter().any(|arg| arg.is("get")) {
        return Some("a registry password".to_owned());
    }
    static PROGRAMS: std::sync::OnceLock<std::collections::HashSet<&'static str>> = std::sync::OnceLock::new();
    if !PROGRAMS.get_or_init(|| SECRET_OUTPUTS.iter().map(|(name, _, _)| *name).collect()).contains(program) {
        return None;
    }
    let words: Vec<&str> = args.iter().map(|arg| arg.text.as_str()).collect();
    SECRET_OUTPUTS.iter().find_map(|(name, wanted, what)| {
        if *name != program || what.is_empty() {
            return None;
        }
        let mut rest = words.iter();
        let all = wanted.iter().all(|word| {
            rest.any(|seen| seen.strip_prefix(*word).is_some_and(|rest| rest.is_empty() || rest.starts_with('=')))
        });
        all.then(|| what.to_string())
    })
}
