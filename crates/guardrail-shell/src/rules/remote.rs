//! Commands run elsewhere: on other hosts (ssh, pdsh, ansible, salt, cloud
//! run-commands), in containers (docker, podman, kubectl exec and debug),
//! and under another root (chroot). What they run is walked as if it
//! stood on the line, with its paths scoped where they land: on the other
//! host (never this workspace), inside a throwaway container (its own
//! files), or through a mount onto this machine (`-v /:/host`), where they
//! are this machine's paths.

use std::collections::HashMap;

use guardrail_core::{IntentKind, Object, Scope, Span};

use super::{Rule, options};
use crate::effects::Write;
use crate::flow::Stream;
use crate::paths::Dir;
use crate::walk::{Command, Walker};
use crate::words::Arg;

pub(crate) const RULE: Rule = Rule {
    name: "remote-execution",
    intents: &[
        IntentKind::FsDeleteRecursive,
        IntentKind::InfraDestroy,
        IntentKind::SystemPower,
        IntentKind::SystemPrivilege,
    ],
    catches: "Commands carried to other hosts and containers, walked as if they stood on the line: ssh \
              (every option form, `--`, here-documents and pipes into it, and ProxyCommand or \
              LocalCommand run here), pdsh, pssh and clush, ansible ad-hoc modules (shell, command, raw, \
              file, copy, lineinfile, user, service, reboot, ...), salt functions (cmd.run, file.remove, \
              service.stop, ...), gcloud compute ssh --command, aws ssm send-command, az vm run-command; \
              docker, podman and nerdctl run and exec, kubectl exec, debug and run, and chroot. Paths are \
              scoped on the other side: a host's files as a machine without this workspace, a new \
              container's own files as temporary, and bind mounts (-v /:/host, kubectl debug node's \
              /host, chroot's root) through to the files they expose. Containers given the host \
              (--privileged, --pid/--userns/--ipc=host, SYS_ADMIN and like capabilities, apparmor or \
              seccomp unconfined) are system.privilege. What their commands write on their output \
              flows on (`kubectl exec pod -- env | curl ...`), and files copied to a host's system \
              paths (`scp x host:/etc/...`) are writes there; trees applications are deployed to \
              (/srv, /opt, /var/www, /home) are where copies to servers go.",
    why: "`ssh prod 'rm -rf /var/lib/postgresql'` and `docker run -v /:/h alpine rm -rf /h/etc` are \
          the same deletion as without the envelope; a guard must open the envelope.",
    example: "ssh -J bastion admin@db-1 -- sudo rm -rf /var/lib/postgresql",
    look_alike: "ssh admin@db-1 uptime",
    gaps: "Playbooks, salt states and scripts on the other side are not read: only what the line \
           spells out is judged.",
};

/// Where a command runs when it is not this shell.
#[derive(Clone, Debug)]
pub(crate) struct Remote {
    /// For object names: `web-01`, `container postgres-prod`.
    pub name: String,
    /// Paths inside that are files elsewhere: `(inside, outside)`, with
    /// `outside` already resolved on the side it lies.
    pub mounts: Vec<(String, String)>,
    /// Whether mounted paths lie on this machine (`docker run -v`,
    /// `chroot`) or on the remote host (`kubectl debug node`).
    pub local_mounts: bool,
    /// A new container: what it writes outside its mounts vanishes with it.
    pub ephemeral: bool,
}

impl Remote {
    pub(crate) fn host(name: impl Into<String>) -> Remote {
        Remote { name: name.into(), mounts: Vec::new(), local_mounts: false, ephemeral: false }
    }
}

impl Walker {
    /// Walks what `run` finds with the working directory `cwd` on `remote`.
    pub(crate) fn on_remote(&mut self, remote: Remote, cwd: &str, run: impl FnOnce(&mut Walker)) {
        let saved_cwd = std::mem::replace(&mut self.cwd, Dir::Absolute(cwd.to_owned()));
        let saved_remote = self.remote.replace(remote);
        run(self);
        self.cwd = saved_cwd;
        self.remote = saved_remote;
    }

    /// Shell code run on `remote`.
    fn remote_code(&mut self, remote: Remote, cwd: &str, code: &str, span: Span) {
        let code = code.trim_start().strip_prefix("-- ").unwrap_or(code).to_owned();
        self.on_remote(remote, cwd, |walker| {
            let output = walker.nested_output(&code, span, true);
            walker.carried = Some(output);
        });
    }

    /// A command (already split into arguments) run on `remote`.
    fn remote_argv(&mut self, remote: Remote, cwd: &str, argv: &[Arg], input: Stream, span: Span) {
        let argv: Vec<Arg> = argv.to_vec();
        self.on_remote(remote, cwd, |walker| {
            let output = walker.run(&argv, input, span, &HashMap::new());
            walker.carried = Some(output);
        });
    }
}

pub(crate) fn check(walker: &mut Walker, command: &Command<'_>) -> bool {
    match command.program {
        "ssh" | "autossh" | "mosh" | "dbclient" => ssh(walker, command),
        "pdsh" | "pssh" | "parallel-ssh" | "clush" | "dsh" | "mussh" | "xxsh" => many_hosts(walker, command),
        "docker" | "podman" | "nerdctl" | "docker-compose" | "podman-compose" | "finch" => {
            return container(walker, command);
        }
        "kubectl" | "oc" | "kubecolor" => return kubernetes(walker, command),
        "ansible" => ansible(walker, command),
        "salt" | "salt-ssh" | "salt-call" => salt(walker, command),
        "chroot" => chroot(walker, command),
        "gcloud" | "aws" | "az" => return cloud(walker, command),
        _ => return false,
    }
    true
}

const SSH_VALUES: &[&str] = &[
    "-b", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l", "-m", "-O", "-o", "-p", "-Q", "-R", "-S", "-W",
    "-w", "-B", "-P",
];

fn ssh(walker: &mut Walker, command: &Command<'_>) {
    let parsed = options(command.args, SSH_VALUES, true);
    let span = command.span;
    // Options whose value is a command run here: ProxyCommand, LocalCommand.
    for (option, value) in &parsed.values {
        if option != "-o" {
            continue;
        }
        let (key, setting) = match value.split_once(['=', ' ']) {
            Some((key, setting)) => (key.trim().to_ascii_lowercase(), setting.trim().trim_start_matches('=').trim()),
            None => continue,
        };
        if matches!(key.as_str(), "proxycommand" | "localcommand" | "knownhostscommand" | "remotecommand") {
            if key == "remotecommand" {
                walker.remote_code(Remote::host("the ssh host"), "/home/<remote user>", setting, span);
            } else {
                walker.nested(setting, span, true);
            }
        }
    }
    let Some(host) = parsed.rest else {
        return;
    };
    let name = command.args[host].text.rsplit('@').next().unwrap_or("").to_owned();
    let mut rest = &command.args[host + 1..];
    if rest.first().is_some_and(|arg| arg.is("--")) {
        rest = &rest[1..];
    }
    let remote: Vec<&str> = rest.iter().map(|arg| arg.text.as_str()).collect();
    if !remote.is_empty() {
        // ssh joins its arguments with spaces, and the remote shell parses
        // them; whatever is piped in goes to the remote command.
        let code = remote.join(" ");
        let input = command.input.clone();
        walker
            .on_remote(Remote::host(&name), "/home/<remote user>", |walker| walker.code_with_input(&code, span, input));
        walker.send(command.input.mark().as_ref(), &name, "ssh", span);
    } else if !matches!(command.input, Stream::Terminal) {
        let input = command.input.clone();
        walker.on_remote(Remote::host(&name), "/home/<remote user>", |walker| {
            walker.run_stream(&input, span, "text piped into ssh");
        });
    }
}

fn many_hosts(walker: &mut Walker, command: &Command<'_>) {
    let parsed = options(
        command.args,
        &[
            "-w", "-x", "-g", "-X", "-l", "-R", "-f", "-t", "-u", "-h", "-H", "-p", "-o", "-e", "-O", "-x", "-b", "-a",
            "-P",
        ],
        true,
    );
    let Some(start) = parsed.rest else { return };
    let code: Vec<&str> = command.args[start..].iter().map(|arg| arg.text.as_str()).collect();
    let hosts = parsed.value("-w").or(parsed.value("-H")).or(parsed.value("-h")).unwrap_or("several hosts").to_owned();
    walker.remote_code(Remote::host(hosts), "/home/<remote user>", &code.join(" "), command.span);
}

/// Options of `docker run` / `create` that take a value.
const RUN_VALUES: &[&str] = &[
    "-v",
    "--volume",
    "--mount",
    "-e",
    "--env",
    "--env-file",
    "-w",
    "--workdir",
    "--name",
    "-p",
    "--publish",
    "-u",
    "--user",
    "--network",
    "--net",
    "--entrypoint",
    "-l",
    "--label",
    "--label-file",
    "--platform",
    "--pull",
    "--restart",
    "--cpus",
    "-m",
    "--memory",
    "--device",
    "--cap-add",
    "--cap-drop",
    "--security-opt",
    "--pid",
    "--ipc",
    "--hostname",
    "-h",
    "--add-host",
    "--dns",
    "--log-driver",
    "--log-opt",
    "--tmpfs",
    "-a",
    "--attach",
    "--cidfile",
    "--gpus",
    "--group-add",
    "--health-cmd",
    "--ulimit",
    "--userns",
    "--uts",
    "--volumes-from",
    "--shm-size",
    "--stop-signal",
    "--stop-timeout",
    "--runtime",
    "--cgroupns",
    "--init-path",
    "--memory-swap",
    "--expose",
    "--link",
    "--mac-address",
    "--ip",
    "--network-alias",
    "--detach-keys",
    "--cpu-shares",
    "-c",
    "--cpuset-cpus",
    "--blkio-weight",
    "--oom-score-adj",
    "--sysctl",
    "--storage-opt",
    "--annotation",
    "--arch",
    "--os",
    "--secret",
    "--systemd",
    "--rootfs",
    "--timeout",
    "--pod",
    "--replace",
    "--image-volume",
    "--requires",
    "--env-host",
    "--hooks-dir",
    "--log-level",
    "--chrootdirs",
    "--passwd-entry",
    "--preserve-fds",
];

/// Global options of docker, podman and nerdctl that take a value.
const CONTAINER_GLOBALS: &[&str] = &[
    "-H",
    "--host",
    "--context",
    "-c",
    "--config",
    "-l",
    "--log-level",
    "--tlscacert",
    "--tlscert",
    "--tlskey",
    "--connection",
    "--url",
    "--identity",
    "--root",
    "--runroot",
    "--storage-driver",
    "--namespace",
    "-n",
    "--address",
    "-f",
    "--file",
    "-p",
    "--project-name",
    "--project-directory",
    "--profile",
    "--env-file",
];

/// `docker run ... IMAGE CMD...` and `docker exec ... CONTAINER CMD...`.
/// Returns whether it judged the command.
/// A container given the host: `--privileged`, the host's process or user
/// namespace, capabilities that reach the kernel, or confinement switched
/// off. Whatever it runs, it can take the machine. (A mounted engine socket
/// is as strong, but tools mount it to list and build; it is left alone.)
fn host_privilege(walker: &mut Walker, parsed: &super::Options<'_>, command: &Command<'_>) {
    let value_is = |options: &[&str], wanted: &[&str]| {
        parsed.values.iter().any(|(option, value)| {
            options.contains(&option.as_str()) && wanted.iter().any(|wanted| value.eq_ignore_ascii_case(wanted))
        })
    };
    let reason = if parsed.has("--privileged") {
        Some("--privileged")
    } else if value_is(&["--pid", "--userns", "--ipc", "--uts"], &["host"]) {
        Some("the host's namespaces")
    } else if value_is(
        &["--cap-add"],
        &["ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_PTRACE", "SYS_RAWIO", "DAC_READ_SEARCH"],
    ) {
        Some("capabilities that reach the host's kernel")
    } else if parsed.values.iter().any(|(option, value)| {
        option == "--security-opt"
            && matches!(
                value.as_str(),
                "apparmor=unconfined" | "seccomp=unconfined" | "label=disable" | "label:disable"
            )
    }) {
        Some("confinement switched off")
    } else {
        None
    };
    if let Some(reason) = reason {
        walker.emit(
            IntentKind::SystemPrivilege,
            Scope::System,
            Some(Object::new("system", "the host")),
            command.span,
            Some(format!("a container with {reason} can take the host")),
        );
    }
}

fn container(walker: &mut Walker, command: &Command<'_>) -> bool {
    let args = command.args;
    let global = options(args, CONTAINER_GLOBALS, true);
    let Some(mut at) = global.rest else { return false };
    // `docker compose -f x.yml exec ...`: compose's own options come next.
    if matches!(args[at].text.as_str(), "container" | "compose") && args.len() > at + 1 {
        at += 1;
        match options(&args[at..], CONTAINER_GLOBALS, true).rest {
            Some(next) => at += next,
            None => return false,
        }
    }
    let compose = command.program.ends_with("compose") || args.iter().take(at + 1).any(|arg| arg.is("compose"));
    let verb = args[at].text.as_str();
    let rest = &args[at + 1..];
    match verb {
        "run" | "create" => {
            let parsed = options(rest, RUN_VALUES, true);
            let Some(image) = parsed.rest else { return true };
            let mut mounts = Vec::new();
            for (option, value) in &parsed.values {
                match option.as_str() {
                    "-v" | "--volume" => {
                        let mut parts = value.split(':');
                        if let (Some(source), Some(target)) = (parts.next(), parts.next())
                            && (source.starts_with('/')
                                || source.starts_with('.')
                                || source.starts_with('~')
                                || source.starts_with('$'))
                        {
                            mounts.push((target.to_owned(), walker.place(&Arg::literal(source, command.span)).name));
                        }
                    }
                    "--mount" => {
                        let fields: HashMap<&str, &str> =
                            value.split(',').filter_map(|field| field.split_once('=')).collect();
                        let source = fields.get("source").or(fields.get("src"));
                        let target = fields.get("target").or(fields.get("dst")).or(fields.get("destination"));
                        if let (Some(source), Some(target)) = (source, target)
                            && source.starts_with('/')
                        {
                            mounts.push((target.to_string(), walker.place(&Arg::literal(*source, command.span)).name));
                        }
                    }
                    _ => {}
                }
            }
            host_privilege(walker, &parsed, command);
            let workdir = parsed.value("-w").or(parsed.value("--workdir")).unwrap_or("/").to_owned();
            // Compose's run names a service, not an image; both are followed by the command.
            let argv = &rest[image + 1..];
            if argv.is_empty() {
                return true;
            }
            let remote = Remote {
                name: format!("container {}", rest[image].text),
                mounts,
                local_mounts: true,
                ephemeral: !compose || parsed.has("--rm"),
            };
            let input = if parsed.has_any(&["-i", "--interactive"]) { command.input.clone() } else { Stream::Terminal };
            walker.remote_argv(remote, &workdir, argv, input, command.span);
            true
        }
        "exec" => {
            let parsed = options(
                rest,
                &["-e", "--env", "--env-file", "-u", "--user", "-w", "--workdir", "--detach-keys", "--index"],
                true,
            );
            let Some(target) = parsed.rest else { return true };
            let argv = &rest[target + 1..];
            let workdir = parsed.value("-w").or(parsed.value("--workdir")).unwrap_or("/").to_owned();
            let remote = Remote::host(format!("container {}", rest[target].text));
            let input = if parsed.has_any(&["-i", "--interactive"]) || compose {
                command.input.clone()
            } else {
                Stream::Terminal
            };
            walker.remote_argv(remote, &workdir, argv, input, command.span);
            true
        }
        _ => false,
    }
}

/// `kubectl exec POD -- CMD`, `kubectl debug node/N -- CMD` (the node's
/// root at /host), `kubectl run NAME --rm --image=I -- CMD`.
fn kubernetes(walker: &mut Walker, command: &Command<'_>) -> bool {
    let args = command.args;
    let values = &[
        "-n",
        "--namespace",
        "--context",
        "--cluster",
        "--kubeconfig",
        "-c",
        "--container",
        "--image",
        "--profile",
        "--target",
        "-f",
        "--filename",
        "--as",
        "--user",
        "-s",
        "--server",
        "--token",
        "--pod-running-timeout",
        "--env",
        "--labels",
        "-l",
        "--overrides",
        "--restart",
        "--copy-to",
        "--share-processes",
        "--port",
    ];
    let parsed = options(args, values, false);
    let Some(verb) = parsed.operands.first() else { return false };
    let creates_workload = verb.text == "create"
        && parsed
            .operands
            .get(1)
            .is_some_and(|kind| matches!(kind.text.as_str(), "cronjob" | "cj" | "job" | "deployment" | "deploy"));
    if !matches!(verb.text.as_str(), "exec" | "debug" | "run") && !creates_workload {
        return false;
    }
    let Some(dash) = args.iter().position(|arg| arg.is("--")) else {
        // Legacy `kubectl exec POD CMD...`: the command follows the pod.
        if verb.text == "exec" && parsed.operands.len() > 2 {
            let start = parsed.operand_index[2];
            walker.remote_argv(
                Remote::host(format!("pod {}", parsed.operands[1].text)),
                "/",
                &args[start..],
                command.input.clone(),
                command.span,
            );
        }
        return true;
    };
    let target = parsed.operands.get(1).map(|arg| arg.text.clone()).unwrap_or_default();
    let argv = &args[dash + 1..];
    let remote = match verb.text.as_str() {
        "debug" if target.starts_with("node/") => Remote {
            name: target.clone(),
            mounts: vec![("/host".to_owned(), "/".to_owned())],
            local_mounts: false,
            ephemeral: true,
        },
        // A pod's volumes are not shown: its paths are a machine's, not scratch.
        "run" | "create" => Remote::host(format!("pod {target}")),
        _ => Remote::host(format!("pod {target}")),
    };
    walker.remote_argv(remote, "/", argv, command.input.clone(), command.span);
    true
}

fn ansible(walker: &mut Walker, command: &Command<'_>) {
    let parsed = options(
        command.args,
        &[
            "-i",
            "--inventory",
            "-m",
            "--module-name",
            "-a",
            "--args",
            "-u",
            "--user",
            "-l",
            "--limit",
            "-e",
            "--extra-vars",
            "-f",
            "--forks",
            "-T",
            "--timeout",
            "-B",
            "--background",
            "-P",
            "--poll",
            "--become-user",
            "--become-method",
            "-c",
            "--connection",
            "--private-key",
            "--key-file",
            "-M",
            "--module-path",
            "--vault-password-file",
            "--vault-id",
            "-t",
            "--tree",
            "--playbook-dir",
        ],
        false,
    );
    let hosts = parsed.operands.first().map(|arg| arg.text.clone()).unwrap_or_else(|| "hosts".to_owned());
    let module = parsed.value("-m").or(parsed.value("--module-name")).unwrap_or("command");
    let module = module.rsplit('.').next().unwrap_or(module).to_owned();
    let arguments = parsed.value("-a").or(parsed.value("--args")).unwrap_or("").to_owned();
    module_effects(walker, &hosts, &module, &arguments, command.span);
}

/// What an ansible or salt module does with its `key=value` arguments.
fn module_effects(walker: &mut Walker, hosts: &str, module: &str, arguments: &str, span: Span) {
    let remote = Remote::host(hosts);
    let fields: HashMap<String, String> = split_fields(arguments);
    let field = |names: &[&str]| names.iter().find_map(|name| fields.get(*name).cloned());
    let state = field(&["state"]).unwrap_or_default();
    let path = field(&["path", "dest", "name", "src"]);
    let emit = |walker: &mut Walker, kind: IntentKind, note: String| {
        walker.emit(kind, Scope::Unbounded, Some(Object::new("host", hosts)), span, Some(note));
    };
    match module {
        "shell" | "command" | "raw" | "win_shell" | "win_command" => {
            walker.remote_code(remote, "/home/<remote user>", arguments, span);
        }
        "script" => emit(walker, IntentKind::CodeDynamic, format!("runs the script {arguments} on {hosts}")),
        "file" if state == "absent" => {
            if let Some(path) = path {
                walker.on_remote(remote, "/", |walker| {
                    walker.delete_path(
                        &Arg::literal(path, span),
                        true,
                        span,
                        Some("ansible's file module, state=absent"),
                    );
                });
            }
        }
        "file" => {
            if let (Some(path), Some(mode)) = (path, field(&["mode", "owner"])) {
                walker.on_remote(remote, "/", |walker| {
                    walker.permission_path(
                        &Arg::literal(path, span),
                        state == "directory" && fields.contains_key("recurse"),
                        Some(&mode),
                        span,
                    );
                });
            }
        }
        "copy" | "template" | "get_url" | "unarchive" | "lineinfile" | "blockinfile" | "replace" | "ini_file" => {
            let target = field(&["dest", "path"]);
            if let Some(target) = target {
                let how = if matches!(module, "lineinfile" | "blockinfile" | "replace" | "ini_file") {
                    Write::Edit
                } else {
                    Write::Replace
                };
                let content = match field(&["content", "line", "block"]) {
                    Some(text) => Stream::Text(text),
                    None => Stream::Unknown,
                };
                walker.on_remote(remote, "/", |walker| {
                    walker.write_path(&Arg::literal(target, span), &content, how, span, Some("written by ansible"));
                });
            }
        }
        "user" | "group" if state == "absent" => {
            emit(walker, IntentKind::SystemUserDelete, format!("{module} state=absent"))
        }
        "user" | "group" | "authorized_key" | "sudoers" => {
            emit(walker, IntentKind::SystemPrivilege, format!("ansible's {module} module"))
        }
        "service" | "systemd" | "systemd_service" | "sysvinit"
            if matches!(state.as_str(), "stopped" | "restarted" | "reloaded")
                || fields.get("enabled").is_some_and(|value| value == "no" || value == "false") =>
        {
            emit(walker, IntentKind::InfraDisrupt, format!("{module} {arguments}"))
        }
        "reboot" | "win_reboot" => emit(walker, IntentKind::SystemPower, format!("reboots {hosts}")),
        "apt" | "yum" | "dnf" | "package" | "pip" | "npm" | "snap" | "apk" | "pacman" | "zypper"
            if state == "absent" =>
        {
            emit(walker, IntentKind::InfraDisrupt, format!("removes packages: {arguments}"))
        }
        "cron" if state == "absent" => emit(walker, IntentKind::SystemCronRemove, format!("cron {arguments}")),
        "cron" => {
            if let Some(job) = field(&["job"]) {
                walker.remote_code(remote, "/home/<remote user>", &job, span);
            }
        }
        "iptables" if fields.get("flush").is_some_and(|value| value == "true" || value == "yes") => {
            emit(walker, IntentKind::SystemFirewall, "iptables flush=true".to_owned())
        }
        "ufw" if state == "disabled" || state == "reset" => {
            emit(walker, IntentKind::SystemFirewall, format!("ufw state={state}"))
        }
        _ if state == "absent" => {
            emit(walker, IntentKind::InfraUndeclared, format!("ansible's {module} module, state=absent"))
        }
        _ => {}
    }
}

/// `key=value key2='a b'` as ansible writes module arguments.
fn split_fields(arguments: &str) -> HashMap<String, String> {
    let mut fields = HashMap::new();
    let mut rest = arguments.trim();
    while !rest.is_empty() {
        let Some(equals) = rest.find('=') else { break };
        let key = rest[..equals].trim().rsplit(' ').next().unwrap_or("").to_owned();
        let after = &rest[equals + 1..];
        let (value, next) = match after.chars().next() {
            Some(quote @ ('\'' | '"')) => match after[1..].find(quote) {
                Some(end) => (after[1..1 + end].to_owned(), &after[end + 2..]),
                None => (after[1..].to_owned(), ""),
            },
            _ => match after.find(' ') {
                Some(end) => (after[..end].to_owned(), &after[end..]),
                None => (after.to_owned(), ""),
            },
        };
        fields.insert(key, value);
        rest = next.trim_start();
    }
    fields
}

fn salt(walker: &mut Walker, command: &Command<'_>) {
    let parsed = options(
        command.args,
        &[
            "-t",
            "--timeout",
            "-s",
            "--static",
            "-b",
            "--batch-size",
            "--out",
            "-c",
            "--config-dir",
            "--return",
            "-d",
            "--log-level",
            "-l",
            "--roster-file",
            "--priv",
        ],
        false,
    );
    let operands: Vec<&str> = parsed.operands.iter().map(|arg| arg.text.as_str()).collect();
    let (target, function, rest) = match (command.program, operands.as_slice()) {
        ("salt-call", [function, rest @ ..]) => ("this minion".to_owned(), *function, rest),
        (_, [target, function, rest @ ..]) => (target.to_string(), *function, rest),
        _ => return,
    };
    let span = command.span;
    let arguments = rest.join(" ");
    match function {
        "cmd.run" | "cmd.shell" | "cmd.run_all" | "cmd.run_stdout" | "cmd.exec_code" | "cmd.powershell" => {
            walker.remote_code(Remote::host(&target), "/root", &arguments, span)
        }
        "cmd.script" => walker.emit(
            IntentKind::CodeDynamic,
            Scope::Unbounded,
            Some(Object::new("host", &target)),
            span,
            Some(format!("runs the script {arguments}")),
        ),
        "file.remove" | "file.rmdir" | "file.delete" => {
            for path in rest {
                let path = Arg::literal(*path, span);
                walker.on_remote(Remote::host(&target), "/", |walker| {
                    walker.delete_path(&path, true, span, Some("salt file.remove"))
                });
            }
        }
        "system.reboot" | "system.shutdown" | "system.poweroff" | "system.halt" => walker.emit(
            IntentKind::SystemPower,
            Scope::Server,
            Some(Object::new("host", &target)),
            span,
            Some(function.to_owned()),
        ),
        "user.delete" | "group.delete" => walker.emit(
            IntentKind::SystemUserDelete,
            Scope::Server,
            Some(Object::new("host", &target)),
            span,
            Some(function.to_owned()),
        ),
        _ => {
            let verb = function.rsplit('.').next().unwrap_or(function);
            match crate::lexicon::classify(verb, false) {
                Some(crate::lexicon::Verb::Destroy) => walker.emit(
                    IntentKind::InfraDestroy,
                    Scope::Unbounded,
                    Some(Object::new("host", &target)),
                    span,
                    Some(format!("salt {function}")),
                ),
                Some(crate::lexicon::Verb::Disrupt) => walker.emit(
                    IntentKind::InfraDisrupt,
                    Scope::Unbounded,
                    Some(Object::new("host", &target)),
                    span,
                    Some(format!("salt {function}")),
                ),
                _ => {}
            }
        }
    }
}

/// `chroot DIR CMD...`: paths inside are below DIR here.
fn chroot(walker: &mut Walker, command: &Command<'_>) {
    let parsed = options(command.args, &["--userspec", "--groups"], true);
    let Some(root) = parsed.rest else { return };
    let root_dir = walker.place(&command.args[root]).name;
    let argv = &command.args[root + 1..];
    let argv: Vec<Arg> = if argv.is_empty() { vec![Arg::literal("/bin/sh", command.span)] } else { argv.to_vec() };
    let remote = match &walker.remote {
        // A chroot on the other side (`kubectl debug node/x -- chroot /host`):
        // the new root is a path there.
        Some(outer) => {
            let inside = root_dir.strip_prefix(&format!("{}:", outer.name)).unwrap_or(&root_dir).to_owned();
            Remote {
                name: outer.name.clone(),
                mounts: vec![("/".to_owned(), inside)],
                local_mounts: false,
                ephemeral: false,
            }
        }
        None => Remote {
            name: format!("chroot {root_dir}"),
            mounts: vec![("/".to_owned(), root_dir)],
            local_mounts: true,
            ephemeral: false,
        },
    };
    walker.remote_argv(remote, "/", &argv, command.input.clone(), command.span);
}

/// Cloud CLIs' ways of running commands on instances: `gcloud compute ssh
/// --command`, `aws ssm send-command`, `az vm run-command invoke`.
fn cloud(walker: &mut Walker, command: &Command<'_>) -> bool {
    let words: Vec<&str> = command.args.iter().map(|arg| arg.text.as_str()).collect();
    let span = command.span;
    let value = |names: &[&str]| -> Option<String> {
        words.iter().enumerate().find_map(|(index, word)| {
            names.iter().find_map(|name| {
                if *word == *name {
                    words.get(index + 1).map(|value| value.to_string())
                } else {
                    word.strip_prefix(&format!("{name}=")).map(str::to_owned)
                }
            })
        })
    };
    match command.program {
        "gcloud"
            if words.starts_with(&["compute", "ssh"])
                || words.starts_with(&["alpha", "compute", "ssh"])
                || words.starts_with(&["beta", "compute", "ssh"]) =>
        {
            let host =
                words.iter().skip(2).find(|word| !word.starts_with('-')).copied().unwrap_or("instance").to_owned();
            if let Some(code) = value(&["--command"]) {
                walker.remote_code(Remote::host(&host), "/home/<remote user>", &code, span);
            } else if let Some(dash) = words.iter().position(|word| *word == "--") {
                walker.remote_code(Remote::host(&host), "/home/<remote user>", &words[dash + 1..].join(" "), span);
            }
            true
        }
        "aws" if words.starts_with(&["ssm", "send-command"]) => {
            if let Some(parameters) = value(&["--parameters"]) {
                for code in quoted_strings(&parameters) {
                    walker.remote_code(Remote::host("ssm targets"), "/", &code, span);
                }
                if quoted_strings(&parameters).is_empty() {
                    walker.emit(
                        IntentKind::CodeDynamic,
                        Scope::Unbounded,
                        None,
                        span,
                        Some("aws ssm send-command runs commands the line does not show".to_owned()),
                    );
                }
            }
            true
        }
        "az" if words.windows(2).any(|pair| pair == ["run-command", "invoke"]) => {
            match value(&["--scripts"]) {
                Some(code) => walker.remote_code(Remote::host("azure vm"), "/", &code, span),
                None => walker.emit(
                    IntentKind::CodeDynamic,
                    Scope::Unbounded,
                    None,
                    span,
                    Some("az vm run-command runs a script the line does not show".to_owned()),
                ),
            }
            true
        }
        _ => false,
    }
}

/// The double-quoted strings of a JSON-like value (`commands=["rm -rf x"]`).
fn quoted_strings(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('"') {
        let Some(length) = rest[start + 1..].find('"') else { break };
        let value = &rest[start + 1..start + 1 + length];
        if !value.is_empty() && !value.ends_with(':') {
            found.push(value.to_owned());
        }
        rest = &rest[start + 2 + length..];
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_arguments_split_as_ansible_does() {
        let fields = split_fields("path=/etc/nginx state=absent mode='0644' line=\"a b\"");
        assert_eq!(fields.get("path").map(String::as_str), Some("/etc/nginx"));
        assert_eq!(fields.get("state").map(String::as_str), Some("absent"));
        assert_eq!(fields.get("mode").map(String::as_str), Some("0644"));
        assert_eq!(fields.get("line").map(String::as_str), Some("a b"));
    }

    #[test]
    fn strings_of_ssm_parameters() {
        assert_eq!(quoted_strings("commands=[\"rm -rf /var/app\",\"ls\"]"), ["rm -rf /var/app", "ls"]);
        assert_eq!(quoted_strings("{\"commands\":[\"id\"]}"), ["commands", "id"]);
    }
}
