"""psycopg 3 through the Guardrail proxy: a table of statements, each run or
refused as expected, then a transaction, prepared statements and pipeline
mode. Prints PASS/FAIL per case; exits 1 if any failed.

    python psycopg_client.py URL
"""

import sys

import psycopg
from psycopg import errors

url = sys.argv[1]
failures = 0


def check(name, ok, detail=""):
    global failures
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + detail), flush=True)
    failures += 0 if ok else 1


def attempt(conn, sql, params=None):
    """None when the statement ran, else (sqlstate, message)."""
    try:
        conn.execute(sql, params)
        return None
    except psycopg.Error as error:
        return (error.sqlstate, str(error))


with psycopg.connect(url, autocommit=True) as conn:
    # (name, statement, parameters, expected: None to run, a rule to be refused by)
    cases = [
        ("create with a justification", "/* justification: INC-7 test table */ CREATE TABLE py_items (id int PRIMARY KEY, name text)", None, None),
        ("insert with parameters", "INSERT INTO py_items SELECT g, 'item ' || g FROM generate_series(1, %s) g", (1500,), None),
        ("bounded update", "UPDATE py_items SET name = %s WHERE id = %s", ("renamed", 3), None),
        ("drop is refused", "DROP TABLE py_items", None, "drop"),
        ("truncate is refused", "TRUNCATE py_items", None, "truncate"),
        ("unbounded delete is refused", "DELETE FROM py_items", None, "unbounded-write"),
        ("a mass update over the cap is rolled back", "UPDATE py_items SET name = 'x' WHERE id > %s", (10,), "row-cap"),
        ("schema change without a reason", "ALTER TABLE py_items ADD COLUMN note text", None, "schema-change"),
    ]
    for name, sql, params, rule in cases:
        outcome = attempt(conn, sql, params)
        if rule is None:
            check(name, outcome is None, repr(outcome))
        else:
            check(name, outcome is not None and outcome[0] == "42501" and f"rule {rule}" in outcome[1], repr(outcome))
        # The connection stays usable after each.
        check(name + ": still usable", conn.execute("SELECT 1").fetchone() == (1,))

    count = conn.execute("SELECT count(*) FROM py_items WHERE name = 'x'").fetchone()[0]
    check("the capped update changed nothing", count == 0, str(count))

    # Reads without a LIMIT are capped at 1000 rows.
    rows = conn.execute("SELECT id FROM py_items").fetchall()
    check("an unbounded read is capped", len(rows) == 1000, str(len(rows)))

    # Prepared statements: psycopg prepares a query after its fifth run.
    for i in range(8):
        row = conn.execute("SELECT name FROM py_items WHERE id = %s", (i + 1,)).fetchone()
    check("prepared statements run", row == ("item 8",), repr(row))

    # Pipeline mode: several statements and syncs in flight at once.
    with conn.pipeline():
        first = conn.execute("SELECT count(*) FROM py_items WHERE id < %s", (100,))
        conn.execute("UPDATE py_items SET name = 'piped' WHERE id = %s", (5,))
        second = conn.execute("SELECT name FROM py_items WHERE id = %s", (5,))
    check("a pipeline runs in order", first.fetchone() == (99,) and second.fetchone() == ("piped",))

    # A refusal inside a pipeline fails it, and nothing after it runs.
    try:
        with conn.pipeline():
            conn.execute("UPDATE py_items SET name = 'before' WHERE id = %s", (6,))
            conn.execute("DROP TABLE py_items")
            conn.execute("UPDATE py_items SET name = 'after' WHERE id = %s", (7,))
        check("a refused statement fails its pipeline", False, "no error")
    except errors.InsufficientPrivilege:
        check("a refused statement fails its pipeline", True)
    except psycopg.Error as error:
        check("a refused statement fails its pipeline", False, repr(error))
    name7 = conn.execute("SELECT name FROM py_items WHERE id = 7").fetchone()[0]
    check("nothing after the refusal ran", name7 == "item 7", name7)

# A transaction with a refusal commits nothing.
with psycopg.connect(url) as conn:
    try:
        with conn.transaction():
            conn.execute("UPDATE py_items SET name = 'in transaction' WHERE id = 1")
            conn.execute("DROP TABLE py_items")
        check("the refusal raised", False, "no error")
    except errors.InsufficientPrivilege:
        check("the refusal raised", True)
    conn.rollback()
    name = conn.execute("SELECT name FROM py_items WHERE id = 1").fetchone()[0]
    check("the transaction committed nothing", name == "item 1", name)

sys.exit(1 if failures else 0)
