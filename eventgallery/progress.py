"""A progress bar for management commands: redrawn in place on a terminal,
a line every tenth of the way when the output goes to a file or a pipe."""

import time


class ProgressBar:
    def __init__(self, stream, total: int, *, width: int = 30):
        self.stream = stream
        self.total = max(total, 0)
        self.width = width
        self.done = 0
        self.started = time.monotonic()
        self.interactive = stream.isatty()
        self._last_decile = -1

    def advance(self, label: str = "") -> None:
        self.done += 1
        if self.interactive:
            self._draw(label)
            return
        decile = self.done * 10 // self.total if self.total else 10
        if decile != self._last_decile:
            self._last_decile = decile
            self.stream.write(f"{self._text()}\n")
            self.stream.flush()

    def close(self) -> None:
        if self.interactive:
            self.stream.write("\n")
            self.stream.flush()

    def _text(self) -> str:
        fraction = self.done / self.total if self.total else 1.0
        elapsed = time.monotonic() - self.started
        return f"{self.done}/{self.total} ({fraction:.0%}, {elapsed:.0f} s)"

    def _draw(self, label: str) -> None:
        fraction = self.done / self.total if self.total else 1.0
        filled = int(self.width * fraction)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {self._text()} {label[:40]:<40}")
        self.stream.flush()
