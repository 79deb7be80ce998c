//! git: history rewrite and loss of work.

use guardrail_core::{IntentKind, Object, Scope};

use super::{Rule, options};
use crate::walk::{Command, Walker};
use crate::words::Arg;

pub(crate) const RULE: Rule = Rule {
    name: "git",
    intents: &[IntentKind::VcsHistoryRewrite, IntentKind::VcsDiscard],
    catches: "Force pushes in every spelling (-f, --force, --force=..., --force-with-lease, --mirror, a \
              +refspec), deleting remote branches (push --delete, push origin :branch), filter-branch \
              and filter-repo; and losing work: reset --hard/--merge, clean -f (not -n), checkout -f or \
              checkout of paths (checkout -- ., checkout .), restore of the worktree, switch \
              --discard-changes, branch -D, stash drop/clear, reflog expire, update-ref -d. Global options \
              (-C, -c, --git-dir) are skipped.",
    why: "A force push rewrites what everyone else has; reset --hard and clean -f delete work that was \
          never committed, with no undo.",
    example: "git push --force origin main",
    look_alike: "git commit -m 'never git push --force'",
    gaps: "git aliases and hooks are not expanded. rebase and commit --amend are allowed: they rewrite \
           local history only.",
};

pub(crate) fn check(walker: &mut Walker, command: &Command<'_>) -> bool {
    if command.program != "git" {
        return false;
    }
    let global = options(
        command.args,
        &[
            "-C",
            "-c",
            "--git-dir",
            "--work-tree",
            "--namespace",
            "--exec-path",
            "--super-prefix",
            "--config-env",
            "--list-cmds",
        ],
        true,
    );
    // `git -c core.sshCommand='...' fetch`: the option runs with the command.
    for (option, setting) in &global.values {
        if option == "-c"
            && let Some((key, value)) = setting.split_once('=')
        {
            config(walker, command, key, value, false);
        }
    }
    let Some(start) = global.rest else {
        return true;
    };
    let repository = match global.value("-C") {
        Some(dir) => walker.place(&Arg::literal(dir, command.span)).name,
        None => walker.place(&Arg::literal(".", command.span)).name,
    };
    let subcommand = command.args[start].text.as_str();
    let args = &command.args[start + 1..];
    let emit = |walker: &mut Walker, kind: IntentKind, scope: Scope, note: String| {
        walker.emit(kind, scope, Some(Object::new("repository", repository.clone())), command.span, Some(note));
    };
    // Commands that talk to a remote send their arguments and `-c`
    // settings (an `http.extraHeader` built from a credential) with them.
    if matches!(subcommand, "fetch" | "pull" | "push" | "ls-remote" | "clone" | "remote" | "submodule" | "archive") {
        let marked = command.args.iter().find_map(|arg| arg.mark.clone());
        if let Some(mark) = marked {
            walker.send(Some(&mark), "the git remote", &format!("git {subcommand}"), command.span);
        }
    }
    match subcommand {
        // What a clone brings is code from the network: scripts run from
        // it later in the line are judged as downloaded code.
        "clone" => {
            let parsed = options(
                args,
                &[
                    "-b",
                    "--branch",
                    "-o",
                    "--origin",
                    "--depth",
                    "-c",
                    "--config",
                    "--reference",
                    "-u",
                    "--template",
                    "-j",
                    "--filter",
                    "--separate-git-dir",
                ],
                false,
            );
            let url = parsed.operands.first().map(|arg| arg.text.clone()).unwrap_or_default();
            let directory = match parsed.operands.get(1) {
                Some(directory) => directory.text.clone(),
                None => {
                    let name = url.trim_end_matches('/').rsplit(['/', ':']).next().unwrap_or("");
                    name.trim_end_matches(".git").to_owned()
                }
            };
            if !url.is_empty() && !directory.is_empty() {
                let place = walker.place(&Arg::literal(directory, command.span));
                walker.downloaded.push(place.name);
            }
        }
        "config" => {
            let parsed = options(args, &["-f", "--file", "--blob", "--type", "--default", "--comment"], false);
            let words: Vec<&str> = parsed.operands.iter().map(|arg| arg.text.as_str()).collect();
            let words: &[&str] = match words.as_slice() {
                ["set", rest @ ..] => rest,
                words => words,
            };
            if let [key, value, ..] = words
                && !parsed.has_any(&["--get", "--get-all", "--unset", "--unset-all", "-l", "--list", "--get-regexp"])
            {
                config(walker, command, key, value, true);
            }
        }
        "add" | "stage" => {
            let parsed = options(args, &["--pathspec-from-file", "--chmod"], false);
            for path in &parsed.operands {
                let read = walker.read_path(path, true);
                if read.secret().is_some() {
                    let place = walker.place(path);
                    walker.files.insert(place.name, read);
                }
            }
        }
        "push" => {
            // Files the line wrote into the repository with secrets in them
            // leave with the push.
            let secrets: Vec<(String, String)> = walker
                .files
                .iter()
                .filter_map(|(path, stream)| stream.secret().map(|what| (path.clone(), what.to_owned())))
                .filter(|(path, _)| in_repository(path, &repository))
                .collect();
            for (path, what) in secrets {
                let mark = crate::flow::Mark::Secret(format!("{what}, copied to {path}"));
                walker.send(Some(&mark), "the git remote", "git push", command.span);
            }
            let parsed = options(args, &["--repo", "-o", "--push-option", "--receive-pack", "--exec"], false);
            let force = parsed
                .flags
                .iter()
                .any(|flag| flag == "-f" || flag.starts_with("--force") || flag == "--mirror" || flag == "--prune");
            let refspecs: Vec<&&Arg> = parsed.operands.iter().skip(1).collect();
            // --force-with-lease refuses to overwrite what it has not seen:
            // to a named feature branch it is the ordinary way to push a rebase.
            let leased = parsed
                .flags
                .iter()
                .all(|flag| !(flag == "-f" || flag == "--force" || flag == "--mirror" || flag == "--prune"))
                && parsed.flags.iter().any(|flag| flag.starts_with("--force-with-lease"));
            let feature_branches = !refspecs.is_empty()
                && refspecs
                    .iter()
                    .all(|spec| !spec.dynamic && !spec.text.starts_with('+') && !is_protected_branch(&spec.text));
            let force = force && !(leased && feature_branches);
            if force || refspecs.iter().any(|spec| spec.text.starts_with('+')) {
                emit(
                    walker,
                    IntentKind::VcsHistoryRewrite,
                    Scope::Bounded,
                    "a force push replaces the remote's history".to_owned(),
                );
            }
            if parsed.has_any(&["-d", "--delete"])
                || refspecs.iter().any(|spec| spec.text.starts_with(':') && spec.text.len() > 1)
            {
                emit(
                    walker,
                    IntentKind::VcsHistoryRewrite,
                    Scope::Bounded,
                    "deletes a branch or tag on the remote".to_owned(),
                );
            }
        }
        "reset" => {
            let parsed = options(args, &[], false);
            if parsed.has_any(&["--hard", "--merge"]) {
                emit(
                    walker,
                    IntentKind::VcsDiscard,
                    Scope::Bounded,
                    "reset --hard throws away uncommitted changes".to_owned(),
                );
            }
        }
        "clean" => {
            let parsed = options(args, &["-e", "--exclude"], false);
            if parsed.has_any(&["-f", "--force"]) && !parsed.has_any(&["-n", "--dry-run"]) {
                emit(walker, IntentKind::VcsDiscard, Scope::Bounded, "clean -f deletes untracked files".to_owned());
            }
        }
        "checkout" => {
            let double_dash = args.iter().any(|arg| arg.is("--"));
            let parsed = options(args, &["-b", "-B", "--orphan", "--conflict"], false);
            let discards_paths = double_dash || parsed.operands.iter().any(|arg| arg.text == "." || arg.glob);
            if parsed.has_any(&["-f", "--force"]) || (discards_paths && !parsed.has_any(&["-b", "-B", "--orphan"])) {
                emit(
                    walker,
                    IntentKind::VcsDiscard,
                    Scope::Bounded,
                    "checkout of paths throws away their uncommitted changes".to_owned(),
                );
            }
        }
        "restore" => {
            let parsed = options(args, &["-s", "--source"], false);
            let worktree = parsed.has_any(&["-W", "--worktree"]) || !parsed.has_any(&["-S", "--staged"]);
            if worktree && !parsed.operands.is_empty() {
                emit(
                    walker,
                    IntentKind::VcsDiscard,
                    Scope::Bounded,
                    "restore throws away uncommitted changes to these paths".to_owned(),
                );
            }
        }
        "switch" => {
            let parsed = options(args, &["-c", "-C", "--orphan"], false);
            if parsed.has_any(&["-f", "--force", "--discard-changes"]) {
                emit(
                    walker,
                    IntentKind::VcsDiscard,
                    Scope::Bounded,
                    "switch --discard-changes throws away uncommitted changes".to_owned(),
                );
            }
        }
        "branch" => {
            let parsed = options(
                args,
                &[
                    "-u",
                    "--set-upstream-to",
                    "--contains",
                    "--merged",
                    "--no-merged",
                    "--points-at",
                    "--sort",
                    "--format",
                ],
                false,
            );
            let deletes = parsed.has("-D") || parsed.has_any(&["-d", "--delete"]) && parsed.has_any(&["-f", "--force"]);
            if deletes {
                emit(
                    walker,
                    IntentKind::VcsDiscard,
                    Scope::Bounded,
                    "branch -D deletes a branch whether or not it was merged".to_owned(),
                );
            }
        }
        "stash" if args.first().is_some_and(|arg| arg.is("drop") || arg.is("clear")) => {
            emit(walker, IntentKind::VcsDiscard, Scope::Bounded, "stash drop and clear delete stashed work".to_owned());
        }
        // `filter-repo --analyze` only writes a report.
        "filter-repo" if args.iter().any(|arg| arg.is("--analyze") || arg.is("--dry-run")) => {}
        "filter-branch" | "filter-repo" => {
            emit(
                walker,
                IntentKind::VcsHistoryRewrite,
                Scope::Unbounded,
                format!("{subcommand} rewrites every commit"),
            );
        }
        "reflog" if args.first().is_some_and(|arg| arg.is("expire") || arg.is("delete")) => {
            emit(
                walker,
                IntentKind::VcsDiscard,
                Scope::Bounded,
                "expiring the reflog loses the way back to lost commits".to_owned(),
            );
        }
        "update-ref" if args.iter().any(|arg| arg.is("-d")) => {
            emit(walker, IntentKind::VcsDiscard, Scope::Bounded, "update-ref -d deletes a ref".to_owned());
        }
        _ => {}
    }
    true
}

/// Whether a resolved path lies inside the repository at `repository`.
fn in_repository(path: &str, repository: &str) -> bool {
    let repository = repository.trim_end_matches('/');
    repository == "." && !path.starts_with('/') || path.starts_with(&format!("{repository}/"))
}

/// A git option set (`git config`) or given for one command (`git -c`):
/// options whose value is a command are judged as that command, which
/// git runs later (or now, for `-c`); options that make git run programs
/// by path (hooks paths, templates) plant code.
fn config(walker: &mut Walker, command: &Command<'_>, key: &str, value: &str, lasting: bool) {
    if let Some(code) = crate::effects::git_option_runs(key, value) {
        walker.nested(&code, command.span, true);
        if lasting {
            walker.emit(
                IntentKind::CodePersist,
                Scope::Bounded,
                Some(Object::new("setting", format!("git {key}"))),
                command.span,
                Some(format!("git runs the value of {key} as a command later")),
            );
        }
    } else if crate::effects::git_option_plants(key) {
        walker.emit(
            IntentKind::CodePersist,
            Scope::Bounded,
            Some(Object::new("setting", format!("git {key}"))),
            command.span,
            Some(format!("{key} makes git run programs from {value}")),
        );
    }
}

/// Whether a refspec's destination is a branch others build on: the
/// default branch, a release or production branch, or one only known
/// when it runs (`HEAD`).
fn is_protected_branch(refspec: &str) -> bool {
    let destination = refspec.rsplit(':').next().unwrap_or(refspec);
    let branch = destination.trim_start_matches("refs/heads/");
    matches!(
        branch,
        "main"
            | "master"
            | "trunk"
            | "develop"
            | "development"
            | "dev"
            | "HEAD"
            | "production"
            | "prod"
            | "staging"
            | "stable"
            | "gh-pages"
            | ""
    ) || branch.starts_with("release")
        || branch.starts_with("prod/")
        || branch.starts_with("hotfix")
}
