"""The nightly clean-up: expired sessions, carts nobody can use, old copies of sent e-mails and
old search counts are deleted, in batches; what is still of use stays."""

import datetime
import os
from zoneinfo import ZoneInfo

import pytest
from allauth.account.models import EmailAddress
from celery.schedules import crontab
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import delete_unconfirmed_accounts
from accounts.tasks import delete_unconfirmed_accounts_task
from cart.models import Cart, CartLine
from cart.services import delete_stale_carts
from cart.tasks import delete_stale_carts_task
from catalog.tasks import delete_orphan_pictures_task
from core.housekeeping import (
    delete_expired_sessions,
    delete_in_batches,
    delete_old_admin_log,
    delete_old_mail_files,
    delete_old_sent_mail,
)
from core.models import OutboxMessage
from core.outbox import queue_message
from core.tasks import (
    delete_expired_sessions_task,
    delete_old_admin_log_task,
    delete_old_sent_mail_task,
)
from guestbook.tasks import clean_up_guestbook_task
from orders.tasks import delete_expired_orders_task
from search.models import SearchCount
from search.services import delete_old_search_counts
from search.tasks import delete_old_search_counts_task
from service.tasks import delete_old_contact_messages_task
from tests.concurrency import run_at_once
from tests.factories import UserFactory, VariantFactory
from tests.orders.helpers import form_defaults

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def session(*, expires_in: datetime.timedelta) -> str:
    store = SessionStore()
    store["x"] = 1
    store.create()
    Session.objects.filter(pk=store.session_key).update(expire_date=timezone.now() + expires_in)
    return store.session_key


def cart(*, user=None, session_key="", status=Cart.Status.OPEN, age=datetime.timedelta(0)):
    made = Cart.objects.create(user=user, session_key=session_key, status=status)
    CartLine.objects.create(cart=made, variant=VariantFactory(), quantity=1)
    Cart.objects.filter(pk=made.pk).update(updated_at=timezone.now() - age)
    return made.pk


def test_expired_sessions_go_in_batches_and_live_ones_stay():
    expired = [session(expires_in=-DAY) for _ in range(5)]
    live = session(expires_in=DAY)

    deleted = delete_in_batches(
        Session.objects.filter(expire_date__lt=timezone.now()), batch_size=2
    )

    assert deleted == 5
    assert list(Session.objects.values_list("pk", flat=True)) == [live]
    assert not Session.objects.filter(pk__in=expired).exists()
    assert delete_expired_sessions() == 0  # nothing left to do: a second run is a no-op


def test_a_visitors_cart_goes_with_their_session_and_a_members_open_cart_stays(client):
    variant = VariantFactory(stock=5)
    client.post(reverse("cart:add"), {"variant": variant.pk, "quantity": 2})
    visitor_cart = Cart.objects.get()
    other_visitor = cart(session_key=session(expires_in=DAY), age=40 * DAY)  # idle, not expired
    member = UserFactory()
    member_cart = cart(user=member, age=400 * DAY)
    ordered_long_ago = cart(user=UserFactory(), status=Cart.Status.SUBMITTED, age=31 * DAY)
    ordered_lately = cart(user=UserFactory(), status=Cart.Status.SUBMITTED, age=2 * DAY)
    Session.objects.filter(pk=visitor_cart.session_key).update(expire_date=timezone.now() - DAY)

    assert delete_stale_carts(now=timezone.now() + 2 * datetime.timedelta(hours=1)) == 2

    kept = set(Cart.objects.values_list("pk", flat=True))
    assert kept == {other_visitor, member_cart, ordered_lately}
    assert not CartLine.objects.filter(cart_id__in=[visitor_cart.pk, ordered_long_ago]).exists()
    # the visitor comes back with the old cookie: a new, empty cart, not an error
    response = client.get(reverse("cart:detail"))
    assert response.status_code == 200
    assert response.context["cart_count"] == 0


def test_a_cart_made_within_the_hour_is_left_alone_even_without_a_session():
    fresh = cart(session_key="no-such-session")
    assert delete_stale_carts() == 0
    assert Cart.objects.filter(pk=fresh).exists()


def test_sent_mail_goes_after_the_retention_period_and_unsent_mail_stays():
    old_sent, recent_sent, old_unsent = (
        queue_message(to=["a@example.com"], subject=s, body_text="Hello")
        for s in ("old", "recent", "failing")
    )
    now = timezone.now()
    keep = datetime.timedelta(days=settings.SHOP_SENT_MAIL_DAYS)
    OutboxMessage.objects.filter(pk=old_sent.pk).update(sent_at=now - keep - DAY)
    OutboxMessage.objects.filter(pk=recent_sent.pk).update(sent_at=now - keep + DAY)
    OutboxMessage.objects.filter(pk=old_unsent.pk).update(
        sent_at=None, attempts=9, created_at=now - 3 * keep
    )

    assert delete_old_sent_mail() == 1

    assert set(OutboxMessage.objects.values_list("subject", flat=True)) == {"recent", "failing"}


def test_without_smtp_the_mail_files_go_after_the_retention_period_as_the_rows_do(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    """Without EMAIL_URL every e-mail sent is also a file in EMAIL_FILE_PATH: the files went
    on holding customers' names and addresses (and filling the disk) after the privacy page
    said the copies were deleted."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "outbox")
    for subject in ("old", "recent"):
        with django_capture_on_commit_callbacks(execute=True):
            queue_message(to=["a@example.com"], subject=subject, body_text="Hello")
    files = sorted((tmp_path / "outbox").iterdir())
    assert len(files) == 2  # one file per message (each sent on its own connection)
    keep = datetime.timedelta(days=settings.SHOP_SENT_MAIL_DAYS)
    old_file = next(f for f in files if b"Subject: old" in f.read_bytes())
    long_ago = (timezone.now() - keep - DAY).timestamp()
    os.utime(old_file, (long_ago, long_ago))
    notes = tmp_path / "outbox" / "README.txt"  # not the backend's: never deleted
    notes.write_text("staff notes")
    os.utime(notes, (long_ago, long_ago))

    assert delete_old_sent_mail_task.delay().get() == 1
    assert delete_old_mail_files() == 0  # a second run finds nothing

    left = sorted(f.name for f in (tmp_path / "outbox").iterdir())
    assert old_file.name not in left
    assert len(left) == 2
    assert "README.txt" in left
    assert b"Subject: recent" in next(
        f.read_bytes() for f in (tmp_path / "outbox").iterdir() if f.suffix == ".log"
    )


def test_mail_files_are_left_alone_when_mail_goes_out_by_smtp(settings, tmp_path):
    settings.EMAIL_FILE_PATH = str(tmp_path)
    old = tmp_path / "20200101-000000-1.log"
    old.write_text("x")
    os.utime(old, (0, 0))
    assert delete_old_mail_files() == 0
    assert old.exists()


def test_the_admin_history_goes_after_its_period_and_recent_changes_stay(settings):
    customer = UserFactory(email="closed@example.com")
    staff = UserFactory(is_staff=True)
    kind = ContentType.objects.get_for_model(User)
    now = timezone.now()
    for age in (settings.SHOP_ADMIN_LOG_DAYS + 1, settings.SHOP_ADMIN_LOG_DAYS - 1):
        entry = LogEntry.objects.create(
            user=staff,
            content_type=kind,
            object_id=str(customer.pk),
            object_repr=str(customer),
            action_flag=CHANGE,
            change_message=f"{age}",
        )
        LogEntry.objects.filter(pk=entry.pk).update(action_time=now - age * DAY)

    assert delete_old_admin_log() == 1
    assert list(LogEntry.objects.values_list("change_message", flat=True)) == [
        str(settings.SHOP_ADMIN_LOG_DAYS - 1)
    ]

    settings.SHOP_ADMIN_LOG_DAYS = 0  # kept for ever
    LogEntry.objects.update(action_time=now - 10_000 * DAY)
    assert delete_old_admin_log() == 0
    assert LogEntry.objects.count() == 1


def test_search_counts_older_than_the_report_looks_back_go():
    today = datetime.date(2026, 12, 4)
    oldest_kept = today - datetime.timedelta(days=settings.SHOP_SEARCH_COUNT_DAYS)
    SearchCount.objects.create(query="tea", day=oldest_kept, count=3)
    SearchCount.objects.create(query="teh", day=oldest_kept - DAY, count=1)

    assert delete_old_search_counts(today=today) == 1

    assert list(SearchCount.objects.values_list("query", flat=True)) == ["tea"]


def test_the_jobs_run_nightly_from_celery_beat():
    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    for task in (
        delete_unconfirmed_accounts_task,
        delete_expired_sessions_task,
        delete_stale_carts_task,
        delete_old_sent_mail_task,
        delete_old_search_counts_task,
        delete_old_contact_messages_task,
        clean_up_guestbook_task,
        delete_expired_orders_task,
        delete_old_admin_log_task,
        delete_orphan_pictures_task,
    ):
        assert isinstance(schedule[task.name], crontab), task.name
        assert task.delay().get() == 0  # runs (eagerly here), nothing to delete
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE


def test_every_nightly_job_starts_before_the_0315_backup():
    """The backup (deploy/, 03:15 in the shop's time zone) should hold the night's clean-up."""
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        schedule = entry["schedule"]
        if isinstance(schedule, crontab):
            assert all(h * 60 + m < 3 * 60 + 15 for h in schedule.hour for m in schedule.minute), (
                entry["task"]
            )


# the jobs of the 02:00 hour, whose order matters (a cart goes once its session has gone); on
# the night the clocks go forward the 03:00 ones run first
NIGHTLY = [
    delete_unconfirmed_accounts_task,
    delete_expired_sessions_task,
    delete_stale_carts_task,
    delete_old_sent_mail_task,
    delete_old_search_counts_task,
    delete_old_contact_messages_task,
    clean_up_guestbook_task,
]


@pytest.mark.parametrize(
    ("zone", "night"),
    [
        # the nights the clocks change: 02:00-03:00 is skipped (spring) or comes twice (autumn)
        ("Europe/Berlin", datetime.date(2026, 3, 29)),
        ("Europe/Berlin", datetime.date(2026, 10, 25)),
        ("America/New_York", datetime.date(2026, 3, 8)),
        ("America/New_York", datetime.date(2026, 11, 1)),
        ("Australia/Sydney", datetime.date(2026, 4, 5)),
        ("Australia/Sydney", datetime.date(2026, 10, 4)),
    ],
)
def test_on_the_nights_the_clocks_change_each_nightly_job_runs_once_and_in_order(zone, night):
    """Celery beat's crontab in the shop's time (CELERY_TIMEZONE), every 5 minutes from noon
    to noon: each job runs once (in spring an hour late, 03:25-03:55, as 02:25 does not exist
    that night), never twice in the repeated hour, and still in the order of the schedule."""
    import copy

    from celery import Celery

    app = Celery(set_as_current=False)
    app.conf.timezone = zone
    local = ZoneInfo(zone)
    now = [datetime.datetime.combine(night, datetime.time(12), local) - datetime.timedelta(days=1)]
    entries = {e["task"]: e["schedule"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    schedules = []
    for task in NIGHTLY:
        schedule = copy.copy(entries[task.name])
        schedule.app, schedule.nowfun = app, lambda: now[0]
        schedules.append(schedule)
    last_run = [now[0] - datetime.timedelta(hours=9)] * len(NIGHTLY)  # at 03:00 the night before
    runs = []
    for _ in range(24 * 12):  # every 5 minutes: the jobs start at 5-minute marks
        for n, schedule in enumerate(schedules):
            if schedule.is_due(last_run[n]).is_due:
                runs.append((n, now[0].astimezone(datetime.UTC)))
                last_run[n] = now[0]
        now[0] = (now[0].astimezone(datetime.UTC) + datetime.timedelta(minutes=5)).astimezone(local)
    assert [n for n, _ in runs] == list(range(len(NIGHTLY))), runs
    hours = {when.astimezone(local).hour for _, when in runs}
    assert hours <= {2, 3}, runs


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_delete_each_cart_once(postgres_only):
    stale = [cart(session_key=f"gone-{i}", age=2 * DAY) for i in range(30)]

    results = run_at_once([delete_stale_carts, delete_stale_carts])

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == len(stale)
    assert not Cart.objects.exists()
    assert not CartLine.objects.exists()


def test_sign_ups_never_confirmed_go_after_a_month_and_real_accounts_stay(client):
    def member(email, *, verified=None, days=settings.SHOP_UNCONFIRMED_ACCOUNT_DAYS + 1, **fields):
        user = UserFactory(email=email, verified_email=False, **fields)
        if verified is not None:
            EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
        User.objects.filter(pk=user.pk).update(
            date_joined=timezone.now() - datetime.timedelta(days=days), last_login=None
        )
        return user

    bot = member("bot@example.com", verified=False)
    member("new@example.com", verified=False, days=settings.SHOP_UNCONFIRMED_ACCOUNT_DAYS - 1)
    member("real@example.com", verified=True)
    member("phone-customer@example.com")  # made in the admin: no e-mail record from signing up
    member("helper@example.com", verified=False, is_staff=True)
    member("grouped@example.com", verified=False).groups.add(Group.objects.create(name="Packers"))
    signed_in = member("signed-in@example.com", verified=False)
    User.objects.filter(pk=signed_in.pk).update(last_login=timezone.now())

    assert delete_unconfirmed_accounts() == 1

    assert not User.objects.filter(pk=bot.pk).exists()
    assert not EmailAddress.objects.filter(email="bot@example.com").exists()
    assert User.objects.count() == 6
    assert (
        "never confirmed is deleted 30 days after signing up"
        in client.get(reverse("service:privacy")).content.decode()
    )


def test_an_account_made_in_the_admin_stays_when_its_owner_first_tries_to_sign_in(staff_client):
    """allauth gives an account made in the admin its (unconfirmed) e-mail record at its first
    sign-in attempt and mails a confirmation link: that night the account looked like a sign-up
    never confirmed, and was deleted before its owner could click the link."""
    add = reverse("admin:accounts_user_add")
    response = staff_client.post(
        add,
        {
            **form_defaults(staff_client.get(add)),
            "email": "phone-customer@example.com",
            "usable_password": "true",
            "password1": "a long and winding road",
            "password2": "a long and winding road",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer = User.objects.get(email="phone-customer@example.com")
    User.objects.filter(pk=customer.pk).update(
        date_joined=timezone.now() - (settings.SHOP_UNCONFIRMED_ACCOUNT_DAYS + 10) * DAY
    )

    Client().post(
        reverse("account_login"),
        {"login": "phone-customer@example.com", "password": "a long and winding road"},
    )
    assert EmailAddress.objects.filter(user=customer, verified=False).exists()

    assert delete_unconfirmed_accounts() == 0
    assert User.objects.filter(pk=customer.pk).exists()


def test_changing_the_cart_keeps_a_visitors_session_and_cart_alive_saved_once_a_day(
    client, monkeypatch
):
    """The privacy page says a visitor's cart goes 30 days after they last changed it: a
    change renews the session's expiry (and so the cart's life), at most once a day."""
    import cart.services

    variant = VariantFactory(stock=9)
    client.post(reverse("cart:add"), {"variant": variant.pk, "quantity": 1})
    key = client.session.session_key

    def expires_in_days() -> float:
        expiry = Session.objects.get(pk=key).expire_date
        return (expiry - timezone.now()) / DAY

    Session.objects.filter(pk=key).update(expire_date=timezone.now() + 20 * DAY)  # 10 days on
    client.post(reverse("cart:add"), {"variant": variant.pk, "quantity": 1})
    assert round(expires_in_days()) == 20  # the same day: not saved again

    tomorrow = timezone.localdate() + DAY
    monkeypatch.setattr(cart.services.timezone, "localdate", lambda: tomorrow)
    line = CartLine.objects.get()
    client.post(reverse("cart:update_line", args=[line.pk]), {"quantity": 3})
    assert round(expires_in_days()) == 30
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + 20 * DAY)
    monkeypatch.setattr(cart.services.timezone, "localdate", lambda: tomorrow + DAY)
    client.post(reverse("cart:remove_line", args=[line.pk]))
    assert round(expires_in_days()) == 30


def test_an_unconfirmed_account_mailed_a_fresh_link_lately_has_the_whole_period_again():
    """Trying to sign in on day 29 mails a new confirmation link: the account must not go
    that night, before the person could use it."""
    days = settings.SHOP_UNCONFIRMED_ACCOUNT_DAYS
    now = timezone.now()
    for email, mailed_days_ago in (("Late@Example.com", 2), ("gone@example.com", days + 5)):
        user = UserFactory(email=email.lower(), verified_email=False)
        EmailAddress.objects.create(user=user, email=email, verified=False, primary=True)
        User.objects.filter(pk=user.pk).update(date_joined=now - (days + 10) * DAY, last_login=None)
        link = queue_message(
            to=[email], subject="Confirm", body_text="…", kind="email_confirmation"
        )
        OutboxMessage.objects.filter(pk=link.pk).update(created_at=now - mailed_days_ago * DAY)

    assert delete_unconfirmed_accounts() == 1

    assert list(User.objects.values_list("email", flat=True)) == ["late@example.com"]


def test_the_unconfirmed_clean_up_queries_do_not_grow_with_the_confirmation_mails():
    """Every address mailed a link within the period went into one IN list: a bot's wave of
    sign-ups took it past PostgreSQL's 65,535 parameters and the job failed every night."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    days = settings.SHOP_UNCONFIRMED_ACCOUNT_DAYS
    now = timezone.now()

    def largest_query(mailed: int) -> int:
        for n in range(mailed):
            queue_message(
                to=[f"bot{n}-{mailed}@example.com"],
                subject="Confirm",
                body_text="…",
                kind="email_confirmation",
            )
        user = UserFactory(email=f"old{mailed}@example.com", verified_email=False)
        EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
        User.objects.filter(pk=user.pk).update(date_joined=now - (days + 10) * DAY, last_login=None)
        with CaptureQueriesContext(connection) as queries:
            assert delete_unconfirmed_accounts() == 1
        return max(len(q["sql"]) for q in queries.captured_queries)

    # equal but for the literals' digits (ids, the address old2@ against old40@); the IN list
    # of 38 more addresses would add ~1,000 characters
    few = largest_query(2)
    many = largest_query(40)  # 42 mailed addresses now: the first call's stay in the outbox
    assert many <= few + 20
