//! Text shown to people, as it is: what would redraw a terminal or
//! reorder a line is made visible instead of obeyed.

use std::borrow::Cow;

/// `text` safe to show to a person, on a terminal or a page: control characters other than line
/// feed and tab (escape sequences, carriage returns, backspaces: what
/// redraws the screen) in caret notation (`^[`), C1 controls and the
/// characters that reorder or hide text (bidirectional overrides and
/// isolates, zero-width characters) as `<U+202E>`. Recorded texts come
/// from agents: what a person reads before approving must be what runs.
/// Only ASCII is added, so a JSON line stays JSON.
pub fn visible(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
    };
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut safe = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            c if !unsafe_char(c) => safe.push(c),
            '\u{7F}' => safe.push_str("^?"),
            c if (c as u32) < 0x20 => {
                safe.push('^');
                safe.push(char::from(b'@' + c as u8));
            }
            c => safe.push_str(&format!("<U+{:04X}>", c as u32)),
        }
    }
    Cow::Owned(safe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_redraws_or_reorders_a_terminal_is_shown_not_obeyed() {
        let cases = [
            ("GRANT ALL ON payroll TO mallory", "GRANT ALL ON payroll TO mallory"),
            ("a\nb\tc", "a\nb\tc"),
            ("GRANT; --\x08\x08SELECT 1\x1b[K", "GRANT; --^H^HSELECT 1^[[K"),
            ("DROP\rSELECT", "DROP^MSELECT"),
            ("x\u{7f}\u{85}y", "x^?<U+0085>y"),
            ("/* \u{202E} nimda */", "/* <U+202E> nimda */"),
            ("ali\u{200B}ce", "ali<U+200B>ce"),
            ("café ✓", "café ✓"),
        ];
        for (text, shown) in cases {
            assert_eq!(visible(text), shown, "{text:?}");
        }
    }
}
