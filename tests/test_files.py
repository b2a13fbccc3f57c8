"""Replacing the team workbook or a client summary keeps its owner, group and mode, never replaces a
read-only file, and leaves no temporary file behind: files.replace_file and the runs that use it.
The owner tests need root (to give files away); the sync itself may run as anyone."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.backends.files import OwnerNotKept, ReadOnly, remove_stale_temps, replace_file
from tests.test_cli import ROOT as PROJECT
from tests.test_cli import assert_one_line_error, fingerprint, read_tabs, sync_cli, write_book

ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
as_root = pytest.mark.skipif(not ROOT, reason="needs root: it gives files to other users")
NOBODY = 65534
OTHER_UID, OTHER_GID = 1234, 5678  # no such user or group: an owner nobody but root can give a file


def writes(data: bytes):
    return lambda handle: handle.write(data)


# Imports first, as root: the interpreter's own files may be where the user cannot read them.
REPLACE = """
import os, sys
from pathlib import Path
from sync.backends.files import replace_file
os.setgroups([])
os.setgid(int(sys.argv[2]))
os.setuid(int(sys.argv[2]))
try:
    replace_file(Path(sys.argv[1]), lambda handle: handle.write(b"new"))
    print("ok")
except BaseException as error:
    print(f"{type(error).__name__}: {error}")
"""


def replaced_as(uid: int, target: Path) -> str:
    """replace_file(target, b"new") in a process of user and group `uid`: what it raised, or 'ok'.
    A fresh process, not a fork of this one, whose threads could hold locks the child would wait on."""
    done = subprocess.run(
        [sys.executable, "-c", REPLACE, str(target), str(uid)],
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout.strip() or done.stderr


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder anyone may write in, as a team's shared folder often is (tmp_path is root's alone)."""
    folder = Path(tempfile.mkdtemp())
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder)


# --- replace_file ---------------------------------------------------------------------------


@as_root
def test_owner_group_and_mode_are_kept(tmp_path):
    target = tmp_path / "team.xlsx"
    target.write_bytes(b"old")
    os.chown(target, OTHER_UID, OTHER_GID)
    target.chmod(0o640)
    replace_file(target, writes(b"new"))
    after = target.stat()
    assert target.read_bytes() == b"new"
    assert (after.st_uid, after.st_gid, stat.S_IMODE(after.st_mode)) == (OTHER_UID, OTHER_GID, 0o640)
    assert os.listdir(tmp_path) == ["team.xlsx"]


def test_a_new_file_gets_the_usual_mode(tmp_path):
    replace_file(tmp_path / "new.xlsx", writes(b"new"))
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.xlsx").stat().st_mode) == 0o666 & ~umask


def test_a_file_without_any_write_bit_is_not_replaced(tmp_path):
    target = tmp_path / "team.xlsx"
    target.write_bytes(b"old")
    target.chmod(0o444)  # root could write it: the bits say the owner meant it read-only
    with pytest.raises(ReadOnly, match="it is read-only"):
        replace_file(target, writes(b"new"))
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["team.xlsx"]


@as_root
def test_a_file_this_user_may_not_write_is_not_replaced(shared):
    target = shared / "team.xlsx"
    target.write_bytes(b"old")
    target.chmod(0o644)  # root's: others may read it; the folder would let them replace it
    outcome = replaced_as(NOBODY, target)
    assert outcome == f"ReadOnly: [Errno 13] it is read-only: '{target}'"
    assert target.read_bytes() == b"old" and os.listdir(shared) == ["team.xlsx"]


@as_root
def test_an_owner_that_cannot_be_kept_is_refused_not_changed(shared):
    target = shared / "team.xlsx"
    target.write_bytes(b"old")
    target.chmod(0o666)
    os.chown(target, OTHER_UID, NOBODY)
    outcome = replaced_as(NOBODY, target)
    assert outcome.startswith(
        "OwnerNotKept: [Errno 1] it is owned by 1234, and a file written by nobody cannot keep "
        "that owner: run the sync as 1234 or root"
    ), outcome
    os.chown(target, NOBODY, OTHER_GID)
    outcome = replaced_as(NOBODY, target)
    assert outcome.startswith("OwnerNotKept: [Errno 1] its group is 5678, which nobody cannot give a file"), outcome
    assert target.read_bytes() == b"old" and os.listdir(shared) == ["team.xlsx"]
    assert issubclass(OwnerNotKept, OSError) and issubclass(ReadOnly, OSError)  # callers catch OSError


def test_a_failed_check_or_write_leaves_the_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "team.xlsx"
    target.write_bytes(b"old")

    def refuse() -> None:
        raise RuntimeError("saved meanwhile")

    def fail(handle) -> None:
        handle.write(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(RuntimeError, match="saved meanwhile"):
        replace_file(target, writes(b"new"), refuse)
    with pytest.raises(OSError, match="No space left"):
        replace_file(target, fail)
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["team.xlsx"]


def test_the_file_a_symlink_points_to_is_replaced(tmp_path):
    (tmp_path / "real.xlsx").write_bytes(b"old")
    (tmp_path / "team.xlsx").symlink_to("real.xlsx")
    replace_file(tmp_path / "team.xlsx", writes(b"new"))
    assert (tmp_path / "team.xlsx").is_symlink() and (tmp_path / "real.xlsx").read_bytes() == b"new"


def test_temporary_files_a_killed_run_left_are_removed(tmp_path):
    stale = [".team.xlsx.1a2b3c4d.tmp", ".team.xlsx.k2_x9zq1.tmp"]  # ours, and tempfile's from older versions
    kept = [".team.xlsx.lock", ".other.xlsx.1a2b3c4d.tmp", "team.xlsx.1a2b3c4d.tmp", ".team.xlsx.a.b.tmp"]
    for name in ["team.xlsx", *stale, *kept]:
        (tmp_path / name).write_bytes(b"x")
    replace_file(tmp_path / "team.xlsx", writes(b"new"))
    assert sorted(os.listdir(tmp_path)) == sorted(["team.xlsx", *kept])
    remove_stale_temps(tmp_path / "missing" / "team.xlsx")  # no folder: nothing to do


# --- through a run ----------------------------------------------------------------------------


@as_root
def test_a_run_keeps_the_owner_group_and_mode_of_the_workbook_and_summaries(tmp_path):
    team = write_book(tmp_path / "team.xlsx")
    assert sync_cli("run", "--book", "team.xlsx", "--as-of", "2026-12-01", cwd=tmp_path).returncode == 0
    summary = tmp_path / "clients" / "C-1.xlsx"
    for path, mode in ((team, 0o640), (summary, 0o604)):
        os.chown(path, OTHER_UID, OTHER_GID)
        path.chmod(mode)
    before = {path: path.read_bytes() for path in (team, summary)}
    # a day on, so that every summary changes (a summary with nothing new is left as it is)
    done = sync_cli("run", "--book", "team.xlsx", "--as-of", "2026-12-02", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for path, mode in ((team, 0o640), (summary, 0o604)):
        after = path.stat()
        assert (after.st_uid, after.st_gid, stat.S_IMODE(after.st_mode)) == (OTHER_UID, OTHER_GID, mode), path
        assert path.read_bytes() != before[path], path  # it was written (the Sync Log, the summary's time)


def test_a_read_only_workbook_stops_the_run_unchanged(tmp_path):
    write_book(tmp_path / "team.xlsx").chmod(0o444)
    before = fingerprint(tmp_path)
    done = sync_cli("run", "--book", "team.xlsx", cwd=tmp_path)
    assert_one_line_error(done, "cannot write workbook team.xlsx: it is read-only")
    assert fingerprint(tmp_path) == before


def test_a_read_only_summary_is_not_replaced(tmp_path):
    write_book(tmp_path / "team.xlsx")
    assert sync_cli("run", "--book", "team.xlsx", "--as-of", "2026-12-01", cwd=tmp_path).returncode == 0
    summary = tmp_path / "clients" / "C-1.xlsx"
    summary.chmod(0o444)
    before = (summary.read_bytes(), summary.stat().st_mtime_ns)
    done = sync_cli("run", "--book", "team.xlsx", "--as-of", "2026-12-02", cwd=tmp_path)  # C-1's summary changes
    said = done.stdout + done.stderr + repr(read_tabs(tmp_path / "team.xlsx")["Errors"])
    assert "it is read-only" in said and "Traceback" not in said, said
    assert (summary.read_bytes(), summary.stat().st_mtime_ns) == before
    assert sorted(os.listdir(summary.parent)) == ["C-1.xlsx", "C-2.xlsx"]
