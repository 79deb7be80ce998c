// node-postgres through the Guardrail proxy: a table of statements, each run
// or refused as expected, then named prepared statements and a transaction.
// Prints PASS/FAIL per case; exits 1 if any failed.
//
//     node node_client.js URL
const { Client } = require("pg");

let failures = 0;
function check(name, ok, detail) {
  console.log((ok ? "PASS " : "FAIL ") + name + (ok ? "" : ": " + detail));
  if (!ok) failures++;
}

async function attempt(client, query) {
  try {
    await client.query(query);
    return null;
  } catch (error) {
    return { code: error.code, message: error.message, hint: error.hint };
  }
}

async function main() {
  const client = new Client({ connectionString: process.argv[2] });
  await client.connect();
  // [name, query, rule it is refused by, or null to run]
  const cases = [
    ["create with a justification", { text: "/* justification: INC-8 test table */ CREATE TABLE js_items (id int PRIMARY KEY, name text)" }, null],
    ["insert with parameters", { text: "INSERT INTO js_items SELECT g, 'item ' || g FROM generate_series(1, $1::int) g", values: [1200] }, null],
    ["named prepared update", { name: "rename", text: "UPDATE js_items SET name = $1 WHERE id = $2", values: ["renamed", 3] }, null],
    ["the same prepared statement again", { name: "rename", text: "UPDATE js_items SET name = $1 WHERE id = $2", values: ["again", 4] }, null],
    ["drop is refused", { text: "DROP TABLE js_items" }, "drop"],
    ["unbounded update is refused", { text: "UPDATE js_items SET name = $1", values: ["all"] }, "unbounded-write"],
    ["a mass delete over the cap is rolled back", { text: "DELETE FROM js_items WHERE id > $1", values: [5] }, "row-cap"],
    ["copy to a program is refused", { text: "COPY js_items TO PROGRAM 'cat'" }, "server-access"],
  ];
  for (const [name, query, rule] of cases) {
    const outcome = await attempt(client, query);
    if (rule === null) {
      check(name, outcome === null, JSON.stringify(outcome));
    } else {
      check(name, outcome !== null && outcome.code === "42501" && outcome.message.includes(`rule ${rule}`) && !!outcome.hint, JSON.stringify(outcome));
    }
    const one = await client.query("SELECT 1 AS one");
    check(name + ": still usable", one.rows[0].one === 1, JSON.stringify(one.rows));
  }
  const left = await client.query("SELECT count(*)::int AS n FROM js_items");
  check("the capped delete deleted nothing", left.rows[0].n === 1200, JSON.stringify(left.rows));
  const renamed = await client.query("SELECT name FROM js_items WHERE id = $1", [4]);
  check("the prepared update ran", renamed.rows[0].name === "again", JSON.stringify(renamed.rows));

  // A refusal inside a transaction: COMMIT commits nothing.
  await client.query("BEGIN");
  await client.query("UPDATE js_items SET name = 'in transaction' WHERE id = 1");
  const refused = await attempt(client, { text: "TRUNCATE js_items" });
  check("the truncate is refused", refused !== null && refused.code === "42501", JSON.stringify(refused));
  const commit = await client.query("COMMIT");
  check("COMMIT of the aborted block rolls back", commit.command === "ROLLBACK", commit.command);
  const first = await client.query("SELECT name FROM js_items WHERE id = 1");
  check("nothing was committed", first.rows[0].name === "item 1", JSON.stringify(first.rows));
  await client.end();
}

main().then(
  () => process.exit(failures ? 1 : 0),
  (error) => {
    console.log("FAIL unexpected error: " + error.stack);
    process.exit(1);
  },
);
