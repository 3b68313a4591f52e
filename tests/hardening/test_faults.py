"""Faults: Redis down, broker down, mail server down, the database dropping a connection."""

import threading
from unittest import mock

import pytest
from django.core import mail
from django.core.cache import caches
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.urls import reverse

from cart.models import ShippingMethod
from core.models import OutboxMessage
from core.outbox import list_pending_message_ids, queue_messages, render_mail, send_outbox_message
from core.tasks import send_pending_mail_task
from orders.models import Order
from shop.celery import app as celery_app
from tests.conftest import DEAD_REDIS
from tests.factories import ProductFactory, UserFactory
from tests.orders.helpers import checkout_data

pytestmark = pytest.mark.django_db


def _reset_broker_pools() -> None:
    """Forget pooled broker connections so the next publish uses the current broker_url
    (closing them instead would leave kombu's shared pool closed for later tests)."""
    celery_app._pool = None
    celery_app.__dict__.get("amqp") and setattr(celery_app.amqp, "_producer_pool", None)


@pytest.fixture
def broker_down():
    previous = celery_app.conf.task_always_eager, celery_app.conf.broker_url
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = DEAD_REDIS
    celery_app.conf.broker_connection_timeout = 0.5
    celery_app.conf.broker_transport_options = {"max_retries": 0, "socket_connect_timeout": 0.5}
    _reset_broker_pools()
    yield
    celery_app.conf.task_always_eager, celery_app.conf.broker_url = previous
    _reset_broker_pools()


@pytest.fixture
def shipping(db):
    return ShippingMethod.objects.create(name="Standard", fee="4.90")


def checkout(client, variant, shipping, payment="cod"):
    """The whole shopping path through the views; returns the placed order."""
    assert (
        client.post(reverse("cart:add"), {"variant": variant.pk, "quantity": 1}).status_code == 302
    )
    details = client.post(
        reverse("orders:checkout"),
        checkout_data(shipping, payment=payment, email="ann@example.com", phone="030 1234567"),
    )
    assert details.status_code == 302, details
    review = client.get(reverse("orders:checkout_review"))
    key = review.context["state"]["idempotency_key"]
    response = client.post(reverse("orders:place_order"), {"idempotency_key": key})
    assert response.status_code == 302, response
    return Order.objects.get(idempotency_key=key)


def test_shop_works_with_redis_down(client, redis_down, shipping):
    product = ProductFactory(name="Storm Lantern", stock=3)
    UserFactory(email="member@example.com")
    assert client.get("/").status_code == 200
    assert client.get(product.category.get_absolute_url()).status_code == 200
    assert client.get(product.get_absolute_url()).status_code == 200
    assert client.get(reverse("search:results"), {"q": "lantern"}).status_code == 200
    assert client.get(reverse("search:suggest"), {"q": "lan"}).status_code == 200
    order = checkout(client, product.variants.get(), shipping)
    assert order.lines.count() == 1
    inquiry = client.post(reverse("orders:inquiry"), {"number": order.number, "email": order.email})
    assert order.number in inquiry.content.decode()
    client.post(
        reverse("account_login"),
        {"login": "member@example.com", "password": "correct-horse-battery"},
    )
    assert "_auth_user_id" in client.session


def test_public_forms_take_messages_with_redis_down(client, redis_down, settings):
    """The form rate limits (accepted posts, and all posts) let people through, never a 500."""
    from guestbook.models import Entry
    from service.models import ContactMessage

    settings.GUESTBOOK_RATE = settings.CONTACT_RATE = 1
    for _ in range(3):
        assert (
            client.post(reverse("guestbook:index"), {"name": "Ada", "message": "Hi"}).status_code
            == 302
        )
        assert client.post(reverse("guestbook:index"), {"name": "Ada"}).status_code == 200
        contact = {"name": "Ada", "email": "a@example.com", "topic": "other", "message": "Hi"}
        assert client.post(reverse("service:contact"), contact).status_code == 302
    assert Entry.objects.count() == ContactMessage.objects.count() == 3


def test_order_is_placed_with_the_broker_down_and_mailed_by_the_sweep(
    client, broker_down, shipping, django_capture_on_commit_callbacks
):
    product = ProductFactory(stock=3)
    with django_capture_on_commit_callbacks(execute=True):
        order = checkout(client, product.variants.get(), shipping)
    assert order.status == Order.Status.PENDING_PAYMENT
    assert mail.outbox == []  # nothing could be queued
    assert len(list_pending_message_ids()) == 2
    # the broker is back: beat's sweep sends what is pending, once
    assert send_pending_mail_task() == 2
    assert send_pending_mail_task() == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        ["ann@example.com", "admin@meadowpine.example"]
    )


def test_a_worker_killed_before_commit_leaves_the_mail_for_the_sweep(
    django_capture_on_commit_callbacks,
):
    from core.outbox import queue_message

    with django_capture_on_commit_callbacks(execute=False):
        message = queue_message(to=["a@example.com"], subject="Hi", body_text="Hello")
    # The worker died: its claim (row lock + sent marker) was never committed.
    assert OutboxMessage.objects.get(pk=message.pk).sent_at is None
    send_pending_mail_task()
    send_pending_mail_task()
    assert len(mail.outbox) == 1


def test_a_worker_killed_mid_batch_leaves_the_rest_to_the_sweep_and_mails_each_once(
    django_capture_on_commit_callbacks,
):
    """A worker sending an order's batch is killed while it sends the second message, before
    the mail server took it (SystemExit stands in for the kill: no except clause of the
    shop runs, only the rollback): the first stays sent, the sweep sends the others, and
    every message reaches its recipient exactly once."""
    real_send = EmailBackend.send_messages
    calls = []

    def killed_on_the_second(self, messages):
        calls.append(messages)
        if len(calls) == 2:
            raise SystemExit("worker killed")
        return real_send(self, messages)

    mails = [
        render_mail(
            to=[f"c{i}@example.com"],
            template="orders/email/order_paid",
            context={"order": Order(number=f"MP-TEST-000{i}", full_name="Ada"), "lines": []},
        )
        for i in range(3)
    ]
    with (
        mock.patch.object(EmailBackend, "send_messages", killed_on_the_second),
        pytest.raises(SystemExit),
        django_capture_on_commit_callbacks(execute=True),
    ):
        queue_messages(mails)  # after commit: one task sends the batch, and dies
    assert [m.to for m in mail.outbox] == [["c0@example.com"]]
    assert send_pending_mail_task() == 2
    assert send_pending_mail_task() == 0
    assert sorted(m.to[0] for m in mail.outbox) == [f"c{i}@example.com" for i in range(3)]
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_every_mail_exactly_once(postgres_only):
    from core.outbox import queue_message

    for i in range(20):
        queue_message(to=[f"c{i}@example.com"], subject=f"Mail {i}", body_text="x")
    barrier = threading.Barrier(2)

    def sweep():
        barrier.wait(timeout=5)
        try:
            send_pending_mail_task()
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    send_pending_mail_task()
    assert len(mail.outbox) == 20
    assert len({m.to[0] for m in mail.outbox}) == 20
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_dropped_database_connection_mid_checkout_leaves_no_half_order(postgres_only, shipping):
    """The connection dies while place_order holds its locks: nothing of the order remains,
    stock is untouched, and the next request works without restarting anything."""
    from django.db import OperationalError
    from django.test import Client

    from orders import services

    product = ProductFactory(stock=5)
    variant = product.variants.get()
    client = Client()
    client.post(reverse("cart:add"), {"variant": variant.pk, "quantity": 2})
    from cart.models import Cart

    cart = Cart.objects.get()
    real_create = services.OrderLine.objects.bulk_create

    def die(*args, **kwargs):
        with connection.cursor() as cursor:  # the server kills our own backend mid-transaction
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return real_create(*args, **kwargs)

    services.OrderLine.objects.bulk_create = die
    try:
        with pytest.raises(OperationalError):
            services.place_order(
                cart=cart,
                contact=services.Contact(email="a@example.com", phone="030 123456"),
                address=services.ShippingAddress(
                    full_name="A", line1="B", postcode="1", city="C", country="D"
                ),
                shipping_method_id=shipping.pk,
                payment_code="cod",
                idempotency_key="drop-test",
            )
    finally:
        services.OrderLine.objects.bulk_create = real_create
    connection.close()
    assert not Order.objects.exists()
    variant.refresh_from_db()
    assert variant.stock == 5
    assert Client().get("/").status_code == 200


def test_mail_server_down_keeps_the_message_and_backs_off(django_capture_on_commit_callbacks):
    """The task after commit tries once; the failure is recorded with the next attempt a
    minute away (the sweep's backoff, tests/hardening/test_outbox_retry.py), not used up by
    retries of the task itself, which would each count and push it hours away."""
    from datetime import timedelta
    from smtplib import SMTPServerDisconnected
    from unittest import mock

    from django.utils import timezone

    from core.outbox import queue_message

    with (
        mock.patch(
            "django.core.mail.backends.locmem.EmailBackend.send_messages",
            side_effect=SMTPServerDisconnected("down"),
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        message = queue_message(to=["a@example.com"], subject="Hi", body_text="Hello")
    message.refresh_from_db()
    assert (message.sent_at, message.attempts) == (None, 1)
    assert message.next_attempt_at - timezone.now() < timedelta(minutes=1, seconds=5)
    assert send_outbox_message(message_id=message.pk) is True  # the server is back
    assert len(mail.outbox) == 1


def test_rate_limit_counter_on_redis_expires_after_its_window_and_fails_open(settings, redis_cache):
    """One round trip per attempt (INCR + EXPIRE NX); the window starts at the first attempt;
    an unreachable Redis lets requests through instead of failing them."""
    from core.ratelimit import allow, hits

    cache = redis_cache
    cache.delete("rl:test:203.0.113.7")
    assert [allow(scope="test", key="203.0.113.7", limit=2, window=30) for _ in range(3)] == [
        True,
        True,
        False,
    ]
    assert hits(scope="test", key="203.0.113.7") == 3  # reads the counter INCR wrote
    client = cache._cache.get_client(None, write=True)
    ttl = client.ttl(cache.make_key("rl:test:203.0.113.7"))
    assert 0 < ttl <= 30  # set by the first attempt, not pushed back by later ones
    cache.delete("rl:test:203.0.113.7")
    cache.close()
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    assert allow(scope="test", key="203.0.113.7", limit=0, window=30) is True
    assert hits(scope="test", key="203.0.113.7") == 0
    caches["default"].close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_persistent_connection_dropped_between_requests_is_replaced(postgres_only):
    """PostgreSQL restarted (or a proxy dropped an idle connection) while a worker kept its
    persistent connection: with CONN_HEALTH_CHECKS the next request reconnects instead of
    answering 500 until gunicorn is restarted."""
    import psycopg
    from django.db import close_old_connections
    from django.test import Client

    db = connection.settings_dict
    assert db["CONN_HEALTH_CHECKS"] is True
    saved_max_age = db["CONN_MAX_AGE"]
    connection.close()
    db["CONN_MAX_AGE"] = None  # keep the connection across requests, as in production
    try:
        client = Client()
        client.force_login(UserFactory())
        assert client.get(reverse("orders:my_orders")).status_code == 200
        pid = connection.connection.info.backend_pid
        with psycopg.connect(
            dbname=db["NAME"],
            user=db["USER"],
            password=db["PASSWORD"],
            host=db["HOST"],
            port=db["PORT"],
            autocommit=True,
        ) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        # what Django's WSGI handler does at the start of every request (the test client
        # leaves it out on purpose, to keep the test's connection)
        close_old_connections()
        response = client.get(reverse("orders:my_orders"))
        assert response.status_code == 200
        assert connection.connection.info.backend_pid != pid
    finally:
        db["CONN_MAX_AGE"] = saved_max_age
        connection.close()
