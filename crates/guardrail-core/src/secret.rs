//! Secrets in an action's text, masked before anything is printed or stored.
//!
//! Analyzers report where secrets sit (a password literal, the password of
//! a connection string), read from the grammar rather than guessed. [`mask`]
//! overwrites those bytes with `*`, byte for byte, so every span into the
//! text stays valid in the masked text. (The length of a secret shows; its
//! content does not.)

use std::borrow::Cow;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
