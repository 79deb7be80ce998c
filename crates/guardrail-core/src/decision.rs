//! Decisions: the policy's answer to an action.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::intent::Intent;

/// What the gate lets happen, from least to most restrictive. The order is
/// meaningful: when an action has several intents, the greatest verdict wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Allow,
    /// Runs once the actor states why; a justification satisfies this and
    /// nothing stronger.
    RequireJustification,
    /// Held until a person approves it.
    RequireApproval,
    Deny,
}

impl Verdict {
    pub const ALL: [Verdict; 4] =
        [Verdict::Allow, Verdict::RequireJustification, Verdict::RequireApproval, Verdict::Deny];

    pub const fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::RequireJustification => "require_justification",
            Verdict::RequireApproval => "require_approval",
            Verdict::Deny => "deny",
        }
    }

    /// The exit status of `guardrail check` for this verdict: 0 only for
    /// allow, and never 2, which is kept for errors.
    pub const fn exit_code(self) -> i32 {
        match self {
            Verdict::Allow => 0,
            Verdict::Deny => 1,
            Verdict::RequireJustification => 3,
            Verdict::RequireApproval => 4,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Verdict {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Verdict::ALL.into_iter().find(|verdict| verdict.as_str() == s).ok_or_else(|| {
            format!("unknown verdict {s:?} (expected one of allow, require_justification, require_approval, deny)")
        })
    }
}

/// Something the surface must do when it lets an action through.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Obligation {
    /// Return at most this many rows to the client.
    CapRows { rows: u64 },
    /// Mask these columns in results.
    MaskColumns { columns: Vec<String> },
}

impl Obligation {
    /// Several obligations as one set: the smallest row cap, the union of
    /// masked columns (in the order first named).
    pub fn merge<'o>(obligations: impl IntoIterator<Item = &'o Obligation>) -> Vec<Obligation> {
        let mut cap: Option<u64> = None;
        let mut columns: Vec<String> = Vec::new();
        for obligation in obligations {
            match obligation {
                Obligation::CapRows { rows } => cap = Some(cap.map_or(*rows, |cap| cap.min(*rows))),
                Obligation::MaskColumns { columns: more } => {
                    for column in more {
                        if !columns.contains(column) {
                            columns.push(column.clone());
                        }
                    }
                }
            }
        }
        let mut merged: Vec<Obligation> = cap.map(|rows| Obligation::CapRows { rows }).into_iter().collect();
        if !columns.is_empty() {
            merged.push(Obligation::MaskColumns { columns });
        }
        merged
    }
}

/// How the policy judged one intent of the action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judgement {
    #[serde(flatten)]
    pub intent: Intent,
    pub verdict: Verdict,
    pub rule: String,
    pub reason: String,
}

/// The gate's answer to one action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub verdict: Verdict,
    /// The id of the rule that decided: the policy's `@id`.
    pub rule: String,
    /// A reason a person or an agent can act on.
    pub reason: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub obligations: Vec<Obligation>,
    /// Every intent of the action with its own verdict, in text order.
    pub intents: Vec<Judgement>,
    /// Whether a justification was needed and accepted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub justified: bool,
    /// Where the action's text holds secrets, by the analyzer and by the
    /// text detectors ([`crate::secret::detect`]); mask them
    /// ([`crate::secret::mask`]) before printing or storing the text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<crate::intent::Span>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_order_from_least_to_most_restrictive() {
        let mut sorted = Verdict::ALL;
        sorted.sort();
        assert_eq!(sorted, Verdict::ALL);
        assert!(Verdict::Deny > Verdict::RequireApproval);
        assert!(Verdict::RequireApproval > Verdict::RequireJustification);
        assert!(Verdict::RequireJustification > Verdict::Allow);
    }

    #[test]
    fn obligations_merge_to_the_tightest_cap_and_every_masked_column() {
        let merged = Obligation::merge(&[
            Obligation::MaskColumns { columns: vec!["ssn".into()] },
            Obligation::CapRows { rows: 500 },
            Obligation::CapRows { rows: 100 },
            Obligation::MaskColumns { columns: vec!["card".into(), "ssn".into()] },
        ]);
        assert_eq!(
            merged,
            vec![
                Obligation::CapRows { rows: 100 },
                Obligation::MaskColumns { columns: vec!["ssn".into(), "card".into()] }
            ]
        );
    }

    #[test]
    fn only_allow_exits_zero_and_no_verdict_exits_two() {
        for verdict in Verdict::ALL {
            assert_eq!(verdict.exit_code() == 0, verdict == Verdict::Allow);
            assert_ne!(verdict.exit_code(), 2, "2 is the exit status for errors");
            assert_eq!(verdict.as_str().parse::<Verdict>(), Ok(verdict));
        }
    }
}
