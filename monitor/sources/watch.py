"""watchdog notices for the folders of every source, turned into a wake-up of the ingest loop."""

from __future__ import annotations

import asyncio
import glob
import os
from collections.abc import Iterable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver


class Wake(FileSystemEventHandler):
    def __init__(self, loop: asyncio.AbstractEventLoop, wake: asyncio.Event) -> None:
        self.loop = loop
        self.wake = wake

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.loop.call_soon_threadsafe(self.wake.set)


def folders_of(patterns: Iterable[str]) -> set[str]:
    """The deepest folder without wildcards of each pattern, where it exists."""
    folders = set()
    for pattern in patterns:
        folder = os.path.dirname(pattern) or "."
        while glob.has_magic(folder):
            folder = os.path.dirname(folder)
        if os.path.isdir(folder):
            folders.add(os.path.abspath(folder))
    return folders


def watch(patterns: Iterable[str], wake: asyncio.Event) -> BaseObserver:
    """Start an observer that sets `wake` whenever anything changes in a source's folder."""
    observer = Observer()
    handler = Wake(asyncio.get_running_loop(), wake)
    for folder in folders_of(patterns):
        observer.schedule(handler, folder, recursive=any(glob.has_magic(p) for p in patterns))
    observer.start()
    return observer
