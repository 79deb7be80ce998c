//! The names of table columns, from the server's catalog, so that masking
//! goes by the column a value comes from, not by the name a query gives it
//! (`SELECT ssn AS x`).
//!
//! Lookups go over one connection of the proxy's own per database (a
//! session's connection may be busy streaming), and are kept for all
//! sessions until a schema change passes the gate, or for a minute.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::upstream::{ServerConn, Upstream};
use crate::wire::{self, Report};

/// How long a table's column names are trusted without a schema change
/// seen by the gate (changes made elsewhere).
const FRESH: Duration = Duration::from_secs(60);

type Names = Arc<HashMap<i16, String>>;

#[derive(Default)]
pub struct Catalog {
    names: Mutex<HashMap<(String, u32), (Instant, Names)>>,
    connections: tokio::sync::Mutex<HashMap<String, ServerConn>>,
}

impl Catalog {
    /// Forgets every name (a schema change passed the gate).
    pub fn forget(&self) {
        self.names.lock().expect("catalog").clear();
    }

    /// The column names of table `table` in `database`, by column number.
    pub async fn columns(&self, upstream: &Upstream, database: &str, table: u32) -> Result<Names, String> {
        let key = (database.to_owned(), table);
        if let Some((at, names)) = self.names.lock().expect("catalog").get(&key)
            && at.elapsed() < FRESH
        {
            return Ok(Arc::clone(names));
        }
        let mut connections = self.connections.lock().await;
        if !connections.contains_key(database) {
            let parameters = [("application_name".to_owned(), "guardrail catalog".to_owned())];
            let server = upstream.connect(database, &parameters).await.map_err(|error| error.to_string())?;
            connections.insert(database.to_owned(), server);
        }
        let server = connections.get_mut(database).expect("inserted");
        // The table's OID is a number: nothing of a client's reaches this text.
        let sql =
            format!("SELECT attnum, attname FROM pg_catalog.pg_attribute WHERE attrelid = {table} AND attnum > 0");
        let result = query(server, &sql).await;
        if result.is_err() {
            connections.remove(database);
        }
        let names: Names = Arc::new(result?);
        self.names.lock().expect("catalog").insert(key, (Instant::now(), Arc::clone(&names)));
        Ok(names)
    }
}

async fn query(server: &mut ServerConn, sql: &str) -> Result<HashMap<i16, String>, String> {
    wire::query(&mut server.conn.write, sql);
    server.conn.flush().await.map_err(|error| error.to_string())?;
    let mut names = HashMap::new();
    let mut failure = None;
    loop {
        let message = server.conn.message().await.map_err(|error| error.to_string())?;
        match message.tag {
            b'D' => {
                let mut fields = message.fields();
                let _count = fields.i16().map_err(|error| error.to_string())?;
                let mut value = || -> Result<String, String> {
                    let length = fields.i32().map_err(|error| error.to_string())?;
                    let bytes = fields.bytes(length.max(0) as usize).map_err(|error| error.to_string())?;
                    Ok(String::from_utf8_lossy(&bytes).into_owned())
                };
                let number: i16 = value()?.parse().map_err(|_| "a column number that is not a number".to_owned())?;
                names.insert(number, value()?);
            }
            b'E' => failure = Some(Report::parse(&message.body).map(|report| report.message).unwrap_or_default()),
            b'Z' => break,
            _ => {}
        }
    }
    match failure {
        Some(message) => Err(message),
        None => Ok(names),
    }
}
