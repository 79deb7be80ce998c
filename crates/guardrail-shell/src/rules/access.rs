//! Who may reach what, changed through any cloud or service CLI: access
//! granted (an IAM binding, a policy attached, a role assigned, an access
//! key made), opened to everyone (a public ACL or visibility, a firewall
//! open to `0.0.0.0/0`, `allUsers`), and secrets read out of the
//! service that keeps them (Kubernetes secrets are `secrets.rs`'s). The words are the services' own, so the rule
//! holds for any program that speaks them (aws, gcloud, az, gh, an MCP
//! server's tool mapped to its CLI).

use guardrail_core::{IntentKind, Object, Scope};

use crate::walk::{Command, Walker};

/// Subcommands that grant access or make a credential (`add-iam-policy-binding`,
/// `create-access-key`, `add-user-to-group`).
pub fn grants(word: &str) -> bool {
    let word = word.to_ascii_lowercase();
    word.contains("iam-policy-binding")
        || word == "set-iam-policy"
        || word.starts_with("attach-") && word.ends_with("-policy")
        || word.starts_with("put-") && (word.ends_with("-policy") || word.ends_with("-acl"))
        || matches!(
            word.as_str(),
            "create-access-key"
                | "create-login-profile"
                | "update-login-profile"
                | "update-assume-role-policy"
                | "authorize-security-group-ingress"
                | "add-permission"
                | "add-user-to-group"
                | "create-service-specific-credential"
                | "add-collaborator"
                | "add-member"
                | "add-group-member"
                | "assign-role"
                | "add-role"
                | "grant-role"
                | "set-role"
                | "create-role-binding"
                | "create-token"
                | "create-api-key"
        )
}

/// Subcommands that print a secret the service keeps.
fn reads_secret(word: &str) -> bool {
    matches!(word.to_ascii_lowercase().as_str(), "get-secret-value" | "list-keys" | "get-access-key")
}

/// Option values that open something to everyone.
const EVERYONE: &[&str] = &[
    "public",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "allusers",
    "allauthenticatedusers",
    "0.0.0.0/0",
    "::/0",
    "anyone",
    "anonymous",
];

/// Options whose value says who may reach something.
const AUDIENCE_OPTIONS: &[&str] = &[
    "--acl",
    "--visibility",
    "--member",
    "--members",
    "--cidr",
    "--cidr-ip",
    "--cidr-block",
    "--source-ranges",
    "--source-address-prefixes",
    "--ip-range",
    "--grant-read",
    "--grant-full-control",
    "--access",
    "--type",
];

pub(crate) fn check(walker: &mut Walker, command: &Command<'_>) {
    let words: Vec<&str> = command.args.iter().map(|arg| arg.text.as_str()).take_while(|text| *text != "--").collect();
    let subcommands: Vec<&str> = words.iter().copied().filter(|word| !word.starts_with('-')).take(4).collect();
    let name = || format!("{} {}", command.program, subcommands.join(" "));
    // `az role assignment create`, `gcloud iam service-accounts keys create`.
    let phrase = subcommands.join(" ").to_ascii_lowercase();
    let granted = subcommands.iter().any(|word| grants(word))
        || phrase.contains("role assignment create")
        || phrase.contains("keys create")
        || phrase.contains("access-key create");
    if granted {
        walker.emit(
            IntentKind::PrivilegeGrant,
            Scope::Server,
            Some(Object::new("command", name())),
            command.span,
            Some(format!("{} grants access or makes a credential", name())),
        );
    }
    let secret = subcommands.iter().any(|word| reads_secret(word))
        || phrase.contains("secrets versions access")
        || phrase.contains("keys list")
        || words.contains(&"--with-decryption") && subcommands.iter().any(|word| word.starts_with("get-parameter"));
    if secret {
        walker.emit(
            IntentKind::SecretRead,
            Scope::Server,
            Some(Object::new("command", name())),
            command.span,
            Some(format!("{} prints secrets the service keeps", name())),
        );
    }
    // `--acl public-read`, `--visibility=public`, `--cidr 0.0.0.0/0`.
    for (index, word) in words.iter().enumerate() {
        let (option, value) = match word.split_once('=') {
            Some((option, value)) => (option, Some(value.to_owned())),
            None => (*word, words.get(index + 1).map(|value| (*value).to_owned())),
        };
        let Some(value) = value else { continue };
        let value = value.to_ascii_lowercase();
        let everyone = EVERYONE.iter().any(|open| value == *open || value.ends_with(&format!(":{open}")));
        if AUDIENCE_OPTIONS.contains(&option) && everyone {
            walker.emit(
                IntentKind::PrivilegeGrant,
                Scope::Unbounded,
                Some(Object::new("command", name())),
                command.span,
                Some(format!("{option} {value} opens it to everyone")),
            );
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use guardrail_core::IntentKind;

    #[test]
    fn access_granted_opened_or_read_through_any_cli() {
        let cases: &[(&str, Option<IntentKind>)] = &[
            (
                "aws iam put-role-policy --role-name r --policy-name p --policy-document file://p.json",
                Some(IntentKind::PrivilegeGrant),
            ),
            (
                "aws iam attach-user-policy --user-name dev --policy-arn arn:aws:iam::aws:policy/AdministratorAccess",
                Some(IntentKind::PrivilegeGrant),
            ),
            ("aws iam create-access-key --user-name ci", Some(IntentKind::PrivilegeGrant)),
            (
                "aws ec2 authorize-security-group-ingress --group-id sg-1 --protocol tcp --port 22 --cidr 0.0.0.0/0",
                Some(IntentKind::PrivilegeGrant),
            ),
            ("aws s3api put-bucket-acl --bucket b --acl public-read", Some(IntentKind::PrivilegeGrant)),
            (
                "gcloud projects add-iam-policy-binding p --member=user:x@y.z --role=roles/owner",
                Some(IntentKind::PrivilegeGrant),
            ),
            (
                "gcloud iam service-accounts keys create /tmp/key.json --iam-account sa@p.iam.gserviceaccount.com",
                Some(IntentKind::PrivilegeGrant),
            ),
            (
                "az role assignment create --assignee x --role Owner --scope /subscriptions/1",
                Some(IntentKind::PrivilegeGrant),
            ),
            (
                "gh repo edit acme/payments --visibility public --accept-visibility-change-consequences",
                Some(IntentKind::PrivilegeGrant),
            ),
            ("aws secretsmanager get-secret-value --secret-id prod/db", Some(IntentKind::SecretRead)),
            ("aws ssm get-parameter --name /prod/db --with-decryption", Some(IntentKind::SecretRead)),
            ("az storage account keys list -g rg -n store", Some(IntentKind::SecretRead)),
            ("gcloud secrets versions access latest --secret db", Some(IntentKind::SecretRead)),
            // Look-alikes.
            ("aws iam list-attached-user-policies --user-name dev", None),
            ("aws iam get-role-policy --role-name r --policy-name p", None),
            ("aws secretsmanager list-secrets", None),
            ("aws ssm get-parameter --name /prod/feature-flag", None),
            ("kubectl get secrets -n prod", None),
            ("gh repo edit acme/payments --visibility private", None),
            ("gh repo create acme/site --public", None),
            ("gcloud container clusters get-credentials prod --region us-east1", None),
            ("aws s3 cp report.csv s3://bucket/report.csv --acl bucket-owner-full-control", None),
        ];
        for (line, expected) in cases {
            let intents = crate::ShellAnalyzer::default().analyze_in(line, Some("/home/dev/app")).intents;
            let found = intents
                .iter()
                .find(|intent| matches!(intent.kind, IntentKind::PrivilegeGrant | IntentKind::SecretRead))
                .map(|intent| intent.kind);
            assert_eq!(found, *expected, "{line}: {intents:?}");
        }
    }
}
