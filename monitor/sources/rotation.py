"""One source's rotation set as it is on disk now: every file its path or glob matches, and
the rotations of those (the same name followed by anything: auth.log.1, access.log-20260301)."""

from __future__ import annotations

import fnmatch
import glob
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from monitor.sources.follower import Checkpoint

# Compressed rotations match globs like access.log*; their lines were read before rotation.
SKIPPED_SUFFIXES = (".gz", ".bz2", ".xz", ".zst", ".zip")


@dataclass(frozen=True, slots=True)
class Sighting:
    """A regular file of the rotation set, seen now; `current` when the source's own path or
    glob matches it (not only a rotation of such a file)."""

    name: str
    key: str
    size: int
    mtime: float
    current: bool


def look(pattern: str) -> dict[str, Sighting]:
    """The rotation set by file identity (device:inode); a file matched under several names
    (a symlink and its target) counts once, as current if any of its names is."""
    matched, rotations = names(pattern)
    found: dict[str, Sighting] = {}
    for name in sorted(matched | rotations):
        if name.endswith(SKIPPED_SUFFIXES):
            continue
        try:
            status = os.stat(name)
        except OSError:
            continue  # gone between the glob and the stat, or a dangling symlink
        if not stat.S_ISREG(status.st_mode):
            continue
        key = f"{status.st_dev}:{status.st_ino}"
        current = name in matched
        if key in found and not current:
            continue
        found[key] = Sighting(name, key, status.st_size, status.st_mtime, current)
    return found


def names(pattern: str) -> tuple[set[str], set[str]]:
    """The names the pattern matches, and those of their rotations (the pattern then `*`)."""
    folder, base = os.path.split(pattern)
    if glob.has_magic(folder):
        return set(glob.glob(pattern)), set(glob.glob(pattern + "*"))
    try:  # one listing of the folder, not two globs: a source may match 10,000 files
        with os.scandir(folder or ".") as entries:
            listed = [entry.name for entry in entries]
    except OSError:
        return set(), set()
    prefix = folder + "/" if folder else ""
    matched = {prefix + name for name in fnmatch.filter(listed, base)}
    rotations = {prefix + name for name in fnmatch.filter(listed, base + "*")}
    return matched, rotations


def last_commit(checkpoints: Iterable[Checkpoint], pattern: str) -> float | None:
    """When lines of this source were last committed; None if it has never been read."""
    times = [c.at for c in checkpoints if fnmatch.fnmatchcase(c.path, pattern + "*")]
    return max(times) if times else None


def gone_from_disk(checkpoints: Mapping[str, Checkpoint]) -> list[str]:
    """The identities whose file is no longer in its folder under any name (nor where its
    path, a symlink perhaps, points): each folder is listed once, however many files it has."""
    present: dict[str, set[str]] = {}
    gone = []
    for key, checkpoint in checkpoints.items():
        names = (checkpoint.path, checkpoint.real) if checkpoint.real else (checkpoint.path,)
        folders = {os.path.dirname(name) or "." for name in names}
        for folder in folders - present.keys():
            present[folder] = keys_in(folder)
        if all(key not in present[folder] for folder in folders):
            gone.append(key)
    return gone


def keys_in(folder: str) -> set[str]:
    try:
        with os.scandir(folder) as entries:
            return {
                f"{entry.stat(follow_symlinks=False).st_dev}:{entry.inode()}" for entry in entries
            }
    except OSError:
        return set()
