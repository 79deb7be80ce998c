//! JavaScript (node, deno, bun), read with tree-sitter-javascript.

use tree_sitter::Node;

use super::engine::{Ctx, Does, Val, children, string_literal};

/// What JavaScript calls do, by qualified name (modules by their
/// `require` or `import` name).
pub(crate) const TABLE: &[(&str, Does)] = &[
    ("require", Does::Import(0)),
    ("import", Does::Import(0)),
    ("child_process.exec", Does::Shell(0)),
    ("child_process.execSync", Does::Shell(0)),
    ("child_process.spawn", Does::Exec(0)),
    ("child_process.spawnSync", Does::Exec(0)),
    ("child_process.execFile", Does::Exec(0)),
    ("child_process.execFileSync", Does::Exec(0)),
    ("child_process.fork", Does::Eval(0)),
    ("Bun.spawn", Does::Shell(0)),
    ("Bun.spawnSync", Does::Shell(0)),
    ("Deno.run", Does::Shell(0)),
    ("Deno.Command", Does::Exec(0)),
    ("fs.unlink", Does::Delete(0)),
    ("fs.readdirSync", Does::List(0)),
    ("fs.readdir", Does::List(0)),
    ("fs.promises.readdir", Does::List(0)),
    ("fs.opendirSync", Does::List(0)),
    ("glob.sync", Does::List(0)),
    ("glob.globSync", Does::List(0)),
    ("fs.unlinkSync", Does::Delete(0)),
    ("fs.rmdir", Does::DeleteMaybeTree(0)),
    ("fs.rmdirSync", Does::DeleteMaybeTree(0)),
    ("fs.rm", Does::DeleteMaybeTree(0)),
    ("fs.rmSync", Does::DeleteMaybeTree(0)),
    ("fs.promises.rm", Does::DeleteMaybeTree(0)),
    ("fs.promises.unlink", Does::Delete(0)),
    ("fs/promises.rm", Does::DeleteMaybeTree(0)),
    ("fs/promises.unlink", Does::Delete(0)),
    ("fs-extra.remove", Does::DeleteTree(0)),
    ("fs-extra.removeSync", Does::DeleteTree(0)),
    ("fs-extra.emptyDir", Does::DeleteTree(0)),
    ("fs-extra.emptyDirSync", Does::DeleteTree(0)),
    ("rimraf", Does::DeleteTree(0)),
    ("rimraf.sync", Does::DeleteTree(0)),
    ("Deno.remove", Does::DeleteMaybeTree(0)),
    ("Deno.removeSync", Does::DeleteMaybeTree(0)),
    ("fs.writeFile", Does::Write(0)),
    ("fs.writeFileSync", Does::Write(0)),
    ("fs.appendFile", Does::Write(0)),
    ("fs.appendFileSync", Does::Write(0)),
    ("fs.createWriteStream", Does::Write(0)),
    ("fs.promises.writeFile", Does::Write(0)),
    ("fs/promises.writeFile", Does::Write(0)),
    ("fs.copyFile", Does::CopyTo(1)),
    ("fs.copyFileSync", Does::CopyTo(1)),
    ("fs.cpSync", Does::CopyTo(1)),
    ("fs.symlinkSync", Does::CopyTo(1)),
    ("fs.rename", Does::Move(0)),
    ("fs.renameSync", Does::Move(0)),
    ("fs.truncate", Does::Write(0)),
    ("fs.truncateSync", Does::Write(0)),
    ("Deno.writeTextFile", Does::Write(0)),
    ("Bun.write", Does::Write(0)),
    ("fs.chmod", Does::Chmod(0)),
    ("fs.chmodSync", Does::Chmod(0)),
    ("fs.chown", Does::Chmod(0)),
    ("fs.chownSync", Does::Chmod(0)),
    ("fs.readFile", Does::Read(0)),
    ("fs.readFileSync", Does::Read(0)),
    ("fs.promises.readFile", Does::Read(0)),
    ("fs/promises.readFile", Does::Read(0)),
    ("fs.createReadStream", Does::Read(0)),
    ("Deno.readTextFile", Does::Read(0)),
    ("Bun.file", Does::Read(0)),
    ("os.homedir", Does::Home),
    ("path.join", Does::JoinPath),
    ("path.resolve", Does::JoinPath),
    ("process.env", Does::Environment),
    ("Deno.env.toObject", Does::Environment),
    ("process.kill", Does::Kill(0)),
    ("cluster.fork", Does::Fork),
    ("net.connect", Does::Network(1)),
    ("net.createConnection", Does::Network(1)),
    ("net.Socket", Does::Network(0)),
    ("tls.connect", Does::Network(1)),
    ("dgram.createSocket", Does::Network(0)),
    ("http.request", Does::Network(0)),
    ("http.get", Does::Network(0)),
    ("https.request", Does::Network(0)),
    ("https.get", Does::Network(0)),
    ("fetch", Does::Network(0)),
    ("axios", Does::Network(0)),
    ("axios.get", Does::Network(0)),
    ("axios.post", Does::Network(0)),
    ("axios.put", Does::Network(0)),
    ("axios.delete", Does::HttpDelete(0)),
    ("XMLHttpRequest", Does::Network(0)),
    ("WebSocket", Does::Network(0)),
    ("Deno.connect", Does::Network(0)),
    ("eval", Does::Eval(0)),
    ("Function", Does::Eval(0)),
    ("vm.runInThisContext", Does::Eval(0)),
    ("vm.runInNewContext", Does::Eval(0)),
    ("vm.Script", Does::Eval(0)),
];

pub(crate) fn analyze(ctx: &mut Ctx<'_>, root: Node<'_>) {
    visit(ctx, root);
}

fn visit(ctx: &mut Ctx<'_>, node: Node<'_>) {
    match node.kind() {
        "variable_declarator" => {
            let value = node.child_by_field_name("value").map(|value| eval(ctx, value)).unwrap_or(Val::Unknown);
            if let Some(name) = node.child_by_field_name("name") {
                bind(ctx, name, value);
            }
        }
        "assignment_expression" => {
            let value = node.child_by_field_name("right").map(|value| eval(ctx, value)).unwrap_or(Val::Unknown);
            if let Some(left) = node.child_by_field_name("left") {
                bind(ctx, left, value);
            }
        }
        // `d += chunk`: the text grows by what is added, or is no longer known.
        "augmented_assignment_expression" => {
            let value = node.child_by_field_name("right").map(|value| eval(ctx, value)).unwrap_or(Val::Unknown);
            if let Some(left) = node.child_by_field_name("left") {
                let operator = node.child_by_field_name("operator").map(|operator| ctx.text(operator)).unwrap_or("");
                let old = eval(ctx, left);
                let grown = if operator == "+=" { old.concat(value) } else { Val::Unknown };
                bind(ctx, left, grown);
            }
        }
        "import_statement" => {
            let Some(source) = node.child_by_field_name("source") else { return };
            let module = eval(ctx, source).text().unwrap_or("").trim_start_matches("node:").to_owned();
            for clause in children(node).into_iter().filter(|child| child.kind() == "import_clause") {
                for item in children(clause) {
                    match item.kind() {
                        // import cp from 'child_process'
                        "identifier" => {
                            ctx.env.insert(ctx.text(item).to_owned(), Val::Name(module.clone()));
                        }
                        // import * as cp from 'child_process'
                        "namespace_import" => {
                            if let Some(alias) = children(item).first() {
                                ctx.env.insert(ctx.text(*alias).to_owned(), Val::Name(module.clone()));
                            }
                        }
                        // import { exec as run } from 'child_process'
                        "named_imports" => {
                            for specifier in children(item) {
                                let name = specifier.child_by_field_name("name").map(|name| ctx.text(name).to_owned());
                                let alias =
                                    specifier.child_by_field_name("alias").map(|alias| ctx.text(alias).to_owned());
                                if let Some(name) = name {
                                    ctx.env.insert(
                                        alias.unwrap_or_else(|| name.clone()),
                                        Val::Name(format!("{module}.{name}")),
                                    );
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        "while_statement" | "for_statement" | "for_in_statement" | "do_statement" => {
            ctx.loops += 1;
            for child in children(node) {
                visit(ctx, child);
            }
            ctx.loops -= 1;
        }
        "call_expression" | "new_expression" | "member_expression" | "await_expression" => {
            eval(ctx, node);
        }
        "comment" | "string" => {}
        _ => {
            for child in children(node) {
                visit(ctx, child);
            }
        }
    }
}

/// Binds a name, or each name of a destructuring pattern
/// (`const { execSync: run } = require('child_process')`).
fn bind(ctx: &mut Ctx<'_>, target: Node<'_>, value: Val) {
    match target.kind() {
        "identifier" => {
            ctx.env.insert(ctx.text(target).to_owned(), value);
        }
        "object_pattern" => {
            for item in children(target) {
                let (key, name) = match item.kind() {
                    "shorthand_property_identifier_pattern" => (ctx.text(item).to_owned(), ctx.text(item).to_owned()),
                    "pair_pattern" => {
                        let key =
                            item.child_by_field_name("key").map(|key| ctx.text(key).to_owned()).unwrap_or_default();
                        let name =
                            item.child_by_field_name("value").map(|name| ctx.text(name).to_owned()).unwrap_or_default();
                        (key, name)
                    }
                    _ => continue,
                };
                let bound = match &value {
                    Val::Name(module) => Val::Name(format!("{module}.{key}")),
                    Val::Env => Val::Unknown,
                    other => other.secret().map(Val::Secret).unwrap_or(Val::Unknown),
                };
                ctx.env.insert(name, bound);
            }
        }
        _ => {}
    }
}

fn eval(ctx: &mut Ctx<'_>, node: Node<'_>) -> Val {
    match node.kind() {
        "string" => string_literal(node, ctx.source, &["string_fragment"], &[]).map(Val::Str).unwrap_or(Val::Unknown),
        "template_string" => match string_literal(node, ctx.source, &["string_fragment"], &["template_substitution"]) {
            Some(text) => Val::Str(text),
            None => {
                let parts: Vec<Val> = children(node).into_iter().map(|part| eval(ctx, part)).collect();
                Val::List(parts).secret().map(Val::Secret).unwrap_or(Val::Unknown)
            }
        },
        "template_substitution" | "parenthesized_expression" | "await_expression" | "spread_element" => {
            children(node).first().map(|inner| eval(ctx, *inner)).unwrap_or(Val::Unknown)
        }
        "number" => Val::Str(ctx.text(node).to_owned()),
        "unary_expression" => Val::Str(ctx.text(node).replace(' ', "")),
        "true" => Val::Name("true".to_owned()),
        "false" => Val::Name("false".to_owned()),
        "identifier" => ctx.lookup(ctx.text(node)),
        "array" => Val::List(children(node).into_iter().map(|item| eval(ctx, item)).collect()),
        "binary_expression" => {
            let left = node.child_by_field_name("left").map(|left| eval(ctx, left)).unwrap_or(Val::Unknown);
            let right = node.child_by_field_name("right").map(|right| eval(ctx, right)).unwrap_or(Val::Unknown);
            let operator = node.child_by_field_name("operator").map(|operator| ctx.text(operator)).unwrap_or("");
            if operator == "+" {
                left.concat(right)
            } else {
                Val::List(vec![left, right]).secret().map(Val::Secret).unwrap_or(Val::Unknown)
            }
        }
        "member_expression" => {
            let object = node.child_by_field_name("object").map(|object| eval(ctx, object)).unwrap_or(Val::Unknown);
            let property = node.child_by_field_name("property").map(|property| ctx.text(property)).unwrap_or("");
            match object {
                Val::Name(name) => {
                    let qualified = format!("{name}.{property}");
                    if TABLE.iter().any(|(known, does)| *known == qualified && matches!(does, Does::Environment)) {
                        ctx.holds("the environment");
                        return Val::Env;
                    }
                    Val::Name(qualified)
                }
                Val::Object(class, args) => Val::Object(format!("{class}.{property}"), args),
                // `process.env.HOME` is the home directory.
                Val::Env if property == "HOME" => Val::Str(ctx.home()),
                Val::Env => Val::Unknown,
                other => other.secret().map(Val::Secret).unwrap_or(Val::Unknown),
            }
        }
        "subscript_expression" => {
            let object = node.child_by_field_name("object").map(|object| eval(ctx, object)).unwrap_or(Val::Unknown);
            let index = node.child_by_field_name("index").map(|index| eval(ctx, index)).unwrap_or(Val::Unknown);
            match (object, index) {
                (Val::Env, Val::Str(variable)) if variable == "HOME" => Val::Str(ctx.home()),
                (Val::Name(name), Val::Str(property)) => Val::Name(format!("{name}.{property}")),
                (Val::Name(name), _)
                    if name == "child_process" || name == "fs" || name == "global" || name == "globalThis" =>
                {
                    ctx.dynamic(format!("JavaScript looks up a function of {name} by a computed name"));
                    Val::Unknown
                }
                (Val::Env, _) => Val::Unknown,
                (object, _) => object.secret().map(Val::Secret).unwrap_or(Val::Unknown),
            }
        }
        "call_expression" | "new_expression" => call(ctx, node),
        "object" => {
            let values: Vec<Val> = children(node)
                .into_iter()
                .filter_map(|pair| pair.child_by_field_name("value").map(|value| eval(ctx, value)))
                .collect();
            Val::List(values).secret().map(Val::Secret).unwrap_or(Val::Unknown)
        }
        "arrow_function" | "function_expression" | "function" => {
            for child in children(node) {
                visit(ctx, child);
            }
            Val::Unknown
        }
        _ => {
            let values: Vec<Val> = children(node).into_iter().map(|child| eval(ctx, child)).collect();
            Val::List(values).secret().map(Val::Secret).unwrap_or(Val::Unknown)
        }
    }
}

fn call(ctx: &mut Ctx<'_>, node: Node<'_>) -> Val {
    let function = node.child_by_field_name("function").or_else(|| node.child_by_field_name("constructor"));
    let Some(function) = function else { return Val::Unknown };
    let mut args: Vec<Val> = Vec::new();
    let mut kwargs: Vec<(String, Val)> = Vec::new();
    if let Some(arguments) = node.child_by_field_name("arguments") {
        for argument in children(arguments) {
            if argument.kind() == "object" {
                // Options objects: `{ recursive: true }`, `{ body: ... }`.
                for pair in children(argument).into_iter().filter(|pair| pair.kind() == "pair") {
                    let key = pair
                        .child_by_field_name("key")
                        .map(|key| ctx.text(key).trim_matches(['"', '\'']).to_owned())
                        .unwrap_or_default();
                    let value = pair.child_by_field_name("value").map(|value| eval(ctx, value)).unwrap_or(Val::Unknown);
                    kwargs.push((key, value));
                }
                args.push(Val::Unknown);
            } else if argument.kind() != "comment" {
                args.push(eval(ctx, argument));
            }
        }
    }
    let callee = eval(ctx, function);
    let (name, receiver) = match callee {
        Val::Name(name) => (name, None),
        Val::Object(name, object_args) => (name, object_args.into_iter().next()),
        Val::Secret(what) => return Val::Secret(what),
        _ => {
            // A method of an object the table does not know: its credentials still show.
            ctx.credentials(ctx.text(function), &args, &kwargs);
            return args
                .iter()
                .chain(kwargs.iter().map(|(_, value)| value))
                .find_map(Val::secret)
                .map(Val::Secret)
                .unwrap_or(Val::Unknown);
        }
    };
    let name =
        name.trim_start_matches("node:").replace("fs.promises", "fs/promises").replace("fs/promises", "fs.promises");
    let args: Vec<Val> = match receiver {
        Some(receiver) => std::iter::once(receiver).chain(args).collect(),
        None => args,
    };
    // `JSON.stringify(process.env)` and the like carry what they are given.
    ctx.call(&name, &args, &kwargs)
}
