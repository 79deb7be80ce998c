//! Infrastructure: clusters, infrastructure as code, containers, cloud
//! CLIs, CI systems, backups and message brokers.

use guardrail_core::{IntentKind, Object, Scope};

use super::{Rule, options, subcommands};
use crate::flow::Stream;
use crate::walk::{Command, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "infrastructure",
    intents: &[IntentKind::InfraDestroy, IntentKind::SecretDelete, IntentKind::SecretWrite],
    catches: "kubectl/oc delete (unbounded with --all, -A, a selector, or a namespace), replace --force, \
              apply --prune; helm uninstall; terraform/tofu/terragrunt destroy, apply -destroy, state rm, \
              workspace delete; pulumi destroy and stack rm; cdk destroy; docker/podman prune, volume rm, \
              compose down -v; cloud CLIs' delete, terminate, remove, purge and deregister verbs (aws, \
              gcloud, az, gsutil, doctl, heroku, flyctl, vercel), aws s3 rm/rb and sync --delete, with \
              secret stores' deletes and overwrites (secretsmanager, ssm, kms, gcloud secrets, az \
              keyvault, gh secret set/delete, fly secrets set/import/unset, kubectl create secret, docker secret create, \
              a Secret manifest piped into kubectl apply, heroku config:set of a setting named like a \
              secret) as secret intents; CI objects (gh repo delete and the like, circleci, \
              gitlab-runner unregister, jenkins-cli delete-*).",
    why: "One delete verb can take down production or its data; these commands rarely have an undo.",
    example: "kubectl delete namespace prod",
    look_alike: "kubectl get pods -n prod",
    gaps: "A verb is recognised by its name; vendor CLIs not listed here are process.run.",
};

pub(crate) const BACKUPS: Rule = Rule {
    name: "backups",
    intents: &[IntentKind::InfraDestroy, IntentKind::FsDeleteRecursive],
    catches: "Deleting or pruning backups and synchronised copies: restic forget/prune, borg \
              delete/prune/compact, velero ... delete, rclone sync/delete/purge/move (not with \
              --dry-run), rsync --delete* and --remove-source-files (fs.delete_recursive of the \
              destination).",
    why: "Backups are what makes every other mistake recoverable.",
    example: "restic forget --keep-last 1 --prune",
    look_alike: "restic snapshots",
    gaps: "Retention policies are not weighed: any prune is a deletion.",
};

pub(crate) const MESSAGING: Rule = Rule {
    name: "messaging",
    intents: &[IntentKind::InfraDestroy],
    catches: "Deleting or purging topics, queues, streams and their data: kafka-topics --delete, \
              kafka-delete-records, kafka-consumer-groups --delete, kafka-acls --remove, kafka-configs \
              --delete-config, rabbitmqctl delete_*/clear_*/purge_queue/reset (and its user and \
              permission changes, as privilege changes), rabbitmqadmin \
              delete/purge, nats stream/consumer/kv/object delete and purge.",
    why: "Messages in flight and retained topics are data; deleting them loses it.",
    example: "kafka-topics --bootstrap-server localhost:9092 --delete --topic payments",
    look_alike: "kafka-topics --bootstrap-server localhost:9092 --list",
    gaps: "Admin HTTP APIs of brokers are judged by the http rule (DELETE only).",
};

/// Verbs that destroy what they name, as cloud CLIs spell them.
fn destroys(verb: &str) -> bool {
    let verb = verb.trim_start_matches("--");
    ["delete", "terminate", "remove", "purge", "deregister", "destroy", "unsubscribe", "rb", "rm"].iter().any(
        |prefix| {
            verb.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('-') || rest.starts_with('_'))
        },
    )
}

pub(crate) fn check(walker: &mut Walker, command: &Command<'_>) -> bool {
    let args = command.args;
    let program = command.program.trim_end_matches(".sh");
    let destroy = |walker: &mut Walker, scope: Scope, kind: &str, name: String, note: Option<String>| {
        walker.emit(IntentKind::InfraDestroy, scope, Some(Object::new(kind, name)), command.span, note);
    };
    // A secret store's value written or deleted.
    let secret = |walker: &mut Walker, kind: IntentKind, name: String| {
        walker.emit(kind, Scope::Bounded, Some(Object::new("secret", name)), command.span, None);
    };
    let words = |with_value: &[&str]| subcommands(args, with_value);
    match program {
        "kubectl" | "oc" | "kubecolor" | "microk8s.kubectl" | "k3s" => {
            let parsed = options(
                args,
                &[
                    "-n",
                    "--namespace",
                    "--context",
                    "--cluster",
                    "--kubeconfig",
                    "-s",
                    "--server",
                    "--user",
                    "--token",
                    "-l",
                    "--selector",
                    "-f",
                    "--filename",
                    "-o",
                    "--output",
                    "-c",
                    "--container",
                    "--field-selector",
                    "--grace-period",
                    "--timeout",
                    "--as",
                ],
                false,
            );
            let operands: Vec<&str> = parsed.operands.iter().map(|arg| arg.text.as_str()).collect();
            let operands: &[&str] =
                if program == "k3s" && operands.first() == Some(&"kubectl") { &operands[1..] } else { &operands };
            let Some((verb, rest)) = operands.split_first() else { return true };
            let wide = parsed.has_any(&["--all", "-A", "--all-namespaces"])
                || parsed.value("-l").is_some()
                || parsed.value("--selector").is_some()
                || rest.first().is_some_and(|kind| {
                    matches!(
                        *kind,
                        "namespace"
                            | "namespaces"
                            | "ns"
                            | "all"
                            | "pv"
                            | "persistentvolume"
                            | "persistentvolumes"
                            | "crd"
                            | "crds"
                            | "customresourcedefinition"
                            | "node"
                            | "nodes"
                    )
                });
            let scope = if wide { Scope::Unbounded } else { Scope::Bounded };
            let name = rest.join(" ");
            let name = if name.is_empty() {
                parsed.value("-f").or(parsed.value("--filename")).unwrap_or("").to_owned()
            } else {
                name
            };
            let dry_run = match parsed.value("--dry-run") {
                Some(value) => value != "none",
                None => parsed.has("--dry-run"),
            };
            // A manifest piped in that holds a Secret (`kubectl apply -f - <<EOF`).
            let manifest_secret = matches!(&command.input, Stream::Text(text) if text
                .lines()
                .any(|line| line.trim_start_matches(['-', ' ']).trim() == "kind: Secret"));
            if matches!(*verb, "apply" | "create" | "replace")
                && manifest_secret
                && matches!(parsed.value("-f").or(parsed.value("--filename")), Some("-"))
                && !dry_run
            {
                secret(walker, IntentKind::SecretWrite, "a Secret manifest".to_owned());
            }
            match *verb {
                "create" if rest.first() == Some(&"secret") && !dry_run => {
                    secret(walker, IntentKind::SecretWrite, name)
                }
                "delete" => destroy(walker, scope, "cluster", name, None),
                "replace" if parsed.has("--force") => {
                    destroy(walker, scope, "cluster", name, Some("replace --force deletes and recreates".to_owned()))
                }
                "apply" if parsed.has("--prune") => destroy(
                    walker,
                    Scope::Unbounded,
                    "cluster",
                    name,
                    Some("apply --prune deletes what the files no longer name".to_owned()),
                ),
                "drain" => destroy(
                    walker,
                    Scope::Bounded,
                    "cluster",
                    name,
                    Some("drain evicts every pod from the node".to_owned()),
                ),
                _ => {}
            }
        }
        "helm" => {
            let verbs = words(&["-n", "--namespace", "--kube-context", "--kubeconfig"]);
            if verbs.first().is_some_and(|verb| matches!(*verb, "uninstall" | "delete" | "del" | "un")) {
                destroy(
                    walker,
                    Scope::Bounded,
                    "cluster",
                    verbs[1..].join(" "),
                    Some("helm uninstall removes the release and its resources".to_owned()),
                );
            }
        }
        "terraform" | "tofu" | "terragrunt" | "opentofu" => {
            let parsed = options(args, &["-chdir", "-var", "-var-file", "-target", "-state"], false);
            let verbs: Vec<&str> = parsed.operands.iter().map(|arg| arg.text.as_str()).collect();
            let verbs: &[&str] = if verbs.first() == Some(&"run-all") { &verbs[1..] } else { &verbs };
            // Terraform's options are single-dash words, not clusters.
            let destroy_flag = args.iter().any(|arg| arg.is("-destroy") || arg.is("--destroy"));
            match verbs {
                ["destroy", ..] => destroy(
                    walker,
                    Scope::Unbounded,
                    "cluster",
                    "terraform state".to_owned(),
                    Some("destroys every resource the configuration manages".to_owned()),
                ),
                ["apply", ..] if destroy_flag => destroy(
                    walker,
                    Scope::Unbounded,
                    "cluster",
                    "terraform state".to_owned(),
                    Some("apply -destroy destroys every resource".to_owned()),
                ),
                ["state", "rm" | "remove", rest @ ..] => destroy(
                    walker,
                    Scope::Bounded,
                    "cluster",
                    rest.join(" "),
                    Some("state rm forgets resources, which then leak or get recreated".to_owned()),
                ),
                ["workspace", "delete", rest @ ..] => destroy(walker, Scope::Bounded, "cluster", rest.join(" "), None),
                _ => {}
            }
        }
        "pulumi" => match words(&["-s", "--stack", "-C", "--cwd"]).as_slice() {
            ["destroy" | "down", ..] => destroy(walker, Scope::Unbounded, "cluster", "pulumi stack".to_owned(), None),
            ["stack", "rm", rest @ ..] => destroy(walker, Scope::Bounded, "cluster", rest.join(" "), None),
            _ => {}
        },
        "cdk" | "cdktf" | "serverless" | "sls" | "sam" => {
            if words(&["--profile", "--region", "-a", "--app"])
                .first()
                .is_some_and(|verb| matches!(*verb, "destroy" | "remove" | "delete"))
            {
                destroy(walker, Scope::Unbounded, "cluster", program.to_owned(), None);
            }
        }
        "docker" | "podman" | "nerdctl" | "docker-compose" | "podman-compose" => {
            let parsed = options(
                args,
                &[
                    "-H",
                    "--host",
                    "--context",
                    "-c",
                    "--config",
                    "-f",
                    "--file",
                    "-p",
                    "--project-name",
                    "--filter",
                    "--env-file",
                    "--profile",
                ],
                false,
            );
            let verbs: Vec<&str> = parsed.operands.iter().map(|arg| arg.text.as_str()).collect();
            let verbs: &[&str] = if verbs.first() == Some(&"compose") { &verbs[1..] } else { &verbs };
            match verbs {
                ["secret", "create", rest @ ..] => secret(walker, IntentKind::SecretWrite, rest.join(" ")),
                [_, "prune", ..] | ["prune", ..] => destroy(
                    walker,
                    Scope::Unbounded,
                    "container",
                    verbs.join(" "),
                    Some("prune deletes every unused object of its kind".to_owned()),
                ),
                ["volume", "rm" | "remove", rest @ ..] => destroy(
                    walker,
                    Scope::Bounded,
                    "container",
                    format!("volume {}", rest.join(" ")),
                    Some("deletes the volume and its data".to_owned()),
                ),
                ["down", ..] if parsed.has_any(&["-v", "--volumes"]) => destroy(
                    walker,
                    Scope::Bounded,
                    "container",
                    "compose volumes".to_owned(),
                    Some("down -v deletes the project's volumes and their data".to_owned()),
                ),
                _ => {}
            }
        }
        "aws" => aws(walker, command),
        "gcloud" => {
            let verbs =
                words(&["--project", "--region", "--zone", "--format", "--filter", "--account", "--configuration"]);
            if let Some(verb) = verbs.iter().find(|verb| destroys(verb)) {
                let kind =
                    if verbs.first() == Some(&"secrets") { IntentKind::SecretDelete } else { IntentKind::InfraDestroy };
                walker.emit(
                    kind,
                    Scope::Bounded,
                    Some(Object::new("cloud", verbs.join(" "))),
                    command.span,
                    Some(format!("gcloud {verb}")),
                );
            } else if verbs.starts_with(&["storage", "rm"]) {
                destroy(walker, Scope::Bounded, "bucket", verbs[2..].join(" "), None);
            } else if verbs.first() == Some(&"secrets") && verbs.contains(&"versions") && verbs.contains(&"add") {
                secret(walker, IntentKind::SecretWrite, verbs.join(" "));
            }
        }
        "az" => {
            let verbs = words(&[
                "-g",
                "--resource-group",
                "-n",
                "--name",
                "--subscription",
                "-o",
                "--output",
                "--query",
                "--vault-name",
            ]);
            if let Some(verb) = verbs.iter().find(|verb| destroys(verb)) {
                let secret = verbs.first() == Some(&"keyvault")
                    && verbs.get(1).is_some_and(|what| matches!(*what, "secret" | "key" | "certificate"));
                let kind = if secret { IntentKind::SecretDelete } else { IntentKind::InfraDestroy };
                let scope = if verbs.first() == Some(&"group") { Scope::Unbounded } else { Scope::Bounded };
                walker.emit(
                    kind,
                    scope,
                    Some(Object::new("cloud", verbs.join(" "))),
                    command.span,
                    Some(format!("az {verb}")),
                );
            } else if verbs.starts_with(&["keyvault", "secret", "set"]) {
                secret(walker, IntentKind::SecretWrite, verbs.join(" "));
            }
        }
        "gsutil" => {
            let parsed = options(args, &["-o", "-h", "-u"], false);
            match parsed.operands.first().map(|arg| arg.text.as_str()) {
                Some("rm") => {
                    let wide = args.iter().any(|arg| matches!(arg.text.as_str(), "-r" | "-R" | "-a"));
                    destroy(
                        walker,
                        if wide { Scope::Unbounded } else { Scope::Bounded },
                        "bucket",
                        last_text(&parsed),
                        None,
                    );
                }
                Some("rb") => destroy(walker, Scope::Unbounded, "bucket", last_text(&parsed), None),
                Some("rsync")
                    if args.iter().any(|arg| {
                        arg.text == "-d"
                            || arg.text.starts_with('-') && !arg.text.starts_with("--") && arg.text.contains('d')
                    }) =>
                {
                    destroy(
                        walker,
                        Scope::Unbounded,
                        "bucket",
                        last_text(&parsed),
                        Some("rsync -d deletes what the source lacks".to_owned()),
                    )
                }
                _ => {}
            }
        }
        "doctl" | "linode-cli" | "hcloud" | "vultr-cli" | "scw" | "exoscale" | "ibmcloud" | "oci" => {
            let verbs = words(&["-o", "--output", "--context", "-t", "--access-token", "--region"]);
            if let Some(verb) = verbs.iter().find(|verb| destroys(verb)) {
                destroy(walker, Scope::Bounded, "cloud", verbs.join(" "), Some(format!("{program} {verb}")));
            }
        }
        "heroku" => {
            let verbs = words(&["-a", "--app", "-r", "--remote"]);
            let secrets: Vec<&str> = match verbs.as_slice() {
                ["config:set", settings @ ..] => settings
                    .iter()
                    .filter_map(|setting| setting.split_once('=').map(|(name, _)| name))
                    .filter(|name| guardrail_core::secret::names_a_secret(name))
                    .collect(),
                _ => Vec::new(),
            };
            if !secrets.is_empty() {
                let name = secrets.join(" ");
                secret(walker, IntentKind::SecretWrite, name);
            }
            if verbs.first().is_some_and(|verb| {
                matches!(*verb, "apps:destroy" | "pg:reset" | "addons:destroy" | "destroy" | "pg:kill")
            }) {
                destroy(walker, Scope::Bounded, "cloud", verbs.join(" "), None);
            }
        }
        "fly" | "flyctl" => {
            let verbs = words(&["-a", "--app", "-c", "--config"]);
            let secret = match verbs.as_slice() {
                ["secrets", "set" | "import", ..] => Some(IntentKind::SecretWrite),
                ["secrets", "unset", ..] => Some(IntentKind::SecretDelete),
                _ => None,
            };
            if let Some(kind) = secret {
                walker.emit(kind, Scope::Bounded, Some(Object::new("secret", verbs.join(" "))), command.span, None);
            } else if verbs.iter().any(|verb| matches!(*verb, "destroy" | "remove" | "delete" | "rm")) {
                destroy(walker, Scope::Bounded, "cloud", verbs.join(" "), None);
            }
        }
        "vercel" | "netlify" => {
            let verbs = words(&["--scope", "-t", "--token"]);
            if verbs.first().is_some_and(|verb| matches!(*verb, "remove" | "rm" | "sites:delete" | "env:unset")) {
                destroy(walker, Scope::Bounded, "cloud", verbs.join(" "), None);
            }
        }
        "gh" | "glab" => {
            let parsed = options(
                args,
                &[
                    "-R",
                    "--repo",
                    "-X",
                    "--method",
                    "-H",
                    "--header",
                    "-f",
                    "-F",
                    "--field",
                    "--raw-field",
                    "--hostname",
                    "-q",
                    "--jq",
                    "-t",
                    "--template",
                ],
                false,
            );
            let verbs: Vec<&str> = parsed.operands.iter().map(|arg| arg.text.as_str()).collect();
            let method = parsed.value("-X").or(parsed.value("--method")).unwrap_or("");
            let deletes = match verbs.as_slice() {
                ["api", ..] => method.eq_ignore_ascii_case("DELETE"),
                ["repo", "delete" | "archive", ..] => true,
                ["secret", "set", ..] => {
                    secret(walker, IntentKind::SecretWrite, verbs.join(" "));
                    false
                }
                ["secret", "delete" | "remove", ..] => {
                    secret(walker, IntentKind::SecretDelete, verbs.join(" "));
                    false
                }
                [_, verb, ..] => matches!(*verb, "delete" | "remove"),
                _ => false,
            };
            if deletes {
                destroy(walker, Scope::Bounded, "repository", verbs.join(" "), None);
            }
        }
        "circleci" => match words(&["--token", "--host", "--org-id"]).as_slice() {
            ["context", "remove-secret", rest @ ..] => secret(walker, IntentKind::SecretDelete, rest.join(" ")),
            [what, "delete", rest @ ..] => {
                destroy(walker, Scope::Bounded, "ci", format!("{what} {}", rest.join(" ")), None)
            }
            _ => {}
        },
        "gitlab-runner" => {
            if words(&["-c", "--config"]).first().is_some_and(|verb| matches!(*verb, "unregister" | "delete")) {
                let scope =
                    if args.iter().any(|arg| arg.is("--all-runners")) { Scope::Unbounded } else { Scope::Bounded };
                destroy(walker, scope, "ci", "gitlab runner".to_owned(), None);
            }
        }
        "java" => {
            // java -jar jenkins-cli.jar ... delete-job NAME
            let jenkins = args.iter().any(|arg| arg.text.contains("jenkins-cli"));
            if let Some(verb) = args.iter().find(|arg| jenkins && arg.text.starts_with("delete-")) {
                destroy(
                    walker,
                    Scope::Bounded,
                    "ci",
                    verb.text.clone(),
                    Some("jenkins-cli deletes a job, node or view".to_owned()),
                );
            } else {
                return false;
            }
        }
        "restic" => {
            let verbs = words(&[
                "-r",
                "--repo",
                "--password-file",
                "--tag",
                "--host",
                "--path",
                "--keep-last",
                "--keep-daily",
                "--keep-weekly",
                "--keep-monthly",
                "--keep-yearly",
                "--keep-hourly",
                "--keep-within",
                "--max-unused",
                "--cache-dir",
                "-o",
            ]);
            let dry = args.iter().any(|arg| arg.is("--dry-run") || arg.is("-n"));
            if verbs.first().is_some_and(|verb| matches!(*verb, "forget" | "prune")) && !dry {
                destroy(
                    walker,
                    Scope::Bounded,
                    "backup",
                    "restic repository".to_owned(),
                    Some("forgets or prunes snapshots".to_owned()),
                );
            }
        }
        "borg" | "borgbackup" => {
            let verbs = words(&[
                "--keep-last",
                "--keep-daily",
                "--keep-weekly",
                "--keep-monthly",
                "--keep-yearly",
                "--keep-hourly",
                "--keep-within",
                "-a",
                "--glob-archives",
                "--match-archives",
                "--repo",
                "-r",
            ]);
            let dry = args.iter().any(|arg| arg.is("--dry-run") || arg.is("-n"));
            if verbs.first().is_some_and(|verb| {
                matches!(*verb, "delete" | "prune" | "compact" | "repo-delete" | "rdelete" | "recreate")
            }) && !dry
            {
                destroy(walker, Scope::Bounded, "backup", verbs[1..].join(" "), Some(format!("borg {}", verbs[0])));
            }
        }
        "velero" => {
            let verbs = words(&["-n", "--namespace", "--selector", "-l", "--name", "--kubecontext"]);
            if verbs.contains(&"delete") {
                destroy(walker, Scope::Bounded, "backup", verbs.join(" "), None);
            }
        }
        "rclone" => {
            let verbs = words(&[
                "--config",
                "--max-age",
                "--min-age",
                "--include",
                "--exclude",
                "--filter",
                "--transfers",
                "--checkers",
                "--backup-dir",
                "--suffix",
                "--log-file",
                "--log-level",
            ]);
            let dry = args.iter().any(|arg| matches!(arg.text.as_str(), "--dry-run" | "-n" | "-i" | "--interactive"));
            if verbs.first().is_some_and(|verb| {
                matches!(
                    *verb,
                    "sync"
                        | "delete"
                        | "deletefile"
                        | "purge"
                        | "rmdir"
                        | "rmdirs"
                        | "move"
                        | "moveto"
                        | "cleanup"
                        | "dedupe"
                )
            }) && !dry
            {
                destroy(
                    walker,
                    Scope::Bounded,
                    "bucket",
                    verbs[1..].join(" "),
                    Some(format!("rclone {} deletes at the destination", verbs[0])),
                );
            }
        }
        "rsync" => {
            let parsed = options(
                args,
                &[
                    "-e",
                    "--rsh",
                    "--exclude",
                    "--include",
                    "--filter",
                    "-f",
                    "--exclude-from",
                    "--include-from",
                    "--files-from",
                    "--backup-dir",
                    "--suffix",
                    "--log-file",
                    "--partial-dir",
                    "-T",
                    "--temp-dir",
                    "--chmod",
                    "--chown",
                    "--rsync-path",
                    "--password-file",
                    "--port",
                    "--timeout",
                    "--info",
                    "--debug",
                    "--max-size",
                    "--min-size",
                    "--bwlimit",
                    "--compare-dest",
                    "--link-dest",
                    "--copy-dest",
                ],
                false,
            );
            let deletes = parsed
                .flags
                .iter()
                .any(|flag| flag.starts_with("--delete") || flag == "--remove-source-files" || flag == "--del");
            if deletes
                && !parsed.has_any(&["-n", "--dry-run"])
                && let Some(target) = parsed.operands.last()
            {
                let remote = target.text.split('/').next().is_some_and(|host| host.contains(':'));
                let (scope, name) = if remote {
                    (Scope::Elsewhere, target.text.clone())
                } else {
                    let place = walker.place(target);
                    (place.scope, place.name)
                };
                walker.emit(
                    IntentKind::FsDeleteRecursive,
                    scope,
                    Some(Object::new("path", name)),
                    command.span,
                    Some("rsync --delete removes what the source lacks".to_owned()),
                );
            }
        }
        "kafka-topics" if args.iter().any(|arg| arg.is("--delete")) => {
            destroy(walker, Scope::Bounded, "queue", value_after(args, "--topic"), None)
        }
        "kafka-delete-records" => destroy(walker, Scope::Bounded, "queue", "records".to_owned(), None),
        // Moving a group's offsets skips or replays messages; without
        // --execute it only shows the plan.
        "kafka-consumer-groups"
            if args.iter().any(|arg| arg.is("--reset-offsets")) && args.iter().any(|arg| arg.is("--execute")) =>
        {
            walker.emit(
                IntentKind::InfraDisrupt,
                Scope::Bounded,
                Some(Object::new("queue", value_after(args, "--group"))),
                command.span,
                Some("resets a consumer group's offsets: messages are skipped or read again".to_owned()),
            );
        }
        "kafka-consumer-groups" if args.iter().any(|arg| arg.is("--delete") || arg.is("--delete-offsets")) => {
            destroy(walker, Scope::Bounded, "queue", value_after(args, "--group"), None)
        }
        "kafka-acls" if args.iter().any(|arg| arg.is("--remove")) => {
            destroy(walker, Scope::Bounded, "queue", "acls".to_owned(), None)
        }
        "kafka-configs" if args.iter().any(|arg| arg.is("--delete-config")) => {
            destroy(walker, Scope::Bounded, "queue", value_after(args, "--entity-name"), None)
        }
        "rabbitmqctl" | "rabbitmqadmin" => {
            let verbs =
                words(&["-p", "--vhost", "-n", "--node", "-H", "--host", "-P", "--port", "-u", "--username", "-V"]);
            let destructive = verbs.first().is_some_and(|verb| {
                verb.starts_with("delete")
                    || verb.starts_with("clear_")
                    || matches!(*verb, "purge" | "purge_queue" | "reset" | "force_reset" | "forget_cluster_node")
            });
            if destructive {
                destroy(walker, Scope::Bounded, "queue", verbs.join(" "), None);
            } else if let Some(verb) = verbs.first().filter(|verb| {
                matches!(
                    **verb,
                    "add_user" | "change_password" | "set_user_tags" | "set_permissions" | "set_topic_permissions"
                )
            }) {
                walker.emit(
                    IntentKind::SystemPrivilege,
                    Scope::Server,
                    Some(Object::new("system", verbs.get(1).copied().unwrap_or(""))),
                    command.span,
                    Some(format!("{program} {verb} changes who may use the broker")),
                );
            }
        }
        "nats" => {
            let verbs = words(&["-s", "--server", "--context", "--creds"]);
            if verbs.iter().skip(1).any(|verb| matches!(*verb, "rm" | "delete" | "del" | "purge")) {
                destroy(walker, Scope::Bounded, "queue", verbs.join(" "), None);
            }
        }
        _ => return false,
    }
    true
}

fn last_text(parsed: &super::Options<'_>) -> String {
    parsed.operands.last().map(|arg| arg.text.clone()).unwrap_or_default()
}

fn value_after(args: &[crate::words::Arg], option: &str) -> String {
    args.iter()
        .position(|arg| arg.is(option))
        .and_then(|at| args.get(at + 1))
        .map(|arg| arg.text.clone())
        .unwrap_or_default()
}

fn aws(walker: &mut Walker, command: &Command<'_>) {
    let verbs = subcommands(
        command.args,
        &[
            "--region",
            "--profile",
            "--output",
            "--endpoint-url",
            "--query",
            "--color",
            "--cli-read-timeout",
            "--cli-connect-timeout",
            "--ca-bundle",
            "--secret-id",
            "--bucket",
            "--key",
            "--queue-url",
            "--topic-arn",
            "--subscription-arn",
            "--recovery-window-in-days",
            "--secret-string",
            "--secret-binary",
            "--kms-key-id",
            "--description",
            "--version-id",
            "--delete",
            "--receipt-handle",
            "--entries",
            "--name",
            "--value",
            "--key-id",
            "--pending-window-in-days",
            "--version-stage",
            "--max-results",
            "--password-length",
            "--attribute-names",
            "--queue-name",
            "--max-number-of-messages",
        ],
    );
    let [service, operation, rest @ ..] = verbs.as_slice() else {
        return;
    };
    let has = |flag: &str| command.args.iter().any(|arg| arg.is(flag));
    let object = Some(Object::new("cloud", format!("{service} {operation} {}", rest.join(" ")).trim_end().to_owned()));
    let emit = |walker: &mut Walker, kind: IntentKind, scope: Scope| {
        walker.emit(kind, scope, object.clone(), command.span, None)
    };
    match (*service, *operation) {
        ("secretsmanager", "delete-secret")
        | ("ssm", "delete-parameter" | "delete-parameters")
        | ("kms", "schedule-key-deletion" | "disable-key") => emit(walker, IntentKind::SecretDelete, Scope::Bounded),
        ("secretsmanager", "put-secret-value" | "update-secret" | "rotate-secret" | "cancel-rotate-secret") => {
            emit(walker, IntentKind::SecretWrite, Scope::Bounded)
        }
        ("ssm", "put-parameter") if has("--overwrite") => emit(walker, IntentKind::SecretWrite, Scope::Bounded),
        ("s3", "rm") => {
            emit(walker, IntentKind::InfraDestroy, if has("--recursive") { Scope::Unbounded } else { Scope::Bounded })
        }
        ("s3", "rb") => emit(walker, IntentKind::InfraDestroy, Scope::Unbounded),
        ("s3", "mv") => {
            emit(walker, IntentKind::InfraDestroy, if has("--recursive") { Scope::Unbounded } else { Scope::Bounded })
        }
        ("s3", "sync") if has("--delete") && !has("--dryrun") => {
            emit(walker, IntentKind::InfraDestroy, Scope::Unbounded)
        }
        (_, operation) if destroys(operation) => emit(walker, IntentKind::InfraDestroy, Scope::Bounded),
        _ => {}
    }
}
