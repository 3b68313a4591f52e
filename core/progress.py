"""A small text progress bar for long management commands (seeding, sending campaigns)."""

import sys
import time


class ProgressBar:
    """Draws ``label [#####.....] 42% 4,200/10,000 0:12`` on one line of ``stream``."""

    def __init__(self, total: int, *, label: str = "", stream=None, width: int = 30) -> None:
        self.total = max(int(total), 0)
        self.label = label
        self.stream = stream or sys.stdout
        self.width = width
        self.done = 0
        self.started = time.monotonic()
        self._last_draw = 0.0
        self._last_filled = -1
        self._last_printed = -1
        self._closed = False
        self.interactive = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, step: int = 1) -> None:
        self.done = min(self.done + step, self.total) if self.total else self.done + step
        now = time.monotonic()
        if now - self._last_draw >= 0.1 or self.done >= self.total:
            self._last_draw = now
            self._draw(final=False)

    def close(self) -> None:
        self._draw(final=True)

    def _draw(self, *, final: bool) -> None:
        total = self.total or 1
        share = self.done / total
        filled = int(self.width * share)
        elapsed = int(time.monotonic() - self.started)
        line = (
            f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {share:4.0%} "
            f"{self.done:,}/{self.total:,} {elapsed // 60}:{elapsed % 60:02d}"
        )
        if self.interactive:
            self.stream.write("\r" + line + ("\n" if final else ""))
        elif (
            not self._closed
            and self._last_printed != self.done
            and (final or (filled != self._last_filled and filled % max(self.width // 10, 1) == 0))
        ):
            # Not a terminal (CI logs): one line per tenth, no carriage returns.
            self.stream.write(line + "\n")
            self._last_printed = self.done
        self._closed = self._closed or final
        self._last_filled = filled
        self.stream.flush()

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
