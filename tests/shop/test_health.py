"""/healthz: what a load balancer or an uptime monitor asks."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from core.jobs import scheduled_tasks
from core.models import OutboxMessage, ScheduledJobRun

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _jobs_ran():
    """Celery beat and the worker ran every periodic job just now."""
    for task in scheduled_tasks():
        ScheduledJobRun.objects.create(task=task, last_success_at=timezone.now())


def test_a_healthy_shop_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "outbox_overdue": 0,
        "outbox_failing": 0,
        "jobs_late": [],
    }
    assert "no-store" in response["Cache-Control"]


def test_jobs_not_run_in_time_make_the_shop_degraded_and_are_logged_as_an_error(client, caplog):
    """Beat stopped twenty minutes ago: the outbox sweep and the expiry of unpaid orders have
    not run since; the shop still sells (200), but says so, and the owner gets a mail."""
    ScheduledJobRun.objects.update(last_success_at=timezone.now() - timedelta(minutes=40))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert "core.tasks.send_pending_mail_task" in response.json()["jobs_late"]
    assert "orders.tasks.expire_unpaid_orders_task" in response.json()["jobs_late"]
    assert any(
        r.levelname == "ERROR" and "Scheduled jobs late" in r.getMessage() for r in caplog.records
    )


def test_mail_the_mail_server_refuses_is_counted_as_failing(client):
    """Failed messages wait for their next attempt (backoff), so they are never overdue."""
    OutboxMessage.objects.create(
        to=["a@example.com"],
        subject="Hi",
        body_text="x",
        attempts=3,
        last_error="SMTPDataError: 554",
        next_attempt_at=timezone.now() + timedelta(minutes=8),
    )
    body = client.get("/healthz").json()
    assert body["outbox_failing"] == 1
    assert body["outbox_overdue"] == 0


def test_without_redis_the_shop_is_degraded_but_serves(client, redis_down):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["cache"] == "unavailable"


def test_without_its_database_the_shop_says_send_no_traffic(client, monkeypatch):
    from shop import views

    class Broken:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(views, "connection", Broken())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "down"
    assert response.json()["database"] == "unavailable"


def test_mail_no_worker_sends_is_counted(client):
    stuck = OutboxMessage.objects.create(to=["a@example.com"], subject="Hi", body_text="x")
    OutboxMessage.objects.filter(pk=stuck.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=30)
    )
    OutboxMessage.objects.create(to=["b@example.com"], subject="Just now", body_text="x")
    assert client.get("/healthz").json()["outbox_overdue"] == 1


def test_the_health_check_is_not_redirected_to_https_in_production(client, settings):
    from tests.shop.test_settings import PRODUCTION_ENV, run_manage

    script = "from django.conf import settings as s; print(repr(s.SECURE_REDIRECT_EXEMPT))"
    result = run_manage("shell", "-c", script, env=PRODUCTION_ENV)
    exempt = eval(result.stdout.strip().splitlines()[-1])  # noqa: S307 (a list repr we printed)
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = exempt
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 301  # everything else goes to https


def test_monitors_that_only_send_head_get_an_answer(client):
    response = client.head("/healthz")
    assert response.status_code == 200
    assert response.content == b""


def test_nginx_answers_the_health_check_only_to_this_machine_and_private_networks():
    from pathlib import Path

    conf = (Path(__file__).resolve().parents[2] / "deploy/nginx/shop.conf").read_text()
    block = conf[conf.index("location = /healthz {") :]
    block = block[: block.index("}")]
    assert "allow 127.0.0.1;" in block
    assert "deny all;" in block
