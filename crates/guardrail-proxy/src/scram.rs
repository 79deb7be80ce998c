//! SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL's server side speaks
//! it: clients prove they know an identity's password; the proxy keeps
//! only the verifier (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`,
//! PostgreSQL's own format), never the password.
//!
//! Channel binding (`SCRAM-SHA-256-PLUS`) is not offered.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

pub const MECHANISM: &str = "SCRAM-SHA-256";

/// A stored SCRAM-SHA-256 verifier.
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub stored_key: [u8; 32],
    pub server_key: [u8; 32],
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Verifier(SCRAM-SHA-256, ...)")
    }
}

impl Verifier {
    /// The verifier of `password`, with a fresh salt and PostgreSQL's
    /// default iteration count (4096). The password is normalized with
    /// SASLprep as PostgreSQL does.
    pub fn of_password(password: &str) -> String {
        postgres_protocol::password::scram_sha_256(password.as_bytes())
    }

    pub fn parse(text: &str) -> Result<Verifier, String> {
        let invalid =
            || "not a SCRAM-SHA-256 verifier (SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>)".to_owned();
        let rest = text.strip_prefix("SCRAM-SHA-256$").ok_or_else(invalid)?;
        let (parameters, keys) = rest.split_once('$').ok_or_else(invalid)?;
        let (iterations, salt) = parameters.split_once(':').ok_or_else(invalid)?;
        let (stored, server) = keys.split_once(':').ok_or_else(invalid)?;
        let iterations: u32 = iterations.parse().map_err(|_| invalid())?;
        let salt = BASE64.decode(salt).map_err(|_| invalid())?;
        let key = |text: &str| -> Result<[u8; 32], String> {
            BASE64.decode(text).ok().and_then(|bytes| bytes.try_into().ok()).ok_or_else(invalid)
        };
        if iterations == 0 || salt.is_empty() {
            return Err(invalid());
        }
        Ok(Verifier { iterations, salt, stored_key: key(stored)?, server_key: key(server)? })
    }

    /// A verifier no password matches, for names that are no identity: the
    /// exchange runs the same way and fails at the end, so a client cannot
    /// tell unknown names from wrong passwords. Derived from the name and
    /// a per-process secret, so repeated attempts see the same salt.
    pub fn decoy(name: &str, secret: &[u8; 32]) -> Verifier {
        let salt = hmac(secret, name.as_bytes())[..16].to_vec();
        let mut stored_key = [0u8; 32];
        let _ = getrandom::fill(&mut stored_key);
        Verifier { iterations: 4096, salt, stored_key, server_key: stored_key }
    }
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// One client's exchange, between its first and its final message.
pub struct Exchange {
    verifier: Verifier,
    client_first_bare: String,
    server_first: String,
    nonce: String,
    /// The GS2 header the client sent, which its final message must echo.
    gs2_header: String,
}

/// Why the exchange failed; what the client is told is only "password
/// authentication failed".
#[derive(Debug, PartialEq, Eq)]
pub enum ScramError {
    Malformed(&'static str),
    WrongProof,
}

impl Exchange {
    /// Answers the client's first message (`n,,n=,r=<nonce>`): the server's
    /// first message to send, and the exchange to finish.
    pub fn start(verifier: Verifier, client_first: &str) -> Result<(Exchange, String), ScramError> {
        let (gs2_header, bare) = split_gs2(client_first)?;
        let client_nonce = bare
            .split(',')
            .find_map(|part| part.strip_prefix("r="))
            .filter(|nonce| {
                !nonce.is_empty() && nonce.bytes().all(|byte| (0x21..=0x7e).contains(&byte) && byte != b',')
            })
            .ok_or(ScramError::Malformed("no client nonce"))?;
        let mut ours = [0u8; 18];
        getrandom::fill(&mut ours).map_err(|_| ScramError::Malformed("no randomness"))?;
        let nonce = format!("{client_nonce}{}", BASE64.encode(ours));
        let server_first = format!("r={nonce},s={},i={}", BASE64.encode(&verifier.salt), verifier.iterations);
        let exchange = Exchange {
            verifier,
            client_first_bare: bare.to_owned(),
            server_first: server_first.clone(),
            nonce,
            gs2_header: gs2_header.to_owned(),
        };
        Ok((exchange, server_first))
    }

    /// Checks the client's final message (`c=biws,r=<nonce>,p=<proof>`) and
    /// returns the server's final message (`v=<signature>`).
    pub fn finish(self, client_final: &str) -> Result<String, ScramError> {
        let (without_proof, proof) =
            client_final.rsplit_once(",p=").ok_or(ScramError::Malformed("no proof in the final message"))?;
        let mut channel = None;
        let mut nonce = None;
        for part in without_proof.split(',') {
            if let Some(value) = part.strip_prefix("c=") {
                channel = Some(value);
            } else if let Some(value) = part.strip_prefix("r=") {
                nonce = Some(value);
            }
        }
        if channel != Some(BASE64.encode(&self.gs2_header).as_str()) {
            return Err(ScramError::Malformed("the channel binding does not match the first message"));
        }
        if nonce != Some(self.nonce.as_str()) {
            return Err(ScramError::Malformed("the nonce does not match"));
        }
        let proof = BASE64.decode(proof).map_err(|_| ScramError::Malformed("the proof is not base64"))?;
        let proof: [u8; 32] = proof.try_into().map_err(|_| ScramError::Malformed("the proof has the wrong length"))?;
        let auth_message = format!("{},{},{}", self.client_first_bare, self.server_first, without_proof);
        let client_signature = hmac(&self.verifier.stored_key, auth_message.as_bytes());
        let mut client_key = [0u8; 32];
        for (index, byte) in client_key.iter_mut().enumerate() {
            *byte = proof[index] ^ client_signature[index];
        }
        let stored_key: [u8; 32] = Sha256::digest(client_key).into();
        // Compared in constant time.
        let difference = stored_key.iter().zip(self.verifier.stored_key.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if difference != 0 {
            return Err(ScramError::WrongProof);
        }
        let server_signature = hmac(&self.verifier.server_key, auth_message.as_bytes());
        Ok(format!("v={}", BASE64.encode(server_signature)))
    }
}

/// Splits `n,,n=user,r=nonce` into its GS2 header (`n,,`) and the bare
/// message. Only `n` (no channel binding) and `y` (client supports it,
/// thinks the server does not) are accepted.
fn split_gs2(message: &str) -> Result<(&str, &str), ScramError> {
    let malformed = ScramError::Malformed("the first message's GS2 header");
    let flag = message.get(..2).ok_or(malformed)?;
    if flag != "n," && flag != "y," {
        return Err(ScramError::Malformed("channel binding is not supported"));
    }
    let rest = &message[2..];
    let comma = rest.find(',').ok_or(ScramError::Malformed("the first message's GS2 header"))?;
    // An authorization identity (a=...) is not supported.
    if comma != 0 {
        return Err(ScramError::Malformed("an authorization identity is not supported"));
    }
    Ok((&message[..3], &rest[1..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use postgres_protocol::authentication::sasl::{ChannelBinding, ScramSha256};

    /// Runs a whole exchange with rust-postgres's client side.
    fn authenticate(verifier: &Verifier, password: &str) -> Result<(), ScramError> {
        let mut client = ScramSha256::new(password.as_bytes(), ChannelBinding::unsupported());
        let first = String::from_utf8(client.message().to_vec()).unwrap();
        let (exchange, server_first) = Exchange::start(verifier.clone(), &first)?;
        client.update(server_first.as_bytes()).unwrap();
        let client_final = String::from_utf8(client.message().to_vec()).unwrap();
        let server_final = exchange.finish(&client_final)?;
        client.finish(server_final.as_bytes()).expect("the client accepts the server's signature");
        Ok(())
    }

    #[test]
    fn the_right_password_passes_and_others_fail() {
        let verifier = Verifier::parse(&Verifier::of_password("correct horse")).unwrap();
        assert_eq!(authenticate(&verifier, "correct horse"), Ok(()));
        assert_eq!(authenticate(&verifier, "correct horse "), Err(ScramError::WrongProof));
        assert_eq!(authenticate(&verifier, ""), Err(ScramError::WrongProof));
        let decoy = Verifier::decoy("nobody", &[7; 32]);
        assert_eq!(authenticate(&decoy, ""), Err(ScramError::WrongProof));
    }

    #[test]
    fn verifiers_are_read_in_postgresql_format_and_nothing_else() {
        let text = Verifier::of_password("x");
        assert!(text.starts_with("SCRAM-SHA-256$4096:"), "{text}");
        assert!(Verifier::parse(&text).is_ok());
        for bad in ["", "md5abc", "SCRAM-SHA-256$4096:c2FsdA==$AAAA:AAAA", "SCRAM-SHA-256$0:c2FsdA==$x:y", "x"] {
            assert!(Verifier::parse(bad).is_err(), "{bad}");
        }
        assert!(!format!("{:?}", Verifier::parse(&text).unwrap()).contains('$'));
    }

    #[test]
    fn malformed_client_messages_are_refused() {
        let verifier = Verifier::parse(&Verifier::of_password("x")).unwrap();
        for first in ["", "p=tls-unique,,n=,r=abc", "n,a=admin,n=,r=abc", "n,,n=,r=", "n,,n="] {
            assert!(Exchange::start(verifier.clone(), first).is_err(), "{first}");
        }
        let (exchange, _) = Exchange::start(verifier, "n,,n=,r=abc").unwrap();
        assert!(exchange.finish("c=biws,r=abc,p=AAAA").is_err());
    }
}
