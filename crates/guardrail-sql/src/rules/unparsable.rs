//! Text the analyzer cannot judge.

use guardrail_core::IntentKind;

use super::{Rule, Status};

pub(crate) const RULE: Rule = Rule {
    name: "unparsable",
    intents: &[IntentKind::Unknown],
    status: Status::Stable,
    catches: "Text PostgreSQL's parser rejects (a syntax error anywhere makes the whole text \
              unknown, since the server would run the statements before it), text nested beyond \
              the parser's limits, a NUL byte, SQL nested in SQL more than eight bodies deep, \
              PL/pgSQL the PL/pgSQL parser rejects, and statement kinds the analyzer does not \
              classify.",
    why: "What cannot be read cannot be judged safe. Failing closed means the gate holds it for a \
          person rather than guessing.",
    example: "DELETE FROM users WHERE",
    look_alike: "DELETE FROM users WHERE id = 1",
    gaps: "None: this is the rule that catches the others' gaps in parsing.",
};

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn what_does_not_parse_is_unknown() {
        check(&[
            ("DELETE FROM users WHERE", "unknown unbounded"),
            ("SELECT 1; DROP TABLE", "unknown unbounded"),
            ("SELEC * FROM users", "unknown unbounded"),
            ("SELECT 'unterminated", "unknown unbounded"),
            ("SELECT 1 /* unterminated", "unknown unbounded"),
            ("SELECT 1\0; DROP TABLE users", "unknown unbounded"),
            ("", ""),
            ("-- only a comment", ""),
            (";;", ""),
        ]);
    }
}
