//! What flows between commands: the data on a pipe, a here-document, a
//! file written and read in the same line, a variable, a substitution.
//!
//! Data keeps its mark through whatever carries it. Credentials read from a
//! key file stay secret through `base64`, `gzip`, `tar`, a temporary file or
//! a variable; a download stays network data through `tee` and `gunzip`. A
//! network sink that receives secret data is exfiltration, and an
//! interpreter that receives network data runs remote code, however many
//! steps lie between the two.

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

/// A mark data keeps through every transformation: where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Mark {
    /// Credentials, named for the reason shown ("the credentials in ~/.aws").
    Secret(String),
    /// Downloaded from the network.
    Network,
    /// Decoded or decrypted data the line does not show.
    Decoded,
}

impl Mark {
    /// Which of two marks matters more: a secret must never be lost to a
    /// network or decoding mark, and network code is worse than decoded code.
    fn rank(&self) -> u8 {
        match self {
            Mark::Secret(_) => 3,
            Mark::Network => 2,
            Mark::Decoded => 1,
        }
    }

    /// The worse of two optional marks.
    pub(crate) fn worst(a: Option<Mark>, b: Option<Mark>) -> Option<Mark> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if b.rank() > a.rank() { b } else { a }),
            (a, b) => a.or(b),
        }
    }
}

impl Stream {
    /// The mark this data carries, if any.
    pub(crate) fn mark(&self) -> Option<Mark> {
        match self {
            Stream::Secret(what) => Some(Mark::Secret(what.clone())),
            Stream::Network => Some(Mark::Network),
            Stream::Decoded => Some(Mark::Decoded),
            _ => None,
        }
    }

    /// Data whose content is unknown but whose origin is `mark`.
    pub(crate) fn marked(mark: Option<Mark>) -> Stream {
        match mark {
            Some(Mark::Secret(what)) => Stream::Secret(what),
            Some(Mark::Network) => Stream::Network,
            Some(Mark::Decoded) => Stream::Decoded,
            None => Stream::Unknown,
        }
    }

    /// The secret this data holds, if any.
    pub(crate) fn secret(&self) -> Option<&str> {
        match self {
            Stream::Secret(what) => Some(what),
            _ => None,
        }
    }

    /// What a program makes of its inputs when the analyzer does not know
    /// its output: unknown content, but the worst mark of what went in.
    pub(crate) fn derived<'a>(inputs: impl IntoIterator<Item = &'a Stream>) -> Stream {
        Stream::marked(inputs.into_iter().fold(None, |worst, stream| Mark::worst(worst, stream.mark())))
    }
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
    fn base64_round_trips_what_a_shell_would_decode() {
        assert_eq!(base64_decode("cm0gLXJmIC8=").as_deref(), Some("rm -rf /"));
        assert_eq!(base64_decode("cm0gLXJmIC8K").as_deref(), Some("rm -rf /\n"));
        assert_eq!(base64_decode("not base64!"), None);
    }

    #[test]
    fn the_worst_mark_survives_mixing() {
        let secret = Stream::Secret("k".to_owned());
        assert_eq!(Stream::derived([&Stream::Network, &secret, &Stream::Unknown]), secret);
        assert_eq!(Stream::derived([&Stream::Decoded, &Stream::Network]), Stream::Network);
        assert_eq!(Stream::derived([&Stream::Text("x".to_owned())]), Stream::Unknown);
    }
}
