//! Files and disks: deletion, overwriting, permissions, raw devices.

use guardrail_core::{IntentKind, Object, Scope, Span};

use super::{Rule, options};
use crate::input::is_history_or_log;
use crate::paths::{Place, is_data_device};
use crate::walk::{Command, Walker};
use crate::words::Arg;

pub(crate) const RULE: Rule = Rule {
    name: "deletion",
    intents: &[IntentKind::FsDeleteRecursive, IntentKind::FsDelete, IntentKind::FsOverwrite, IntentKind::LogTamper],
    catches: "rm (recursive with -r, -R or --recursive, in any order and spelling), rmdir, unlink, srm, \
              shred, mv (its sources leave their place, its target is overwritten), cp and install onto \
              a target, truncate. Each path is resolved against the working directory and scoped: \
              workspace, temporary, elsewhere, system, device, or unbounded when only known at run time. \
              Deleting shell history or logs is also log.tamper.",
    why: "rm -rf outside the workspace is the classic irreversible mistake; inside the workspace it is \
          routine, so the scope decides.",
    example: "rm -rf /home/user",
    look_alike: "rm -rf /tmp/build",
    gaps: "Globs are scoped by the directory in front of the first pattern, not expanded. Symbolic \
           links are not followed: the analyzer never looks at the file system.",
};

pub(crate) const DISKS: Rule = Rule {
    name: "disks",
    intents: &[IntentKind::DiskDestroy],
    catches: "dd onto a device (of=/dev/...), mkfs and its variants, mkswap, wipefs, blkdiscard, sgdisk \
              --zap-all, parted mklabel/rm, sfdisk, cryptsetup luksFormat/erase, and shred of a device.",
    why: "These erase a disk or file system in seconds, beyond any undo.",
    example: "dd if=/dev/zero of=/dev/sda bs=1M",
    look_alike: "dd if=/dev/zero of=./disk.img bs=1M count=10",
    gaps: "Device names are recognised by their /dev path; a disk reached through a symlink elsewhere \
           is a file.",
};

pub(crate) const PERMISSIONS: Rule = Rule {
    name: "permissions",
    intents: &[IntentKind::FsPermissionRecursive, IntentKind::FsPermission],
    catches: "chmod, chown and chgrp, recursive (-R, --recursive) or not, each path scoped.",
    why: "chmod -R 777 / or chown -R of /usr breaks the machine and its security in one stroke.",
    example: "chmod -R 777 /etc",
    look_alike: "chmod -R 755 ./dist",
    gaps: "The mode itself is not judged: chmod 777 in the workspace is allowed like any other mode.",
};

pub(crate) const REDIRECTION: Rule = Rule {
    name: "redirection",
    intents: &[IntentKind::DiskDestroy, IntentKind::FsOverwrite, IntentKind::LogTamper],
    catches: "Output redirection (>, >>, >|, &>) onto a file: fs.overwrite, scoped like any path; onto a \
              disk device, disk.destroy; onto shell history or a log, also log.tamper. /dev/null and the \
              standard streams are harmless.",
    why: "echo > /etc/passwd and cat x > /dev/sda need no dangerous program at all.",
    example: "cat image.iso > /dev/sda",
    look_alike: "cat image.iso > disk.img",
    gaps: "Appending (>>) is judged like overwriting.",
};

/// Programs that erase a disk or file system, whatever their operands.
const DISK_TOOLS: &[&str] =
    &["mkswap", "wipefs", "blkdiscard", "mke2fs", "mkdosfs", "mformat", "zpool", "pvremove", "vgremove", "lvremove"];

pub(crate) fn check(walker: &mut Walker, command: &Command<'_>) -> bool {
    let program = command.program;
    match program {
        "rm" | "srm" => {
            let parsed = options(command.args, &["--interactive", "--one-file-system"], false);
            let recursive = parsed.has_any(&["-r", "-R", "--recursive"]);
            let kind = if recursive { IntentKind::FsDeleteRecursive } else { IntentKind::FsDelete };
            for operand in &parsed.operands {
                delete(walker, kind, operand, command.span, None);
            }
        }
        "rmdir" | "unlink" => {
            let parsed = options(command.args, &[], false);
            for operand in &parsed.operands {
                delete(walker, IntentKind::FsDelete, operand, command.span, None);
            }
        }
        "shred" => {
            let parsed =
                options(command.args, &["-n", "--iterations", "-s", "--size", "--random-source", "--remove"], false);
            let removes = parsed.has_any(&["-u", "--remove"]);
            for operand in &parsed.operands {
                let place = walker.place(operand);
                if is_data_device(&place.name) {
                    destroy_disk(walker, &place.name, command.span);
                } else if removes {
                    delete(
                        walker,
                        IntentKind::FsDelete,
                        operand,
                        command.span,
                        Some("shred overwrites it first: unrecoverable"),
                    );
                } else {
                    overwrite(walker, &place, command.span, Some("shred overwrites its content"));
                }
            }
        }
        "mv" => {
            let parsed = options(command.args, &["-t", "--target-directory", "-S", "--suffix"], false);
            let (sources, target) = split_target(&parsed);
            for source in sources {
                delete(walker, IntentKind::FsDelete, source, command.span, Some("mv moves it away"));
            }
            if let Some(target) = target {
                let place = walker.place(target);
                overwrite(walker, &place, command.span, None);
            }
        }
        "cp" | "install" => {
            let parsed = options(
                command.args,
                &["-t", "--target-directory", "-S", "--suffix", "-m", "--mode", "-o", "--owner", "-g", "--group"],
                false,
            );
            let (_, target) = split_target(&parsed);
            if let Some(target) = target {
                let place = walker.place(target);
                if is_data_device(&place.name) {
                    destroy_disk(walker, &place.name, command.span);
                } else {
                    overwrite(walker, &place, command.span, None);
                }
            }
        }
        "truncate" => {
            let parsed = options(command.args, &["-s", "--size", "-r", "--reference"], false);
            for operand in &parsed.operands {
                let place = walker.place(operand);
                overwrite(walker, &place, command.span, Some("truncate cuts the file"));
            }
        }
        "chmod" | "chown" | "chgrp" => {
            let parsed = options(command.args, &["--reference", "--from"], false);
            let recursive = parsed.has_any(&["-R", "--recursive"]);
            let kind = if recursive { IntentKind::FsPermissionRecursive } else { IntentKind::FsPermission };
            // The first operand is the mode or owner, unless --reference gave it.
            // chmod also takes modes that look like options (-w, -x).
            let skip = usize::from(parsed.value("--reference").is_none());
            let mode_as_flag = program == "chmod"
                && parsed.flags.iter().any(|flag| matches!(flag.as_str(), "-w" | "-x" | "-r" | "-s" | "-t" | "-X"));
            let skip = if mode_as_flag { 0 } else { skip };
            for operand in parsed.operands.iter().skip(skip) {
                let place = walker.place(operand);
                walker.emit(kind, place.scope, Some(Object::new("path", place.name)), command.span, None);
            }
        }
        "dd" => {
            for arg in command.args {
                if let Some(target) = arg.text.strip_prefix("of=") {
                    let target = Arg { text: target.to_owned(), ..arg.clone() };
                    let place = walker.place(&target);
                    if is_data_device(&place.name) {
                        destroy_disk(walker, &place.name, command.span);
                    } else if !crate::paths::is_harmless_device(&place.name) {
                        overwrite(walker, &place, command.span, None);
                    }
                }
            }
        }
        _ if program.starts_with("mkfs") || DISK_TOOLS.contains(&program) => {
            if program == "zpool"
                && !command.args.first().is_some_and(|arg| matches!(arg.text.as_str(), "destroy" | "labelclear"))
            {
                return false;
            }
            if command.args.iter().all(|arg| arg.text.starts_with('-'))
                && !command.args.is_empty()
                && program != "mkswap"
            {
                // Only options: a query such as wipefs --help or -V.
                return false;
            }
            let target = command.args.iter().rev().find(|arg| !arg.text.starts_with('-'));
            let name = target.map(|arg| walker.place(arg).name).unwrap_or_else(|| "<device>".to_owned());
            destroy_disk(walker, &name, command.span);
        }
        "sgdisk"
            if command
                .args
                .iter()
                .any(|arg| matches!(arg.text.as_str(), "-Z" | "--zap-all" | "-o" | "--clear" | "-z" | "--zap")) =>
        {
            destroy_disk(walker, last_operand(command.args), command.span);
        }
        "parted" if command.args.iter().any(|arg| matches!(arg.text.as_str(), "mklabel" | "rm" | "mkpart")) => {
            destroy_disk(walker, first_operand(command.args), command.span);
        }
        "sfdisk"
            if !command.args.iter().any(|arg| {
                matches!(
                    arg.text.as_str(),
                    "-l" | "--list" | "-d" | "--dump" | "-V" | "--verify" | "-s" | "--show-size"
                )
            }) =>
        {
            destroy_disk(walker, last_operand(command.args), command.span);
        }
        "cryptsetup"
            if command
                .args
                .iter()
                .any(|arg| matches!(arg.text.as_str(), "luksFormat" | "erase" | "luksErase" | "reencrypt")) =>
        {
            destroy_disk(walker, last_operand(command.args), command.span);
        }
        _ => return false,
    }
    true
}

fn first_operand(args: &[Arg]) -> &str {
    args.iter().find(|arg| !arg.text.starts_with('-')).map(|arg| arg.text.as_str()).unwrap_or("<device>")
}

fn last_operand(args: &[Arg]) -> &str {
    args.iter().rev().find(|arg| !arg.text.starts_with('-')).map(|arg| arg.text.as_str()).unwrap_or("<device>")
}

/// `mv a b c DIR` and `mv -t DIR a b c`.
fn split_target<'a>(parsed: &super::Options<'a>) -> (Vec<&'a Arg>, Option<&'a Arg>) {
    if parsed.value("-t").is_some() || parsed.value("--target-directory").is_some() {
        return (parsed.operands.clone(), None);
    }
    match parsed.operands.split_last() {
        Some((target, sources)) if !sources.is_empty() => (sources.to_vec(), Some(*target)),
        _ => (Vec::new(), None),
    }
}

fn delete(walker: &mut Walker, kind: IntentKind, operand: &Arg, span: Span, note: Option<&str>) {
    let place = walker.place(operand);
    if is_history_or_log(&place.name) {
        walker.emit(IntentKind::LogTamper, place.scope, Some(Object::new("path", place.name.clone())), span, None);
    }
    walker.emit(kind, place.scope, Some(Object::new("path", place.name)), span, note.map(str::to_owned));
}

fn overwrite(walker: &mut Walker, place: &Place, span: Span, note: Option<&str>) {
    if is_history_or_log(&place.name) {
        walker.emit(IntentKind::LogTamper, place.scope, Some(Object::new("path", place.name.clone())), span, None);
    }
    walker.emit(
        IntentKind::FsOverwrite,
        place.scope,
        Some(Object::new("path", place.name.clone())),
        span,
        note.map(str::to_owned),
    );
}

fn destroy_disk(walker: &mut Walker, device: &str, span: Span) {
    walker.emit(IntentKind::DiskDestroy, Scope::Device, Some(Object::new("path", device)), span, None);
}

/// A file written by output redirection.
pub(crate) fn written(walker: &mut Walker, place: &Place, span: Span) {
    if is_data_device(&place.name) {
        destroy_disk(walker, &place.name, span);
    } else {
        overwrite(walker, place, span, None);
    }
}
