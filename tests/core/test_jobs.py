"""Periodic jobs are watched: each success of a scheduled task is written down, and the ones
that have not succeeded in time (beat or the worker stopped, or the job fails every time) are
named by /healthz."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.jobs import list_late_jobs, scheduled_tasks
from core.models import ScheduledJobRun
from core.tasks import send_pending_mail_task
from orders.tasks import expire_unpaid_orders_task

pytestmark = pytest.mark.django_db

SWEEP = "core.tasks.send_pending_mail_task"
EXPIRY = "orders.tasks.expire_unpaid_orders_task"
NIGHTLY = "orders.tasks.delete_expired_orders_task"


def _all_ran(ago=timedelta(0)):
    at = timezone.now() - ago
    for task in scheduled_tasks():
        ScheduledJobRun.objects.create(task=task, last_success_at=at)
    ScheduledJobRun.objects.update(created_at=at)


def test_a_scheduled_task_that_succeeds_is_written_down():
    send_pending_mail_task.delay()
    run = ScheduledJobRun.objects.get(task=SWEEP)
    assert timezone.now() - run.last_success_at < timedelta(minutes=1)


def test_a_scheduled_task_that_fails_is_not(monkeypatch):
    def broken():
        raise RuntimeError("bank-transfer expiry failed")

    monkeypatch.setattr("orders.tasks.expire_unpaid_orders", broken)
    expire_unpaid_orders_task.delay()  # eager: the failure is logged, not raised
    assert not ScheduledJobRun.objects.filter(task=EXPIRY).exists()


def test_jobs_that_ran_in_time_are_not_late():
    _all_ran()
    assert list_late_jobs() == []


def test_nothing_ever_recorded_means_every_job_is_late():
    """Beat or the worker never ran since this monitoring came."""
    assert list_late_jobs() == sorted(scheduled_tasks())


def test_a_stopped_beat_makes_the_minute_jobs_late_first():
    _all_ran(ago=timedelta(minutes=20))
    assert SWEEP in list_late_jobs()
    assert NIGHTLY not in list_late_jobs()  # it runs once a night


def test_a_nightly_job_that_fails_every_night_is_late_after_a_day():
    _all_ran()
    ScheduledJobRun.objects.filter(task=NIGHTLY).update(
        last_success_at=timezone.now() - timedelta(hours=27)
    )
    assert list_late_jobs() == [NIGHTLY]


def test_a_new_shops_nightly_jobs_are_not_late_on_its_first_day():
    ScheduledJobRun.objects.create(task=SWEEP, last_success_at=timezone.now())
    ScheduledJobRun.objects.update(created_at=timezone.now() - timedelta(hours=5))
    assert NIGHTLY not in list_late_jobs()
    ScheduledJobRun.objects.update(created_at=timezone.now() - timedelta(hours=27))
    assert NIGHTLY in list_late_jobs()
