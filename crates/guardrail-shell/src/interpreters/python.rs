//! Python, read with tree-sitter-python.

use tree_sitter::Node;

use super::engine::{Ctx, Does, Val, children, string_literal};

/// What Python calls do, by qualified name.
pub(crate) const TABLE: &[(&str, Does)] = &[
    ("os.system", Does::Shell(0)),
    ("os.popen", Does::Shell(0)),
    ("posix.system", Does::Shell(0)),
    ("commands.getoutput", Does::Shell(0)),
    ("commands.getstatusoutput", Does::Shell(0)),
    ("subprocess.getoutput", Does::Shell(0)),
    ("subprocess.getstatusoutput", Does::Shell(0)),
    ("subprocess.run", Does::Shell(0)),
    ("subprocess.call", Does::Shell(0)),
    ("subprocess.check_call", Does::Shell(0)),
    ("subprocess.check_output", Does::Shell(0)),
    ("subprocess.Popen", Does::Shell(0)),
    ("asyncio.create_subprocess_shell", Does::Shell(0)),
    ("asyncio.create_subprocess_exec", Does::Exec(0)),
    ("pty.spawn", Does::Shell(0)),
    ("os.execl", Does::Exec(0)),
    ("os.execlp", Does::Exec(0)),
    ("os.execle", Does::Exec(0)),
    ("os.execlpe", Does::Exec(0)),
    ("os.execv", Does::Exec(0)),
    ("os.execvp", Does::Exec(0)),
    ("os.execve", Does::Exec(0)),
    ("os.execvpe", Does::Exec(0)),
    ("os.spawnl", Does::Exec(1)),
    ("os.spawnlp", Does::Exec(1)),
    ("os.spawnv", Does::Exec(1)),
    ("os.spawnvp", Does::Exec(1)),
    ("os.posix_spawn", Does::Exec(0)),
    ("os.posix_spawnp", Does::Exec(0)),
    ("os.walk", Does::List(0)),
    ("os.listdir", Does::List(0)),
    ("os.scandir", Does::List(0)),
    ("glob.glob", Does::List(0)),
    ("glob.iglob", Does::List(0)),
    ("pathlib.Path.rglob", Does::List(0)),
    ("pathlib.Path.glob", Does::List(0)),
    ("pathlib.Path.iterdir", Does::List(0)),
    ("pathlib.Path.walk", Does::List(0)),
    ("os.remove", Does::Delete(0)),
    ("os.unlink", Does::Delete(0)),
    ("os.rmdir", Does::Delete(0)),
    ("os.removedirs", Does::Delete(0)),
    ("shutil.rmtree", Does::DeleteTree(0)),
    ("shutil.move", Does::Move(0)),
    ("os.rename", Does::Move(0)),
    ("os.replace", Does::Move(0)),
    ("shutil.copy", Does::CopyTo(1)),
    ("shutil.copy2", Does::CopyTo(1)),
    ("shutil.copyfile", Does::CopyTo(1)),
    ("shutil.copytree", Does::CopyTo(1)),
    ("os.symlink", Does::CopyTo(1)),
    ("os.link", Does::CopyTo(1)),
    ("os.truncate", Does::Write(0)),
    ("os.chmod", Does::Chmod(0)),
    ("os.lchmod", Does::Chmod(0)),
    ("os.chown", Does::Chmod(0)),
    ("os.lchown", Does::Chmod(0)),
    ("shutil.chown", Does::Chmod(0)),
    ("open", Does::Open(0)),
    ("io.open", Does::Open(0)),
    ("codecs.open", Does::Open(0)),
    ("os.open", Does::Open(0)),
    ("pathlib.Path", Does::New),
    ("pathlib.PosixPath", Does::New),
    ("pathlib.Path.unlink", Does::Delete(0)),
    ("pathlib.Path.rmdir", Does::Delete(0)),
    ("pathlib.Path.write_text", Does::Write(0)),
    ("pathlib.Path.write_bytes", Does::Write(0)),
    ("pathlib.Path.open", Does::Open(0)),
    ("pathlib.Path.read_text", Does::Read(0)),
    ("pathlib.Path.read_bytes", Does::Read(0)),
    ("pathlib.Path.chmod", Does::Chmod(0)),
    ("pathlib.Path.rename", Does::Move(0)),
    ("pathlib.Path.replace", Does::Move(0)),
    ("pathlib.Path.touch", Does::Write(0)),
    ("pathlib.PosixPath.unlink", Does::Delete(0)),
    ("pathlib.PosixPath.write_text", Does::Write(0)),
    ("os.path.expanduser", Does::ExpandUser(0)),
    ("os.path.join", Does::JoinPath),
    ("pathlib.Path.home", Does::Home),
    ("os.getcwd", Does::New),
    ("os.kill", Does::Kill(0)),
    ("os.killpg", Does::Kill(0)),
    ("os.fork", Does::Fork),
    ("os.forkpty", Does::Fork),
    ("multiprocessing.Process", Does::Fork),
    ("os.environ", Does::Environment),
    ("os.environb", Does::Environment),
    ("os.environ.copy", Does::Environment),
    ("os.environ.items", Does::Environment),
    ("socket.socket", Does::Network(0)),
    ("socket.create_connection", Does::Network(0)),
    ("socket.socket.connect", Does::Network(1)),
    ("urllib.request.urlopen", Does::Network(0)),
    ("urllib.request.Request", Does::Network(0)),
    ("urllib.urlopen", Does::Network(0)),
    ("urllib2.urlopen", Does::Network(0)),
    ("http.client.HTTPConnection", Does::Network(0)),
    ("http.client.HTTPSConnection", Does::Network(0)),
    ("httplib.HTTPConnection", Does::Network(0)),
    ("requests.get", Does::Network(0)),
    ("requests.post", Does::Network(0)),
    ("requests.put", Does::Network(0)),
    ("requests.patch", Does::Network(0)),
    ("requests.request", Does::Network(1)),
    ("requests.delete", Does::HttpDelete(0)),
    ("httpx.get", Does::Network(0)),
    ("httpx.post", Does::Network(0)),
    ("httpx.put", Does::Network(0)),
    ("httpx.delete", Does::HttpDelete(0)),
    ("ftplib.FTP", Does::Network(0)),
    ("smtplib.SMTP", Does::Network(0)),
    ("smtplib.SMTP_SSL", Does::Network(0)),
    ("paramiko.SSHClient", Does::Network(0)),
    ("eval", Does::Eval(0)),
    ("exec", Does::Eval(0)),
    ("compile", Does::Eval(0)),
    ("builtins.eval", Does::Eval(0)),
    ("builtins.exec", Does::Eval(0)),
    ("__import__", Does::Import(0)),
    ("importlib.import_module", Does::Import(0)),
];

/// Modules whose attributes, looked up by a computed name, may be anything
/// dangerous.
const POWERFUL: &[&str] =
    &["os", "subprocess", "shutil", "builtins", "__builtins__", "pty", "posix", "sys", "importlib", "socket", "ctypes"];

pub(crate) fn analyze(ctx: &mut Ctx<'_>, root: Node<'_>) {
    visit(ctx, root);
}

fn visit(ctx: &mut Ctx<'_>, node: Node<'_>) {
    match node.kind() {
        "import_statement" => {
            for name in children(node) {
                match name.kind() {
                    "dotted_name" => {
                        let module = ctx.text(name);
                        let first = module.split('.').next().unwrap_or(module).to_owned();
                        ctx.env.insert(first.clone(), Val::Name(first));
                    }
                    "aliased_import" => {
                        if let (Some(module), Some(alias)) =
                            (name.child_by_field_name("name"), name.child_by_field_name("alias"))
                        {
                            let module = ctx.text(module).to_owned();
                            ctx.env.insert(ctx.text(alias).to_owned(), Val::Name(module));
                        }
                    }
                    _ => {}
                }
            }
        }
        "import_from_statement" => {
            let Some(module) = node.child_by_field_name("module_name") else { return };
            let module = ctx.text(module).to_owned();
            let mut cursor = node.walk();
            for name in node.children_by_field_name("name", &mut cursor) {
                match name.kind() {
                    "dotted_name" => {
                        let item = ctx.text(name).to_owned();
                        ctx.env.insert(item.clone(), Val::Name(format!("{module}.{item}")));
                    }
                    "aliased_import" => {
                        if let (Some(item), Some(alias)) =
                            (name.child_by_field_name("name"), name.child_by_field_name("alias"))
                        {
                            let item = ctx.text(item).to_owned();
                            ctx.env.insert(ctx.text(alias).to_owned(), Val::Name(format!("{module}.{item}")));
                        }
                    }
                    _ => {}
                }
            }
            if children(node).iter().any(|child| child.kind() == "wildcard_import") {
                for (name, _) in TABLE {
                    if let Some(item) = name.strip_prefix(&format!("{module}.")) {
                        ctx.env.insert(item.to_owned(), Val::Name(name.to_string()));
                    }
                }
            }
        }
        // `code += chunk`: the text grows by what is added, or is no longer known.
        "augmented_assignment" => {
            let value = node.child_by_field_name("right").map(|right| eval(ctx, right)).unwrap_or(Val::Unknown);
            if let Some(left) = node.child_by_field_name("left")
                && left.kind() == "identifier"
            {
                let operator = node.child_by_field_name("operator").map(|operator| ctx.text(operator)).unwrap_or("");
                ctx.augment(ctx.text(left), operator, value);
            }
        }
        "assignment" => {
            let value = node.child_by_field_name("right").map(|right| eval(ctx, right)).unwrap_or(Val::Unknown);
            if let Some(left) = node.child_by_field_name("left")
                && left.kind() == "identifier"
            {
                ctx.env.insert(ctx.text(left).to_owned(), value);
            }
        }
        "with_statement" => {
            for child in children(node) {
                visit_with(ctx, child);
            }
        }
        "while_statement"
        | "for_statement"
        | "list_comprehension"
        | "generator_expression"
        | "set_comprehension"
        | "dictionary_comprehension" => {
            ctx.loops += 1;
            // A comprehension's `for ... in` runs before its body.
            let (clauses, rest): (Vec<Node<'_>>, Vec<Node<'_>>) =
                children(node).into_iter().partition(|child| matches!(child.kind(), "for_in_clause" | "if_clause"));
            for child in clauses.into_iter().chain(rest) {
                visit(ctx, child);
            }
            ctx.loops -= 1;
        }
        "call" | "attribute" | "subscript" | "binary_operator" => {
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

/// `with open(p, 'w') as f:` binds `f` to the open file.
fn visit_with(ctx: &mut Ctx<'_>, node: Node<'_>) {
    match node.kind() {
        "as_pattern" => {
            let mut cursor = node.walk();
            let items: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
            let value = items.first().map(|value| eval(ctx, *value)).unwrap_or(Val::Unknown);
            if let Some(alias) = node.child_by_field_name("alias") {
                let name = ctx.text(alias).trim().to_owned();
                ctx.env.insert(name, value);
            }
        }
        "with_clause" | "with_item" => {
            for child in children(node) {
                visit_with(ctx, child);
            }
        }
        _ => visit(ctx, node),
    }
}

fn eval(ctx: &mut Ctx<'_>, node: Node<'_>) -> Val {
    match node.kind() {
        "string" => match string_literal(node, ctx.source, &["string_content"], &["interpolation"]) {
            Some(text) => Val::Str(text),
            None => {
                let parts: Vec<Val> = children(node)
                    .into_iter()
                    .filter(|child| child.kind() == "interpolation")
                    .map(|child| eval(ctx, child))
                    .collect();
                Val::List(parts).secret().map(Val::Secret).unwrap_or(Val::Unknown)
            }
        },
        "concatenated_string" => {
            children(node).into_iter().map(|child| eval(ctx, child)).fold(Val::Str(String::new()), Val::concat)
        }
        "integer" | "float" => Val::Str(ctx.text(node).to_owned()),
        "unary_operator" => Val::Str(ctx.text(node).replace(' ', "")),
        "true" => Val::Name("True".to_owned()),
        "false" => Val::Name("False".to_owned()),
        "identifier" => ctx.lookup(ctx.text(node)),
        "parenthesized_expression" | "interpolation" | "expression_statement" => {
            children(node).first().map(|inner| eval(ctx, *inner)).unwrap_or(Val::Unknown)
        }
        "list" | "tuple" => Val::List(children(node).into_iter().map(|item| eval(ctx, item)).collect()),
        "binary_operator" => {
            let left = node.child_by_field_name("left").map(|left| eval(ctx, left)).unwrap_or(Val::Unknown);
            let right = node.child_by_field_name("right").map(|right| eval(ctx, right)).unwrap_or(Val::Unknown);
            let operator = node.child_by_field_name("operator").map(|operator| ctx.text(operator)).unwrap_or("");
            match operator {
                "+" => left.concat(right),
                _ => Val::List(vec![left, right]).secret().map(Val::Secret).unwrap_or(Val::Unknown),
            }
        }
        "attribute" => {
            let object = node.child_by_field_name("object").map(|object| eval(ctx, object)).unwrap_or(Val::Unknown);
            let attribute = node.child_by_field_name("attribute").map(|attribute| ctx.text(attribute)).unwrap_or("");
            match object {
                Val::Name(name) => {
                    let qualified = format!("{name}.{attribute}");
                    if TABLE.iter().any(|(known, does)| *known == qualified && matches!(does, Does::Environment)) {
                        ctx.holds("the environment");
                        return Val::Env;
                    }
                    Val::Name(qualified)
                }
                Val::Object(class, args) => Val::Object(format!("{class}.{attribute}"), args),
                other => other.secret().map(Val::Secret).unwrap_or(Val::Unknown),
            }
        }
        "subscript" => {
            let value = node.child_by_field_name("value").map(|value| eval(ctx, value)).unwrap_or(Val::Unknown);
            let key = node.child_by_field_name("subscript").map(|key| eval(ctx, key)).unwrap_or(Val::Unknown);
            match (value, key) {
                (Val::Env, Val::Str(name)) if name == "HOME" => Val::Str(ctx.home()),
                (Val::Env, _) => Val::Unknown,
                (value, _) => value.secret().map(Val::Secret).unwrap_or(Val::Unknown),
            }
        }
        "call" => call(ctx, node),
        "list_comprehension" | "generator_expression" | "set_comprehension" | "dictionary_comprehension" => {
            // A comprehension runs its expression once per item: a loop.
            ctx.loops += 1;
            let values: Vec<Val> = children(node).into_iter().map(|child| eval(ctx, child)).collect();
            ctx.loops -= 1;
            Val::List(values).secret().map(Val::Secret).unwrap_or(Val::Unknown)
        }
        "lambda"
        | "dictionary"
        | "set"
        | "conditional_expression"
        | "boolean_operator"
        | "comparison_operator"
        | "keyword_argument" => {
            let values: Vec<Val> = children(node).into_iter().map(|child| eval(ctx, child)).collect();
            Val::List(values).secret().map(Val::Secret).unwrap_or(Val::Unknown)
        }
        _ => {
            for child in children(node) {
                visit(ctx, child);
            }
            Val::Unknown
        }
    }
}

fn call(ctx: &mut Ctx<'_>, node: Node<'_>) -> Val {
    let Some(function) = node.child_by_field_name("function") else { return Val::Unknown };
    let mut args: Vec<Val> = Vec::new();
    let mut kwargs: Vec<(String, Val)> = Vec::new();
    if let Some(arguments) = node.child_by_field_name("arguments") {
        for argument in children(arguments) {
            match argument.kind() {
                "keyword_argument" => {
                    let name =
                        argument.child_by_field_name("name").map(|name| ctx.text(name).to_owned()).unwrap_or_default();
                    let value =
                        argument.child_by_field_name("value").map(|value| eval(ctx, value)).unwrap_or(Val::Unknown);
                    kwargs.push((name, value));
                }
                "comment" => {}
                _ => args.push(eval(ctx, argument)),
            }
        }
    }
    let callee = eval(ctx, function);
    let (name, receiver) = match callee {
        Val::Name(name) => (name, None),
        Val::Object(name, object_args) => (name, object_args.into_iter().next()),
        Val::Secret(what) => return Val::Secret(what),
        Val::Env => return Val::Env,
        _ => {
            // A method of an object the table does not know: its credentials still show.
            ctx.credentials(ctx.text(function), &args, &kwargs);
            // A computed function: getattr(os, 'sys' + 'tem')(...), a call's result.
            if function.kind() == "call" {
                return Val::Unknown;
            }
            return args.iter().find_map(Val::secret).map(Val::Secret).unwrap_or(Val::Unknown);
        }
    };
    // getattr(module, name): the attribute by name, or code nobody can read.
    if name == "getattr" || name == "builtins.getattr" {
        return match (args.first(), args.get(1)) {
            (Some(Val::Name(module)), Some(Val::Str(attribute))) => Val::Name(format!("{module}.{attribute}")),
            (Some(Val::Name(module)), _) if POWERFUL.contains(&module.split('.').next().unwrap_or("")) => {
                ctx.dynamic(format!("Python looks up a function of {module} by a computed name"));
                Val::Unknown
            }
            _ => Val::Unknown,
        };
    }
    let args = match receiver {
        Some(receiver) => std::iter::once(receiver).chain(args).collect(),
        None => args,
    };
    // `open(path).read()`: an open file read.
    if name.starts_with("file.read") {
        return args.first().cloned().map(|path| ctx.read(path)).unwrap_or(Val::Unknown);
    }
    ctx.call(&name, &args, &kwargs)
}
