//! Ruby, read with tree-sitter-ruby.

use tree_sitter::Node;

use super::engine::{Ctx, Does, Val, children, string_literal};

/// What Ruby calls do, by qualified name (`Receiver.method`; Kernel's
/// methods by their bare name).
pub(crate) const TABLE: &[(&str, Does)] = &[
    ("system", Does::Shell(0)),
    ("exec", Does::Shell(0)),
    ("spawn", Does::Shell(0)),
    ("Kernel.system", Does::Shell(0)),
    ("Kernel.exec", Does::Shell(0)),
    ("Kernel.spawn", Does::Shell(0)),
    ("Process.spawn", Does::Shell(0)),
    ("Process.exec", Does::Shell(0)),
    ("IO.popen", Does::Shell(0)),
    ("Open3.capture2", Does::Shell(0)),
    ("Open3.capture2e", Does::Shell(0)),
    ("Open3.capture3", Does::Shell(0)),
    ("Open3.popen3", Does::Shell(0)),
    ("Open3.popen2", Does::Shell(0)),
    ("PTY.spawn", Does::Shell(0)),
    ("FileUtils.rm", Does::Delete(0)),
    ("FileUtils.rm_f", Does::Delete(0)),
    ("FileUtils.remove", Does::Delete(0)),
    ("FileUtils.remove_file", Does::Delete(0)),
    ("FileUtils.rmdir", Does::Delete(0)),
    ("FileUtils.rm_r", Does::DeleteTree(0)),
    ("FileUtils.rm_rf", Does::DeleteTree(0)),
    ("FileUtils.rmtree", Does::DeleteTree(0)),
    ("FileUtils.remove_dir", Does::DeleteTree(0)),
    ("FileUtils.remove_entry", Does::DeleteTree(0)),
    ("FileUtils.remove_entry_secure", Does::DeleteTree(0)),
    ("Dir.glob", Does::List(0)),
    ("Dir.[]", Does::List(0)),
    ("Dir.children", Does::List(0)),
    ("Dir.entries", Does::List(0)),
    ("Dir.each_child", Does::List(0)),
    ("Find.find", Does::List(0)),
    ("File.delete", Does::Delete(0)),
    ("File.unlink", Does::Delete(0)),
    ("Dir.rmdir", Does::Delete(0)),
    ("Dir.delete", Does::Delete(0)),
    ("Dir.unlink", Does::Delete(0)),
    ("Pathname.new", Does::New),
    ("Pathname.new.rmtree", Does::DeleteTree(0)),
    ("Pathname.new.delete", Does::Delete(0)),
    ("Pathname.new.unlink", Does::Delete(0)),
    ("Pathname.new.write", Does::Write(0)),
    ("File.write", Does::Write(0)),
    ("IO.write", Does::Write(0)),
    ("File.binwrite", Does::Write(0)),
    ("File.open", Does::Open(0)),
    ("File.new", Does::Open(0)),
    ("open", Does::Open(0)),
    ("File.truncate", Does::Write(0)),
    ("FileUtils.cp", Does::CopyTo(1)),
    ("FileUtils.cp_r", Does::CopyTo(1)),
    ("FileUtils.copy", Does::CopyTo(1)),
    ("FileUtils.install", Does::CopyTo(1)),
    ("FileUtils.ln_s", Does::CopyTo(1)),
    ("FileUtils.ln_sf", Does::CopyTo(1)),
    ("FileUtils.mv", Does::Move(0)),
    ("FileUtils.move", Does::Move(0)),
    ("File.rename", Does::Move(0)),
    ("File.chmod", Does::Chmod(1)),
    ("FileUtils.chmod", Does::Chmod(1)),
    ("FileUtils.chmod_R", Does::Chmod(1)),
    ("FileUtils.chown", Does::Chmod(2)),
    ("FileUtils.chown_R", Does::Chmod(2)),
    ("File.read", Does::Read(0)),
    ("File.readlines", Does::Read(0)),
    ("IO.read", Does::Read(0)),
    ("File.binread", Does::Read(0)),
    ("File.expand_path", Does::ExpandUser(0)),
    ("File.join", Does::JoinPath),
    ("Dir.home", Does::Home),
    ("ENV", Does::Environment),
    ("Process.kill", Does::Kill(1)),
    ("fork", Does::Fork),
    ("Process.fork", Does::Fork),
    ("Kernel.fork", Does::Fork),
    ("TCPSocket.new", Does::Network(0)),
    ("TCPSocket.open", Does::Network(0)),
    ("UDPSocket.new", Does::Network(0)),
    ("Socket.tcp", Does::Network(0)),
    ("Net::HTTP.post", Does::Network(0)),
    ("Net::HTTP.post_form", Does::Network(0)),
    ("Net::HTTP.get", Does::Network(0)),
    ("Net::HTTP.start", Does::Network(0)),
    ("Net::HTTP.new", Does::Network(0)),
    ("URI.open", Does::Network(0)),
    ("HTTParty.post", Does::Network(0)),
    ("HTTParty.get", Does::Network(0)),
    ("HTTParty.delete", Does::HttpDelete(0)),
    ("Faraday.post", Does::Network(0)),
    ("RestClient.post", Does::Network(0)),
    ("eval", Does::Eval(0)),
    ("instance_eval", Does::Eval(0)),
    ("class_eval", Does::Eval(0)),
    ("Kernel.eval", Does::Eval(0)),
];

pub(crate) fn analyze(ctx: &mut Ctx<'_>, root: Node<'_>) {
    visit(ctx, root);
}

fn visit(ctx: &mut Ctx<'_>, node: Node<'_>) {
    match node.kind() {
        // `code += chunk`: the text grows by what is added, or is no longer known.
        "operator_assignment" => {
            let value = node.child_by_field_name("right").map(|right| eval(ctx, right)).unwrap_or(Val::Unknown);
            if let Some(left) = node.child_by_field_name("left")
                && left.kind() == "identifier"
            {
                let operator = node.child_by_field_name("operator").map(|operator| ctx.text(operator)).unwrap_or("");
                ctx.augment(ctx.text(left), operator, value);
            }
        }
        "assignment" => {
            let value = node.child_by_field_name("right").map(|value| eval(ctx, value)).unwrap_or(Val::Unknown);
            if let Some(left) = node.child_by_field_name("left")
                && matches!(left.kind(), "identifier" | "constant")
            {
                ctx.env.insert(ctx.text(left).to_owned(), value);
            }
        }
        "while" | "until" | "for" => {
            ctx.loops += 1;
            for child in children(node) {
                visit(ctx, child);
            }
            ctx.loops -= 1;
        }
        "call" | "subshell" | "element_reference" | "binary" => {
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

fn eval(ctx: &mut Ctx<'_>, node: Node<'_>) -> Val {
    match node.kind() {
        "string" | "bare_string" => match string_literal(node, ctx.source, &["string_content"], &["interpolation"]) {
            Some(text) => Val::Str(text),
            None => {
                let parts: Vec<Val> = children(node).into_iter().map(|part| eval(ctx, part)).collect();
                Val::List(parts).secret().map(Val::Secret).unwrap_or(Val::Unknown)
            }
        },
        // `cmd` and %x(cmd): a shell command.
        "subshell" => {
            match string_literal(node, ctx.source, &["string_content"], &["interpolation"]) {
                Some(code) => ctx.shell(&code),
                None => ctx.dynamic("Ruby runs a shell command built at run time".to_owned()),
            }
            Val::Unknown
        }
        "integer" | "float" => Val::Str(ctx.text(node).to_owned()),
        "unary" => Val::Str(ctx.text(node).replace(' ', "")),
        "true" => Val::Name("true".to_owned()),
        "false" => Val::Name("false".to_owned()),
        "symbol" | "simple_symbol" => Val::Str(ctx.text(node).trim_start_matches(':').to_owned()),
        "identifier" => {
            let name = ctx.text(node);
            match ctx.env.get(name) {
                Some(value) => value.clone(),
                // A bare identifier may be a call with no arguments (`fork`).
                None => ctx.call(name, &[], &[]),
            }
        }
        "constant" => {
            let name = ctx.text(node);
            if name == "ENV" {
                ctx.holds("the environment");
                return Val::Env;
            }
            ctx.lookup(name)
        }
        "scope_resolution" => Val::Name(ctx.text(node).to_owned()),
        "parenthesized_statements" | "interpolation" | "argument_list" | "body_statement" => {
            let values: Vec<Val> = children(node).into_iter().map(|child| eval(ctx, child)).collect();
            values.into_iter().last().unwrap_or(Val::Unknown)
        }
        "array" => Val::List(children(node).into_iter().map(|item| eval(ctx, item)).collect()),
        "binary" => {
            let left = node.child_by_field_name("left").map(|left| eval(ctx, left)).unwrap_or(Val::Unknown);
            let right = node.child_by_field_name("right").map(|right| eval(ctx, right)).unwrap_or(Val::Unknown);
            let operator = node.child_by_field_name("operator").map(|operator| ctx.text(operator)).unwrap_or("");
            if operator == "+" {
                left.concat(right)
            } else {
                Val::List(vec![left, right]).secret().map(Val::Secret).unwrap_or(Val::Unknown)
            }
        }
        "element_reference" => {
            let object = node.child_by_field_name("object").map(|object| eval(ctx, object)).unwrap_or(Val::Unknown);
            let key = children(node).get(1).map(|key| eval(ctx, *key)).unwrap_or(Val::Unknown);
            match (object, key) {
                (Val::Env, Val::Str(name)) if name == "HOME" => Val::Str(ctx.home()),
                (Val::Env, _) => Val::Unknown,
                (object, _) => object.secret().map(Val::Secret).unwrap_or(Val::Unknown),
            }
        }
        "call" => call(ctx, node),
        "do_block" | "block" => {
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
    let method = node.child_by_field_name("method").map(|method| ctx.text(method).to_owned()).unwrap_or_default();
    let receiver = node.child_by_field_name("receiver").map(|receiver| eval(ctx, receiver));
    let mut args: Vec<Val> = Vec::new();
    let mut kwargs: Vec<(String, Val)> = Vec::new();
    if let Some(arguments) = node.child_by_field_name("arguments") {
        for argument in children(arguments) {
            match argument.kind() {
                "pair" => {
                    let key = argument
                        .child_by_field_name("key")
                        .map(|key| ctx.text(key).trim_end_matches(':').trim_start_matches(':').to_owned())
                        .unwrap_or_default();
                    let value =
                        argument.child_by_field_name("value").map(|value| eval(ctx, value)).unwrap_or(Val::Unknown);
                    kwargs.push((key, value));
                }
                "comment" => {}
                _ => args.push(eval(ctx, argument)),
            }
        }
    }
    // `loop do fork end`: the block runs again and again.
    let looping = method == "loop" || method == "times" || method == "each";
    if looping {
        ctx.loops += 1;
    }
    if let Some(block) = node.child_by_field_name("block") {
        for child in children(block) {
            visit(ctx, child);
        }
    }
    if looping {
        ctx.loops -= 1;
    }
    // send(:system, 'x') and public_send: the method by name.
    if matches!(method.as_str(), "send" | "public_send" | "__send__") {
        return match args.first() {
            Some(Val::Str(name)) => {
                let name = match &receiver {
                    Some(Val::Name(receiver)) => format!("{receiver}.{name}"),
                    _ => name.clone(),
                };
                ctx.call(&name, &args[1..], &kwargs)
            }
            _ => {
                ctx.dynamic("Ruby calls a method whose name is computed (send)".to_owned());
                Val::Unknown
            }
        };
    }
    let (name, args) = match receiver {
        None => (method, args),
        Some(Val::Name(receiver)) => (format!("{receiver}.{method}"), args),
        Some(Val::Object(class, object_args)) => {
            (format!("{class}.{method}"), object_args.into_iter().take(1).chain(args).collect())
        }
        Some(Val::Env) => return Val::Env,
        Some(other) => {
            // A method of an object the table does not know: its credentials still show.
            ctx.credentials(&method, &args, &kwargs);
            return other.secret().map(Val::Secret).unwrap_or(Val::Unknown);
        }
    };
    ctx.call(&name, &args, &kwargs)
}
