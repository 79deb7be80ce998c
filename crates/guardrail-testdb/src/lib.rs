//! Tests only: a PostgreSQL database of its own for each test, on the server
//! named by `GUARDRAIL_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), dropped when the test
//! ends. A server that cannot be reached fails the test loudly, with how to
//! start one: a green run means the tests that need it ran.

use postgres::{Client, Config, NoTls};

/// The server tests use when `GUARDRAIL_TEST_DATABASE_URL` is not set.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database of its own for one test, dropped when the test ends.
pub struct TestDatabase {
    admin: Client,
    name: String,
    url: String,
    /// A connection to the test's database.
    pub client: Client,
}

impl TestDatabase {
    /// Creates `guardrail_{test}_{pid}` afresh (dropping a leftover one).
    pub fn new(test: &str) -> TestDatabase {
        let server = std::env::var("GUARDRAIL_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned());
        let mut admin = Client::connect(&server, NoTls).unwrap_or_else(|error| {
            panic!(
                "cannot reach PostgreSQL at {server}: {error}\n\
                 set GUARDRAIL_TEST_DATABASE_URL, or start the local server with\n  \
                 pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
            )
        });
        let name = format!("guardrail_{test}_{}", std::process::id());
        // One statement each: DROP and CREATE DATABASE refuse to run in the
        // implicit transaction of a multi-statement string.
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let mut config: Config = server.parse().unwrap();
        config.dbname(&name);
        let client = config.connect(NoTls).unwrap();
        let url = database_url(&server, &name);
        TestDatabase { admin, name, url, client }
    }

    /// The test database's connection string.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let _ = self.admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

/// `url` with its database replaced by `name`, query parameters kept.
fn database_url(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(base, query)| (base, Some(query)));
    let scheme_end = base.find("://").map_or(0, |index| index + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_database_is_replaced_and_the_rest_kept() {
        let cases = [
            ("postgres://u@h:5432/postgres", "postgres://u@h:5432/t"),
            ("postgres://u@h:5432", "postgres://u@h:5432/t"),
            ("postgresql://u:p@h/db?sslmode=disable", "postgresql://u:p@h/t?sslmode=disable"),
        ];
        for (url, expected) in cases {
            assert_eq!(super::database_url(url, "t"), expected, "{url}");
        }
    }
}
