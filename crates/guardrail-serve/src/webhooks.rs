//! Webhooks: every change to an approval request, sent as it lands in the
//! record, to the URLs the configuration names, signed.
//!
//! The dispatcher reads the record, not the daemon's own doings, so a
//! request opened by a hook process, approved at another terminal or used
//! by `exec` is sent all the same. Where it has read up to is kept in the
//! data directory (`webhooks.cursor`), so a restart resumes there: each
//! event is delivered at least once, and carries a stable id (the record's
//! `node#seq`) for receivers to drop repeats by.
//!
//! Each POST carries `Guardrail-Event-Id`, `Guardrail-Timestamp` (Unix
//! seconds) and `Guardrail-Signature: v1=HEX`, the HMAC-SHA256, keyed with
//! the webhook's secret, of `TIMESTAMP.BODY`: a receiver recomputes it and
//! refuses old timestamps. A failed delivery (no answer, 429, 5xx) is tried
//! again after 1, 2, 4, 8 and 16 seconds, then given up and logged; other
//! 4xx answers are not retried. `format = "slack"` sends Slack's incoming
//! webhook body (`{"text": ...}`) instead of the event's JSON.

use std::path::PathBuf;
use std::time::Duration;

use guardrail_audit::Location;
use guardrail_audit::event::{ApprovalEvent, Event};
use guardrail_audit::query::Entry;
use hmac::Mac;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// One webhook in the configuration.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WebhookEntry {
    pub url: String,
    /// The HMAC key (kept in the configuration file, which only its owner
    /// reads: a signing key cannot be kept as a digest).
    pub secret: String,
    #[serde(default)]
    pub format: Format,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    #[default]
    Json,
    Slack,
}

/// The delays between attempts at one delivery.
const RETRIES: [u64; 5] = [1, 2, 4, 8, 16];

/// The event a record of an approval change becomes, if it is one: the
/// request opened, approved, denied, cancelled or expired (from its
/// `approval` record), or used (the decision that ran on it).
pub fn event_of(entry: &Entry, console: Option<&str>) -> Option<Value> {
    let id = format!("{}#{}", entry.record.node, entry.record.seq);
    let occurred_at = guardrail_audit::time::rfc3339(entry.record.time);
    let link =
        |approval: &str| console.map(|base| format!("{}/console/approvals/{approval}", base.trim_end_matches('/')));
    match &entry.event {
        Event::Approval(approval) => {
            let ApprovalEvent { id: request, transition, state, by, reason, actor, channel, target, rule, .. } =
                approval;
            Some(json!({
                "id": id,
                "type": format!("approval.{}", transition.as_str()),
                "occurred_at": occurred_at,
                "approval": {
                    "id": request, "state": state, "by": by, "reason": reason,
                    "actor": actor, "channel": channel, "target": target, "rule": rule,
                    "link": link(request),
                },
            }))
        }
        Event::Decision(decision) => decision.approval.as_ref().map(|request| {
            json!({
                "id": id,
                "type": "approval.consumed",
                "occurred_at": occurred_at,
                "approval": {
                    "id": request, "state": "consumed", "by": decision.actor.id,
                    "actor": decision.actor, "channel": decision.channel, "target": decision.target,
                    "rule": decision.rule, "text": decision.text.preview(), "link": link(request),
                },
            })
        }),
        _ => None,
    }
}

/// Slack's incoming-webhook body for an event.
pub fn slack(event: &Value) -> Value {
    let approval = &event["approval"];
    let what = match event["type"].as_str().unwrap_or("") {
        "approval.requested" => "is waiting for a person's approval",
        "approval.approved" => "was approved",
        "approval.denied" => "was denied",
        "approval.cancelled" => "was withdrawn",
        "approval.expired" => "expired",
        "approval.consumed" => "ran, on its approval",
        _ => "changed",
    };
    // What agents and people named is escaped for Slack's markup: no
    // link, mention (`<!channel>`) or formatting of theirs gets through.
    let said = |value: &Value| slack_escaped(value.as_str().unwrap_or(""));
    let mut text = format!(
        "*{}* by {} on {} {what} (rule `{}`",
        said(&approval["id"]),
        said(&approval["actor"]["id"]),
        said(&approval["target"]),
        said(&approval["rule"]),
    );
    if let Some(by) = approval["by"].as_str().filter(|by| *by != "gate") {
        text.push_str(&format!("; by {}", slack_escaped(by)));
    }
    text.push(')');
    if let Some(reason) = approval["reason"].as_str().filter(|reason| !reason.is_empty()) {
        text.push_str(&format!(": {}", slack_escaped(reason)));
    }
    if let Some(link) = approval["link"].as_str() {
        text.push_str(&format!("\n<{link}|Open it in the console>"));
    }
    json!({"text": text})
}

/// `text` with no link or mention of its own: Slack's three control
/// characters escaped as Slack documents (`&`, `<`, `>`), and line breaks
/// as spaces (a name cannot pose as a line of the message).
fn slack_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `v1=` and the hex HMAC-SHA256 of `timestamp.body` under `secret`.
pub fn signature(secret: &str, timestamp: u64, body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Reads the record from the cursor on and delivers what it finds, for ever.
pub struct Dispatcher {
    pub location: Location,
    pub webhooks: Vec<WebhookEntry>,
    /// Where the cursor is kept.
    pub cursor: PathBuf,
    /// The console's address as people reach it, for links.
    pub console: Option<String>,
    pub client: reqwest::Client,
}

impl Dispatcher {
    pub fn new(
        location: Location,
        webhooks: Vec<WebhookEntry>,
        cursor: PathBuf,
        console: Option<String>,
    ) -> Dispatcher {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        Dispatcher { location, webhooks, cursor, console, client }
    }

    /// Where reading resumes: the saved cursor, else the record's end now
    /// (what happened before the first start is not sent).
    async fn start(&self) -> Result<i64, String> {
        match std::fs::read_to_string(&self.cursor) {
            Ok(text) => text.trim().parse().map_err(|_| format!("{}: not a record id", self.cursor.display())),
            Err(_) => {
                let id = crate::on_record(&self.location, |store| store.last_id()).await?;
                self.save(id)?;
                Ok(id)
            }
        }
    }

    fn save(&self, id: i64) -> Result<(), String> {
        guardrail_audit::data_dir::write_private(&self.cursor, &format!("{id}\n"))
    }

    /// Runs until the task is dropped.
    pub async fn run(self) {
        let mut after = match self.start().await {
            Ok(after) => after,
            Err(error) => {
                tracing::error!(%error, "webhooks: cannot find where to start; none will be sent");
                return;
            }
        };
        loop {
            match self.step(after).await {
                Ok(next) => after = next,
                Err(error) => tracing::warn!(%error, "webhooks: cannot read the record; trying again"),
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Delivers every event recorded after `after`; the new cursor.
    pub async fn step(&self, after: i64) -> Result<i64, String> {
        let page = crate::on_record(&self.location, move |store| store.scan(after, 1000)).await?;
        let (mut cursor, mut saved) = (after, after);
        for stored in page {
            cursor = stored.id;
            let Ok(entry) = Entry::decode(stored.record) else { continue };
            let Some(event) = event_of(&entry, self.console.as_deref()) else { continue };
            for webhook in &self.webhooks {
                self.deliver(webhook, &event).await;
            }
            // Saved after each delivered event: a restart resends at most one.
            self.save(cursor)?;
            saved = cursor;
        }
        if cursor != saved {
            self.save(cursor)?;
        }
        Ok(cursor)
    }

    /// One event to one webhook, with retries; whether it was taken.
    async fn deliver(&self, webhook: &WebhookEntry, event: &Value) -> bool {
        let body = match webhook.format {
            Format::Json => event.to_string(),
            Format::Slack => slack(event).to_string(),
        };
        let id = event["id"].as_str().unwrap_or("");
        for (attempt, delay) in std::iter::once(0).chain(RETRIES).enumerate() {
            tokio::time::sleep(Duration::from_secs(delay)).await;
            let timestamp =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |since| since.as_secs());
            let sent = self
                .client
                .post(&webhook.url)
                .header("content-type", "application/json")
                .header("guardrail-event-id", id)
                .header("guardrail-timestamp", timestamp.to_string())
                .header("guardrail-signature", signature(&webhook.secret, timestamp, body.as_bytes()))
                .body(body.clone())
                .send()
                .await;
            match sent {
                Ok(answer) if answer.status().is_success() => return true,
                Ok(answer) if answer.status().as_u16() == 429 || answer.status().is_server_error() => {
                    tracing::warn!(%id, status = %answer.status(), attempt, "webhook: not taken; trying again");
                }
                Ok(answer) => {
                    tracing::error!(%id, status = %answer.status(), "webhook: refused; not sent again");
                    return false;
                }
                Err(error) => {
                    tracing::warn!(%id, error = %error.without_url(), attempt, "webhook: no answer; trying again")
                }
            }
        }
        tracing::error!(%id, "webhook: given up after {} attempts", RETRIES.len() + 1);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hmac_of_the_timestamp_and_the_body() {
        // RFC 4231's second case: key "Jefe", data "what do ya want for nothing?".
        let signed = signature("Jefe", 0, b"what do ya want for nothing?");
        assert_ne!(signed, signature("Jefe", 1, b"what do ya want for nothing?"));
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"0.what do ya want for nothing?");
        assert_eq!(signed, format!("v1={}", hex::encode(mac.finalize().into_bytes())));
        let bare = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"Jefe")
            .unwrap()
            .chain_update(b"what do ya want for nothing?")
            .finalize()
            .into_bytes();
        assert_eq!(hex::encode(bare), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn slack_says_who_what_and_where_to_decide() {
        let event = json!({"type": "approval.denied", "approval": {
            "id": "apr-1", "actor": {"id": "agent-7"}, "target": "db1", "rule": "privilege-change",
            "by": "bob", "reason": "not now", "link": "http://x/console/approvals/apr-1"}});
        assert_eq!(
            slack(&event)["text"],
            "*apr-1* by agent-7 on db1 was denied (rule `privilege-change`; by bob): not now\n<http://x/console/approvals/apr-1|Open it in the console>"
        );
        // What an agent names cannot link, mention or add lines.
        let event = json!({"type": "approval.requested", "approval": {
            "id": "apr-2", "actor": {"id": "claude\n<https://evil.example|Open it in the console> <!channel>"},
            "target": "prod & <https://evil.example/x|db>", "rule": "r", "link": "http://x/console/approvals/apr-2"}});
        let text = slack(&event)["text"].as_str().unwrap().to_owned();
        assert_eq!(
            text,
            "*apr-2* by claude &lt;https://evil.example|Open it in the console&gt; &lt;!channel&gt; on prod &amp; \
             &lt;https://evil.example/x|db&gt; is waiting for a person's approval (rule `r`)\n\
             <http://x/console/approvals/apr-2|Open it in the console>"
        );
    }
}
