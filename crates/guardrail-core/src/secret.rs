//! Secrets in an action's text, masked before anything is printed or stored.
//!
//! Two sources say where secrets sit. Analyzers report them from the
//! grammar (a password literal, the password of a connection string): exact,
//! but only for the language they parse. The detectors here read any text
//! (shell commands, prompts, agent responses, tool output, SQL) for the
//! shapes secrets take: `PGPASSWORD=...`, `Authorization: Bearer ...`, cloud
//! keys, private keys, JWTs, the value of a name like `DB_PASSWORD`. They
//! guess from the text alone, so they miss some secrets and mask some
//! harmless text: defence in depth, not a guarantee. `docs/secrets.md` lists
//! each detector with its gaps.
//!
//! [`mask`] overwrites the bytes of secret spans with `*`, byte for byte, so
//! every span into the text stays valid in the masked text. (The length of a
//! secret shows; its content does not.) [`redact`] masks what the detectors
//! find plus the spans it is given.
//!
//! The detectors' regular expressions are ASCII-only and compiled once per
//! process, each on first use, and only once a cheap substring check says
//! the text could hold what it looks for: most texts compile and run few of
//! them.

use std::borrow::Cow;
use std::fmt;
use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::intent::Span;

/// `text` with the bytes of every secret span replaced by `*`.
pub fn mask<'t>(text: &'t str, secrets: &[Span]) -> Cow<'t, str> {
    if secrets.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut bytes = text.as_bytes().to_vec();
    for span in secrets {
        let end = span.end.min(bytes.len());
        for byte in bytes.iter_mut().take(end).skip(span.start) {
            *byte = b'*';
        }
    }
    // Spans lie on character boundaries; if one did not, the bytes of the
    // split character would be invalid, and the whole text is withheld
    // rather than risk printing part of a secret.
    match String::from_utf8(bytes) {
        Ok(masked) => Cow::Owned(masked),
        Err(_) => Cow::Owned("*".repeat(text.len())),
    }
}

/// Where secrets sit in `text`, by every detector: sorted by start, spans
/// that overlap or touch merged, each on character boundaries.
pub fn detect(text: &str) -> Vec<Span> {
    let haystack = Haystack::new(text);
    let mut spans = Vec::new();
    for detector in DETECTORS {
        (detector.scan)(&haystack, &mut spans);
    }
    normalize(text, spans)
}

/// `text` with every detected secret, and the `extra` spans (an analyzer's
/// findings), masked.
pub fn redact<'t>(text: &'t str, extra: &[Span]) -> Cow<'t, str> {
    let mut spans = detect(text);
    spans.extend_from_slice(extra);
    mask(text, &spans)
}

/// Secret values shorter than this are masked only where they were found:
/// searched for elsewhere, `pw` or `1234` would mask every `pw` and `1234`.
pub const MIN_SEARCHED_VALUE: usize = 4;

/// The secrets of an action everywhere a reader could see them.
///
/// `found` are the secret spans of `text` (the analyzer's and the
/// detectors'). `derived` are strings made from the text (intents' object
/// names and notes): a string literal unescaped, a command's argument
/// unquoted. A secret can show in either form, and be found only in one:
/// `PGPASSWORD=''pw''` inside an SQL literal is found in the unescaped
/// `PGPASSWORD='pw'`. So the values found in each are looked for in both,
/// and this returns every span of `text` to mask, and the values to mask in
/// derived strings with [`mask_values`].
pub fn spread(text: &str, found: &[Span], derived: &[&str]) -> (Vec<Span>, Vec<String>) {
    let mut values: Vec<String> =
        found.iter().filter_map(|span| span.slice(text)).filter(|value| !value.is_empty()).map(str::to_owned).collect();
    // What the text shows verbatim, the text's own detection covered.
    for derived in derived.iter().filter(|derived| !text.contains(**derived)) {
        values.extend(detect(derived).iter().filter_map(|span| span.slice(derived)).map(str::to_owned));
    }
    values.retain(|value| value.len() >= MIN_SEARCHED_VALUE);
    values.sort();
    values.dedup();
    let mut spans = found.to_vec();
    for value in &values {
        spans.extend(text.match_indices(value.as_str()).map(|(at, value)| Span::new(at, at + value.len())));
    }
    (normalize(text, spans), values)
}

/// A derived string (an object's name, a note) of the action's text
/// `source`, with every occurrence of `values` masked, and what the
/// detectors find in it unless `source` shows it verbatim (then the
/// source's detection found it, and it is among `values`).
pub fn mask_values<'t>(text: &'t str, source: &str, values: &[String]) -> Cow<'t, str> {
    let verbatim = source.contains(text);
    if verbatim && values.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut spans = if verbatim { Vec::new() } else { detect(text) };
    for value in values {
        spans.extend(text.match_indices(value.as_str()).map(|(at, value)| Span::new(at, at + value.len())));
    }
    mask(text, &spans)
}

/// Whether a variable's, key's or option's name says its value is a
/// secret, by the rules of the `named-secret` detector: `DB_PASSWORD`,
/// `aws_secret_access_key`, `//registry.npmjs.org/:_authToken`, but not
/// `sort_key`, `next_token` or `password_file`.
pub fn names_a_secret(name: &str) -> bool {
    let name = name.trim_start_matches('-');
    if NAMES_NOT_SECRET.iter().any(|listed| listed.eq_ignore_ascii_case(name)) {
        return false;
    }
    const WORDS: &[&str] =
        &["passphrase", "password", "passwd", "pwd", "pass", "pw", "secret", "token", "apikey", "key", "credential"];
    let bytes = name.as_bytes();
    let ends_with = |word: &str| {
        bytes.len() >= word.len() && bytes[bytes.len() - word.len()..].eq_ignore_ascii_case(word.as_bytes())
    };
    WORDS.iter().find(|word| ends_with(word)).is_some_and(|word| {
        let start = name.len() - word.len();
        secret_name(word, &name[..start], bytes[start])
    })
}

/// Names that say a field or column holds personal or payment data to keep
/// from an agent (besides names of secrets, [`names_a_secret`]).
const SENSITIVE_DATA: &[&str] = &[
    "ssn",
    "social_security_number",
    "card_number",
    "credit_card",
    "credit_card_number",
    "cc_number",
    "cvv",
    "cvc",
    "iban",
    "tax_id",
    "passport_number",
    // Password hashes: credentials an attacker cracks offline.
    "password_hash",
    "password_digest",
    "hashed_password",
    "encrypted_password",
    "crypted_password",
];

/// Whether a column or field named `name` holds data masked whatever its
/// value: a secret's name, or personal and payment data's (`ssn`,
/// `card_number`).
pub fn names_sensitive_data(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SENSITIVE_DATA.contains(&lower.as_str()) || names_a_secret(&lower)
}

/// One text-level detector and its documentation. `docs/secrets.md`
/// describes the same list, and a test runs every example and look-alike.
pub struct Detector {
    /// Names the shape it looks for: `connection-string`, `jwt`.
    pub name: &'static str,
    /// What it catches, and what of it is masked.
    pub catches: &'static str,
    /// Text it masks.
    pub example: &'static str,
    /// Harmless text that looks alike and is left alone.
    pub look_alike: &'static str,
    /// What it knowingly misses or masks needlessly.
    pub gaps: &'static str,
    /// Private so that every detector is one of [`DETECTORS`], documented
    /// and tested; [`Detector::find`] runs it.
    scan: fn(&Haystack<'_>, &mut Vec<Span>),
}

impl Detector {
    /// Where this detector alone finds secrets in `text`, normalized as by
    /// [`detect`].
    pub fn find(&self, text: &str) -> Vec<Span> {
        let mut spans = Vec::new();
        (self.scan)(&Haystack::new(text), &mut spans);
        normalize(text, spans)
    }
}

impl fmt::Debug for Detector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Detector").field("name", &self.name).finish_non_exhaustive()
    }
}

/// Every detector, in the order the docs list them.
pub const DETECTORS: &[Detector] = &[
    Detector {
        name: "role-password",
        catches: "The quoted password of CREATE/ALTER ROLE, USER or GROUP ... [ENCRYPTED] PASSWORD '...' \
                  (also E'...' and $$...$$), MySQL's IDENTIFIED [WITH plugin] BY '...' and SET PASSWORD [FOR \
                  user] = '...', in any text: SQL quoted in a prompt, a log line. The content between the quotes \
                  is masked.",
        example: "ALTER ROLE app WITH LOGIN PASSWORD 'hunter2'",
        look_alike: "ALTER ROLE app PASSWORD NULL",
        gaps: "The statement must name CREATE/ALTER ROLE, USER or GROUP before the password within 4 KB and \
               without a `;` in between. A password that is not a string literal (a psql variable, \
               PASSWORD :'pw') is not a secret in the text and is left alone.",
        scan: role_password,
    },
    Detector {
        name: "connection-string",
        catches: "The password of a URI with credentials, scheme://user:password@host (postgres, mysql, \
                  mongodb+srv, redis, amqp, https, any scheme); a database's password with #, ? or / unescaped \
                  counts. The libpq form password=... is named-secret's.",
        example: "psql postgres://app:hunter2@db.internal:5432/prod",
        look_alike: "curl https://example.com:8443/health",
        gaps: "The authority ends at the first `/`, `?`, `#`, quote or space, as RFC 3986 says: a password \
               holding an unencoded `/` is cut there and not found. A password that is a variable reference \
               (`${PW}`) is left alone.",
        scan: connection_string,
    },
    Detector {
        name: "env-password",
        catches: "PGPASSWORD=... and MYSQL_PWD=... (in assignments, export, env, docker -e, $env:), the \
                  -p<password> option of mysql, mysqldump, mysqladmin, mariadb and the rest of both families \
                  (a bare `-p`, which prompts, is no password), sshpass -p, redis-cli -a, and -p of mongo, \
                  mongosh, mongodump and the rest of that family.",
        example: "mysqldump -uroot -pS3cret prod > prod.sql",
        look_alike: "mysql -uroot -p prod",
        gaps: "`-p` must be its own option (`-vpS3cret` is missed), and the command must be called by its \
               name (mysql, /usr/bin/mysql, mysql.exe), not through an alias or a variable. The options of \
               one command are read up to a newline, `;`, `|`, `&` or `)`.",
        scan: env_password,
    },
    Detector {
        name: "authorization",
        catches: "The credential of an Authorization or Proxy-Authorization header (any case; in curl -H quotes, \
                  JSON, or a raw request), a standalone `Bearer <token>`, the password of curl -u/--user \
                  user:password (and -U/--proxy-user), and curl --oauth2-bearer <token>. The scheme is kept.",
        example: "curl -H 'Authorization: Bearer 4f9a8b7c6d5e4f3a' https://api.example.com/v1/me",
        look_alike: "Set the Authorization header to a bearer token",
        gaps: "A credential must look like one: at least 8 characters of token68 holding a digit, both cases \
               or punctuation (so `Bearer abcdefghijk` is missed). Digest, OAuth and AWS4 headers are masked \
               from after the scheme to the end of the header value. Cookies are not covered.",
        scan: authorization,
    },
    Detector {
        name: "cloud-key",
        catches: "Cloud and SaaS keys by their prefix: AWS access key ids (AKIA, ASIA, AGPA, AIDA, AROA... + 16), \
                  Google API keys (AIza + 35), GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_), Slack \
                  (xoxa-, xoxb-, xoxp-...), Stripe and others' live and test keys (sk_live_, rk_test_, any \
                  two or three letters before _live_ or _test_), OpenAI and Anthropic (sk-, sk-proj-, \
                  sk-ant-...), GitLab (glpat-), SendGrid (SG.), npm (npm_), Hugging Face (hf_), PyPI (pypi-), \
                  crates.io (cio), HashiCorp Vault (hvs., hvb.), DigitalOcean (dop_v1_...). The whole key is \
                  masked.",
        example: "aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE",
        look_alike: "AKIA is how AWS access key ids begin; pip install scikit-learn",
        gaps: "Keys without a distinctive prefix (an AWS secret access key, an Azure key) are found only when \
               named (named-secret). sk- and cio keys must mix digits and both cases. Vault's old s. \
               tokens are not recognised by shape.",
        scan: cloud_key,
    },
    Detector {
        name: "private-key",
        catches: "PEM private keys: -----BEGIN [RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP ]PRIVATE KEY[ BLOCK]-----. \
                  Every line between the BEGIN and END lines is masked, the armour lines are kept; without an \
                  END line (a truncated key) everything after BEGIN is.",
        example: "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM\n-----END RSA PRIVATE KEY-----",
        look_alike: "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----",
        gaps: "Keys in other formats (PuTTY .ppk, JWK JSON, raw base64) are not recognised, except where \
               named-secret sees a name like private_key.",
        scan: private_key,
    },
    Detector {
        name: "jwt",
        catches: "JSON Web Tokens: three dot-separated base64url parts whose header and payload both begin \
                  with eyJ (base64 of `{\"`); the signature may be empty. The whole token is masked.",
        example: "id_token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        look_alike: "eyJ is the base64 of {\"; version 1.2.3",
        gaps: "Encrypted tokens (JWE, five parts, the second not eyJ) are not recognised.",
        scan: jwt,
    },
    Detector {
        name: "named-secret",
        catches: "The value given to a variable, key, option or element whose name ends with password, passwd, \
                  passphrase, secret, token, credential, apikey, pass, pwd, pw or key (see docs/secrets.md for the \
                  rules on the last three): DB_PASSWORD=..., export GITHUB_TOKEN=\"...\", \"api_key\": \"...\", \
                  password: ..., --password=..., --token ..., <password>...</password>, conninfo password=.... \
                  Quoted values are masked between the quotes, bare ones up to a space or one of ;&|,)]}.",
        example: "DB_PASSWORD=hunter2 ./migrate",
        look_alike: "MAX_TOKENS=4096 sort_key=created_at PGPASSWORD=$PW password=./secrets/db.txt",
        gaps: "Values that are variable references ($X, ${X}, $(cmd), %X%, {{ x }}, :name), placeholders \
               (<password>, ***, xxx, ...), null, booleans, type names and code reading a secret from \
               elsewhere (process.env.X, settings.X, await) are left alone, even where one is meant \
               literally. An unquoted value ends at the first space, so an unquoted YAML value with spaces is \
               masked only up to it. Other bare code or SQL (password = other_column, if token: pass) is \
               masked though it is no secret.",
        scan: named_secret,
    },
    Detector {
        name: "cookie",
        catches: "The values of cookies: a Cookie or Set-Cookie header (raw, in curl -H, or a JSON key), and \
                  curl -b/--cookie given name=value pairs. Each value is masked; the names stay.",
        example: "curl -b 'sessionid=8f2k3j4h5g6f7d8s; theme=dark' https://admin.example.com/",
        look_alike: "curl -b cookies.txt -c cookies.txt https://example.com/",
        gaps: "Every cookie's value is masked, harmless ones (theme=dark) too. Cookies in a cookie jar file, \
               or in other tools' options (httpie's Cookie:name=value), are not found.",
        scan: cookie,
    },
    Detector {
        name: "webhook-url",
        catches: "The secret part of incoming-webhook URLs, which anyone holding them can post to: Slack \
                  (hooks.slack.com/services/T.../B.../SECRET, hooks.slack.com/workflows/...) and Discord \
                  (discord.com/api/webhooks/ID/TOKEN).",
        example: "curl -d '{\"text\":\"done\"}' https://hooks.slack.com/services/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",
        look_alike: "curl https://hooks.slack.com/services/",
        gaps: "Other services' webhook URLs (Teams, Zapier, generic tokens in paths) are not recognised.",
        scan: webhook_url,
    },
    Detector {
        name: "netrc",
        catches: "The password of a .netrc entry, `machine HOST login USER password PASSWORD`, written into a \
                  file or shown in a command, on one line or several.",
        example: "echo 'machine api.example.com login bot password n3tRc-s3cret' >> ~/.netrc",
        look_alike: "machine learning models need a login page",
        gaps: "The entry must name a machine (or `default`) before the password; `account` values are left \
               alone.",
        scan: netrc,
    },
];

/// The text a detector reads, with an ASCII-lowercased copy (same byte
/// offsets) for case-insensitive matching.
struct Haystack<'t> {
    text: &'t str,
    lower: String,
}

impl<'t> Haystack<'t> {
    fn new(text: &'t str) -> Haystack<'t> {
        Haystack { text, lower: text.to_ascii_lowercase() }
    }

    fn bytes(&self) -> &'t [u8] {
        self.text.as_bytes()
    }

    /// Whether the text holds any of `needles`, which are lowercase.
    fn mentions(&self, needles: &[&str]) -> bool {
        needles.iter().any(|needle| self.lower.contains(needle))
    }
}

/// Compiles one detector's pattern, ASCII-only (which keeps compiling cheap
/// and matching on bytes fast).
fn regex(pattern: &str) -> Regex {
    Regex::new(&format!("(?-u){pattern}")).unwrap_or_else(|error| panic!("a detector's pattern is invalid: {error}"))
}

/// Clamps spans into the text and onto character boundaries (widening),
/// drops empty ones, sorts them and merges those that overlap or touch.
fn normalize(text: &str, mut spans: Vec<Span>) -> Vec<Span> {
    for span in &mut spans {
        span.end = span.end.min(text.len());
        span.start = span.start.min(span.end);
        while !text.is_char_boundary(span.start) {
            span.start -= 1;
        }
        while !text.is_char_boundary(span.end) {
            span.end += 1;
        }
    }
    spans.retain(|span| span.start < span.end);
    spans.sort_by_key(|span| (span.start, span.end));
    let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
    for span in spans {
        match merged.last_mut() {
            Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
            _ => merged.push(span),
        }
    }
    merged
}

// Values.

/// Whether `byte` ends an unquoted value.
fn ends_bare_value(byte: u8) -> bool {
    byte.is_ascii_whitespace() || b";&|,)]}\"'`".contains(&byte)
}

/// How a value is written, which decides what in it may be a reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Quoting {
    /// Unquoted: in a shell, a program or a config file.
    Bare,
    /// Between double quotes or backticks, where shells expand `$X`.
    Double,
    /// Between single quotes: literal, `$X` included.
    Single,
}

/// The value starting at `at`, and how it is quoted: the content between
/// quotes (`"`, `'`, a backtick, or JSON's escaped `\"`), or a bare run up
/// to a space or one of `;&|,)]}`, a quote, or an escaped newline or quote.
/// `None` for an expression (a bare run that opens a call or a bracket).
fn value_at(text: &str, at: usize) -> Option<(Span, Quoting)> {
    let bytes = text.as_bytes();
    let rest = bytes.get(at..)?;
    match rest {
        [b'\\', b'"', ..] => {
            let start = at + 2;
            let mut i = start;
            while i < bytes.len() && bytes[i] != b'\n' && !bytes[i..].starts_with(b"\\\"") {
                i += 1;
            }
            Some((Span::new(start, i), Quoting::Double))
        }
        [quote @ (b'"' | b'`'), ..] => {
            let start = at + 1;
            let mut i = start;
            while i < bytes.len() && bytes[i] != *quote && bytes[i] != b'\n' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            Some((Span::new(start, i.min(bytes.len())), Quoting::Double))
        }
        // '' is an empty value, not an escaped quote.
        [b'\'', b'\'', ..] => None,
        [b'\'', ..] => {
            let start = at + 1;
            let mut i = start;
            while i < bytes.len() && bytes[i] != b'\n' {
                if bytes[i] == b'\'' {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            Some((Span::new(start, i), Quoting::Single))
        }
        [b'{' | b'[', ..] => None,
        _ => {
            let mut i = at;
            while i < bytes.len() {
                let byte = bytes[i];
                if byte == b'(' || byte == b'[' {
                    return None;
                }
                if ends_bare_value(byte) || byte == b'\\' && matches!(bytes.get(i + 1), Some(b'n' | b'r' | b't' | b'"'))
                {
                    break;
                }
                i += 1;
            }
            Some((Span::new(at, i), Quoting::Bare))
        }
    }
}

/// The value starting at `at` if it may be a secret (see [`worth_masking`]).
fn secret_value(text: &str, at: usize) -> Option<Span> {
    let (span, quoting) = value_at(text, at)?;
    worth_masking(text, span, quoting)
}

/// `span` if the value it covers may be a secret: not empty, not a
/// placeholder, not a reference (unless single-quoted), and if bare, not
/// code (`process.env.X`, `await`).
fn worth_masking(text: &str, span: Span, quoting: Quoting) -> Option<Span> {
    let value = span.slice(text)?;
    let masked = !value.is_empty()
        && !is_placeholder(value)
        && (quoting == Quoting::Single || !is_reference(value))
        && (quoting != Quoting::Bare || !is_code(value));
    masked.then_some(span)
}

/// Bare values that are code reading a secret from elsewhere (`apiKey =
/// process.env.API_KEY`) or a keyword (`token = await fetch()`).
fn is_code(value: &str) -> bool {
    const ROOTS: &[&str] = &[
        "process.env.",
        "import.meta.env.",
        "os.environ",
        "os.getenv",
        "settings.",
        "config.",
        "self.",
        "this.",
        "env.",
        "secrets.",
        "vars.",
        "params.",
        "props.",
        "args.",
        "options.",
        "opts.",
    ];
    const KEYWORDS: &[&str] = &["await", "new", "this", "self", "function", "lambda", "yield"];
    ROOTS.iter().any(|root| value.starts_with(root)) || KEYWORDS.contains(&value)
}

/// `$X`, `$1`, `${X}`, `$(cmd)`, `$env:X`, `${{ x }}`, `{{ x }}`, `%X%`,
/// `:name`, `?`: the value is elsewhere, not in the text.
fn is_reference(value: &str) -> bool {
    let bytes = value.as_bytes();
    let identifier = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    match bytes {
        [b'$', b'{' | b'(', ..] => true,
        [b'$', next, ..] => identifier(next),
        [b'{', b'{', ..] => true,
        [b'%', inner @ .., b'%'] => !inner.is_empty() && inner.iter().all(identifier),
        [b':', next, ..] => next.is_ascii_alphabetic() || *next == b'_',
        [b'?'] => true,
        _ => false,
    }
}

/// Values that stand for a secret without being one (`<password>`, `***`,
/// `xxxx`, `...`), nulls, booleans and type names (`password: string`).
fn is_placeholder(value: &str) -> bool {
    const WORDS: &[&str] =
        &["null", "nil", "none", "true", "false", "undefined", "string", "str", "number", "bool", "boolean"];
    value.bytes().all(|b| b == b'*')
        || value.len() >= 3 && value.bytes().all(|b| b == b'x' || b == b'X')
        || value.len() >= 2 && value.starts_with('<') && value.ends_with('>')
        || value == "..."
        || value == "…"
        || WORDS.iter().any(|word| value.eq_ignore_ascii_case(word))
}

/// Whether `value` looks like a credential rather than a word: at least 8
/// characters of token68 (RFC 7235: letters, digits, `-._~+/`, then `=`
/// padding) with a digit, both cases, or punctuation.
fn credential_like(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() >= 8
        && bytes.iter().all(|&b| is_token68(b))
        && (bytes.iter().any(u8::is_ascii_digit)
            || bytes.iter().any(u8::is_ascii_uppercase) && bytes.iter().any(u8::is_ascii_lowercase)
            || bytes.iter().any(|b| b"-._~+/=".contains(b)))
}

fn is_token68(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-._~+/=".contains(&byte)
}

/// The run of token68 characters at `at`, without a trailing full stop
/// (the end of a sentence).
fn token68_at(bytes: &[u8], at: usize) -> Span {
    let mut end = at + bytes.get(at..).map_or(0, |rest| rest.iter().take_while(|&&b| is_token68(b)).count());
    while end > at && bytes[end - 1] == b'.' {
        end -= 1;
    }
    Span::new(at, end)
}

/// The first occurrence of `needle` in `bytes` at or after `from`.
fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes.get(from..)?.windows(needle.len()).position(|window| window == needle).map(|i| from + i)
}

fn skip_blanks(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\t')) {
        at += 1;
    }
    at
}

/// The arguments of the shell command whose name ends at `from`, up to the
/// end of the command (a newline, `;`, `|`, `&`, `)` or a backtick).
/// Quoted parts stay inside their argument; a backslash escapes the next
/// character, and before a newline continues the command. Read lazily, so
/// that a caller that stops early does not read the rest.
fn arguments(bytes: &[u8], from: usize) -> impl Iterator<Item = Span> {
    let mut i = from;
    std::iter::from_fn(move || {
        while i < bytes.len() && (matches!(bytes[i], b' ' | b'\t') || bytes[i..].starts_with(b"\\\n")) {
            i += if bytes[i] == b'\\' { 2 } else { 1 };
        }
        if i >= bytes.len() || b"\r\n;|&)`".contains(&bytes[i]) {
            return None;
        }
        let start = i;
        while i < bytes.len() && !b" \t\r\n;|&)`".contains(&bytes[i]) {
            match bytes[i] {
                quote @ (b'\'' | b'"') => {
                    let close = bytes[i + 1..].iter().position(|&b| b == quote || b == b'\n');
                    i = close.map_or(bytes.len(), |close| i + 1 + close + usize::from(bytes[i + 1 + close] == quote));
                }
                b'\\' => i += 2,
                _ => i += 1,
            }
        }
        i = i.min(bytes.len());
        Some(Span::new(start, i))
    })
}

/// Matches a command's name (lowercase) where a command starts: at the
/// start of the text or after a space, separator, quote or path.
fn command(names: &str) -> Regex {
    regex(&format!(r#"(?:^|[\s;&|(/'"`=])(?:{names})(?:\.exe)?[ \t]"#))
}

// The detectors.

/// Statements longer than this between CREATE/ALTER ROLE and PASSWORD are
/// not followed.
const STATEMENT_LIMIT: usize = 4096;

fn role_password(haystack: &Haystack<'_>, out: &mut Vec<Span>) {
    if !haystack.mentions(&["password", "identified"]) {
        return;
    }
    static ROLE: LazyLock<Regex> = LazyLock::new(|| regex(r"\b(?:create|alter)\s+(?:role|user|group)\b"));
    static PASSWORD: LazyLock<Regex> =
        LazyLock::new(|| regex(r"\b(?:password|identified(?:\s+with\s+[a-z0-9_]+)?\s+by)\s*"));
    // MySQL: SET PASSWORD [FOR user] = 'x' or = PASSWORD('x').
    static SET_PASSWORD: LazyLock<Regex> =
        LazyLock::new(|| regex(r"\bset\s+password\b[^;=]*=\s*(?:password\s*\(\s*)?"));
    let lower = haystack.lower.as_bytes();
    // Where the last literal found ends: what starts inside it is part of
    // it. (Skipping it also keeps the work linear in the text's length.)
    let mut done = 0;
    let mut literal_at = |at: usize, done: &mut usize| {
        if let Some(literal) = sql_literal(haystack.text, at) {
            *done = literal.end;
            out.push(literal);
        }
    };
    for set in SET_PASSWORD.find_iter(lower) {
        if set.start() >= done {
            literal_at(set.end(), &mut done);
        }
    }
    done = 0;
    let mut roles = ROLE.find_iter(lower).peekable();
    while let Some(role) = roles.next() {
        if role.start() < done {
            continue;
        }
        // The statement ends at a `;`, at the next CREATE/ALTER ROLE, or
        // after STATEMENT_LIMIT bytes.
        let from = role.end();
        let next = roles.peek().map_or(lower.len(), |next| next.start());
        let limit = (from + STATEMENT_LIMIT).min(next);
        let end = lower[from..limit].iter().position(|&b| b == b';').map_or(limit, |i| from + i);
        for password in PASSWORD.find_iter(&lower[from..end]) {
            if from + password.start() >= done {
                literal_at(from + password.end(), &mut done);
            }
        }
    }
}

/// The content of the SQL string literal at `at` ('...', E'...' or
/// $tag$...$tag$), if not empty. An unterminated literal runs to the end.
fn sql_literal(text: &str, at: usize) -> Option<Span> {
    let bytes = text.as_bytes();
    let non_empty = |start: usize, end: usize| (start < end).then(|| Span::new(start, end.min(bytes.len())));
    let (start, backslash_escapes) = match bytes.get(at..)? {
        [b'\'', ..] => (at + 1, false),
        [b'e' | b'E', b'\'', ..] => (at + 2, true),
        [b'$', tail @ ..] => {
            let tag = tail.iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count();
            if tail.get(tag) != Some(&b'$') {
                return None;
            }
            let start = at + tag + 2;
            let end = find(bytes, start, &bytes[at..start]).unwrap_or(bytes.len());
            return non_empty(start, end);
        }
        _ => return None,
    };
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' if bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b'\'' => return non_empty(start, i),
            b'\\' if backslash_escapes => i += 2,
            _ => i += 1,
        }
    }
    non_empty(start, bytes.len())
}

fn connection_string(haystack: &Haystack<'_>, out: &mut Vec<Span>) {
    let text = haystack.text;
    let bytes = haystack.bytes();
    for (separator, _) in text.match_indices("://") {
        let scheme_start = bytes[..separator]
            .iter()
            .rposition(|b| !(b.is_ascii_alphanumeric() || b"+.-".contains(b)))
            .map_or(0, |i| i + 1);
        if scheme_start == separator || !bytes[scheme_start].is_ascii_alphabetic() {
            continue;
        }
        let start = separator + 3;
        let end = bytes[start..]
            .iter()
            .position(|b| b.is_ascii_whitespace() || b"/?#'\"`\\<>".contains(b))
            .map_or(bytes.len(), |i| start + i);
        let authority = &bytes[start..end];
        let Some(at_sign) = authority.iter().rposition(|&b| b == b'@') else {
            // A database's URL whose password holds `#`, `?` or `/`
            // unescaped (`postgres://app:Vq8#rT2!@db/app`): people write
            // them, and clients that split at the last `@` accept them.
            let scheme = text[scheme_start..separator].to_ascii_lowercase();
            let service = !matches!(scheme.as_str(), "http" | "https" | "ws" | "wss" | "file");
            let token_end = bytes[start..]
                .iter()
                .position(|b| b.is_ascii_whitespace() || b"'\"`<>".contains(b))
                .map_or(bytes.len(), |i| start + i);
            if let (true, Some(at)) = (service, bytes[start..token_end].iter().position(|&b| b == b'@'))
                && let Some(colon) = bytes[start..start + at].iter().position(|&b| b == b':')
            {
                out.extend(worth_masking(text, Span::new(start + colon + 1, start + at), Quoting::Double));
            }
            continue;
        };
        let Some(colon) = authority[..at_sign].iter().position(|&b| b == b':') else { continue };
        out.extend(worth_masking(text, Span::new(start + colon + 1, start + at_sign), Quoting::Double));
    }
}

fn env_password(haystack: &Haystack<'_>, out: &mut Vec<Span>) {
    let text = haystack.text;
    let bytes = haystack.bytes();
    if haystack.mentions(&["pgpassword", "mysql_pwd"]) {
        static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| regex(r"\b(?:pgpassword|mysql_pwd)[ \t]*=[ \t]*"));
        // What starts inside a value read is part of it.
        let mut done = 0;
        for assignment in ASSIGNMENT.find_iter(haystack.lower.as_bytes()) {
            if assignment.start() < done {
                continue;
            }
            if let Some((span, quoting)) = value_at(text, assignment.end()) {
                done = span.end;
                out.extend(worth_masking(text, span, quoting));
            }
        }
    }
    if haystack.mentions(&["mysql", "mariadb", "sshpass", "redis-cli", "mongo"]) {
        static COMMAND: LazyLock<Regex> =
            LazyLock::new(|| command(r"mysql[a-z_\-]*|mariadb[a-z_\-]*|sshpass|redis-cli|mongo[a-z]*"));
        let lower = haystack.lower.as_bytes();
        // Where the arguments read so far end: a command name inside them is
        // an argument.
        let mut done = 0;
        for name in COMMAND.find_iter(lower) {
            if name.start() < done {
                continue;
            }
            // mysql's -p takes its password attached only (a bare -p
            // prompts); the others' take it attached or as the next argument.
            let matched = &lower[name.start()..name.end()];
            let called = &matched[matched.iter().position(u8::is_ascii_alphabetic).unwrap_or(0)..];
            let (option, separate): (&[u8], bool) = if called.starts_with(b"mysql") || called.starts_with(b"mariadb") {
                (b"-p", false)
            } else if called.starts_with(b"redis-cli") {
                (b"-a", true)
            } else {
                (b"-p", true)
            };
            // sshpass's options end where the command it runs begins
            // (sshpass -p pw ssh -p 2222 host).
            let wraps = called.starts_with(b"sshpass");
            let mut arguments = arguments(bytes, name.end()).peekable();
            done = name.end();
            while let Some(argument) = arguments.next() {
                let word = &bytes[argument.start..argument.end];
                if wraps && !word.starts_with(b"-") {
                    break;
                }
                done = argument.end;
                if !word.starts_with(option) {
                    continue;
                }
                if word.len() > 2 {
                    out.extend(secret_value(text, argument.start + 2).map(|span| clamp(span, argument.end)));
                } else if separate && let Some(next) = arguments.next_if(|next| bytes[next.start] != b'-') {
                    done = next.end;
                    out.extend(secret_value(text, next.start).map(|span| clamp(span, next.end)));
                }
            }
        }
    }
}

fn clamp(span: Span, end: usize) -> Span {
    Span::new(span.start, span.end.min(end))
}

fn authorization(haystack: &Haystack<'_>, out: &mut Vec<Span>) {
    if haystack.mentions(&["authorization"]) {
        authorization_headers(haystack, out);
    }
    if haystack.mentions(&["bearer"]) {
        static BEARER: LazyLock<Regex> = LazyLock::new(|| regex(r"\bbearer[ \t]+"));
        for bearer in BEARER.find_iter(haystack.lower.as_bytes()) {
            let token = token68_at(haystack.bytes(), bearer.end());
            if token.slice(haystack.text).is_some_and(credential_like) {
                out.push(token);
            }
        }
    }
    if haystack.mentions(&["curl"]) {
        curl_credentials(haystack, out);
    }
}

/// Authorization schemes whose credential is a list of parameters: masked
/// from after the scheme to the end of the header value.
const PARAMETER_SCHEMES: &[&str] = &["digest", "oauth", "hoba", "mutual"];

fn authorization_headers(haystack: &Haystack<'_>, out: &mut Vec<Span>) {
    const NAME: &str = "authorization";
    let text = haystack.text;
    let bytes = haystack.bytes();
    // Where the last header value read ends (a header inside it is part of
    // it), and the last line found, [from, end) without a line break: both
    // keep the work linear in the text's length.
    let mut done = 0;
    let mut line = (0, 0);
    for (at, _) in haystack.lower.match_indices(NAME) {
        if at < done || at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
            continue;
        }
        // The quote around the header or its name ('Authorization: ...' in
        // curl -H, "Authorization": in JSON) ends the value.
        let mut closer: Option<&[u8]> = match bytes[..at] {
            [.., b'\\', b'"'] => Some(b"\\\""),
            [.., b'"'] => Some(b"\""),
            [.., b'\''] => Some(b"'"),
            _ => None,
        };
        let mut i = at + NAME.len();
        if bytes[i..].starts_with(b"\\\"") {
            i += 2;
        } else if matches!(bytes.get(i), Some(b'"' | b'\'')) {
            i += 1;
        }
        i = skip_blanks(bytes, i);
        if !matches!(bytes.get(i), Some(b':' | b'=')) {
            continue;
        }
        i = skip_blanks(bytes, i + 1);
        if bytes[i..].starts_with(b"\\\"") {
            closer = Some(b"\\\"");
            i += 2;
        } else if let Some(quote @ (b'"' | b'\'')) = bytes.get(i) {
            closer = Some(std::slice::from_ref(quote));
            i += 1;
        }
        if !(line.0..=line.1).contains(&i) {
            let end = bytes[i..].iter().position(|&b| b == b'\n' || b == b'\r').map_or(bytes.len(), |end| i + end);
            line = (i, end);
        }
        let line_end = line.1;
        let mut end = closer.and_then(|closer| find(&bytes[..line_end], i, closer)).unwrap_or(line_end);
        done = end;
        while end > i && bytes[end - 1].is_ascii_whitespace() {
            end -= 1;
        }
        let first_end = bytes[i..end].iter().position(u8::is_ascii_whitespace).map_or(end, |n| i + n);
        let second = skip_blanks(bytes, first_end);
        let scheme = &haystack.lower[i..first_end];
        let is_scheme = scheme.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
            && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if second < end && is_scheme {
            if PARAMETER_SCHEMES.contains(&scheme) || scheme.starts_with("aws4-") {
                out.extend(worth_masking(text, Span::new(second, end), Quoting::Double));
                continue;
            }
            let token = clamp(token68_at(bytes, second), end);
            if token.slice(text).is_some_and(credential_like) {
                out.push(token);
            }
        } else {
            let token = clamp(token68_at(bytes, i), end);
            if token.slice(text).is_some_and(credential_like) {
                out.push(token);
            }
        }
    }
}

/// Short options curl takes without an argument, which may come before
/// `u` in one cluster (`-su user:password`).
const CURL_FLAGS: &[u8] = b"#0123456fgiIjkLNOqRsSv";

/// The arguments of each curl command in the text; a `curl` among another
/// one's arguments is an argument (and skipping it keeps the work linear).
fn curl_commands(haystack: &Haystack<'_>) -> Vec<Vec<Span>> {
    static CURL: LazyLock<Regex> = LazyLock::new(|| command("curl"));
    let bytes = haystack.bytes();
    let mut commands = Vec::new();
    let mut done = 0;
    for name in CURL.find_iter(haystack.lower.as_bytes()) {
        if name.start() < done {
            continue;
        }
        let arguments: Vec<Span> = arguments(bytes, name.end()).collect();
        done = arguments.last().map_or(name.end(), |last| last.end);
        commands.push(arguments);
    }
    commands
}

fn curl_credentials(haystack: &Haystack<'_>, out: &mut Vec<Span>) {
    let text = haystack.text;
    let bytes = haystack.bytes();
    for arguments in curl_commands(haystack) {
        for (index, argument) in arguments.iter().enumerate() {
            let word = &text[argument.start..argument.end];
            let next = arguments.get(index + 1).map(|next| (next.start, next.end));
            // Where the value starts and ends, and whether it is user:password.
            let value = match word {
                "-u" | "-U" | "--user" | "--proxy-user" => next.map(|next| (next, true)),
                "--oauth2-bearer" => next.map(|next| (next, false)),
                _ if word.starts_with("--user=") || word.starts_with("--proxy-user=") => {
                    Some(((argument.start + word.find('=').unwrap_or(0) + 1, argument.end), true))
                }
                _ if word.starts_with('-') && !word.starts_with("--") => {
                    let cluster = &word.as_bytes()[1..];
                    let flags = cluster.iter().take_while(|b| CURL_FLAGS.contains(b)).count();
                    match cluster.get(flags) {
                        Some(b'u' | b'U') if flags + 2 <= cluster.len() => {
                            Some(((argument.start + flags + 2, argument.end), true))
                        }
                        Some(b'u' | b'U') => next.map(|next| (next, true)),
                        _ => None,
                    }
                }
                _ => None,
            };
            let Some(((start, end), user)) = value else { continue };
            let Some((span, quoting)) = value_at(text, start) else { continue };
            let span = clamp(span, end);
            let span = if user {
                let Some(colon) = bytes[span.start..span.end].iter().position(|&b| b == b':') else { continue };
                Span::new(span.start + colon + 1, span.end)
            } else {
                span
            };
            // Part of user:password, a bare password is no code.
            let quoting = if quoting == Quoting::Bare { Quoting::Double } else { quoting };
            out.extend(worth_masking(text, span, quoting));
        }
    }
}

/// A key's shape after its prefix: the prefix's length, the body's
/// alphabet, its least and greatest length, and whether the body must mix
/// digits and both cases.
type Shape = (usize, fn(&u8) -> bool, usize, usize, bool);

fn cloud_key(haystack: &Haystack<'_>, out: &mut Vec<Span>) {
    // The prefixes only: each key's length and alphabet are checked below,
    // which keeps the expression small and quick to compile.
    static KEY: LazyLock<Regex> = LazyLock::new(|| {
        regex(concat!(
            r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA|ABIA|ACCA|AIza|gh[pousr]_|github_pat_",
            r"|xox[abposr]-|[a-z]{2,3}_live_|[a-z]{2,3}_test_|glpat-|sk-|npm_|hf_|pypi-|cio|hv[sb]\.|do[opr]_v1_)",
            r"[A-Za-z0-9_\-]+",
        ))
    });
    fn alphanumeric(byte: &u8) -> bool {
        byte.is_ascii_alphanumeric()
    }
    fn upper_or_digit(byte: &u8) -> bool {
        byte.is_ascii_uppercase() || byte.is_ascii_digit()
    }
    fn word(byte: &u8) -> bool {
        byte.is_ascii_alphanumeric() || *byte == b'_'
    }
    fn alphanumeric_or_dash(byte: &u8) -> bool {
        byte.is_ascii_alphanumeric() || *byte == b'-'
    }
    fn word_or_dash(byte: &u8) -> bool {
        byte.is_ascii_alphanumeric() || *byte == b'_' || *byte == b'-'
    }
    let bytes = haystack.bytes();
    for key in KEY.find_iter(bytes) {
        // sk-, cio and xx_test_ also begin ordinary words (sk-learn,
        // run_test_all): those keys must mix digits and both cases.
        let (prefix, body, least, most, mixed): Shape = match key.as_bytes() {
            [b'A', b'I', b'z', b'a', ..] => (4, word_or_dash, 35, usize::MAX, false),
            [b'A', ..] => (4, upper_or_digit, 16, 16, false),
            [b'g', b'h', ..] => (4, alphanumeric, 36, usize::MAX, false),
            [b'g', b'i', ..] => (11, word, 22, usize::MAX, false),
            [b'g', b'l', ..] => (6, word_or_dash, 20, usize::MAX, false),
            [b'x', ..] => (5, alphanumeric_or_dash, 10, usize::MAX, false),
            [b'n', b'p', b'm', b'_', ..] => (4, alphanumeric, 36, usize::MAX, false),
            [b'h', b'f', b'_', ..] => (3, alphanumeric, 30, usize::MAX, false),
            [b'p', b'y', b'p', b'i', b'-', ..] => (5, word_or_dash, 50, usize::MAX, false),
            [b'c', b'i', b'o', ..] => (3, alphanumeric, 32, 32, true),
            [b'h', b'v', ..] => (4, word_or_dash, 24, usize::MAX, false),
            [b'd', b'o', _, b'_', ..] => (7, alphanumeric, 64, usize::MAX, false),
            [b's', b'k', b'-', ..] => (3, word_or_dash, 32, usize::MAX, true),
            [b's' | b'r', b'k', b'_', ..] => (8, alphanumeric, 16, usize::MAX, false),
            // Two or three letters, then _live_ or _test_.
            _ => match key.as_bytes().iter().position(|&b| b == b'_') {
                Some(at) => (at + 6, alphanumeric, 16, usize::MAX, true),
                None => continue,
            },
        };
        let start = key.start() + prefix;
        let length = bytes[start..key.end()].iter().take_while(|b| body(b)).count();
        let end = start + length;
        if length < least || length > most || most < usize::MAX && bytes.get(end).is_some_and(word) {
            continue;
        }
        let rest = &bytes[start..end];
        if mixed
            && !(rest.iter().any(u8::is_ascii_digit)
                && rest.iter().any(u8::is_ascii_uppercase)
                && rest.iter().any(u8::is_ascii_lowercase))
        {
            continue;
        }
        out.push(Span::new(key.start(), end));
    }
    if haystack.text.contains("SG.") {
        static SENDGRID: LazyLock<Regex> = LazyLock::new(|| regex(r"\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}\b"));
        out.extend(SENDGRID.find_iter(bytes).map(|key| Span::new(key.start(), key.end())));
    }
}

fn private_key(haystack: &Haystack<'_>, out: &mut Vec<Span>) {
    if !haystack.text.contains("-----BEGIN ") {
        return;
    }
    static BEGIN: LazyLock<Regex> = LazyLock::new(|| regex(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"));
    let bytes = haystack.bytes();
    let mut from = 0;
    while let Some(begin) = BEGIN.find_at(bytes, from) {
        let body_end = find(bytes, begin.end(), b"-----END ").unwrap_or(bytes.len());
        // Line by line, so that the masked key keeps its shape.
        let mut line_start = begin.end();
        while line_start < body_end {
            let line_end =
                bytes[line_start..body_end].iter().position(|&b| b == b'\n').map_or(body_end, |i| line_start + i);
            let line = &bytes[line_start..line_end];
            let leading = line.iter().take_while(|b| b.is_ascii_whitespace()).count();
            let trailing = line[leading..].iter().rev().take_while(|b| b.is_ascii_whitespace()).count();
            out.push(Span::new(line_start + leading, line_end - trailing));
            line_start = line_end + 1;
        }
        from = body_end.max(begin.end());
    }
}

fn jwt(haystack: &Haystack<'_>, out: &mut Vec<Span>) {
    if !haystack.text.contains("eyJ") {
        return;
    }
    static TOKEN: LazyLock<Regex> =
        LazyLock::new(|| regex(r"\beyJ[A-Za-z0-9_\-]{6,}\.eyJ[A-Za-z0-9_\-]{6,}\.[A-Za-z0-9_\-]*"));
    out.extend(TOKEN.find_iter(haystack.bytes()).map(|token| Span::new(token.start(), token.end())));
}

fn cookie(haystack: &Haystack<'_>, out: &mut Vec<Span>) {
    if !haystack.mentions(&["cookie", "curl"]) {
        return;
    }
    let text = haystack.text;
    let bytes = haystack.bytes();
    // Where each list of name=value pairs starts.
    let mut lists: Vec<usize> = Vec::new();
    static HEADER: LazyLock<Regex> = LazyLock::new(|| regex(r#"\b(?:set-)?cookie["']?[ \t]*:[ \t]*["']?"#));
    lists.extend(HEADER.find_iter(haystack.lower.as_bytes()).map(|header| header.end()));
    for arguments in curl_commands(haystack) {
        for (index, argument) in arguments.iter().enumerate() {
            let word = &text[argument.start..argument.end];
            let value = match word {
                "-b" | "--cookie" => arguments.get(index + 1).map(|next| next.start),
                _ if word.starts_with("--cookie=") => Some(argument.start + "--cookie=".len()),
                _ if word.starts_with("-b") && word.len() > 2 => Some(argument.start + 2),
                _ => None,
            };
            // A file of cookies has no `=`.
            let Some(start) = value else { continue };
            let start = if matches!(bytes.get(start), Some(b'"' | b'\'')) { start + 1 } else { start };
            let end = bytes[start..]
                .iter()
                .position(|&b| matches!(b, b'"' | b'\'' | b' ' | b'\n'))
                .map_or(bytes.len(), |at| start + at);
            if bytes[start..end].contains(&b'=') {
                lists.push(start);
            }
        }
    }
    lists.sort_unstable();
    // Where the last list read ends: a list inside it was read with it.
    let mut done = 0;
    for start in lists {
        if start < done {
            continue;
        }
        // name=value; name=value, to the end of the quoted value or line.
        let mut at = start;
        while let Some(equals) =
            bytes[at..].iter().position(|&b| matches!(b, b'=' | b'\n' | b'"' | b'\'')).map(|i| at + i)
        {
            if bytes[equals] != b'=' {
                break;
            }
            let value_end = bytes[equals + 1..]
                .iter()
                .position(|&b| matches!(b, b';' | b'"' | b'\'' | b'\n' | b'\r' | b' ' | b','))
                .map_or(bytes.len(), |i| equals + 1 + i);
            out.extend(worth_masking(text, Span::new(equals + 1, value_end), Quoting::Double));
            done = value_end;
            match bytes.get(value_end) {
                Some(b';') => at = skip_blanks(bytes, value_end + 1),
                _ => break,
            }
            // Set-Cookie attributes (Path=/, Expires=...) are no secrets.
            let attribute = haystack.lower[at..].split(['=', ';']).next().unwrap_or("").trim();
            if matches!(attribute, "path" | "domain" | "expires" | "max-age" | "samesite" | "secure" | "httponly") {
                break;
            }
        }
    }
}

fn webhook_url(haystack: &Haystack<'_>, out: &mut Vec<Span>) {
    if !haystack.mentions(&["hooks.slack.com", "/api/webhooks/"]) {
        return;
    }
    static HOOK: LazyLock<Regex> = LazyLock::new(|| {
        regex(concat!(
            r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9]+/[A-Za-z0-9]+/([A-Za-z0-9]{8,})",
            r"|discord(?:app)?\.com/api/webhooks/[0-9]+/([A-Za-z0-9_\-]{20,})",
        ))
    });
    for found in HOOK.captures_iter(haystack.bytes()) {
        if let Some(secret) = found.get(1).or_else(|| found.get(2)) {
            out.push(Span::new(secret.start(), secret.end()));
        }
    }
}

fn netrc(haystack: &Haystack<'_>, out: &mut Vec<Span>) {
    if !haystack.mentions(&["machine", "default"]) || !haystack.mentions(&["password"]) {
        return;
    }
    static ENTRY: LazyLock<Regex> = LazyLock::new(|| {
        regex(
            r"\b(?:machine[ \t\r\n]+[^ \t\r\n]+|default)(?:[ \t\r\n]+(?:login|account)[ \t\r\n]+[^ \t\r\n]+)*[ \t\r\n]+password[ \t\r\n]+",
        )
    });
    for entry in ENTRY.find_iter(haystack.lower.as_bytes()) {
        let bytes = haystack.bytes();
        let end = bytes[entry.end()..]
            .iter()
            .position(|&b| b.is_ascii_whitespace() || matches!(b, b'\'' | b'"'))
            .map_or(bytes.len(), |at| entry.end() + at);
        out.extend(worth_masking(haystack.text, Span::new(entry.end(), end), Quoting::Double));
    }
}

/// Names ending with `token` that are no secret: pagination cursors,
/// tokenizers' special tokens, limits.
const TOKEN_NOT_SECRET: &[&str] = &[
    "bos",
    "cancellation",
    "cls",
    "continuation",
    "eos",
    "mask",
    "max",
    "min",
    "next",
    "pad",
    "page",
    "pagination",
    "sep",
    "special",
    "stop",
    "sync",
    "unk",
];

/// Whole names that end like a secret's and are not: GitHub Actions'
/// `id-token: write` permission.
const NAMES_NOT_SECRET: &[&str] = &["id-token"];

/// Names ending with a `pass` component that are no secret.
const PASS_NOT_SECRET: &[&str] =
    &["boarding", "by", "compile", "first", "last", "multi", "no", "one", "render", "second", "single", "two"];

/// Names ending with a `key` component that are no secret: database,
/// storage and messaging keys, public keys, lookup keys.
const KEY_NOT_SECRET: &[&str] = &[
    "bucket",
    "cache",
    "candidate",
    "child",
    "cluster",
    "clustering",
    "column",
    "composite",
    "cursor",
    "dedup",
    "dedupe",
    "dict",
    "dist",
    "distribution",
    "end",
    "entry",
    "event",
    "field",
    "first",
    "foreign",
    "group",
    "hash",
    "host",
    "hot",
    "id",
    "idempotency",
    "index",
    "item",
    "join",
    "label",
    "last",
    "locale",
    "lock",
    "lookup",
    "map",
    "max",
    "message",
    "min",
    "name",
    "natural",
    "next",
    "node",
    "object",
    "order",
    "page",
    "parent",
    "partition",
    "primary",
    "pub",
    "public",
    "range",
    "record",
    "routing",
    "row",
    "s3",
    "search",
    "sequence",
    "shard",
    "short",
    "sort",
    "start",
    "sub",
    "surrogate",
    "table",
    "tag",
    "translation",
    "type",
    "unique",
];

/// What may come right before `key` with no separator (`SECRETKEY`,
/// `AccessKey` is a component) for the name to be a secret's.
const KEY_GLUED_SECRET: &[&str] = &[
    "access",
    "account",
    "api",
    "app",
    "auth",
    "client",
    "consumer",
    "deploy",
    "encryption",
    "hmac",
    "license",
    "master",
    "private",
    "secret",
    "service",
    "session",
    "shared",
    "signing",
    "ssh",
];

fn named_secret(haystack: &Haystack<'_>, out: &mut Vec<Span>) {
    if !haystack.mentions(&["pass", "pw", "secret", "token", "key", "credential"]) {
        return;
    }
    static WORD: LazyLock<Regex> =
        LazyLock::new(|| regex("passphrase|password|passwd|pwd|pass|pw|secret|token|apikey|key|credential"));
    let text = haystack.text;
    let bytes = haystack.bytes();
    // Where the last value read ends: a name inside it is part of it.
    // (Skipping it also keeps the work linear in the text's length.)
    let mut done = 0;
    for word in WORD.find_iter(haystack.lower.as_bytes()) {
        let (start, end) = (word.start(), word.end());
        if start < done {
            continue;
        }
        // The word ends the name (`tokens`, `password_file` are other names).
        if bytes.get(end).is_some_and(|&b| is_name_byte(b)) {
            continue;
        }
        let mut name_start = start;
        while name_start > 0 && is_name_byte(bytes[name_start - 1]) {
            name_start -= 1;
        }
        let dashes = bytes[name_start..start].iter().take_while(|&&b| b == b'-').count();
        let word = &haystack.lower[start..end];
        if NAMES_NOT_SECRET.contains(&&haystack.lower[name_start + dashes..end]) {
            continue;
        }
        if !secret_name(word, &text[name_start + dashes..start], bytes[start]) {
            continue;
        }
        let value = if name_start > 0 && bytes[name_start - 1] == b'<' && bytes.get(end) == Some(&b'>') {
            element_content(text, end + 1)
        } else {
            value_after_name(text, end, dashes == 2)
        };
        let Some((value, quoting)) = value else { continue };
        done = value.end;
        // PWD is also the shell's working directory.
        if word == "pwd" && value.slice(text).is_some_and(path_like) {
            continue;
        }
        // A file that holds the secret (`--from-file=password=./secrets/db`,
        // `password=/run/secrets/db`) is where it is, not what it is.
        if value.slice(text).is_some_and(file_path) {
            continue;
        }
        out.extend(worth_masking(text, value, quoting));
    }
}

/// Bytes of a variable, key or option name: `spring.datasource.password`,
/// `--db-password`, `X-API-Key`.
fn is_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"_-.".contains(&byte)
}

/// Whether a name ending with `word` (lowercase; first byte as written)
/// after `prefix` names a secret.
fn secret_name(word: &str, prefix: &str, first: u8) -> bool {
    let whole = prefix.is_empty();
    let last = prefix.as_bytes().last().copied();
    // A component: after a separator, or a camelCase boundary (dbPassword).
    let component = whole
        || matches!(last, Some(b'_' | b'-' | b'.'))
        || first.is_ascii_uppercase() && last.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let before = last_word(prefix);
    let listed = |words: &[&str]| words.iter().any(|word| word.eq_ignore_ascii_case(before));
    match word {
        "token" => !listed(TOKEN_NOT_SECRET),
        "pass" => component && !listed(PASS_NOT_SECRET),
        "pwd" | "pw" => component,
        "key" if whole => false,
        "key" if component => !listed(KEY_NOT_SECRET),
        "key" => KEY_GLUED_SECRET.iter().any(|secret| {
            before.len() >= secret.len() && before[before.len() - secret.len()..].eq_ignore_ascii_case(secret)
        }),
        _ => true,
    }
}

/// The last word of a name's prefix: `sort` in `sort_`, `Partition` in
/// `myPartition`, `AWSSECRET` in `AWSSECRET`.
fn last_word(prefix: &str) -> &str {
    let prefix = prefix.trim_end_matches(['_', '-', '.']);
    let bytes = prefix.as_bytes();
    let mut start = bytes.len();
    while start > 0 && bytes[start - 1].is_ascii_alphanumeric() {
        start -= 1;
        if bytes[start].is_ascii_uppercase() && start > 0 && bytes[start - 1].is_ascii_lowercase() {
            break;
        }
    }
    &prefix[start..]
}

/// The value after a secret's name ending at `end`: after `=`, `:`, `=>`
/// or `:=` (the name perhaps quoted, as in JSON), or after a space for a
/// `--flag`. The value as [`value_at`] reads it, not yet judged.
fn value_after_name(text: &str, end: usize, flag: bool) -> Option<(Span, Quoting)> {
    let bytes = text.as_bytes();
    let mut i = end;
    if bytes[i..].starts_with(b"\\\"") {
        i += 2;
    } else if matches!(bytes.get(i), Some(b'"' | b'\'')) {
        i += 1;
    }
    let quoted = i > end;
    let blanks = i;
    i = skip_blanks(bytes, i);
    match &bytes[i..] {
        [b'=', b'>', ..] | [b':', b'=', ..] => i += 2,
        // A comparison, a path (C++ or Rust) or a URL.
        [b'=', b'=' | b'~', ..] | [b':', b':' | b'/', ..] => return None,
        [b'=' | b':', ..] => i += 1,
        [first, ..] if flag && !quoted && i > blanks && *first != b'-' => return value_at(text, i),
        _ => return None,
    }
    value_at(text, skip_blanks(bytes, i))
}

/// The content of `<password>...</password>` from `at`, without blanks;
/// `None` unless a closing tag follows.
fn element_content(text: &str, at: usize) -> Option<(Span, Quoting)> {
    let bytes = text.as_bytes();
    let end = at + bytes[at..].iter().position(|&b| b == b'<')?;
    if bytes.get(end + 1) != Some(&b'/') {
        return None;
    }
    let content = &text[at..end];
    let start = at + (content.len() - content.trim_start().len());
    Some((Span::new(start, start + content.trim().len()), Quoting::Double))
}

/// A relative or absolute path with a directory in it, made of the
/// characters file names usually are: `./secrets/db.txt`, `/run/secrets/x`.
fn file_path(value: &str) -> bool {
    let rest = value.strip_prefix("./").or_else(|| value.strip_prefix("../")).or_else(|| value.strip_prefix("~/"));
    let rest = rest.or_else(|| value.strip_prefix('/').filter(|rest| rest.contains('/')));
    rest.is_some_and(|rest| {
        rest.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
            && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b))
    })
}

fn path_like(value: &str) -> bool {
    let bytes = value.as_bytes();
    matches!(bytes, [b'/' | b'~', ..] | [_, b':', b'\\' | b'/', ..])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each text masked by every detector.
    fn check(cases: &[(&str, &str)]) {
        for (text, expected) in cases {
            assert_eq!(redact(text, &[]), *expected, "redacting {text:?}");
        }
    }

    /// Each text left as it is by every detector.
    fn unchanged(texts: &[&str]) {
        for text in texts {
            assert_eq!(redact(text, &[]), *text, "redacting {text:?} (found {:?})", detect(text));
        }
    }

    #[test]
    fn secrets_are_masked_byte_for_byte() {
        let text = "ALTER ROLE app PASSWORD 'hunter2'";
        assert_eq!(mask(text, &[Span::new(25, 32)]), "ALTER ROLE app PASSWORD '*******'");
        assert_eq!(mask(text, &[]), text);
        let accented = "PASSWORD 'pässwörd' x";
        assert_eq!(mask(accented, &[Span::new(10, 20)]), "PASSWORD '**********' x");
    }

    #[test]
    fn a_span_that_splits_a_character_withholds_the_whole_text() {
        assert_eq!(mask("é", &[Span::new(0, 1)]), "**");
    }

    #[test]
    fn every_example_is_masked_by_its_detector_and_no_look_alike_by_any() {
        for detector in DETECTORS {
            let spans = detector.find(detector.example);
            assert!(!spans.is_empty(), "{} misses its example {:?}", detector.name, detector.example);
            assert_ne!(mask(detector.example, &spans), detector.example, "{}", detector.name);
            assert_eq!(
                redact(detector.look_alike, &[]),
                detector.look_alike,
                "{}'s look-alike is masked: {:?}",
                detector.name,
                detect(detector.look_alike)
            );
        }
    }

    #[test]
    fn the_docs_show_every_detector_as_it_is() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/secrets.md");
        let docs = std::fs::read_to_string(path).unwrap_or_else(|error| panic!("cannot read {path}: {error}"));
        for detector in DETECTORS {
            let masked = redact(detector.example, &[]);
            for shown in [&format!("### `{}`", detector.name), detector.example, &masked, detector.look_alike] {
                assert!(docs.contains(shown), "docs/secrets.md does not show {shown:?} ({})", detector.name);
            }
        }
    }

    #[test]
    fn role_passwords() {
        check(&[
            ("ALTER ROLE app PASSWORD 'hunter2'", "ALTER ROLE app PASSWORD '*******'"),
            (
                "please run: create user bob with encrypted password 'it''s secret'; then grant",
                "please run: create user bob with encrypted password '************'; then grant",
            ),
            (
                "CREATE ROLE report LOGIN PASSWORD E'a\\'b' VALID UNTIL '2030-01-01'",
                "CREATE ROLE report LOGIN PASSWORD E'****' VALID UNTIL '2030-01-01'",
            ),
            ("alter user app password $pw$x'y$pw$", "alter user app password $pw$***$pw$"),
            (
                "CREATE USER 'app'@'%' IDENTIFIED WITH mysql_native_password BY 'S3cret!';",
                "CREATE USER 'app'@'%' IDENTIFIED WITH mysql_native_password BY '*******';",
            ),
            (
                "SET PASSWORD FOR 'bob'@'%' = 'x1'; SET PASSWORD = PASSWORD('y')",
                "SET PASSWORD FOR 'bob'@'%' = '**'; SET PASSWORD = PASSWORD('*')",
            ),
        ]);
        unchanged(&[
            "ALTER ROLE app PASSWORD NULL",
            "-- reset the password 'policy' before the audit",
            "ALTER ROLE app VALID UNTIL 'infinity'",
            "SELECT rolname FROM pg_authid WHERE rolpassword IS NULL",
            "ALTER ROLE app LOGIN; SELECT 'password' AS word",
        ]);
    }

    #[test]
    fn connection_strings() {
        check(&[
            ("psql postgres://app:hunter2@db.internal:5432/prod", "psql postgres://app:*******@db.internal:5432/prod"),
            (
                "DATABASE_URL=\"postgresql://app:t0p%40secret@db/prod?sslmode=require\"",
                "DATABASE_URL=\"postgresql://app:************@db/prod?sslmode=require\"",
            ),
            (
                "mongosh 'mongodb+srv://admin:Pa55w0rd@cluster0.example.net/test'",
                "mongosh 'mongodb+srv://admin:********@cluster0.example.net/test'",
            ),
            ("redis-cli -u redis://:s3cr3t@cache:6379/0", "redis-cli -u redis://:******@cache:6379/0"),
            ("amqp://guest:p@ss@rabbit//", "amqp://guest:****@rabbit//"),
            (
                "DATABASE_URL=postgres://app_admin:Vq8#rT2mLx9!@prod-db.internal:5432/app",
                "DATABASE_URL=postgres://app_admin:************@prod-db.internal:5432/app",
            ),
            ("https://example.com:8080/a?b#c@d", "https://example.com:8080/a?b#c@d"),
            (
                "jdbc:mysql://root:toor@db:3306/app, then https://u:pw@example.com",
                "jdbc:mysql://root:****@db:3306/app, then https://u:**@example.com",
            ),
        ]);
        unchanged(&[
            "curl https://example.com:8443/health",
            "ssh git@github.com",
            "psql postgres://app@db/prod",
            "see https://example.com/a:b@c",
            "DATABASE_URL=postgres://app:${DB_PASSWORD}@db/prod",
            "mailto://me@example.com and ://x:y@z",
        ]);
    }

    #[test]
    fn env_passwords() {
        check(&[
            ("PGPASSWORD=hunter2 psql -h db", "PGPASSWORD=******* psql -h db"),
            ("export PGPASSWORD='s3 cr3t'", "export PGPASSWORD='*******'"),
            ("env MYSQL_PWD=\"abc\" mysql -uroot", "env MYSQL_PWD=\"***\" mysql -uroot"),
            ("$env:PGPASSWORD = \"hunter2\"", "$env:PGPASSWORD = \"*******\""),
            ("mysql -uroot -psecret prod", "mysql -uroot -p****** prod"),
            ("mysqldump -u root -p'S3 cret' prod > prod.sql", "mysqldump -u root -p'*******' prod > prod.sql"),
            (
                "docker exec db /usr/bin/mariadb-admin -pt0p status; ls",
                "docker exec db /usr/bin/mariadb-admin -p*** status; ls",
            ),
            (
                "{\"cmd\": \"mysql -uroot -psecret -e 'select 1'\"}",
                "{\"cmd\": \"mysql -uroot -p****** -e 'select 1'\"}",
            ),
            ("sshpass -p 'S3cret' ssh -p 2222 root@host", "sshpass -p '******' ssh -p 2222 root@host"),
            ("redis-cli -h cache -a s3cr3t ping", "redis-cli -h cache -a ****** ping"),
            ("mongosh -u admin -p hunter2 --quiet", "mongosh -u admin -p ******* --quiet"),
        ]);
        unchanged(&[
            "mysql -uroot -p prod",
            "mkdir -p /tmp/x && ssh -p 2222 db",
            "mysql -P 3306 -h db",
            "PGPASSWORD=$PW psql",
            "export PGPASSWORD=\"${DB_PASS}\"",
            "mysql -uroot -p\"$MYSQL_ROOT_PASSWORD\"",
            "mysql -uroot; mkdir -plain",
            "mongodump -u admin -p --out /tmp; sshpass -f pw.txt ssh -p 22 host",
        ]);
    }

    #[test]
    fn authorizations() {
        check(&[
            (
                "curl -H 'Authorization: Bearer abc123DEF456ghi789' https://api.example.com/v1",
                "curl -H 'Authorization: Bearer ******************' https://api.example.com/v1",
            ),
            ("authorization: Basic dXNlcjpwYXNz", "authorization: Basic ************"),
            ("{\"Authorization\": \"Token 9f8e7d6c5b4a3210\"}", "{\"Authorization\": \"Token ****************\"}"),
            ("{\\\"authorization\\\":\\\"9f8e7d6c5b4a\\\"}", "{\\\"authorization\\\":\\\"************\\\"}"),
            (
                "Proxy-Authorization: Digest username=\"bob\", response=\"6629fae4\"\nHost: x",
                "Proxy-Authorization: Digest ***********************************\nHost: x",
            ),
            ("the token was Bearer 4f9a8b7c6d5e.", "the token was Bearer ************."),
            ("curl -u admin:S3cret! https://example.com", "curl -u admin:******* https://example.com"),
            ("curl --user \"deploy:hunter22\" https://x", "curl --user \"deploy:********\" https://x"),
            ("curl -su ci:t0ken --user=a:bc https://x", "curl -su ci:***** --user=a:** https://x"),
            ("curl --oauth2-bearer abc123 https://x", "curl --oauth2-bearer ****** https://x"),
        ]);
        unchanged(&[
            "Set the Authorization header to a bearer token",
            "Authorization: Bearer token",
            "Authorization: Bearer $TOKEN",
            "Authorization: Bearer <token>",
            "curl -u alice https://example.com",
            "curl -u \"$USER:$PASS\" https://example.com",
            "sort -u names.txt && docker run -u 1000:1000 app",
        ]);
    }

    #[test]
    fn cloud_keys() {
        check(&[
            ("aws_access_key_id AKIAIOSFODNN7EXAMPLE", "aws_access_key_id ********************"),
            ("ASIAOGO4MVN4A4WFHYM4,", "********************,"),
            (
                concat!("key=AIza", "ORS-6ilI8ihN5KXSc7Tvo-hBKqFYY-kv5ZJ&q=x"),
                "key=***************************************&q=x",
            ),
            (
                concat!("git clone https://", "ghp_", "u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d", "@github.com/o/r"),
                "git clone https://****************************************@github.com/o/r",
            ),
            (
                concat!("slack ", "xoxb-", "226846563212-2330792440268-xNKu8iS2G8NPRVdD53X83RZJ", " ok"),
                "slack ******************************************************** ok",
            ),
            (concat!("Stripe ", "sk_live_", "zzzzgEOzdmenCkhvMdgaKjIg"), "Stripe ********************************"),
            (concat!("gitlab ", "glpat-", "8xNbe3nNyjOq9wMxEhh2"), "gitlab **************************"),
            (
                concat!("OPENAI ", "sk-proj-", "FDEEtfjgVvVqE1SkHbn88HxjSI6bWHtP3fS2qHx6kwXoIIXG"),
                "OPENAI ********************************************************",
            ),
            (
                concat!("claude ", "sk-ant-api03-", "vOoNZYW2mZp0zVZomHFwUbbYrEqmSM9wCZ7Uw9xf"),
                "claude *****************************************************",
            ),
        ]);
        unchanged(&[
            "AKIA is how AWS access key ids begin; pip install scikit-learn",
            "AKIA1234 ghp_short sk-learn sk_live_x",
            "sk-learn-preprocessing-pipeline-and-more-words",
            "XAKIAIOSFODNN7EXAMPLE AKIAIOSFODNN7EXAMPLEX",
        ]);
    }

    #[test]
    fn private_keys() {
        check(&[
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n3Tz2mr7SZiAMfQyu\n-----END RSA PRIVATE KEY-----\n",
                "-----BEGIN RSA PRIVATE KEY-----\n****************\n****************\n-----END RSA PRIVATE KEY-----\n",
            ),
            (
                "-----BEGIN PGP PRIVATE KEY BLOCK-----\r\nVersion: 1\r\n\r\nlQdGBF4=\r\n-----END PGP PRIVATE KEY BLOCK-----",
                "-----BEGIN PGP PRIVATE KEY BLOCK-----\r\n**********\r\n\r\n********\r\n-----END PGP PRIVATE KEY BLOCK-----",
            ),
            (
                "cat id_ed25519\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXkt\nbm9uZQAAAAtzc2gt",
                "cat id_ed25519\n-----BEGIN OPENSSH PRIVATE KEY-----\n****************\n****************",
            ),
            (
                "{\"k\": \"-----BEGIN ENCRYPTED PRIVATE KEY-----\\nMIIFHD\\n-----END ENCRYPTED PRIVATE KEY-----\"}",
                "{\"k\": \"-----BEGIN ENCRYPTED PRIVATE KEY-----**********-----END ENCRYPTED PRIVATE KEY-----\"}",
            ),
        ]);
        unchanged(&[
            "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----",
            "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG\n-----END CERTIFICATE-----",
            "ssh-keygen writes -----BEGIN OPENSSH PRIVATE KEY",
        ]);
    }

    #[test]
    fn jwts() {
        let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        let masked = "*".repeat(token.len());
        check(&[
            (&format!("jwt {token} end"), &format!("jwt {masked} end")),
            (&format!("GET /cb?state=1&t={token}#x"), &format!("GET /cb?state=1&t={masked}#x")),
            (
                "eyJhbGciOiJub25lIn0.eyJzdWIiOiJib2IifQ. (alg none)",
                "*************************************** (alg none)",
            ),
        ]);
        unchanged(&[
            "eyJ is the base64 of {\"; version 1.2.3",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0 has two parts",
            "a.eyJb.eyJc.d",
        ]);
    }

    #[test]
    fn named_secrets() {
        check(&[
            ("DB_PASSWORD=hunter2 ./migrate", "DB_PASSWORD=******* ./migrate"),
            ("export GITHUB_TOKEN=\"not-a-real-1\"", "export GITHUB_TOKEN=\"************\""),
            (
                "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "aws_secret_access_key = ****************************************",
            ),
            ("{\"api_key\": \"abc123\", \"name\": \"x\"}", "{\"api_key\": \"******\", \"name\": \"x\"}"),
            ("password: hunter2 # prod", "password: ******* # prod"),
            ("app --password=x --token abc123 --verbose", "app --password=* --token ****** --verbose"),
            ("host=db user=app password=hunter2 dbname=prod", "host=db user=app password=******* dbname=prod"),
            ("clientSecret: 'abc', X-API-Key: k3y", "clientSecret: '***', X-API-Key: ***"),
            ("<password>hunter2</password>", "<password>*******</password>"),
            ("$password = 'hunter2';", "$password = '*******';"),
            ("Driver={x};Uid=sa;Pwd=S3cret;", "Driver={x};Uid=sa;Pwd=******;"),
            ("AccountName=a;AccountKey=ab+/c==;", "AccountName=a;AccountKey=*******;"),
            ("connect(passwd=\"pw\", SECRETKEY=s)", "connect(passwd=\"**\", SECRETKEY=*)"),
            ("spring.datasource.password:s3cr3t", "spring.datasource.password:******"),
        ]);
        unchanged(&[
            "TOKEN_LIMIT=4096 MAX_TOKENS=100 keyboard=us sort_key=created_at",
            "PWD=/home/app OLDPWD=/tmp bypass=yes",
            "UPDATE users SET password_hash = crypt('x', gen_salt('bf')) WHERE id = 1",
            "PGPASSWORD=$PW psql; password: ${{ secrets.DB_PASSWORD }}",
            "{\"password\": null, \"token\": \"\", \"secret\": \"<secret>\", \"credentials\": {\"a\": 1}}",
            "permissions:\n  id-token: write\nsecrets: inherit\n",
            "--password-file /run/secrets/db --key client.pem",
            "fetch(url, { credentials: 'include' }); eos_token: \"</s>\"",
            "fn login(password: &str) -> bool { password == hash }",
            "const token = await getToken(); let apiKey = process.env.API_KEY;",
        ]);
    }

    #[test]
    fn spans_stay_on_character_boundaries_and_in_range() {
        for text in [
            "PGPASSWORD=pässwörd psql",
            "password: 秘密のパスワード",
            "Authorization: Bearer ñandú12345678",
            "postgres://app:пароль@db/x",
            "ALTER ROLE x PASSWORD 'é",
            "é-----BEGIN PRIVATE KEY-----\nüü\n",
            "token=🙂",
            "mysql -p🙂x",
            "curl -u é:ü x",
            "password=",
            "--token",
        ] {
            let spans = detect(text);
            for span in &spans {
                assert!(span.start < span.end && span.end <= text.len(), "{span:?} in {text:?}");
                assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end), "{span:?} in {text:?}");
            }
            assert!(spans.windows(2).all(|pair| pair[0].end < pair[1].start), "{spans:?} in {text:?}");
            assert!(!redact(text, &[]).chars().all(|c| c == '*'), "{text:?} withheld whole");
        }
        assert_eq!(redact("password: 秘密のパスワード", &[]), format!("password: {}", "*".repeat(24)));
    }

    #[test]
    fn overlapping_detections_merge() {
        // named-secret and cloud-key find the same token; named-secret's
        // value holds connection-string's password.
        let token = concat!("ghp_", "u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d");
        let text = format!("export GITHUB_TOKEN=\"{token}\"");
        assert_eq!(detect(&text), [Span::new(21, 21 + token.len())]);
        assert_eq!(detect("password=postgres://u:p@h x"), [Span::new(9, 25)]);
        assert_eq!(
            normalize("abcdef", vec![Span::new(3, 5), Span::new(0, 2), Span::new(1, 3), Span::new(4, 9)]),
            [Span::new(0, 6)]
        );
    }

    #[test]
    fn repetitive_texts_take_linear_time() {
        // Each of these once took time quadratic in the text's length
        // (minutes for 256 KB): every occurrence re-read the rest of the
        // text. Linear, each takes milliseconds even in a debug build.
        for unit in [
            "password=$password=",
            "password:",
            "pgpassword=pgpassword=",
            "password=\\\"x ",
            "alter role a password $q1$ ",
            "mysql mysql -p ",
            "sshpass -p x sshpass ",
            "curl curl -u ",
            "'Authorization: x ",
            "Authorization: Bearer abc ",
            "Cookie: a=b; ",
            "curl -b a=b curl ",
            "machine m login l password p ",
            "hooks.slack.com/services/T/B/",
        ] {
            let text = unit.repeat((64 << 10) / unit.len());
            let start = std::time::Instant::now();
            detect(&text);
            let elapsed = start.elapsed();
            assert!(elapsed < std::time::Duration::from_secs(5), "{unit:?} repeated to 64 KB took {elapsed:?}");
        }
    }

    #[test]
    fn extra_spans_are_masked_too() {
        assert_eq!(redact("SELECT 'x' AS y", &[Span::new(8, 9)]), "SELECT '*' AS y");
        assert_eq!(redact("PGPASSWORD=ab psql 'x'", &[Span::new(20, 21)]), "PGPASSWORD=** psql '*'");
    }
}
