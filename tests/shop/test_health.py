"""/healthz: what a load balancer or an uptime monitor asks."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from core.models import OutboxMessage

pytestmark = pytest.mark.django_db


def test_a_healthy_shop_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "outbox_overdue": 0,
    }
    assert "no-store" in response["Cache-Control"]


def test_without_redis_the_shop_is_degraded_but_serves(client, redis_down):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["cache"] == "unavailable"


def test_probes_of_two_app_servers_at_once_both_find_the_cache(client, monkeypatch):
    # App servers behind one balancer share Redis, and the balancer probes them all at about
    # the same moment: one server's probe written between another's write and read of the
    # same key made that one report "degraded" (18% of probes in the two-server drill).
    from shop import views

    real_get = views.cache.get
    probes = []

    def get_while_another_server_probes(key, *args, **kwargs):
        if str(key).startswith("healthz:") and not probes:
            probes.append(None)
            probes[0] = client.get("/healthz").json()  # the other server, meanwhile
        return real_get(key, *args, **kwargs)

    monkeypatch.setattr(views.cache, "get", get_while_another_server_probes)
    this_one = client.get("/healthz").json()
    assert probes[0]["cache"] == "ok"
    assert this_one["cache"] == "ok"
    assert this_one["status"] == "ok"


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
