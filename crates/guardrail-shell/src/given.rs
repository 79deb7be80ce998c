//! Secrets given on the command line: passwords and tokens typed as a
//! program's argument or piped into its standard input.
//!
//! The text detectors in `guardrail_core::secret` find secrets by their
//! shape (`PGPASSWORD=`, `--password=`, `Bearer ...`, cloud key prefixes).
//! A password is often shapeless: `docker login -p hunter2`, `htpasswd -b
//! file admin hunter2`, `vault login s.Xk29`, `echo hunter2 | sudo -S`. The
//! walker knows which argument is which, so the programs below say where
//! their secrets sit, and the walker reports them to be masked.
//!
//! A secret is masked where the line shows it: its own word, and every
//! other place its value appears in the text (the `PW=...` that set the
//! variable the command used). Values shorter than four characters are
//! masked only in their own word, so that a password like `x` does not
//! mask every `x` in the line.

use guardrail_core::Span;

use crate::flow::Stream;
use crate::rules::options;
use crate::walk::{Command, Walker};
use crate::words::Arg;

/// Where a program takes a secret.
#[derive(Debug)]
pub struct Given {
    /// Its names.
    pub programs: &'static [&'static str],
    /// The subcommand that takes the secret (`login`), as its first operands.
    pub subcommand: &'static [&'static str],
    /// Options whose value is a secret, and which part of the value is.
    pub options: &'static [(&'static str, Part)],
    /// Other options that take a value, so that operands are counted right.
    pub takes: &'static [&'static str],
    /// Which operands after the subcommand are secrets.
    pub operands: Operands,
    /// Flags without which the operands are not secrets (`htpasswd -b`).
    pub when: &'static [&'static str],
    /// When what is piped into it is a secret.
    pub stdin: Stdin,
    /// A line whose secret this masks.
    pub example: &'static str,
}

/// Which part of an option's value is the secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// All of it.
    Whole,
    /// What follows the first occurrence of the character
    /// (`--from-literal=key=SECRET`, `-U user%SECRET`).
    After(char),
}

/// Which operands are secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operands {
    None,
    /// The first that is not `key=value` (`vault login TOKEN`).
    First,
    /// The last (`htpasswd -b FILE USER PASSWORD`).
    Last,
    /// The values of `key=value` operands (`fly secrets set K=V`).
    Values,
    /// Every operand from this position on (`mc alias set NAME URL KEY SECRET`).
    From(usize),
    /// The last, when the first starts with this (`poetry config
    /// http-basic.REPO USER PASSWORD`).
    LastAfter(&'static str),
    /// An operand after one whose name says it holds a secret
    /// (`aws configure set aws_secret_access_key VALUE`), and the values of
    /// `key=value` operands whose key says so.
    AfterSecretName,
}

/// When what is piped into the program is a secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stdin {
    Never,
    Always,
    /// With any of these flags, or `-` as an operand where listed.
    With(&'static [&'static str]),
}

const LOGIN: Given = Given {
    programs: &[],
    subcommand: &["login"],
    options: &[("-p", Part::Whole), ("--password", Part::Whole)],
    takes: &["-u", "--username"],
    operands: Operands::None,
    when: &[],
    stdin: Stdin::With(&["--password-stdin"]),
    example: "",
};

const NONE: Given = Given {
    programs: &[],
    subcommand: &[],
    options: &[],
    takes: &[],
    operands: Operands::None,
    when: &[],
    stdin: Stdin::Never,
    example: "",
};

/// Every program that takes a secret on its command line. Options a
/// catalogue entry marks `Role::Password` are masked too.
pub const GIVEN: &[Given] = &[
    Given {
        programs: &["docker", "podman", "nerdctl", "buildah", "skopeo", "oras", "finch"],
        example: "docker login -u deploy -p hunter2 registry.example.com",
        ..LOGIN
    },
    Given {
        programs: &["helm"],
        subcommand: &["registry", "login"],
        example: "helm registry login -p hunter2 r.io",
        ..LOGIN
    },
    Given {
        programs: &["crane"],
        subcommand: &["auth", "login"],
        example: "crane auth login -p hunter2 r.io",
        ..LOGIN
    },
    Given {
        programs: &["az"],
        subcommand: &["login"],
        takes: &["-u", "--username", "--tenant", "-t"],
        stdin: Stdin::Never,
        example: "az login --service-principal -u app -p hunter2 --tenant t",
        ..LOGIN
    },
    Given {
        programs: &["az"],
        subcommand: &["acr", "login"],
        takes: &["-n", "--name", "-u", "--username"],
        stdin: Stdin::Never,
        example: "az acr login -n reg -u app -p hunter2",
        ..LOGIN
    },
    Given {
        programs: &["vault", "bao"],
        subcommand: &["login"],
        takes: &["-method", "-path", "-address"],
        operands: Operands::First,
        stdin: Stdin::With(&["-"]),
        example: "vault login hunter2",
        ..NONE
    },
    Given {
        programs: &["vault", "bao"],
        subcommand: &["kv", "put"],
        takes: &["-mount", "-address", "-namespace"],
        operands: Operands::Values,
        example: "vault kv put secret/app db=hunter2",
        ..NONE
    },
    Given {
        programs: &["vault", "bao"],
        subcommand: &["kv", "patch"],
        takes: &["-mount", "-address", "-namespace"],
        operands: Operands::Values,
        example: "vault kv patch secret/app db=hunter2",
        ..NONE
    },
    Given {
        programs: &["htpasswd"],
        operands: Operands::Last,
        when: &["-b"],
        stdin: Stdin::With(&["-i"]),
        example: "htpasswd -b -c /etc/nginx/.htpasswd admin hunter2",
        ..NONE
    },
    Given {
        programs: &["aws"],
        subcommand: &["configure", "set"],
        takes: &["--profile"],
        operands: Operands::AfterSecretName,
        example: "aws configure set aws_secret_access_key hunter2hunter2",
        ..NONE
    },
    Given {
        programs: &["aws"],
        subcommand: &["secretsmanager"],
        options: &[("--secret-string", Part::Whole), ("--secret-binary", Part::Whole)],
        example: "aws secretsmanager put-secret-value --secret-id db --secret-string hunter2",
        ..NONE
    },
    Given {
        programs: &["aws"],
        subcommand: &["ssm", "put-parameter"],
        options: &[("--value", Part::Whole)],
        example: "aws ssm put-parameter --name /db/pw --type SecureString --value hunter2",
        ..NONE
    },
    Given {
        programs: &["az"],
        subcommand: &["keyvault", "secret", "set"],
        options: &[("--value", Part::Whole)],
        example: "az keyvault secret set --vault-name kv --name db --value hunter2",
        ..NONE
    },
    Given {
        programs: &["gcloud"],
        subcommand: &["secrets"],
        stdin: Stdin::With(&["--data-file=-"]),
        example: "echo -n hunter2 | gcloud secrets versions add db --data-file=-",
        ..NONE
    },
    Given {
        programs: &["gh"],
        subcommand: &["secret", "set"],
        options: &[("-b", Part::Whole), ("--body", Part::Whole)],
        stdin: Stdin::Always,
        example: "gh secret set DEPLOY_KEY --body hunter2",
        ..NONE
    },
    Given {
        programs: &["gh", "glab"],
        subcommand: &["auth", "login"],
        options: &[("--token", Part::Whole), ("-t", Part::Whole)],
        stdin: Stdin::With(&["--with-token", "--stdin"]),
        example: "echo hunter2 | gh auth login --with-token",
        ..NONE
    },
    Given {
        programs: &["fly", "flyctl"],
        subcommand: &["secrets", "set"],
        takes: &["-a", "--app"],
        operands: Operands::Values,
        example: "fly secrets set DATABASE_URL=postgres://u:hunter2@db/app -a api",
        ..NONE
    },
    Given {
        programs: &["doppler"],
        subcommand: &["secrets", "set"],
        takes: &["-p", "--project", "-c", "--config"],
        operands: Operands::Values,
        example: "doppler secrets set API_KEY=hunter2",
        ..NONE
    },
    Given {
        programs: &["vercel"],
        subcommand: &["env", "add"],
        stdin: Stdin::Always,
        example: "echo hunter2 | vercel env add DB_PASSWORD production",
        ..NONE
    },
    Given {
        programs: &["kubectl", "oc"],
        takes: &["-n", "--namespace", "--context", "--kubeconfig", "--cluster", "--user", "-o", "--output"],
        subcommand: &["create", "secret"],
        options: &[("--from-literal", Part::After('=')), ("--docker-password", Part::Whole)],
        stdin: Stdin::With(&["/dev/stdin"]),
        example: "kubectl create secret generic db --from-literal=password=hunter2",
        ..NONE
    },
    Given {
        programs: &["kubectl", "oc"],
        takes: &["-n", "--namespace", "--context", "--kubeconfig", "--cluster", "--user", "-o", "--output"],
        subcommand: &["config", "set-credentials"],
        options: &[("--token", Part::Whole), ("--password", Part::Whole)],
        example: "kubectl config set-credentials admin --token=hunter2",
        ..NONE
    },
    Given {
        programs: &["docker", "podman"],
        subcommand: &["secret", "create"],
        stdin: Stdin::With(&["-"]),
        example: "printf hunter2 | docker secret create db_password -",
        ..NONE
    },
    Given {
        programs: &["npm", "pnpm", "yarn", "git", "conda", "pip", "pip3", "poetry", "consul", "etcdctl", "rclone"],
        operands: Operands::AfterSecretName,
        example: "npm config set //registry.npmjs.org/:_authToken hunter2hunter2",
        ..NONE
    },
    Given {
        programs: &["mc"],
        subcommand: &["alias", "set"],
        operands: Operands::From(2),
        example: "mc alias set prod https://s3.example.com AKIDEXAMPLE hunter2",
        ..NONE
    },
    Given {
        programs: &["ldapsearch", "ldapadd", "ldapmodify", "ldapdelete", "ldapwhoami", "ldapcompare", "ldapmodrdn"],
        options: &[("-w", Part::Whole)],
        example: "ldapsearch -x -D cn=admin,dc=example -w hunter2 -b dc=example",
        ..NONE
    },
    Given {
        programs: &["ldappasswd"],
        options: &[("-w", Part::Whole), ("-s", Part::Whole), ("-a", Part::Whole)],
        example: "ldappasswd -x -D cn=admin -w hunter2 -s newpass uid=bob",
        ..NONE
    },
    Given {
        programs: &["smbclient", "rpcclient", "smbcacls", "net"],
        options: &[("-U", Part::After('%')), ("--user", Part::After('%'))],
        example: "smbclient //fs/share -U admin%hunter2",
        ..NONE
    },
    Given {
        programs: &["rabbitmqctl"],
        subcommand: &["add_user"],
        takes: &["-n", "--node"],
        operands: Operands::From(1),
        example: "rabbitmqctl add_user deploy hunter2",
        ..NONE
    },
    Given {
        programs: &["rabbitmqctl"],
        subcommand: &["change_password"],
        takes: &["-n", "--node"],
        operands: Operands::From(1),
        example: "rabbitmqctl change_password deploy hunter2",
        ..NONE
    },
    Given {
        programs: &["sqlcmd", "bcp", "mssql-cli", "isql"],
        options: &[("-P", Part::Whole)],
        example: "sqlcmd -S db -U sa -P hunter2 -Q 'SELECT 1'",
        ..NONE
    },
    Given {
        programs: &["keytool"],
        options: &[
            ("-storepass", Part::Whole),
            ("-keypass", Part::Whole),
            ("-srcstorepass", Part::Whole),
            ("-deststorepass", Part::Whole),
            ("-srckeypass", Part::Whole),
            ("-destkeypass", Part::Whole),
            ("-new", Part::Whole),
        ],
        example: "keytool -importcert -keystore ks.jks -storepass hunter2 -file ca.pem",
        ..NONE
    },
    Given {
        programs: &["useradd", "usermod"],
        options: &[("-p", Part::Whole), ("--password", Part::Whole)],
        example: "useradd -m -p hunter2 bob",
        ..NONE
    },
    Given {
        programs: &["sshpass"],
        options: &[("-p", Part::Whole)],
        example: "sshpass -p hunter2 ssh root@host uptime",
        ..NONE
    },
    Given {
        programs: &["redis-cli", "valkey-cli", "keydb-cli"],
        options: &[("-a", Part::Whole), ("--pass", Part::Whole), ("--user", Part::Whole)],
        stdin: Stdin::With(&["--askpass"]),
        example: "redis-cli -h cache -a hunter2 PING",
        ..NONE
    },
    Given {
        programs: &["openssl"],
        subcommand: &["passwd"],
        takes: &["-salt", "-in"],
        operands: Operands::From(0),
        example: "openssl passwd -6 -salt xyz hunter2",
        ..NONE
    },
    Given {
        programs: &["mkpasswd"],
        takes: &["-m", "--method", "-S", "--salt", "-R", "--rounds"],
        operands: Operands::First,
        example: "mkpasswd -m sha-512 hunter2",
        ..NONE
    },
    Given {
        programs: &["doctl"],
        options: &[("-t", Part::Whole), ("--access-token", Part::Whole)],
        example: "doctl -t hunter2 account get",
        ..NONE
    },
    Given {
        programs: &["security"],
        options: &[("-w", Part::Whole)],
        example: "security add-generic-password -a me -s db -w hunter2",
        ..NONE
    },
    Given {
        programs: &["ipmitool"],
        options: &[("-P", Part::Whole)],
        example: "ipmitool -H bmc -U admin -P hunter2 power status",
        ..NONE
    },
    Given {
        programs: &["qpdf"],
        options: &[("--encrypt", Part::Whole)],
        operands: Operands::First,
        when: &["--encrypt"],
        example: "qpdf --encrypt hunter2 owner-pw 256 -- in.pdf out.pdf",
        ..NONE
    },
    Given {
        programs: &["gpg", "gpg2"],
        options: &[("--passphrase", Part::Whole)],
        stdin: Stdin::With(&["--passphrase-fd"]),
        example: "echo hunter2 | gpg --batch --passphrase-fd 0 -d secrets.gpg",
        ..NONE
    },
    Given {
        programs: &["cargo"],
        subcommand: &["login"],
        takes: &["--registry"],
        operands: Operands::First,
        stdin: Stdin::Always,
        example: "cargo login hunter2",
        ..NONE
    },
    Given {
        programs: &["poetry"],
        subcommand: &["config"],
        operands: Operands::LastAfter("http-basic."),
        example: "poetry config http-basic.acme deploy hunter2",
        ..NONE
    },
    Given {
        programs: &["smbpasswd"],
        stdin: Stdin::With(&["-s"]),
        example: "printf 'hunter2\\nhunter2\\n' | smbpasswd -s -a bob",
        ..NONE
    },
    Given {
        programs: &["sudo"],
        stdin: Stdin::With(&["-S", "--stdin"]),
        example: "echo hunter2 | sudo -S systemctl restart app",
        ..NONE
    },
    // Whatever passwd reads, from a terminal or not, is passwords.
    Given { programs: &["passwd"], stdin: Stdin::Always, example: "echo hunter2 | passwd --stdin bob", ..NONE },
    Given {
        programs: &["openssl"],
        stdin: Stdin::With(&["stdin"]),
        example: "openssl enc -d -aes-256-cbc -in x.enc -pass stdin <<< hunter2",
        ..NONE
    },
    Given {
        programs: &["export", "declare", "typeset", "local", "readonly", "env"],
        operands: Operands::AfterSecretName,
        example: "P=hunter2; export DB_PASSWORD=$P",
        ..NONE
    },
    Given {
        programs: &["chpasswd", "chgpasswd", "cryptsetup", "pass", "secret-tool", "kinit"],
        stdin: Stdin::Always,
        example: "echo 'bob:hunter2' | chpasswd",
        ..NONE
    },
];

/// Reports the secrets `command` is given: where its program takes them,
/// and whatever the secret detectors find in the command as the program
/// will see it (a password assembled by printf, a token in a variable).
pub(crate) fn check(walker: &mut Walker, command: &Command<'_>) {
    // The text detectors read the action's text already: the command line
    // is read again only when the shell changed its words (expansions,
    // substitutions, escapes).
    let changed = command.args.iter().any(|arg| arg.raw.contains(['$', '`', '\\']));
    let mut seen: Vec<String> = Vec::new();
    if changed {
        let line: Vec<&str> =
            std::iter::once(command.program).chain(command.args.iter().map(|arg| arg.text.as_str())).collect();
        seen.push(line.join(" "));
    }
    if let Stream::Text(text) = &command.input {
        seen.push(text.clone());
    }
    seen.extend(command.substitutions.values().filter_map(|stream| match stream {
        Stream::Text(text) => Some(text.clone()),
        _ => None,
    }));
    for text in &seen {
        for span in guardrail_core::secret::detect(text) {
            if let Some(value) = span.slice(text) {
                walker.secret(value, command.span);
            }
        }
    }
    for given in entries(command.program) {
        let taking: Vec<&str> =
            given.options.iter().map(|(name, _)| *name).chain(given.takes.iter().copied()).collect();
        let parsed = options(command.args, &taking, false);
        let operands: Vec<&Arg> = parsed.operands.clone();
        let matches_subcommand = given.subcommand.len() <= operands.len()
            && given.subcommand.iter().zip(&operands).all(|(word, operand)| operand.text == *word);
        if !matches_subcommand {
            continue;
        }
        for ((name, value), index) in parsed.values.iter().zip(&parsed.value_index) {
            let Some((_, part)) = given.options.iter().find(|(option, _)| option == name) else { continue };
            let secret = match part {
                Part::Whole => Some(value.as_str()),
                Part::After(separator) => value.split_once(*separator).map(|(_, secret)| secret),
            };
            if let Some(secret) = secret {
                walker.secret(secret, command.args[*index].span);
            }
        }
        let rest = &operands[given.subcommand.len()..];
        let enabled = given.when.is_empty() || parsed.has_any(given.when) || bundled(command.args, given.when);
        if enabled {
            for operand in secret_operands(given.operands, rest) {
                walker.secret(operand.0, operand.1);
            }
        }
        let reads_secret = match given.stdin {
            Stdin::Never => false,
            Stdin::Always => true,
            Stdin::With(flags) => {
                parsed.has_any(flags)
                    || bundled(command.args, flags)
                    || (flags.contains(&"-") && rest.iter().any(|operand| operand.text == "-"))
                    || command.args.iter().any(|arg| {
                        flags.contains(&arg.text.as_str())
                            || flags.contains(&"/dev/stdin") && arg.text.ends_with("=/dev/stdin")
                    })
            }
        };
        if reads_secret && let Stream::Text(text) = &command.input {
            for line in text.lines() {
                walker.secret(line.trim(), command.span);
            }
        }
    }
}

/// The entries for a program, found through an index built once.
fn entries(program: &str) -> &'static [&'static Given] {
    static INDEX: std::sync::OnceLock<std::collections::HashMap<&'static str, Vec<&'static Given>>> =
        std::sync::OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut index: std::collections::HashMap<&'static str, Vec<&'static Given>> = std::collections::HashMap::new();
        for given in GIVEN {
            for program in given.programs {
                index.entry(program).or_default().push(given);
            }
        }
        index
    });
    index.get(program).map_or(&[], Vec::as_slice)
}

/// Whether a one-letter flag is in a cluster (`-bc` holds `-b`).
fn bundled(args: &[Arg], flags: &[&str]) -> bool {
    let letters: Vec<char> = flags
        .iter()
        .filter_map(|flag| flag.strip_prefix('-'))
        .filter(|rest| rest.len() == 1)
        .filter_map(|rest| rest.chars().next())
        .collect();
    args.iter().any(|arg| {
        arg.text.len() > 2
            && arg.text.starts_with('-')
            && !arg.text.starts_with("--")
            && arg.text[1..].chars().any(|letter| letters.contains(&letter))
    })
}

/// The operands that are secrets: their values and the spans of their words.
fn secret_operands<'a>(which: Operands, operands: &[&'a Arg]) -> Vec<(&'a str, Span)> {
    let whole = |arg: &&'a Arg| (arg.text.as_str(), arg.span);
    let value = |arg: &&'a Arg| arg.text.split_once('=').map(|(_, value)| (value, arg.span));
    match which {
        Operands::None => Vec::new(),
        Operands::First => operands.iter().find(|arg| !arg.text.contains('=')).map(whole).into_iter().collect(),
        Operands::Last => operands.last().map(whole).into_iter().collect(),
        Operands::LastAfter(prefix) => match operands {
            [first, .., last] if first.text.starts_with(prefix) => vec![whole(last)],
            _ => Vec::new(),
        },
        Operands::Values => operands.iter().filter_map(value).collect(),
        Operands::From(start) => operands.iter().skip(start).map(whole).collect(),
        Operands::AfterSecretName => {
            let mut secrets: Vec<(&str, Span)> = operands
                .windows(2)
                .filter(|pair| guardrail_core::secret::names_a_secret(&pair[0].text) && !pair[0].text.contains('='))
                .map(|pair| whole(&pair[1]))
                .collect();
            secrets.extend(
                operands
                    .iter()
                    .filter(|arg| {
                        arg.text.split_once('=').is_some_and(|(key, _)| guardrail_core::secret::names_a_secret(key))
                    })
                    .filter_map(value),
            );
            secrets
        }
    }
}

/// The spans of `text` to mask for the secrets a walk reported: each in
/// its own word, and every other place its value appears when it is long
/// enough not to be an ordinary word.
pub(crate) fn spans(text: &str, secrets: &[(String, Span)]) -> Vec<Span> {
    let mut spans = Vec::new();
    for (value, word) in secrets {
        if value.is_empty() {
            continue;
        }
        let (from, to) = if value.len() >= guardrail_core::secret::MIN_SEARCHED_VALUE {
            (0, text.len())
        } else {
            (word.start, word.end)
        };
        let Some(haystack) = text.get(from..to.min(text.len())) else { continue };
        let found: Vec<Span> = haystack
            .match_indices(value.as_str())
            .map(|(at, matched)| Span::new(from + at, from + at + matched.len()))
            .collect();
        if found.is_empty() {
            // Spelled differently in the text (escaped, quoted in pieces):
            // the whole word is masked.
            spans.push(*word);
        }
        spans.extend(found);
    }
    spans
}

#[cfg(test)]
mod tests {
    use guardrail_core::secret::mask;

    use super::GIVEN;

    fn masked(line: &str) -> String {
        let analysis = crate::analyze(line);
        mask(line, &analysis.secrets).into_owned()
    }

    #[test]
    fn every_example_has_its_secret_masked() {
        for given in GIVEN {
            assert!(given.example.contains("hunter2"), "{:?}: the example's secret is hunter2", given.programs);
            let masked = masked(given.example);
            assert!(!masked.contains("hunter2"), "{:?}: {masked}", given.programs);
        }
    }

    #[test]
    fn secrets_are_masked_where_the_line_shows_them() {
        let cases = [
            // The variable that held it.
            ("P=Xq7-v9zr; docker login -u me -p \"$P\" r.io", "P=********; docker login -u me -p \"$P\" r.io"),
            // Piped in: the echo's word.
            ("echo 'Xq7-v9zr' | sudo -S id", "echo '********' | sudo -S id"),
            ("sudo -S id <<< Xq7-v9zr", "sudo -S id <<< ********"),
            (
                "printf '%s\\n' Xq7-v9zr | docker login --password-stdin r.io",
                "printf '%s\\n' ******** | docker login --password-stdin r.io",
            ),
            // Glued to its option; only the value.
            ("7z a -pXq7-v9zr out.7z dir", "7z a -p******** out.7z dir"),
            ("smbclient //fs/s -U admin%Xq7-v9zr", "smbclient //fs/s -U admin%********"),
            (
                "kubectl create secret generic db --from-literal=api=Xq7-v9zr",
                "kubectl create secret generic db --from-literal=api=********",
            ),
            // Nested code.
            ("bash -c 'vault login Xq7-v9zr'", "bash -c 'vault login ********'"),
            // Short values only in their own word.
            ("zip -P ab x.zip ab.txt", "zip -P ** x.zip ab.txt"),
            // Bundled flags.
            ("htpasswd -nbB admin Xq7-v9zr", "htpasswd -nbB admin ********"),
            // A setting named like a secret.
            ("aws configure set aws_secret_access_key Xq7-v9zr", "aws configure set aws_secret_access_key ********"),
            ("git config --global github.token Xq7-v9zr", "git config --global github.token ********"),
        ];
        for (line, expected) in cases {
            assert_eq!(masked(line), expected, "{line}");
        }
    }

    #[test]
    fn look_alikes_keep_their_text() {
        for line in [
            "docker login -u me --password-stdin r.io < /run/secrets/registry",
            "docker run -p 8080:80 nginx",
            "aws configure set region eu-west-1",
            "npm config set registry https://registry.npmjs.org/",
            "htpasswd -c .htpasswd admin",
            "echo hello | sudo tee /tmp/x",
            "vault login -method=oidc",
            "git config --global user.name Dev",
            "zip -r out.zip src",
            "unzip -p a.zip",
        ] {
            assert_eq!(masked(line), line);
        }
    }
}
