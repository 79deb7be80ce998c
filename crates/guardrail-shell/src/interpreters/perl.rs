//! Perl, read with tree-sitter-perl.

use tree_sitter::Node;

use super::engine::{Ctx, Does, Val, children};

/// What Perl functions do, by name (methods as `Package.method`).
pub(crate) const TABLE: &[(&str, Does)] = &[
    ("system", Does::Shell(0)),
    ("exec", Does::Shell(0)),
    ("unlink", Does::Delete(0)),
    ("rmdir", Does::Delete(0)),
    ("rmtree", Does::DeleteTree(0)),
    ("remove_tree", Does::DeleteTree(0)),
    ("File::Path::rmtree", Does::DeleteTree(0)),
    ("File::Path::remove_tree", Does::DeleteTree(0)),
    ("rename", Does::Move(0)),
    ("move", Does::Move(0)),
    ("copy", Does::CopyTo(1)),
    ("symlink", Does::CopyTo(1)),
    ("chmod", Does::Chmod(1)),
    ("chown", Does::Chmod(2)),
    ("truncate", Does::Write(0)),
    ("kill", Does::Kill(1)),
    ("fork", Does::Fork),
    ("eval", Does::Eval(0)),
    ("IO::Socket::INET.new", Does::Network(0)),
    ("IO::Socket::IP.new", Does::Network(0)),
    ("IO::Socket::SSL.new", Does::Network(0)),
    ("Net::FTP.new", Does::Network(0)),
    ("Net::SMTP.new", Does::Network(0)),
    ("HTTP::Tiny.new", Does::Network(0)),
    ("LWP::UserAgent.new", Does::Network(0)),
    ("LWP::Simple.get", Does::Network(0)),
    ("get", Does::Network(0)),
    ("socket", Does::Network(0)),
    ("connect", Does::Network(1)),
];

pub(crate) fn analyze(ctx: &mut Ctx<'_>, root: Node<'_>) {
    visit(ctx, root);
}

fn visit(ctx: &mut Ctx<'_>, node: Node<'_>) {
    let kind = node.kind();
    if kind.contains("call_expression")
        || kind == "method_invocation"
        || kind.contains("quoted")
        || kind == "hash_variable"
    {
        eval(ctx, node);
        return;
    }
    // `fork while 1`: a statement with a loop modifier runs again and again.
    let modified = kind == "single_line_statement"
        && children(node).iter().any(|child| {
            matches!(child.kind(), "while_simple_statement" | "until_simple_statement" | "for_simple_statement")
        });
    if modified
        || kind.starts_with("while")
        || kind.starts_with("for")
        || kind.starts_with("until")
        || kind == "loop_statement"
    {
        ctx.loops += 1;
        for child in children(node) {
            visit(ctx, child);
        }
        ctx.loops -= 1;
        return;
    }
    if kind == "comment" || kind == "pod" {
        return;
    }
    for child in children(node) {
        visit(ctx, child);
    }
}

/// The text inside a quote-like literal's delimiters.
fn quoted(ctx: &Ctx<'_>, node: Node<'_>) -> String {
    let text = ctx.text(node);
    let text = text.trim_start_matches("qx").trim_start_matches("qq").trim_start_matches('q');
    let mut chars = text.chars();
    let open = chars.next().unwrap_or('"');
    let close = match open {
        '(' => ')',
        '{' => '}',
        '[' => ']',
        '<' => '>',
        other => other,
    };
    let inner = &text[open.len_utf8()..];
    inner.strip_suffix(close).unwrap_or(inner).to_owned()
}

fn eval(ctx: &mut Ctx<'_>, node: Node<'_>) -> Val {
    let kind = node.kind();
    match kind {
        "string_single_quoted" => Val::Str(quoted(ctx, node)),
        "string_double_quoted" | "string_qq_quoted" => {
            let text = quoted(ctx, node);
            // "$ENV{HOME}/..." and plain text are known; other interpolations are not.
            let home = ctx.home();
            let text = text.replace("$ENV{HOME}", &home).replace("$ENV{'HOME'}", &home).replace("${HOME}", &home);
            if text.contains('$') || text.contains('@') {
                if text.contains("%ENV") { Val::Env } else { Val::Unknown }
            } else {
                Val::Str(text.replace("\\n", "\n").replace("\\t", "\t"))
            }
        }
        "backtick_quoted" | "command_qx_quoted" => {
            let code = quoted(ctx, node);
            if code.contains('$') {
                ctx.dynamic("Perl runs a shell command built at run time".to_owned());
            } else {
                ctx.shell(&code);
            }
            Val::Unknown
        }
        "hash_variable" if ctx.text(node) == "%ENV" => {
            ctx.holds("the environment");
            Val::Env
        }
        "integer" | "number" => Val::Str(ctx.text(node).to_owned()),
        "unary_expression" => Val::Str(ctx.text(node).replace(' ', "")),
        "array" | "arguments" | "parenthesized_argument" | "list_expression" => {
            let items: Vec<Val> = children(node)
                .into_iter()
                .filter(|child| !child.kind().ends_with("comma"))
                .map(|child| eval(ctx, child))
                .collect();
            if items.len() == 1 { items.into_iter().next().unwrap_or(Val::Unknown) } else { Val::List(items) }
        }
        "binary_expression" => {
            let parts: Vec<Node<'_>> = children(node);
            let text = ctx.text(node);
            let values: Vec<Val> = parts.into_iter().map(|part| eval(ctx, part)).collect();
            if text.contains(" . ") || text.contains("\".\"") {
                values.into_iter().reduce(Val::concat).unwrap_or(Val::Unknown)
            } else {
                values.into_iter().last().unwrap_or(Val::Unknown)
            }
        }
        _ if kind.contains("call_expression") || kind == "method_invocation" => call(ctx, node),
        _ => {
            let values: Vec<Val> = children(node).into_iter().map(|child| eval(ctx, child)).collect();
            Val::List(values).secret().map(Val::Secret).unwrap_or(Val::Unknown)
        }
    }
}

fn call(ctx: &mut Ctx<'_>, node: Node<'_>) -> Val {
    let name = function_name(ctx, node);
    let args: Vec<Val> = match node.child_by_field_name("args") {
        Some(args) => match eval(ctx, args) {
            Val::List(items) => items,
            single => vec![single],
        },
        None => Vec::new(),
    };
    let Some(name) = name else {
        return Val::List(args).secret().map(Val::Secret).unwrap_or(Val::Unknown);
    };
    match name.as_str() {
        "glob" => args.first().cloned().unwrap_or(Val::Unknown),
        // open(F, ">file"), open(F, "|cmd"), open(my $fh, "-|", "cmd"), open(F, "<", $path).
        "open" => {
            let (mode, target) = match args.as_slice() {
                [_, Val::Str(mode), target, ..] => (mode.clone(), target.clone()),
                [_, Val::Str(spec)] => {
                    let spec = spec.trim();
                    if let Some(command) = spec.strip_prefix('|').or_else(|| spec.strip_suffix('|')) {
                        ctx.shell(command.trim());
                        return Val::Unknown;
                    }
                    let mode: String = spec.chars().take_while(|c| matches!(c, '<' | '>' | '+')).collect();
                    (mode.clone(), Val::Str(spec[mode.len()..].trim().to_owned()))
                }
                _ => return Val::Unknown,
            };
            match mode.as_str() {
                "-|" | "|-" => {
                    match target {
                        Val::Str(command) => ctx.shell(&command),
                        _ => ctx.dynamic("Perl opens a pipe to a command built at run time".to_owned()),
                    }
                    Val::Unknown
                }
                mode if mode.contains('>') || mode.contains('+') => ctx.call("perl.write", &[target], &[]),
                _ => ctx.read(target),
            }
        }
        "perl.write" => Val::Unknown,
        name => {
            let result = ctx.call(name, &args, &[]);
            if name == "system" || name == "exec" {
                // system LIST runs a program with arguments, not a shell.
                if args.len() > 1 {
                    return result;
                }
            }
            result
        }
    }
}

/// `system`, `IO::Socket::INET->new` (as `IO::Socket::INET.new`).
fn function_name(ctx: &Ctx<'_>, node: Node<'_>) -> Option<String> {
    let function = find_field(node, "function_name").map(|function| ctx.text(function).to_owned())?;
    if node.kind() == "method_invocation" {
        let package = find_field(node, "package_name").map(|package| ctx.text(package).to_owned());
        return Some(match package {
            Some(package) => format!("{package}.{function}"),
            None => format!("object.{function}"),
        });
    }
    Some(function)
}

/// The first node in a field of that name, here or in the call's
/// bareword child.
fn find_field<'t>(node: Node<'t>, field: &str) -> Option<Node<'t>> {
    if let Some(found) = node.child_by_field_name(field) {
        return Some(found);
    }
    children(node)
        .into_iter()
        .find(|child| child.kind() == "call_expression_with_bareword")
        .and_then(|child| child.child_by_field_name(field))
}
