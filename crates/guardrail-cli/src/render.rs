//! How decisions are shown: one JSON object, or lines for people.

use std::fmt::Write;

use guardrail_core::secret::mask;
use guardrail_core::{Decision, Judgement, Object, Obligation, Scope, Span, Verdict};
use serde::Serialize;

/// Evidence longer than this is cut, with an ellipsis.
const EVIDENCE_CHARS: usize = 200;

/// The JSON answer for one action: the contract of `check --json` and
/// `check --jsonl`, documented in docs/cli.md.
#[derive(Debug, Serialize)]
pub struct Answer<'a> {
    pub decision: Verdict,
    pub rule: &'a str,
    pub reason: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub obligations: &'a [Obligation],
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub justified: bool,
    pub intents: Vec<IntentAnswer<'a>>,
    pub policy_version: &'a str,
    /// The action's canonical digest: what an approval of this exact
    /// action binds to, with the policy version.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub digest: &'a str,
    /// Where the decision sits in the activity record, when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<RecordAnswer>,
    /// The approval request a held, recorded decision opened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval: Option<ApprovalAnswer<'a>>,
}

/// An approval request as printed with a decision.
#[derive(Debug, Serialize)]
pub struct ApprovalAnswer<'a> {
    pub id: &'a str,
    pub state: guardrail_audit::approval::State,
}

/// A receipt as printed: the node, the sequence number, the record's hash.
#[derive(Debug, Serialize)]
pub struct RecordAnswer {
    pub node: String,
    pub seq: u64,
    pub hash: String,
}

impl From<&guardrail_audit::Receipt> for RecordAnswer {
    fn from(receipt: &guardrail_audit::Receipt) -> RecordAnswer {
        RecordAnswer { node: receipt.node.clone(), seq: receipt.seq, hash: receipt.hash.to_hex() }
    }
}

#[derive(Debug, Serialize)]
pub struct IntentAnswer<'a> {
    pub id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<&'a Object>,
    pub scope: Scope,
    pub span: Span,
    pub evidence: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'a str>,
    pub verdict: Verdict,
    pub rule: &'a str,
    pub reason: &'a str,
}

impl<'a> Answer<'a> {
    /// The answer for `decision` on `text`, whose secrets are masked in
    /// every excerpt.
    pub fn new(decision: &'a Decision, text: &'a str, policy_version: &'a str) -> Answer<'a> {
        let text = mask(text, &decision.secrets);
        let text = text.as_ref();
        Answer {
            decision: decision.verdict,
            rule: &decision.rule,
            reason: &decision.reason,
            obligations: &decision.obligations,
            justified: decision.justified,
            intents: decision.intents.iter().map(|judgement| intent(judgement, text)).collect(),
            policy_version,
            digest: "",
            record: None,
            approval: None,
        }
    }
}

fn intent<'a>(judgement: &'a Judgement, text: &str) -> IntentAnswer<'a> {
    let intent = &judgement.intent;
    IntentAnswer {
        id: intent.kind.id(),
        object: intent.object.as_ref(),
        scope: intent.scope,
        span: intent.span,
        evidence: shorten(intent.span.slice(text).unwrap_or(""), EVIDENCE_CHARS),
        note: intent.note.as_deref(),
        verdict: judgement.verdict,
        rule: &judgement.rule,
        reason: &judgement.reason,
    }
}

fn shorten(text: &str, limit: usize) -> String {
    let mut chars = text.chars();
    let mut short: String = chars.by_ref().take(limit).collect();
    if chars.next().is_some() {
        short.push('…');
    }
    short
}

/// The human form: the verdict and reason; with `explain`, each intent
/// with the text it came from, its secrets masked.
pub fn human(decision: &Decision, text: &str, explain: bool) -> String {
    let text = mask(text, &decision.secrets);
    let text = text.as_ref();
    let mut out = String::new();
    writeln!(out, "{}: {} [rule: {}]", decision.verdict, decision.reason, decision.rule).unwrap();
    if decision.verdict == guardrail_core::Verdict::RequireJustification {
        writeln!(
            out,
            "to go ahead, give the justification with --justification 'why', or in the text: \
             `# justification: why` at the end of a shell command, `/* justification: why */` in SQL"
        )
        .unwrap();
    }
    for obligation in &decision.obligations {
        match obligation {
            Obligation::CapRows { rows } => {
                writeln!(out, "obligation: at most {rows} rows returned, or changed by a write").unwrap()
            }
            Obligation::MaskColumns { columns } => {
                writeln!(out, "obligation: mask columns {}", columns.join(", ")).unwrap()
            }
        }
    }
    if !explain {
        return out;
    }
    if decision.intents.is_empty() {
        out.push_str("\nno intents: the text contains no statement\n");
    }
    for judgement in &decision.intents {
        let intent = &judgement.intent;
        let object = intent.object.as_ref().map(|object| format!(" on {object}")).unwrap_or_default();
        writeln!(out, "\n{} ({}){object}: {} [rule: {}]", intent.kind, intent.scope, judgement.verdict, judgement.rule)
            .unwrap();
        if let Some(note) = &intent.note {
            writeln!(out, "  {note}").unwrap();
        }
        if judgement.verdict != Verdict::Allow || judgement.rule != decision.rule {
            writeln!(out, "  {}", judgement.reason).unwrap();
        }
        out.push_str(&excerpt(text, intent.span));
    }
    out
}

/// The first line of a span, with its line number and an underline; or
/// nothing, should the span not fit the text (never worth a panic here).
fn excerpt(text: &str, span: Span) -> String {
    let start = span.start.min(text.len());
    let (Some(before_span), Some(after_start)) = (text.get(..start), text.get(start..)) else {
        return String::new();
    };
    let line_start = before_span.rfind('\n').map_or(0, |index| index + 1);
    let line_end = after_start.find('\n').map_or(text.len(), |index| start + index);
    let line_number = before_span.matches('\n').count() + 1;
    let line = &text[line_start..line_end];
    let before = text[line_start..start].chars().count();
    let width = text.get(start..span.end.clamp(start, line_end)).map_or(1, |covered| covered.chars().count().max(1));
    let shown = shorten(line, 120);
    let gutter = line_number.to_string();
    let pad = " ".repeat(gutter.len());
    format!(
        "  {pad} |\n  {gutter} | {shown}\n  {pad} | {}{}\n",
        " ".repeat(before.min(120)),
        "^".repeat(width.min(120usize.saturating_sub(before)).max(1))
    )
}

/// `text` safe to show on a terminal ([`guardrail_core::visible`]).
pub use guardrail_core::visible as terminal_safe;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_point_at_the_span_on_its_line() {
        let text = "SELECT 1;\nDELETE FROM users";
        let shown = excerpt(text, Span::new(10, 27));
        assert_eq!(shown, "    |\n  2 | DELETE FROM users\n    | ^^^^^^^^^^^^^^^^^\n");
    }

    #[test]
    fn a_span_that_does_not_fit_shows_no_excerpt() {
        assert_eq!(excerpt("é", Span::new(1, 2)), "");
        // Past the end, the caret points just after the text.
        assert_eq!(excerpt("abc", Span::new(10, 20)), "    |\n  1 | abc\n    |    ^\n");
    }

    #[test]
    fn long_evidence_is_cut_on_a_character_boundary() {
        assert_eq!(shorten("ééé", 2), "éé…");
        assert_eq!(shorten("abc", 3), "abc");
    }
}
