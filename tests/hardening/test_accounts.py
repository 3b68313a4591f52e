"""Sign-up, sign-in and password reset: no enumeration, rate limits, session hygiene."""

import time
from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.cache import cache
from django.urls import reverse

from core.models import OutboxMessage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def signup(client, email, password="a-long-enough-passphrase-42"):
    return client.post(
        reverse("account_signup"), {"email": email, "password1": password, "password2": password}
    )


def test_signup_answers_the_same_for_known_and_unknown_emails(
    client, django_capture_on_commit_callbacks
):
    UserFactory(email="known@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        known = signup(client, "known@example.com")
    client.logout()
    with django_capture_on_commit_callbacks(execute=True):
        unknown = signup(client, "new@example.com")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    # both addresses get a mail (the known one is told someone tried to sign up)
    assert sorted(m.to[0] for m in OutboxMessage.objects.all()) == [
        "known@example.com",
        "new@example.com",
    ]


class CountingHasher(MD5PasswordHasher):
    """The tests' fast hasher, counting the passwords it hashes (the slow part of a sign-up)."""

    hashed = 0

    def encode(self, password, salt):
        CountingHasher.hashed += 1
        return super().encode(password, salt)


def test_signup_takes_as_long_for_known_as_for_unknown_emails(client, settings):
    """A new account hashes its password (a third of a second with the real hasher); a known
    address must cost the same, or the answer's timing tells which addresses have accounts."""
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    UserFactory(email="known@example.com")
    CountingHasher.hashed = 0
    assert signup(client, "new@example.com").status_code == 302
    unknown_hashes = CountingHasher.hashed
    client.logout()
    CountingHasher.hashed = 0
    assert signup(client, "known@example.com").status_code == 302
    assert unknown_hashes == 1
    assert CountingHasher.hashed == unknown_hashes


def test_password_reset_answers_the_same_for_known_and_unknown_emails(client):
    UserFactory(email="known@example.com")
    known = client.post(reverse("account_reset_password"), {"email": "known@example.com"})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


def test_account_mail_goes_through_the_outbox(client, django_capture_on_commit_callbacks):
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        signup(client, "fresh@example.com")
    message = OutboxMessage.objects.get(to=["fresh@example.com"])
    assert message.sent_at is not None
    assert [m.to for m in mail.outbox] == [["fresh@example.com"]]


@pytest.mark.parametrize(
    ("password", "error"),
    [("short-pw-1", "too short"), ("password1234", "too common")],
)
def test_weak_passwords_are_refused(client, password, error):
    response = signup(client, "weak@example.com", password)
    assert response.status_code == 200
    assert error in response.content.decode()


def test_a_long_password_without_composition_rules_is_accepted(client):
    assert signup(client, "fine@example.com", "lowercase words only here").status_code == 302


def test_sign_in_is_rate_limited(client):
    UserFactory(email="member@example.com")
    bodies = [
        client.post(
            reverse("account_login"), {"login": "member@example.com", "password": "wrong-pass"}
        ).content.decode()
        for _ in range(7)
    ]
    assert "Too many failed login attempts" not in bodies[0]
    assert "Too many failed login attempts" in bodies[-1]
    # even the right password is refused while the limit holds
    client.post(reverse("account_login"), {"login": "member@example.com", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_forwarded_for_from_the_client_is_not_trusted(client, settings):
    """A client that invents X-Forwarded-For values still hits the same limit."""
    from core.ratelimit import client_ip

    class Request:
        META = {"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}

    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    assert client_ip(Request) == "203.0.113.9"
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    Request.META = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.9"}
    assert client_ip(Request) == "203.0.113.9"  # nginx's hop, not the client's invention


def failed_sign_ins(client, count, forwarded_for):
    """``count`` failed sign-ins, each for another address (so only the per-client limit
    counts); returns whether the last one was refused by the limit."""
    body = ""
    for i in range(count):
        body = client.post(
            reverse("account_login"),
            {"login": f"nobody{i}@example.com", "password": "wrong-pass"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=forwarded_for(i),
        ).content.decode()
    return "Too many failed login attempts" in body


def test_sign_in_limit_ignores_an_x_forwarded_for_invented_by_the_client(client, settings):
    """Straight to gunicorn (no trusted proxy): a new invented address per attempt does not
    give the attacker a new allowance; the 11th failed attempt within a minute is refused."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    assert not failed_sign_ins(client, 10, lambda i: f"198.51.100.{i}")
    cache.clear()
    assert failed_sign_ins(client, 11, lambda i: f"198.51.100.{i}")


def test_sign_in_limit_behind_nginx_counts_the_address_nginx_saw(client, settings):
    """Behind nginx (one trusted hop): the client may prepend anything to X-Forwarded-For; the
    hop nginx appended decides, so one client is limited and two clients are not mixed up."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    assert failed_sign_ins(client, 11, lambda i: f"6.6.6.{i}, 203.0.113.7")
    cache.clear()
    assert not failed_sign_ins(client, 11, lambda i: f"203.0.113.{i}")


def test_the_deployed_nginx_and_env_make_the_app_count_the_address_nginx_saw(rf, settings):
    """What deploy/ installs: nginx sets X-Forwarded-For itself, and shop.env tells the app how
    many proxies set it. Together they must give the address of nginx's peer whatever the
    client sent (passed through, a client would choose its own address; with a count of 0,
    every client would share nginx's address and one could lock everybody out)."""
    import re
    from pathlib import Path

    from core.ratelimit import client_ip

    root = Path(__file__).resolve().parents[2]
    conf = (root / "deploy/nginx/shop.conf").read_text()
    values = re.findall(r"^\s*proxy_set_header\s+X-Forwarded-For\s+(\S+);", conf, flags=re.M)
    assert values, "nginx must set X-Forwarded-For itself"
    env = (root / "deploy/shop.env.template").read_text()
    count = re.search(r"^TRUSTED_PROXY_COUNT=(\d+)$", env, flags=re.M)
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = int(count.group(1))
    client_says, peer = "198.51.100.66", "203.0.113.5"
    as_nginx_sends = {  # what nginx puts in the header, for the client's own header
        "$remote_addr": peer,
        "$proxy_add_x_forwarded_for": f"{client_says}, {peer}",
        "$http_x_forwarded_for": client_says,
    }
    for value in values:
        request = rf.get("/", HTTP_X_FORWARDED_FOR=as_nginx_sends[value], REMOTE_ADDR="127.0.0.1")
        assert client_ip(request) == peer, value


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("not an address", "not an address"),
    ],
)
def test_an_ipv6_client_counts_by_its_64_network(address, key):
    from core.ratelimit import client_key

    class Request:
        META = {"REMOTE_ADDR": address}

    assert client_key(Request) == key


def test_sign_in_limit_counts_an_ipv6_network_not_each_of_its_addresses(client, settings):
    """An IPv6 line comes with a /64: a new address per attempt gave a new allowance."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    assert failed_sign_ins(client, 11, lambda i: f"2001:db8:7:7::{i + 1:x}")
    cache.clear()
    assert not failed_sign_ins(client, 11, lambda i: f"2001:db8:7:{i + 1:x}::1")


def test_search_limit_counts_an_ipv6_network(client):
    from search.views import SEARCH_LIMIT

    statuses = [
        client.get(
            reverse("search:results"), {"q": f"lamp {i}"}, REMOTE_ADDR=f"2001:db8:9:9::{i + 1:x}"
        ).status_code
        for i in range(SEARCH_LIMIT + 1)
    ]
    assert statuses[-1] == 429
    assert set(statuses[:-1]) == {200}


def test_sign_up_is_rate_limited_per_client(client):
    statuses = [signup(client, f"new{i}@example.com").status_code for i in range(21)]
    assert statuses[:20] == [302] * 20
    assert statuses[-1] == 429
    assert EmailAddress.objects.count() == 20


def test_password_reset_is_rate_limited_per_address(client):
    UserFactory(email="member@example.com")
    statuses = [
        client.post(reverse("account_reset_password"), {"email": "member@example.com"}).status_code
        for _ in range(6)
    ]
    assert statuses[:5] == [302] * 5
    assert statuses[-1] == 429
    assert OutboxMessage.objects.filter(to=["member@example.com"]).count() == 5


def test_password_reset_is_rate_limited_per_client_across_addresses(client):
    """Each reset request mails the address typed in: one client going through a list of
    strangers' addresses (one each, under the per-address limit) is stopped after 20 a minute."""
    statuses = [
        client.post(reverse("account_reset_password"), {"email": f"s{i}@example.com"}).status_code
        for i in range(21)
    ]
    assert statuses[:20] == [302] * 20
    assert statuses[-1] == 429
    assert OutboxMessage.objects.count() == 20


def test_password_reset_cannot_mail_bomb_an_address_for_an_hour(client):
    """The reset form mails whatever address it is given (a reset link, or "no account with
    this address"): 5 a minute, sent every minute, made 300 mails an hour to someone else's
    address. An address gets at most 10 an hour, from any number of clients."""
    start = time.time()
    with mock.patch("time.time") as clock:
        for minute in range(15):
            clock.return_value = start + 61 * minute
            client.post(reverse("account_reset_password"), {"email": "stranger@example.com"})
        assert OutboxMessage.objects.filter(to=["stranger@example.com"]).count() == 10
        clock.return_value = start + 61 * 15 + 3600  # an hour after the last one sent
        client.post(reverse("account_reset_password"), {"email": "stranger@example.com"})
    assert OutboxMessage.objects.filter(to=["stranger@example.com"]).count() == 11


def test_adding_an_e_mail_address_asks_for_the_password_again(client):
    """A session left signed in (a shared computer, a stolen cookie) could add its holder's
    address, confirm it, make it the primary one and reset the password through it: the
    account taken for good without ever knowing the password. Changing the account's
    addresses asks for the password first, as closing the account does."""
    member = UserFactory(email="member@example.com", password=PASSWORD)
    client.force_login(member)  # signed in, but not just now with the password

    asked = client.post(reverse("account_email"), {"action_add": "", "email": "taker@example.net"})

    assert asked.status_code == 302
    assert asked.url.startswith(reverse("account_reauthenticate"))
    assert not EmailAddress.objects.filter(email="taker@example.net").exists()
    assert not OutboxMessage.objects.filter(to=["taker@example.net"]).exists()
    # with the password given, the member adds it (and must still confirm it)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    client.post(reverse("account_email"), {"action_add": "", "email": "second@example.net"})
    assert EmailAddress.objects.get(email="second@example.net").verified is False


def test_admin_sign_in_is_rate_limited(client):
    statuses = [
        client.post(
            reverse("admin:login"), {"username": "x@example.com", "password": "nope"}
        ).status_code
        for _ in range(12)
    ]
    assert statuses[:10] == [200] * 10
    assert statuses[-1] == 429


def test_failed_admin_sign_ins_count_for_a_visitor_already_signed_in_as_a_customer(client):
    """Only a try after which the visitor is signed in is taken back: one already signed in
    (any customer account) stayed signed in after each wrong password, so none of their tries
    counted and they could go through staff passwords unlimited from one address."""
    client.force_login(UserFactory(email="customer@example.com"))
    statuses = [
        client.post(
            reverse("admin:login"), {"username": f"s{i}@example.com", "password": "nope"}
        ).status_code
        for i in range(11)
    ]
    assert statuses == [200] * 10 + [429]


def test_admin_sign_ins_that_succeed_do_not_use_up_the_limit(client):
    """Staff signing in from one office address (or one person signing in and out all day)
    were refused after 10 sign-ins in 5 minutes, wrong or right. Only failed tries count."""
    UserFactory(email="staff@example.com", is_staff=True, password=PASSWORD)
    for _ in range(12):
        response = client.post(
            reverse("admin:login"), {"username": "staff@example.com", "password": PASSWORD}
        )
        assert response.status_code == 302
        client.logout()
    wrong = [
        client.post(
            reverse("admin:login"), {"username": "x@example.com", "password": "nope"}
        ).status_code
        for _ in range(11)
    ]
    assert wrong == [200] * 10 + [429]


def test_admin_sign_in_counts_toward_the_per_account_limit(client, settings):
    """Guessing a staff password from many addresses: the admin's sign-in is held to the same
    limit of failed sign-ins per account as the shop's (5 in 5 minutes), shared with it."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)

    def admin_sign_in(password, i):
        return client.post(
            reverse("admin:login"),
            {"username": "staff@example.com", "password": password},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",  # a new address every time, via nginx
        )

    bodies = [admin_sign_in(f"guess-{i}", i).content.decode() for i in range(6)]
    assert "Too many failed login attempts" not in bodies[0]
    assert "Too many failed login attempts" in bodies[-1]
    # while the limit holds even the right password is refused, here and in the shop
    assert admin_sign_in(PASSWORD, 99).status_code == 200
    assert "_auth_user_id" not in client.session
    client.post(reverse("account_login"), {"login": "staff@example.com", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_failed_shop_sign_ins_count_at_the_admin_sign_in(client):
    UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "staff@example.com", "password": "nope"})
    response = client.post(
        reverse("admin:login"), {"username": "Staff@Example.com", "password": PASSWORD}
    )
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_admin_sign_in_still_works_for_staff_only(client):
    UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)
    UserFactory(email="member@example.com")
    member = client.post(
        reverse("admin:login"), {"username": "member@example.com", "password": PASSWORD}
    )
    assert member.status_code == 200
    assert "for a staff account" in member.content.decode()
    assert "_auth_user_id" not in client.session
    staff = client.post(
        reverse("admin:login"),
        {"username": "staff@example.com", "password": PASSWORD, "next": "/admin/"},
    )
    assert staff.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_sign_in_gets_a_new_session_key_and_sign_out_ends_it(client):
    UserFactory(email="member@example.com")
    client.get(reverse("account_login"))
    client.session.save()
    before = client.session.session_key
    response = client.post(
        reverse("account_login"), {"login": "member@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    after = client.session.session_key
    assert after != before
    client.post(reverse("account_logout"))
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=after).exists()


def test_password_change_ends_other_sessions(client):
    from django.test import Client

    member = UserFactory(email="member@example.com")
    other_device = Client()
    other_device.force_login(member)
    assert other_device.get(reverse("orders:my_orders")).status_code == 200
    client.force_login(member)
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "a new long passphrase",
            "password2": "a new long passphrase",
        },
    )
    assert response.status_code == 302
    assert other_device.get(reverse("orders:my_orders")).status_code == 302  # signed out
    # and this session too: the next page asks for the new password
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("orders:my_orders")).status_code == 302


def test_unverified_members_cannot_sign_in_yet(client):
    UserFactory(email="unverified@example.com", verified_email=False)
    assert not EmailAddress.objects.filter(email="unverified@example.com").exists()
    client.post(reverse("account_login"), {"login": "unverified@example.com", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_staff_never_read_the_links_that_let_into_an_account(
    client, django_capture_on_commit_callbacks
):
    """A password reset or e-mail confirmation link shown in the admin's outbox let staff who
    may read it (the "Shop staff" group, no rights over people) ask a reset for the owner, read
    the link and take over the owner's account, or any customer's."""
    import re

    from shop.staff import ensure_staff_group

    UserFactory(email="owner@example.com", is_staff=True, is_superuser=True)
    clerk = UserFactory(email="clerk@example.com", is_staff=True)
    clerk.groups.add(ensure_staff_group())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": "owner@example.com"})
        signup(client, "new@example.com")
    client.logout()
    messages = {m.kind: m for m in OutboxMessage.objects.all()}
    links = {
        kind: re.search(r"https?://\S+/(?:password/reset/key|confirm-email)/\S+", m.body_text)
        for kind, m in messages.items()
    }
    # the mails themselves have them
    assert links["password_reset_key"]
    assert links["email_confirmation_signup"]

    client.force_login(clerk)
    for kind, message in messages.items():
        secret = links[kind].group(0).rsplit("/", 2)[-2]
        for url in (
            reverse("admin:core_outboxmessage_change", args=[message.pk]),
            reverse("admin:core_outboxmessage_preview", args=[message.pk]),
        ):
            page = client.get(url)
            assert page.status_code == 200
            assert secret not in page.content.decode(), (kind, url)
    # the reset mail can still go to its recipient again
    response = client.post(
        reverse("admin:core_outboxmessage_changelist"),
        {"action": "send_copy", "_selected_action": [messages["password_reset_key"].pk]},
    )
    assert response.status_code == 302
    assert OutboxMessage.objects.filter(to=["owner@example.com"]).count() == 2
