//! The heart of Guardrail: what an action is, what it would do, and whether
//! it may.
//!
//! - [`Action`]: who asked to do what, where and why.
//! - [`Intent`]: one effect the action would have, named by a stable dotted
//!   id from the taxonomy in [`intent`] (`data.delete_all`, `schema.drop`).
//! - [`Policy`]: Cedar policies judging each intent; [`Policy::default_policy`]
//!   is the built-in one.
//! - [`Decision`]: the verdict, the rule that decided, a reason, obligations.
//! - [`Guard`]: the one door every surface calls: analyze, then decide.
//!
//! This crate knows nothing of SQL or shell syntax: analyzers plug in through
//! the [`Analyzer`] trait. It does no I/O; callers hand it policy text.
//! It is a boundary other crates build on: a new `pub` item here is a bigger
//! change than an internal edit.

pub mod action;
pub mod decision;
pub mod guard;
pub mod intent;
pub mod policy;
pub mod secret;
pub mod visible;

pub use visible::visible;

pub use action::{Action, ActionContext, ActionKind, Actor, ActorKind, justification_in};
pub use decision::{Decision, Judgement, Obligation, Verdict};
pub use guard::{Analysis, Analyzer, Guard};
pub use intent::{Intent, IntentKind, Object, Scope, Span};
pub use policy::Policy;
