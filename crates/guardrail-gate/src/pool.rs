//! Decisions off the I/O threads, with a deadline.
//!
//! SQL parsing may need a big stack, and the shell parser has inputs it
//! takes seconds on. A server's I/O threads (a proxy's, an HTTP API's) hand
//! each decision to a pool of big-stack threads and wait at most the
//! deadline: past it the action is `unknown`, which the policy holds, and
//! the thread that was deciding is not lost: it finishes, its answer is
//! dropped, and it takes the next job. The queue is bounded: a full queue
//! is an [`PoolError::Overloaded`] error, never a verdict.

use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use guardrail_core::{Action, Analysis, Decision, Guard, Intent, IntentKind, Scope, Span};

/// Why the pool gave no decision: the caller must not run the action.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    #[error("the gate is overloaded: {0} decisions are waiting; try again")]
    Overloaded(usize),
    #[error("the gate's decision threads have stopped")]
    Stopped,
}

enum Reply {
    Blocking(mpsc::SyncSender<Arc<Decision>>),
    Async(tokio::sync::oneshot::Sender<Arc<Decision>>),
}

struct Job {
    action: Action,
    reply: Reply,
}

/// A pool of threads that decide, each with a stack sized for deep input.
pub struct DecisionPool {
    guard: Arc<Guard>,
    sender: Option<mpsc::SyncSender<Job>>,
    workers: Vec<JoinHandle<()>>,
    deadline: Duration,
    capacity: usize,
}

impl DecisionPool {
    /// The stack each decision thread gets: deep SQL needs about 2.5 KiB
    /// of stack per byte of text (`scripts/measure-stack`).
    pub const STACK_BYTES: usize = 256 * 1024 * 1024;

    /// Starts `threads` decision threads for `guard`, with `capacity`
    /// decisions allowed to wait, each answered within `deadline`.
    pub fn new(
        guard: Arc<Guard>,
        threads: usize,
        capacity: usize,
        deadline: Duration,
    ) -> std::io::Result<DecisionPool> {
        let (sender, receiver) = mpsc::sync_channel::<Job>(capacity);
        let receiver = Arc::new(Mutex::new(receiver));
        let mut workers = Vec::with_capacity(threads);
        for index in 0..threads.max(1) {
            let (guard, receiver) = (Arc::clone(&guard), Arc::clone(&receiver));
            let worker = std::thread::Builder::new()
                .name(format!("guardrail-decide-{index}"))
                .stack_size(DecisionPool::STACK_BYTES)
                .spawn(move || {
                    loop {
                        // One thread takes the next job; the lock is held only
                        // while waiting for it.
                        let job = match receiver.lock() {
                            Ok(receiver) => receiver.recv(),
                            Err(_) => return,
                        };
                        let Ok(Job { action, reply }) = job else { return };
                        let decision = guard.check(&action);
                        // A caller that stopped waiting (past its deadline)
                        // is gone: its answer is dropped.
                        match reply {
                            Reply::Blocking(reply) => drop(reply.try_send(decision)),
                            Reply::Async(reply) => drop(reply.send(decision)),
                        }
                    }
                })?;
            workers.push(worker);
        }
        Ok(DecisionPool { guard, sender: Some(sender), workers, deadline, capacity })
    }

    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    fn submit(&self, action: Action, reply: Reply) -> Result<(), PoolError> {
        let sender = self.sender.as_ref().ok_or(PoolError::Stopped)?;
        sender.try_send(Job { action, reply }).map_err(|error| match error {
            mpsc::TrySendError::Full(_) => PoolError::Overloaded(self.capacity),
            mpsc::TrySendError::Disconnected(_) => PoolError::Stopped,
        })
    }

    /// Decides `action` on a decision thread, waiting at most the deadline.
    pub fn decide(&self, action: Action) -> Result<Arc<Decision>, PoolError> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.submit(action.clone(), Reply::Blocking(reply))?;
        match answer.recv_timeout(self.deadline) {
            Ok(decision) => Ok(decision),
            Err(mpsc::RecvTimeoutError::Timeout) => Ok(Arc::new(self.out_of_time(&action))),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(PoolError::Stopped),
        }
    }

    /// Decides `action` on a decision thread without blocking the caller's
    /// runtime, waiting at most the deadline.
    pub async fn decide_async(&self, action: Action) -> Result<Arc<Decision>, PoolError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.submit(action.clone(), Reply::Async(reply))?;
        match tokio::time::timeout(self.deadline, answer).await {
            Ok(Ok(decision)) => Ok(decision),
            Ok(Err(_)) => Err(PoolError::Stopped),
            Err(_) => Ok(Arc::new(self.out_of_time(&action))),
        }
    }

    /// The decision on an action whose analysis ran out of time: `unknown`,
    /// judged by the policy (which holds it), its whole text kept secret
    /// since nothing is known of what it holds.
    fn out_of_time(&self, action: &Action) -> Decision {
        let whole = Span::new(0, action.text.len());
        let note = format!(
            "the analysis took longer than {} ms; nothing is known of what this would do",
            self.deadline.as_millis()
        );
        let unknown = Intent::new(IntentKind::Unknown, Scope::Unbounded, whole).with_note(note);
        self.guard.judge(action, Analysis { intents: vec![unknown], secrets: vec![whole] })
    }
}

impl Drop for DecisionPool {
    fn drop(&mut self) {
        drop(self.sender.take());
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}
