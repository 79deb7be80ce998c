//! `/metrics`: what the daemon decided, in Prometheus' text format.
//!
//! Counted here: the decisions this daemon made (hooks it answered), by
//! verdict and by intent; how long each took (deciding and recording); and
//! how long recording alone took, the record's lag behind the decision.
//! Read from the record at each scrape: the approval requests waiting.
//! Other processes' decisions (hooks judging themselves, `exec`) are in
//! the record, not in these counters.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use guardrail_core::Decision;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// A latency histogram with fixed buckets.
#[derive(Default)]
pub struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    /// Microseconds, summed.
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        for (bound, count) in BUCKETS.iter().zip(&self.counts) {
            if seconds <= *bound {
                count.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    fn render(&self, name: &str, help: &str, out: &mut String) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (bound, count) in BUCKETS.iter().zip(&self.counts) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {}", count.load(Ordering::Relaxed));
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum {}", self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6);
        let _ = writeln!(out, "{name}_count {count}");
    }
}

#[derive(Default)]
pub struct Metrics {
    /// Decisions by verdict.
    verdicts: Mutex<BTreeMap<String, u64>>,
    /// Intents judged, by intent id and verdict.
    intents: Mutex<BTreeMap<(String, String), u64>>,
    pub decision_seconds: Histogram,
    pub record_seconds: Histogram,
}

impl Metrics {
    /// Counts a decision that took `took` in all, `recording` of it to
    /// make durable.
    pub fn decided(&self, decision: &Decision, took: Duration, recording: Duration) {
        if let Ok(mut verdicts) = self.verdicts.lock() {
            *verdicts.entry(decision.verdict.to_string()).or_default() += 1;
        }
        if let Ok(mut intents) = self.intents.lock() {
            for judged in &decision.intents {
                *intents.entry((judged.intent.kind.id().to_owned(), judged.verdict.to_string())).or_default() += 1;
            }
        }
        self.decision_seconds.observe(took);
        self.record_seconds.observe(recording);
    }

    /// The text format, with the approval requests waiting now.
    pub fn render(&self, approvals_pending: usize) -> String {
        let mut out = String::new();
        out.push_str("# HELP guardrail_decisions_total Decisions this daemon made, by verdict.\n");
        out.push_str("# TYPE guardrail_decisions_total counter\n");
        for (verdict, count) in self.verdicts.lock().map(|map| map.clone()).unwrap_or_default() {
            let _ = writeln!(out, "guardrail_decisions_total{{verdict=\"{verdict}\"}} {count}");
        }
        out.push_str("# HELP guardrail_intents_total Intents this daemon judged, by intent and verdict.\n");
        out.push_str("# TYPE guardrail_intents_total counter\n");
        for ((intent, verdict), count) in self.intents.lock().map(|map| map.clone()).unwrap_or_default() {
            let _ = writeln!(out, "guardrail_intents_total{{intent=\"{intent}\",verdict=\"{verdict}\"}} {count}");
        }
        self.decision_seconds.render(
            "guardrail_decision_seconds",
            "Time to decide and durably record one action.",
            &mut out,
        );
        self.record_seconds.render(
            "guardrail_record_seconds",
            "Time from a decision to its record being durable (the record's lag).",
            &mut out,
        );
        out.push_str("# HELP guardrail_approvals_pending Approval requests waiting for a person.\n");
        out.push_str("# TYPE guardrail_approvals_pending gauge\n");
        let _ = writeln!(out, "guardrail_approvals_pending {approvals_pending}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_counts_each_observation_in_every_bucket_it_fits() {
        let histogram = Histogram::default();
        histogram.observe(Duration::from_micros(300));
        histogram.observe(Duration::from_millis(30));
        let mut out = String::new();
        histogram.render("h", "help", &mut out);
        assert!(out.contains("h_bucket{le=\"0.0002\"} 0\n"), "{out}");
        assert!(out.contains("h_bucket{le=\"0.0005\"} 1\n"), "{out}");
        assert!(out.contains("h_bucket{le=\"0.05\"} 2\n"), "{out}");
        assert!(out.contains("h_bucket{le=\"+Inf\"} 2\n"), "{out}");
        assert!(out.contains("h_count 2\n") && out.contains("h_sum 0.0303\n"), "{out}");
    }
}
