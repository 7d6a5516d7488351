"""A one-line progress bar for management commands (redrawn in place on a terminal)."""

from __future__ import annotations

import sys
from typing import TextIO


class ProgressBar:
    def __init__(self, stream: TextIO | None = None, width: int = 30):
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = self.stream.isatty()
        self._last = ""

    def update(self, done: int, total: int, label: str = "") -> None:
        total = max(total, done, 1)
        filled = int(self.width * done / total)
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} {label}".rstrip()
        if line == self._last:
            return
        self._last = line
        if self.tty:
            self.stream.write("\r" + line.ljust(100)[:160])
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self._last:
            self.stream.write("\n")
            self.stream.flush()
