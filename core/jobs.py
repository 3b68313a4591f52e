"""Is each periodic job still running? Celery beat puts the jobs of CELERY_BEAT_SCHEDULE on
the queue and a worker runs them; when beat stops, the worker stops, or a job fails every time,
nothing else says so: the nightly clean-ups just stop, unpaid orders are never cancelled.

Each time a scheduled task succeeds, its time is written down (ScheduledJobRun, one row per
task, from the worker); /healthz lists the jobs whose last success is older than their
schedule allows (``jobs_late``).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from .models import ScheduledJobRun

logger = logging.getLogger(__name__)

#: A job on a crontab (the nightly ones) is late when it has not succeeded for this long.
DAILY_ALLOWANCE = timedelta(hours=26)
#: A job every N seconds is late after 2 N plus this (a worker busy or restarted for a while).
INTERVAL_SLACK = timedelta(minutes=5)


def scheduled_tasks() -> dict[str, timedelta]:
    """The tasks of CELERY_BEAT_SCHEDULE and how long each may go without succeeding."""
    allowances = {}
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        schedule = entry["schedule"]
        if isinstance(schedule, int | float):
            schedule = timedelta(seconds=schedule)
        allowance = 2 * schedule + INTERVAL_SLACK if isinstance(schedule, timedelta) else None
        allowances[entry["task"]] = allowance or DAILY_ALLOWANCE
    return allowances


def record_success(*, task: str) -> None:
    """Note that ``task`` just succeeded, if it is a scheduled one. Never raises: a job that
    did its work is not made to fail by this note (the database may have gone meanwhile)."""
    if task not in scheduled_tasks():
        return
    try:
        ScheduledJobRun.objects.update_or_create(
            task=task, defaults={"last_success_at": timezone.now()}
        )
    except DatabaseError:
        logger.warning("Could not record that %s succeeded", task, exc_info=True)


def list_late_jobs() -> list[str]:
    """Scheduled tasks that have not succeeded within their allowance. A task that never
    succeeded counts from when the first job was recorded (a new shop's nightly jobs are not
    late on its first day); with no job ever recorded, beat or the worker never ran: all are."""
    runs = list(ScheduledJobRun.objects.values_list("task", "last_success_at", "created_at"))
    since = min((created for _, _, created in runs), default=None)
    last = {task: at for task, at, _ in runs}
    now = timezone.now()
    late = []
    for task, allowance in scheduled_tasks().items():
        at = last.get(task, since)
        if at is None or now - at > allowance:
            late.append(task)
    return sorted(late)
