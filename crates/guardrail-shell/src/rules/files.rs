//! Files and disks: deletion, overwriting, permissions, raw devices.

use guardrail_core::{IntentKind, Span};

use super::Rule;
use crate::effects::Write;
use crate::flow::Stream;
use crate::paths::is_data_device;
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
            match target {
                // A file system made in an image file is a file written.
                Some(target) if !target.dynamic && !is_data_device(&walker.place(target).name) => {
                    walker.write_path(target, &Stream::Unknown, Write::Replace, command.span, Some("formats it"));
                }
                Some(target) => destroy_disk(walker, &walker.place(target).name, command.span),
                None => destroy_disk(walker, "<device>", command.span),
            }
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

fn destroy_disk(walker: &mut Walker, device: &str, span: Span) {
    walker.destroy_disk(device, span);
}
