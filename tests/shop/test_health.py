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


def test_jobs_not_run_in_time_make_the_shop_degraded(client):
    """Beat stopped forty minutes ago: the outbox sweep and the expiry of unpaid orders have
    not run since; the shop still sells (200), but says so."""
    ScheduledJobRun.objects.update(last_success_at=timezone.now() - timedelta(minutes=40))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert "core.tasks.send_pending_mail_task" in response.json()["jobs_late"]
    assert "orders.tasks.expire_unpaid_orders_task" in response.json()["jobs_late"]


def test_the_health_check_command_mails_the_owner_each_problem(settings):
    """What tells the owner on a single server (the shop-healthcheck timer runs it): nothing
    polls /healthz there."""
    from django.core import mail
    from django.core.management import CommandError, call_command

    from tests.core.test_alerts import forget_mailed_errors

    settings.ADMINS = [("", "owner@shop.example")]
    forget_mailed_errors()
    call_command("healthcheck")  # all fine: no error, no mail
    assert mail.outbox == []

    ScheduledJobRun.objects.filter(task="orders.tasks.delete_expired_orders_task").update(
        last_success_at=timezone.now() - timedelta(hours=30)
    )
    OutboxMessage.objects.create(
        to=["a@example.com"],
        subject="Hi",
        body_text="x",
        attempts=4,
        last_error="SMTPAuthenticationError: (535, b'5.7.8 Bad credentials')",
        next_attempt_at=timezone.now() + timedelta(minutes=8),
    )
    with pytest.raises(CommandError, match="2 problem"):
        call_command("healthcheck")
    subjects = sorted(m.subject for m in mail.outbox)
    assert len(subjects) == 2
    assert "1 e-mails failing" in subjects[0]
    assert "5.7.8 Bad credentials" in mail.outbox[0].body + mail.outbox[1].body
    assert "Scheduled jobs late" in subjects[1]
    assert "orders.tasks.delete_expired_orders_task" in subjects[1]


def test_the_health_check_timer_is_installed_and_started_by_provision():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    unit = (root / "deploy/systemd/shop-healthcheck.service").read_text()
    assert "manage.py healthcheck" in unit
    assert "OnUnitActiveSec=15min" in (root / "deploy/systemd/shop-healthcheck.timer").read_text()
    provision = (root / "deploy/provision.sh").read_text()
    assert "shop-healthcheck.service shop-healthcheck.timer" in provision


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


def test_probes_of_two_app_servers_at_once_both_find_the_cache(client, monkeypatch):
    # App servers behind one balancer share Redis, and the balancer probes them all at about
    # the same moment: one server's probe written between another's write and read of the
    # same key made that one report "degraded" (18% of probes in the two-server drill).
    from shop import health

    real_get = health.cache.get
    probes = []

    def get_while_another_server_probes(key, *args, **kwargs):
        if str(key).startswith("healthz:") and not probes:
            probes.append(None)
            probes[0] = client.get("/healthz").json()  # the other server, meanwhile
        return real_get(key, *args, **kwargs)

    monkeypatch.setattr(health.cache, "get", get_while_another_server_probes)
    this_one = client.get("/healthz").json()
    assert probes[0]["cache"] == "ok"
    assert this_one["cache"] == "ok"
    assert this_one["status"] == "ok"


def test_without_its_database_the_shop_says_send_no_traffic(client, monkeypatch):
    from shop import health

    class Broken:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(health, "connection", Broken())
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
