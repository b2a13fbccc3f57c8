"""Replacing a file atomically, as whoever owned it left it: the team workbook and client summaries.

A rename swaps in a new file, with a new owner and mode; so the old file's owner, group and
permission bits are put on the new one first. A file nobody may write (no w bit), or that this user
may not write, is read-only: it is not replaced, as a rename would replace it all the same.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import IO


class ReadOnly(OSError):
    """The file may not be written: it is left as it is."""


class OwnerNotKept(OSError):
    """The new file cannot have the old one's owner or group (only root may give a file away)."""


def replace_file(target: Path, write: Callable[[IO[bytes]], object], check: Callable[[], None] | None = None) -> None:
    """Replace `target` (the file it points to, if a symlink) with what `write` writes, atomically
    (whatever `write` returns is ignored).

    The new content goes to a temporary file `.NAME.RANDOM.tmp` beside it, is flushed to disk and
    gets the old file's mode, owner and group; then `check` runs (it raises to stop the replacement),
    and a rename swaps it in. On any failure the temporary file is removed and the target is as it
    was. Raises ReadOnly, OwnerNotKept or the OSError of the failed step.
    """
    target = Path(os.path.realpath(target))
    remove_stale_temps(target)
    try:
        old = os.stat(target)
    except FileNotFoundError:
        old = None
    if old is not None and _read_only(target, old):
        raise ReadOnly(errno.EACCES, "it is read-only", str(target))
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    # 0o666 less the umask for a new file, as open() gives; mkstemp's 0o600 would hide it from the team.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            if old is not None:
                _keep_owner_and_mode(handle.fileno(), temp, old)
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if check is not None:
            check()  # last, to keep small the window in which someone else's save could slip in
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def remove_stale_temps(target: Path) -> None:
    """Delete the temporary files of `target` that a killed run left behind. The caller holds the
    sync's lock, so no other run is writing one now."""
    prefix = f".{target.name}."
    pattern = re.compile(re.escape(prefix) + r"\w{1,32}\.tmp")  # ours, and tempfile's of older versions
    try:
        entries = list(os.scandir(target.parent))
    except FileNotFoundError:
        return
    for entry in entries:  # startswith first: a folder of a thousand summaries is scanned for each
        if entry.name.startswith(prefix) and pattern.fullmatch(entry.name) and not entry.is_dir(follow_symlinks=False):
            Path(entry.path).unlink(missing_ok=True)


def _read_only(path: Path, old: os.stat_result) -> bool:
    # root may write anything, so os.access says yes to root: the bits say what the owner meant.
    return not old.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK)


def _keep_owner_and_mode(fd: int, temp: Path, old: os.stat_result) -> None:
    if os.name != "posix":  # Windows: files have no owner id to keep, and chmod sets only read-only
        os.chmod(temp, stat.S_IMODE(old.st_mode))
        return
    new = os.fstat(fd)
    if (new.st_uid, new.st_gid) != (old.st_uid, old.st_gid):
        try:
            os.fchown(fd, old.st_uid, old.st_gid)
        except PermissionError:
            raise OwnerNotKept(errno.EPERM, _owner_message(old, new)) from None
    os.fchmod(fd, stat.S_IMODE(old.st_mode))  # after fchown, which may clear the setuid and setgid bits


def _owner_message(old: os.stat_result, new: os.stat_result) -> str:
    import grp  # POSIX only, as is this message
    import pwd

    def user(uid: int) -> str:
        try:
            return pwd.getpwuid(uid).pw_name
        except KeyError:
            return str(uid)

    def group(gid: int) -> str:
        try:
            return grp.getgrgid(gid).gr_name
        except KeyError:
            return str(gid)

    owner, me = user(old.st_uid), user(new.st_uid)
    if old.st_uid != new.st_uid:
        return (
            f"it is owned by {owner}, and a file written by {me} cannot keep that owner: run the sync as "
            f"{owner} or root"
        )
    return (
        f"its group is {group(old.st_gid)}, which {me} cannot give a file: add {me} to that group or run the "
        "sync as root"
    )
