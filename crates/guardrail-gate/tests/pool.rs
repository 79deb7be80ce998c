//! Decisions on a pool of big-stack threads: the same decisions as the
//! guard's, `unknown` and held past the deadline without losing the
//! thread, and a full queue an error, never a verdict.

use std::sync::Arc;
use std::time::Duration;

use guardrail_core::{Action, ActionKind, Analysis, Analyzer, Guard, Intent, IntentKind, Policy, Scope, Span, Verdict};
use guardrail_gate::{DecisionPool, OwnPlaces, PoolError, guard};

/// An analyzer that takes as long as its text says (`sleep 300`), then
/// finds a read.
struct Slow;

impl Analyzer for Slow {
    fn analyze(&self, action: &Action) -> Analysis {
        if let Some(ms) = action.text.strip_prefix("sleep ").and_then(|ms| ms.parse().ok()) {
            std::thread::sleep(Duration::from_millis(ms));
        }
        let read = Intent::new(IntentKind::DataRead, Scope::Bounded, Span::new(0, action.text.len()));
        Analysis { intents: vec![read], secrets: Vec::new() }
    }
}

fn slow_pool(threads: usize, capacity: usize, deadline_ms: u64) -> DecisionPool {
    let guard = Guard::new(Policy::default_policy()).with_analyzer(ActionKind::Sql, Arc::new(Slow));
    DecisionPool::new(Arc::new(guard), threads, capacity, Duration::from_millis(deadline_ms)).unwrap()
}

#[test]
fn the_pool_decides_as_the_guard_does() {
    let guard = Arc::new(guard(Policy::default_policy(), &OwnPlaces::default()));
    let pool = DecisionPool::new(Arc::clone(&guard), 2, 64, Duration::from_secs(10)).unwrap();
    for (kind, text) in [
        (ActionKind::Sql, "DELETE FROM users"),
        (ActionKind::Sql, "SELECT 1"),
        (ActionKind::Shell, "rm -rf /"),
        // Deep input: the pool's threads have the stack for it.
        (ActionKind::Sql, &format!("SELECT {}1{}", "(".repeat(3_000), ")".repeat(3_000))),
    ] {
        let action = Action::new(kind, text);
        assert_eq!(*pool.decide(action.clone()).unwrap(), *guard.check(&action), "{}", &text[..text.len().min(40)]);
    }
}

#[test]
fn past_the_deadline_the_action_is_held_and_the_thread_is_not_lost() {
    let pool = slow_pool(1, 8, 100);
    let late = pool.decide(Action::sql("sleep 400")).unwrap();
    assert_eq!(late.verdict, Verdict::RequireApproval, "{late:?}");
    assert_eq!(late.rule, "unknown");
    assert!(late.reason.contains("longer than 100 ms"), "{}", late.reason);
    // The one thread finishes the slow job and takes the next.
    std::thread::sleep(Duration::from_millis(400));
    let next = pool.decide(Action::sql("sleep 0")).unwrap();
    assert_eq!(next.verdict, Verdict::Allow, "{next:?}");
}

#[test]
fn a_full_queue_is_an_error_not_a_verdict() {
    let pool = slow_pool(1, 1, 50);
    // One job running, one waiting: the queue is full for the third.
    let results: Vec<_> = (0..3).map(|_| pool.decide(Action::sql("sleep 300"))).collect();
    assert!(results.iter().any(|result| matches!(result, Err(PoolError::Overloaded(1)))), "{results:?}");
    for result in results.iter().flatten() {
        assert_ne!(result.verdict, Verdict::Allow, "a late answer is never an allow");
    }
}

#[test]
fn async_callers_wait_without_blocking_their_runtime() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let pool = slow_pool(2, 8, 100);
    runtime.block_on(async {
        let (fast, late) =
            tokio::join!(pool.decide_async(Action::sql("sleep 0")), pool.decide_async(Action::sql("sleep 400")));
        assert_eq!(fast.unwrap().verdict, Verdict::Allow);
        assert_eq!(late.unwrap().verdict, Verdict::RequireApproval);
    });
}
