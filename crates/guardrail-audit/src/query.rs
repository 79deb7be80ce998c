//! Reading the record back: filters for `audit list`, `tail` and `export`.

use guardrail_core::{IntentKind, Verdict};

use std::collections::VecDeque;

use crate::chain::Record;
use crate::event::Event;
use crate::store::{Store, StoreError};

/// How many records a scan reads at a time.
const PAGE: usize = 5_000;

/// Why the record could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Every record `filter` keeps, in order of arrival, handed to `each`,
/// which may stop the scan with an error of its own.
pub fn scan<E: From<ReadError>>(
    store: &mut dyn Store,
    filter: &Filter,
    mut each: impl FnMut(Entry) -> Result<(), E>,
) -> Result<(), E> {
    let mut after = 0;
    loop {
        let page = store.scan(after, PAGE).map_err(|error| E::from(ReadError::Store(error)))?;
        let Some(last) = page.last() else { return Ok(()) };
        after = last.id;
        for stored in page {
            let entry = Entry::decode_or_mark(stored.record);
            if filter.matches(&entry) {
                each(entry)?;
            }
        }
    }
}

/// The latest `limit` records `filter` keeps (all when 0), oldest first,
/// and how many it keeps in all.
pub fn latest(store: &mut dyn Store, filter: &Filter, limit: usize) -> Result<(VecDeque<Entry>, usize), ReadError> {
    let mut kept = VecDeque::new();
    let mut total = 0;
    scan(store, filter, |entry| {
        total += 1;
        kept.push_back(entry);
        if limit > 0 && kept.len() > limit {
            kept.pop_front();
        }
        Ok::<(), ReadError>(())
    })?;
    Ok((kept, total))
}

/// A record read back, with its event decoded.
#[derive(Clone, Debug)]
pub struct Entry {
    pub record: Record,
    pub event: Event,
}

impl Entry {
    pub fn decode(record: Record) -> Result<Entry, String> {
        let event = Event::decode(&record.kind, &record.body)
            .map_err(|error| format!("record {}#{}: {error}", record.node, record.seq))?;
        Ok(Entry { record, event })
    }

    /// The record decoded, or marked unreadable: a reader shows it in its
    /// place instead of stopping at it.
    pub fn decode_or_mark(record: Record) -> Entry {
        match Event::decode(&record.kind, &record.body) {
            Ok(event) => Entry { record, event },
            Err(error) => {
                let event =
                    Event::Unreadable(crate::event::UnreadableEvent { stored_kind: record.kind.clone(), error });
                Entry { record, event }
            }
        }
    }
}

/// Which records to show. Every condition given must hold.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub node: Option<String>,
    pub actor: Option<String>,
    pub verdict: Option<Verdict>,
    /// An intent id (`data.delete_all`) or group (`schema.change`).
    pub intent: Option<String>,
    pub channel: Option<String>,
    pub kind: Option<String>,
    pub session: Option<String>,
    /// Nanoseconds since the epoch, inclusive.
    pub since: Option<i64>,
    /// Nanoseconds since the epoch, exclusive.
    pub until: Option<i64>,
    /// Case-insensitive text to find in the action's text or the content.
    pub text: Option<String>,
}

impl Filter {
    pub fn matches(&self, entry: &Entry) -> bool {
        let Entry { record, event } = entry;
        let equal = |wanted: &Option<String>, actual: Option<&str>| wanted.as_deref().is_none_or(|w| actual == Some(w));
        equal(&self.node, Some(&record.node))
            && equal(&self.kind, Some(&record.kind))
            && equal(&self.actor, event.actor().map(|actor| actor.id.as_str()))
            // `hook` is every agent's hook channel (`hook:claude-code`...).
            && self.channel.as_deref().is_none_or(|wanted| {
                event.channel().is_some_and(|channel| {
                    channel == wanted || channel.strip_prefix(wanted).is_some_and(|rest| rest.starts_with(':'))
                })
            })
            && equal(&self.session, event.session())
            && self.since.is_none_or(|since| record.time >= since)
            && self.until.is_none_or(|until| record.time < until)
            && self.verdict.is_none_or(|verdict| matches!(event, Event::Decision(d) if d.verdict == verdict))
            && self.intent.as_deref().is_none_or(|wanted| match event {
                Event::Decision(decision) => decision.intents.iter().any(|intent| intent_matches(&intent.id, wanted)),
                _ => false,
            })
            && self.text.as_deref().is_none_or(|wanted| {
                let wanted = wanted.to_lowercase();
                event.text().is_some_and(|text| text.preview().to_lowercase().contains(&wanted))
            })
    }
}

/// Whether intent `id` is `wanted`, or belongs to the group `wanted`.
fn intent_matches(id: &str, wanted: &str) -> bool {
    id == wanted || IntentKind::from_id(id).is_some_and(|kind| kind.groups().contains(&wanted))
}
