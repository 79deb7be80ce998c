//! PHP (`php -r`, code without `<?php` tags), read with tree-sitter-php.

use tree_sitter::Node;

use super::engine::{Ctx, Does, Val, children, string_literal};

/// What PHP functions do, by name (methods as `Class.method`).
pub(crate) const TABLE: &[(&str, Does)] = &[
    ("system", Does::Shell(0)),
    ("exec", Does::Shell(0)),
    ("shell_exec", Does::Shell(0)),
    ("passthru", Does::Shell(0)),
    ("popen", Does::Shell(0)),
    ("proc_open", Does::Shell(0)),
    ("pcntl_exec", Does::Exec(0)),
    ("unlink", Does::Delete(0)),
    ("rmdir", Does::Delete(0)),
    ("file_put_contents", Does::Write(0)),
    ("fopen", Does::Open(0)),
    ("copy", Does::CopyTo(1)),
    ("rename", Does::Move(0)),
    ("symlink", Does::CopyTo(1)),
    ("chmod", Does::Chmod(0)),
    ("chown", Does::Chmod(0)),
    ("file_get_contents", Does::Read(0)),
    ("file", Does::Read(0)),
    ("readfile", Does::Read(0)),
    ("fsockopen", Does::Network(0)),
    ("pfsockopen", Does::Network(0)),
    ("stream_socket_client", Does::Network(0)),
    ("curl_init", Does::Network(0)),
    ("mail", Does::Network(0)),
    ("getenv", Does::Environment),
    ("posix_kill", Does::Kill(0)),
    ("pcntl_fork", Does::Fork),
    ("eval", Does::Eval(0)),
    ("assert", Does::Eval(0)),
    ("create_function", Does::Eval(1)),
];

pub(crate) fn analyze(ctx: &mut Ctx<'_>, root: Node<'_>) {
    visit(ctx, root);
}

fn visit(ctx: &mut Ctx<'_>, node: Node<'_>) {
    match node.kind() {
        "assignment_expression" => {
            let value = node.child_by_field_name("right").map(|value| eval(ctx, value)).unwrap_or(Val::Unknown);
            if let Some(left) = node.child_by_field_name("left") {
                ctx.env.insert(ctx.text(left).to_owned(), value);
            }
        }
        "while_statement" | "for_statement" | "foreach_statement" | "do_statement" => {
            ctx.loops += 1;
            for child in children(node) {
                visit(ctx, child);
            }
            ctx.loops -= 1;
        }
        "function_call_expression"
        | "member_call_expression"
        | "scoped_call_expression"
        | "shell_command_expression"
        | "binary_expression" => {
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
        "encapsed_string" | "string" => match string_literal(
            node,
            ctx.source,
            &["string_content", "string_value"],
            &["variable_name", "subscript_expression", "member_access_expression", "dynamic_variable_name"],
        ) {
            Some(text) => Val::Str(text),
            None => {
                let parts: Vec<Val> = children(node).into_iter().map(|part| eval(ctx, part)).collect();
                Val::List(parts).secret().map(Val::Secret).unwrap_or(Val::Unknown)
            }
        },
        "shell_command_expression" => {
            match string_literal(node, ctx.source, &["string_content", "string_value"], &["variable_name"]) {
                Some(code) => ctx.shell(&code),
                None => ctx.dynamic("PHP runs a shell command built at run time".to_owned()),
            }
            Val::Unknown
        }
        "integer" | "float" => Val::Str(ctx.text(node).to_owned()),
        "unary_op_expression" => Val::Str(ctx.text(node).replace(' ', "")),
        "boolean" => Val::Name(ctx.text(node).to_ascii_lowercase()),
        "variable_name" => ctx.env.get(ctx.text(node)).cloned().unwrap_or(Val::Unknown),
        "name" | "qualified_name" => Val::Name(ctx.text(node).trim_start_matches('\\').to_owned()),
        "argument" | "parenthesized_expression" => {
            children(node).first().map(|inner| eval(ctx, *inner)).unwrap_or(Val::Unknown)
        }
        "array_creation_expression" => Val::List(children(node).into_iter().map(|item| eval(ctx, item)).collect()),
        "array_element_initializer" => children(node).last().map(|value| eval(ctx, *value)).unwrap_or(Val::Unknown),
        "binary_expression" => {
            let left = node.child_by_field_name("left").map(|left| eval(ctx, left)).unwrap_or(Val::Unknown);
            let right = node.child_by_field_name("right").map(|right| eval(ctx, right)).unwrap_or(Val::Unknown);
            let operator = node.child_by_field_name("operator").map(|operator| ctx.text(operator)).unwrap_or("");
            if operator == "." {
                left.concat(right)
            } else {
                Val::List(vec![left, right]).secret().map(Val::Secret).unwrap_or(Val::Unknown)
            }
        }
        "function_call_expression" => {
            let function =
                node.child_by_field_name("function").map(|function| eval(ctx, function)).unwrap_or(Val::Unknown);
            let args = arguments(ctx, node);
            // file_get_contents("http://...". $secret): a request that carries it.
            let first =
                node.child_by_field_name("arguments").and_then(|arguments| children(arguments).into_iter().next());
            if let (Val::Name(name), Some(first)) = (&function, first)
                && matches!(name.to_ascii_lowercase().as_str(), "file_get_contents" | "fopen" | "file" | "get_headers")
                && ctx.text(first).contains("://")
                && !matches!(args.first(), Some(Val::Str(_)))
            {
                let sink = ctx.text(first).to_owned();
                return ctx.call("fsockopen", &[Val::Str(sink), args.first().cloned().unwrap_or(Val::Unknown)], &[]);
            }
            match function {
                Val::Name(name) => call_named(ctx, &name, args),
                Val::Str(name) => call_named(ctx, &name, args),
                _ => {
                    ctx.dynamic("PHP calls a function whose name is computed".to_owned());
                    Val::Unknown
                }
            }
        }
        "member_call_expression" | "scoped_call_expression" => {
            let method = node.child_by_field_name("name").map(|name| ctx.text(name).to_owned()).unwrap_or_default();
            let scope = node
                .child_by_field_name("scope")
                .or_else(|| node.child_by_field_name("object"))
                .map(|object| eval(ctx, object));
            let args = arguments(ctx, node);
            let name = match scope {
                Some(Val::Name(class)) => format!("{class}.{method}"),
                Some(Val::Object(class, _)) => format!("{class}.{method}"),
                _ => method,
            };
            ctx.call(&name, &args, &[])
        }
        _ => {
            let values: Vec<Val> = children(node).into_iter().map(|child| eval(ctx, child)).collect();
            Val::List(values).secret().map(Val::Secret).unwrap_or(Val::Unknown)
        }
    }
}

fn arguments(ctx: &mut Ctx<'_>, node: Node<'_>) -> Vec<Val> {
    node.child_by_field_name("arguments")
        .map(|arguments| children(arguments).into_iter().map(|argument| eval(ctx, argument)).collect())
        .unwrap_or_default()
}

/// A call by name; `array_map('unlink', ...)` and `call_user_func('system',
/// ...)` call the function they name.
fn call_named(ctx: &mut Ctx<'_>, name: &str, args: Vec<Val>) -> Val {
    let name = name.to_ascii_lowercase();
    match name.as_str() {
        "array_map" | "array_walk" | "call_user_func" | "call_user_func_array" => {
            let (function, rest) = match name.as_str() {
                "array_map" => (args.first().cloned(), args.get(1).cloned()),
                "array_walk" => (args.get(1).cloned(), args.first().cloned()),
                _ => (args.first().cloned(), args.get(1).cloned()),
            };
            match function {
                Some(Val::Str(function)) => {
                    ctx.call(&function.to_ascii_lowercase(), &[rest.unwrap_or(Val::Unknown)], &[])
                }
                _ => {
                    ctx.dynamic(format!("PHP {name} calls a function whose name is computed"));
                    Val::Unknown
                }
            }
        }
        "glob" => match args.first() {
            Some(Val::Str(pattern)) => Val::Str(pattern.clone()),
            _ => Val::Unknown,
        },
        "getenv" if !args.is_empty() => match args.first() {
            Some(Val::Str(variable)) if variable == "HOME" => Val::Str(ctx.home()),
            _ => Val::Unknown,
        },
        // Reading a URL is a request.
        "file_get_contents" | "fopen" if args.first().and_then(Val::text).is_some_and(|url| url.contains("://")) => {
            let url = args[0].text().unwrap_or_default().to_owned();
            ctx.call("fsockopen", &[Val::Str(url)], &[]);
            Val::Unknown
        }
        _ => {
            if name == "getenv" {
                ctx.holds("the environment");
            }
            ctx.call(&name, &args, &[])
        }
    }
}
