"""The shop's health: what /healthz answers and ``manage.py healthcheck`` reports.

- ``database``: "ok" or "unavailable" (nothing can be served: /healthz answers 503).
- ``cache``: Redis; "unavailable" = the shop serves, slower, without rate limits.
- ``outbox_overdue``: e-mails due for over 10 minutes and not tried: no Celery worker sends.
- ``outbox_failing``: e-mails whose last attempt failed (the mail server refuses or is away, a
  full disk): they wait, retried with growing pauses, so they are never overdue.
- ``jobs_late``: periodic jobs that have not succeeded in time (Celery beat or the worker
  stopped, or the job fails each time; core/jobs.py).

``status`` is "ok", "degraded" (the cache, or jobs late) or "down" (the database).
"""

import secrets
from datetime import timedelta

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from core.jobs import list_late_jobs
from core.models import FAILING, OutboxMessage


def check_health() -> dict:
    """The checks above, as a dict with ``status`` first. Never raises."""
    checks: dict[str, object] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any failure of the database means: do not send traffic here
        checks["database"] = "unavailable"
        checks["database_error"] = str(exc)
    # a key of its own: the app servers behind a balancer share Redis and are probed at about
    # the same moment, and another server's probe written in between read as "unavailable"
    token = secrets.token_hex(8)
    cache.set(f"healthz:probe:{token}", token, 10)
    checks["cache"] = "ok" if cache.get(f"healthz:probe:{token}") == token else "unavailable"
    if checks["database"] == "ok":
        overdue = timezone.now() - timedelta(minutes=10)
        unsent = OutboxMessage.objects.filter(sent_at__isnull=True)
        checks["outbox_overdue"] = unsent.filter(next_attempt_at__lte=overdue).count()
        checks["outbox_failing"] = OutboxMessage.objects.filter(FAILING).count()
        checks["jobs_late"] = list_late_jobs()
    healthy = checks["database"] == "ok"
    fine = checks["cache"] == "ok" and not checks.get("jobs_late")
    status = "ok" if healthy and fine else ("degraded" if healthy else "down")
    return {"status": status, **checks}


def describe_problems(health: dict) -> list[tuple[str, str]]:
    """(kind, one sentence) per problem in ``health`` (check_health's), for the error log."""
    problems = []
    if health["database"] != "ok":
        problems.append(
            ("database", f"The database cannot be reached: {health.get('database_error', '')}")
        )
    if health["cache"] != "ok":
        problems.append(("cache", "Redis (cache and Celery's queue) cannot be reached."))
    if health.get("jobs_late"):
        problems.append(
            (
                "jobs_late",
                "Scheduled jobs late (not succeeded in time; Celery beat or worker stopped, "
                f"or the job fails): {', '.join(health['jobs_late'])}",
            )
        )
    if health.get("outbox_overdue"):
        problems.append(
            (
                "outbox_overdue",
                f"{health['outbox_overdue']} e-mails waiting over 10 minutes: no Celery "
                "worker is sending.",
            )
        )
    if health.get("outbox_failing"):
        last = (
            OutboxMessage.objects.filter(FAILING)
            .order_by("-next_attempt_at")
            .values_list("last_error", flat=True)
            .first()
        )
        problems.append(
            (
                "outbox_failing",
                f"{health['outbox_failing']} e-mails failing (admin: Outbox messages, "
                f"Failing); the last error: {(last or '')[:300]}",
            )
        )
    return problems
