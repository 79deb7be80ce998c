//! What flows between commands: the data on a pipe, a here-document, a
//! file written and read in the same line.

/// What a command reads on its standard input, or writes on its output,
/// as far as the line shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Stream {
    /// Nothing is piped or redirected in: the terminal, if any.
    Terminal,
    /// Names of files below a directory (`find DIR`, `ls DIR`), given as a
    /// pattern that matches them.
    Paths(String),
    /// Nothing known: a terminal, a file, a program the analyzer does not
    /// model.
    Unknown,
    /// Text the line spells out: `echo`, `printf`, a here-document.
    Text(String),
    /// Downloaded from the network (`curl`, `wget -O-`).
    Network,
    /// Decoded or decrypted data (`base64 -d`, `xxd -r`, `openssl enc -d`)
    /// whose content the line does not show.
    Decoded,
    /// Credentials or the environment, named for the reason shown.
    Secret(String),
}

/// Files that hold credentials: what is read from them is a secret.
/// Matched against the end of an absolute or relative path.
const CREDENTIAL_FILES: &[&str] = &[
    "/.ssh/id_rsa",
    "/.ssh/id_dsa",
    "/.ssh/id_ecdsa",
    "/.ssh/id_ed25519",
    "/.aws/credentials",
    "/.aws/config",
    "/.netrc",
    "/.pgpass",
    "/.my.cnf",
    "/.git-credentials",
    "/.docker/config.json",
    "/.kube/config",
    "/.npmrc",
    "/.pypirc",
    "/.vault-token",
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/sudoers",
    "/.config/gh/hosts.yml",
    "/.config/gcloud/credentials.db",
    "/.config/gcloud/application_default_credentials.json",
    "/.azure/accessTokens.json",
];

/// Whether `path` names a file that holds credentials: a private key, a
/// cloud CLI's credentials, `.env`, `/etc/shadow`.
pub(crate) fn is_credential_file(path: &str) -> bool {
    let path = path.trim_start_matches('@');
    let name = path.rsplit('/').next().unwrap_or(path);
    let slashed = if path.starts_with('/') { path.to_owned() } else { format!("/{path}") };
    CREDENTIAL_FILES.iter().any(|file| slashed.ends_with(file))
        || slashed.contains("/.ssh/id_") && !name.ends_with(".pub")
        || name == ".env"
        || name.starts_with(".env.") && !name.ends_with(".example") && !name.ends_with(".sample")
        || name.ends_with(".pem") && !name.contains("cert") && !name.contains("chain")
        || name.ends_with(".key") && !name.ends_with(".pub.key")
        || slashed.contains("/.gnupg/private-keys")
}

/// Whether `path` is shell history or a system log: erasing it hides what
/// was done.
pub(crate) fn is_history_or_log(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(
        name,
        ".bash_history"
            | ".zsh_history"
            | ".history"
            | ".sh_history"
            | ".python_history"
            | ".psql_history"
            | ".mysql_history"
    ) || path.starts_with("/var/log/")
        || path == "/var/log"
        || name == "wtmp"
        || name == "btmp"
        || name == "lastlog"
}

/// Decodes standard or URL-safe base64, ignoring whitespace.
pub(crate) fn base64_decode(text: &str) -> Option<String> {
    let mut bits: u32 = 0;
    let mut count = 0;
    let mut out = Vec::new();
    for byte in text.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            b' ' | b'\n' | b'\r' | b'\t' => continue,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_files_and_look_alikes() {
        for path in [
            "/home/dev/.ssh/id_rsa",
            "~/.ssh/id_ed25519",
            "/root/.aws/credentials",
            ".env",
            "config/.env.production",
            "/etc/shadow",
            "server.key",
            "@/home/u/.netrc",
        ] {
            assert!(is_credential_file(path), "{path}");
        }
        for path in [
            "/home/dev/.ssh/id_rsa.pub",
            ".env.example",
            "README.md",
            "/etc/hosts",
            "keyboard.rs",
            "cert-chain.pem",
            "/home/dev/.ssh/known_hosts",
        ] {
            assert!(!is_credential_file(path), "{path}");
        }
    }

    #[test]
    fn base64_round_trips_what_a_shell_would_decode() {
        assert_eq!(base64_decode("cm0gLXJmIC8=").as_deref(), Some("rm -rf /"));
        assert_eq!(base64_decode("cm0gLXJmIC8K").as_deref(), Some("rm -rf /\n"));
        assert_eq!(base64_decode("not base64!"), None);
    }
}
