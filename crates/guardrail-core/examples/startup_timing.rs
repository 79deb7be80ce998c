//! Where a fresh process spends its start-up: the pieces of loading the
//! default policy, each timed once, as a hook call would pay them.
//!
//! ```text
//! cargo run --release -p guardrail-core --example startup_timing
//! ```

use std::str::FromStr;
use std::time::Instant;

fn main() {
    let started = Instant::now();
    let schema = guardrail_core::policy::policy_schema();
    println!("schema parse        {:>8.2} ms", started.elapsed().as_secs_f64() * 1e3);
    let started = Instant::now();
    let _ = schema.action_entities();
    println!("action entities     {:>8.2} ms", started.elapsed().as_secs_f64() * 1e3);
    let started = Instant::now();
    let _ = cedar_policy::PolicySet::from_str(guardrail_core::policy::DEFAULT_POLICY).unwrap();
    println!("policy parse        {:>8.2} ms", started.elapsed().as_secs_f64() * 1e3);
    let started = Instant::now();
    let _ = guardrail_core::Policy::default_policy();
    println!("default_policy()    {:>8.2} ms (all of it, second time)", started.elapsed().as_secs_f64() * 1e3);
}
