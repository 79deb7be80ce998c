//! Lua, read with tree-sitter-lua.

use tree_sitter::Node;

use super::engine::{Ctx, Does, Val, children, string_literal};

/// What Lua functions do, by qualified name.
pub(crate) const TABLE: &[(&str, Does)] = &[
    ("os.execute", Does::Shell(0)),
    ("io.popen", Does::Shell(0)),
    ("os.remove", Does::Delete(0)),
    ("os.rename", Does::Move(0)),
    ("io.open", Does::Open(0)),
    ("io.lines", Does::Read(0)),
    ("require", Does::Import(0)),
    ("socket.connect", Does::Network(0)),
    ("socket.tcp", Does::Network(0)),
    ("socket.http.request", Does::Network(0)),
    ("http.request", Does::Network(0)),
    ("load", Does::Eval(0)),
    ("loadstring", Does::Eval(0)),
    ("dofile", Does::Eval(0)),
];

pub(crate) fn analyze(ctx: &mut Ctx<'_>, root: Node<'_>) {
    visit(ctx, root);
}

fn visit(ctx: &mut Ctx<'_>, node: Node<'_>) {
    match node.kind() {
        "assignment_statement" => {
            let names: Vec<Node<'_>> = node.named_child(0).map(children).unwrap_or_default();
            let values: Vec<Node<'_>> = node.named_child(1).map(children).unwrap_or_default();
            for (name, value) in names.into_iter().zip(values) {
                let value = eval(ctx, value);
                ctx.env.insert(ctx.text(name).to_owned(), value);
            }
        }
        "while_statement" | "repeat_statement" | "for_statement" => {
            ctx.loops += 1;
            for child in children(node) {
                visit(ctx, child);
            }
            ctx.loops -= 1;
        }
        "function_call" | "binary_expression" => {
            eval(ctx, node);
        }
        "comment" => {}
        _ => {
            for child in children(node) {
                visit(ctx, child);
            }
        }
    }
}

fn eval(ctx: &mut Ctx<'_>, node: Node<'_>) -> Val {
    match node.kind() {
        "string" => string_literal(node, ctx.source, &["string_content"], &[]).map(Val::Str).unwrap_or(Val::Unknown),
        "number" => Val::Str(ctx.text(node).to_owned()),
        "true" => Val::Name("true".to_owned()),
        "identifier" => ctx.lookup(ctx.text(node)),
        "dot_index_expression" => {
            let table = node.child_by_field_name("table").map(|table| eval(ctx, table)).unwrap_or(Val::Unknown);
            let field = node.child_by_field_name("field").map(|field| ctx.text(field)).unwrap_or("");
            match table {
                Val::Name(name) => Val::Name(format!("{name}.{field}")),
                other => other.secret().map(Val::Secret).unwrap_or(Val::Unknown),
            }
        }
        "method_index_expression" => {
            let table = node.child_by_field_name("table").map(|table| eval(ctx, table)).unwrap_or(Val::Unknown);
            let method = node.child_by_field_name("method").map(|method| ctx.text(method)).unwrap_or("");
            match table {
                Val::Object(class, args) => Val::Object(format!("{class}.{method}"), args),
                Val::Name(name) => Val::Name(format!("{name}.{method}")),
                other => other.secret().map(Val::Secret).unwrap_or(Val::Unknown),
            }
        }
        "parenthesized_expression" => children(node).first().map(|inner| eval(ctx, *inner)).unwrap_or(Val::Unknown),
        "binary_expression" => {
            let parts = children(node);
            let left = parts.first().map(|left| eval(ctx, *left)).unwrap_or(Val::Unknown);
            let right = parts.get(1).map(|right| eval(ctx, *right)).unwrap_or(Val::Unknown);
            if ctx.text(node).contains("..") {
                left.concat(right)
            } else {
                Val::List(vec![left, right]).secret().map(Val::Secret).unwrap_or(Val::Unknown)
            }
        }
        "function_call" => {
            let callee = node.child_by_field_name("name").map(|name| eval(ctx, name)).unwrap_or(Val::Unknown);
            let args: Vec<Val> = node
                .child_by_field_name("arguments")
                .map(|arguments| children(arguments).into_iter().map(|argument| eval(ctx, argument)).collect())
                .unwrap_or_default();
            match callee {
                Val::Name(name) if name == "os.getenv" => match args.first() {
                    Some(Val::Str(variable)) if variable == "HOME" => Val::Str(ctx.home()),
                    _ => Val::Unknown,
                },
                Val::Name(name) => ctx.call(&name, &args, &[]),
                Val::Object(class, object_args) => {
                    if class.starts_with("file.read") || class == "file.lines" {
                        return object_args.first().cloned().map(|path| ctx.read(path)).unwrap_or(Val::Unknown);
                    }
                    let args: Vec<Val> = object_args.into_iter().take(1).chain(args).collect();
                    ctx.call(&class, &args, &[])
                }
                other => other.secret().map(Val::Secret).unwrap_or(Val::Unknown),
            }
        }
        _ => {
            let values: Vec<Val> = children(node).into_iter().map(|child| eval(ctx, child)).collect();
            Val::List(values).secret().map(Val::Secret).unwrap_or(Val::Unknown)
        }
    }
}
