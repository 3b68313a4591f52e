"""Running jobs at the same moment, each in its own thread with its own database connection."""

import threading
import time

from django.db import connection


def run_at_once(jobs, *, timeout: float = 60):
    """Start every job at the same moment; return each one's result, or the exception it raised."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def worker(index, job):
        try:
            barrier.wait(timeout=10)
            results[index] = job()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a job hung (deadlock?)"
    return results


class Meeting:
    """A point two jobs reach one after the other unless a row lock holds the second back.

    The first job to ``arrive()`` waits there until the second arrives too (the race a lock
    should prevent: both got past it) or until another connection to the test database is
    seen waiting for a lock (the second job is held back, as it should be); it never waits
    longer than ``timeout`` seconds. Either way the test then runs without a fixed pause.
    """

    def __init__(self, *, timeout: float = 10):
        self.timeout = timeout
        self.arrived = 0
        self.both = threading.Event()
        self._count = threading.Lock()

    def arrive(self) -> None:
        with self._count:
            self.arrived += 1
            if self.arrived > 1:
                self.both.set()
                return
        deadline = time.monotonic() + self.timeout
        while not self.both.wait(0.01):
            if _someone_waits_for_a_lock() or time.monotonic() > deadline:
                return


def _someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock')"
        )
        return cursor.fetchone()[0]
