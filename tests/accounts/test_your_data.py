"""A member's own data: download everything the shop keeps, close the account."""

import json
from decimal import Decimal

import pytest
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.urls import reverse

from accounts import services
from accounts.exceptions import AccountNotClosable
from accounts.models import Address, User
from cart.models import Cart, CartLine, ShippingMethod
from core.models import OutboxMessage
from guestbook.models import Entry
from orders.models import Order, OrderEvent
from service.models import ContactMessage
from tests.concurrency import run_at_once
from tests.factories import UserFactory, VariantFactory
from tests.orders.helpers import make_cart, place

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


@pytest.fixture
def shipping():
    return ShippingMethod.objects.create(
        name="Standard", fee=Decimal("4.90"), free_over=Decimal("50.00"), min_days=2, max_days=4
    )


@pytest.fixture
def member():
    user = UserFactory(email="mia@example.com")
    Address.objects.create(
        user=user,
        full_name="Mia Member",
        line1="Gartenweg 3",
        postcode="20095",
        city="Hamburg",
        country="Germany",
        is_default=True,
    )
    return user


def order_for(user, shipping, **variant):
    variant = VariantFactory(stock=5, **variant)
    return place(make_cart((variant, 1)), shipping, user=user)


def test_a_member_downloads_everything_the_shop_keeps_about_them(client, member, shipping):
    order = order_for(member, shipping, sku="TENT-2P")
    OrderEvent.objects.create(
        order=order, status=order.status, note="Customer sounded angry", internal=True
    )
    CartLine.objects.create(
        cart=Cart.objects.create(user=member), variant=VariantFactory(sku="MUG-1"), quantity=2
    )
    Entry.objects.create(name="Mia", email="mia@example.com", message="Lovely tent")
    Entry.objects.create(name="Someone", email="other@example.com", message="Not hers")
    ContactMessage.objects.create(name="Mia", email="mia@example.com", message="Where is it?")
    someone_else = order_for(UserFactory(), shipping)
    client.force_login(member)

    response = client.get(reverse("your_data_download"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="')
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["account"]["email"] == "mia@example.com"
    assert data["email_addresses"] == [
        {"email": "mia@example.com", "verified": True, "primary": True}
    ]
    assert data["addresses"][0]["city"] == "Hamburg"
    assert [o["number"] for o in data["orders"]] == [order.number]
    (line,) = data["orders"][0]["lines"]
    assert line["sku"] == "TENT-2P"
    assert line["quantity"] == 1
    assert data["orders"][0]["total"] == str(order.total)  # money as exact text, never float
    assert data["orders"][0]["payment_method"] == "Cash on delivery"
    assert [c["sku"] for c in data["cart"]] == ["MUG-1"]
    assert [g["message"] for g in data["guestbook_messages"]] == ["Lovely tent"]
    assert [m["message"] for m in data["messages_to_customer_service"]] == ["Where is it?"]
    text = response.content.decode()
    assert "Customer sounded angry" not in text  # staff's internal notes stay internal
    assert someone_else.number not in text
    assert "pbkdf2" not in text
    assert "password" not in text


def test_only_proven_addresses_pull_in_what_was_written_from_them(client, shipping):
    # someone adds the address of another person to their account without confirming it
    user = UserFactory(email="eve@example.com")
    user.emailaddress_set.create(email="victim@example.com", verified=False, primary=False)
    Entry.objects.create(name="Victim", email="victim@example.com", message="Private-ish")
    ContactMessage.objects.create(name="Victim", email="victim@example.com", message="Secret")
    client.force_login(user)
    data = json.loads(client.get(reverse("your_data_download")).content)
    assert data["guestbook_messages"] == []
    assert data["messages_to_customer_service"] == []


def test_the_download_costs_the_same_few_queries_for_many_orders(
    client, member, shipping, django_assert_max_num_queries
):
    for _ in range(8):
        order_for(member, shipping)
    client.force_login(member)
    with django_assert_max_num_queries(14):
        data = json.loads(client.get(reverse("your_data_download")).content)
    assert len(data["orders"]) == 8


def test_your_data_pages_are_for_signed_in_members_only(client):
    for name in ("accounts:your_data", "accounts:close_account", "your_data_download"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def close_with_password(client, password=PASSWORD):
    """Press "Close my account", then give the password as allauth asks."""
    asked = client.post(reverse("accounts:close_account"))
    assert asked.status_code == 302
    assert asked.url.startswith(reverse("account_reauthenticate"))
    return client.post(asked.url, {"password": password})


def test_a_member_closes_their_account_after_giving_their_password(
    client, member, shipping, django_capture_on_commit_callbacks
):
    order = order_for(member, shipping)
    CartLine.objects.create(
        cart=Cart.objects.create(user=member), variant=VariantFactory(), quantity=1
    )
    client.force_login(member)
    session = client.session
    session["checkout"] = {"phone": "+49 40 555"}
    session.save()
    page = client.get(reverse("accounts:close_account"))
    assert "Close my account" in page.content.decode()
    assert User.objects.filter(pk=member.pk).exists()  # asking changes nothing

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = close_with_password(client)

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert not User.objects.filter(pk=member.pk).exists()
    assert not Address.objects.filter(user_id=member.pk).exists()
    assert not Cart.objects.filter(user_id=member.pk).exists()
    order.refresh_from_db()
    assert order.user_id is None
    assert order.email
    closed = OutboxMessage.objects.get(kind="account_closed")
    assert closed.to == ["mia@example.com"]
    assert [m.subject for m in mail.outbox if "closed" in m.subject] == [closed.subject]
    home = client.get(response.url)
    assert "Your account is closed" in home.content.decode()
    assert not home.wsgi_request.user.is_authenticated
    assert "checkout" not in client.session  # signed out: the session was emptied
    # the order inquiry still finds the order by number and e-mail
    found = client.post(
        reverse("orders:inquiry"), {"number": order.number, "email": order.email}, follow=True
    )
    assert order.number in found.content.decode()


def test_closing_ends_every_session_of_the_member(client, member):
    other_device = client.__class__()
    other_device.force_login(member)
    assert other_device.get(reverse("orders:my_orders")).status_code == 200
    session = other_device.session
    session["checkout"] = {"email": "mia@example.com", "phone": "+49 40 555"}
    session.save()
    client.force_login(member)
    close_with_password(client)
    response = other_device.get(reverse("orders:my_orders"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    # what the session held for the member (checkout details) went with the account
    assert "checkout" not in other_device.session


def test_a_wrong_password_closes_nothing(client, member):
    client.force_login(member)
    response = close_with_password(client, password="not-my-password")
    assert response.status_code == 200  # the password page again, with its error
    assert User.objects.filter(pk=member.pk).exists()
    assert not OutboxMessage.objects.filter(kind="account_closed").exists()


def test_guessing_the_password_again_and_again_is_stopped(client, member):
    client.force_login(member)
    for _ in range(5):
        close_with_password(client, password="guess")
    stopped = close_with_password(client, password=PASSWORD)  # even the right one, for now
    assert User.objects.filter(pk=member.pk).exists()
    assert stopped.status_code == 429
    assert "Too many" in stopped.content.decode()


def test_staff_accounts_are_not_closed_by_their_owner(client):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    page = client.get(reverse("accounts:close_account")).content.decode()
    assert "another administrator removes it" in page
    assert "Close my account" not in page
    close_with_password(client)
    assert User.objects.filter(pk=staff.pk).exists()
    with pytest.raises(AccountNotClosable):
        services.close_account(user=staff)


def test_closing_twice_at_once_closes_once_and_mails_once(member):
    stale_copy = User.objects.get(pk=member.pk)
    assert services.close_account(user=member) is True
    assert services.close_account(user=stale_copy) is False
    assert OutboxMessage.objects.filter(kind="account_closed").count() == 1


def test_the_return_period_in_the_delivered_mail_and_home_page_follows_the_setting(
    client, settings, member, shipping
):
    from orders.services import _order_mail

    settings.SHOP_RETURN_DAYS = 30
    order = order_for(member, shipping)
    delivered = _order_mail(order, "order_delivered")
    assert "within 30 days of receiving it" in delivered.body_text
    assert "within 30 days of receiving it" in delivered.body_html
    assert "with 30-day returns" in client.get("/").content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_clicked_close_closes_once_and_mails_once(postgres_only, member):
    copies = [User.objects.get(pk=member.pk) for _ in range(4)]
    results = run_at_once([lambda u=u: services.close_account(user=u) for u in copies])
    assert sorted(results) == [False, False, False, True]
    assert not User.objects.filter(pk=member.pk).exists()
    assert OutboxMessage.objects.filter(kind="account_closed").count() == 1


def test_an_account_that_did_work_for_the_shop_is_not_closed_by_its_owner(client, shipping):
    """Staff rights taken away on leaving: the admin history and the timeline's "who did it"
    must keep pointing at the account."""
    from django.contrib.admin.models import ADDITION, LogEntry
    from django.contrib.contenttypes.models import ContentType

    former = UserFactory(email="ex-staff@example.com")
    order = order_for(UserFactory(), shipping)
    OrderEvent.objects.create(order=order, status="paid", note="Payment received", actor=former)
    with pytest.raises(AccountNotClosable):
        services.close_account(user=former)

    logged = UserFactory(email="ex-admin@example.com")
    LogEntry.objects.create(
        user=logged,
        content_type=ContentType.objects.get_for_model(Order),
        object_id=str(order.pk),
        object_repr=str(order),
        action_flag=ADDITION,
    )
    client.force_login(logged)
    response = close_with_password(client)
    assert User.objects.filter(pk=logged.pk).exists()
    assert LogEntry.objects.filter(user=logged).exists()
    page = client.get(response.url) if response.status_code == 302 else response
    assert "an administrator removes it" in page.content.decode()
    assert OrderEvent.objects.get(note="Payment received").actor_id == former.pk


def test_a_close_given_up_at_the_password_page_is_not_carried_out_later(client, member):
    client.force_login(member)
    asked = client.post(reverse("accounts:close_account"))  # pressed, then changed her mind
    assert asked.url.startswith(reverse("account_reauthenticate"))
    client.get(reverse("accounts:your_data"))  # "Keep it"
    # later, in the same session, a link to the password page that leads back to closing
    prompt = reverse("account_reauthenticate") + "?next=" + reverse("accounts:close_account")
    page = client.get(prompt).content.decode()
    assert "closes your account mia@example.com" in page  # the page says what it will do
    client.post(prompt, {"password": PASSWORD})
    assert User.objects.filter(pk=member.pk).exists()


def test_the_password_page_asks_for_the_password_only(client, member):
    client.force_login(member)
    page = client.get(client.post(reverse("accounts:close_account")).url).content.decode()
    assert 'type="password"' in page
    assert "sign-in code" not in page.lower()


def test_guessing_the_current_password_when_changing_it_is_stopped(client, member, monkeypatch):
    import time

    from allauth.core.internal import ratelimit

    client.force_login(member)
    url = reverse("account_change_password")
    for _ in range(5):
        client.post(url, {"oldpassword": "guess", "password1": "x" * 14, "password2": "x" * 14})
    # a minute and a half later (allauth's own limit, 5 a minute, would let guessing go on)
    later = time.time() + 90
    monkeypatch.setattr(ratelimit.time, "time", lambda: later)
    new = "new-long-pass-123"
    stopped = client.post(url, {"oldpassword": PASSWORD, "password1": new, "password2": new})
    assert stopped.status_code == 429
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_an_address_saved_as_the_account_closes_is_refused_cleanly(member):
    from accounts.exceptions import AccountClosed

    copy = User.objects.get(pk=member.pk)
    User.objects.filter(pk=member.pk).delete()  # closed on another device a moment ago
    with pytest.raises(AccountClosed):
        services.create_address(
            user=copy, full_name="M", line1="X 1", postcode="20095", city="Hamburg", country="DE"
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_order_placed_while_the_account_closes_is_kept(postgres_only, monkeypatch):
    """Checkout (cart locked, order written, not yet committed) and closing at the same
    moment: no deadlock, the order is kept (detached), the account is closed."""
    import threading
    import time

    from django.db import connection

    from orders import services as order_services

    shipping = ShippingMethod.objects.create(name="Standard", fee=Decimal("4.90"))
    member = UserFactory(email="mia@example.com")
    cart = make_cart((VariantFactory(stock=5), 1), user=member)
    inside = threading.Event()
    real = order_services._after_stock_moved

    def slow_end(*args, **kwargs):
        real(*args, **kwargs)
        inside.set()
        time.sleep(1)  # the checkout's last statements; the close starts meanwhile

    monkeypatch.setattr(order_services, "_after_stock_moved", slow_end)
    results = {}

    def checkout():
        try:
            results["order"] = place(cart, shipping, user=member)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            results["order"] = exc
        finally:
            connection.close()

    def close():
        inside.wait(10)
        try:
            results["close"] = services.close_account(user=User.objects.get(pk=member.pk))
        except Exception as exc:  # noqa: BLE001
            results["close"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=checkout), threading.Thread(target=close)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not [v for v in results.values() if isinstance(v, Exception)], results
    assert results["close"] is True
    assert Order.objects.get(pk=results["order"].pk).user_id is None
    assert not User.objects.filter(pk=member.pk).exists()


def test_closing_leaves_no_name_or_address_in_the_admins_history(member):
    """The admin's history (LogEntry) quotes each object by its text: the member's e-mail
    address, their addresses with name and street. Those lines stayed after the account was
    closed; the history keeps what staff did, and when, without the quotes."""
    staff = UserFactory(email="staff@example.com", is_staff=True)
    address = member.addresses.get()
    users, addresses = (ContentType.objects.get_for_model(m) for m in (User, Address))
    quoted = str(address)
    LogEntry.objects.create(
        user=staff,
        content_type=users,
        object_id=str(member.pk),
        object_repr=str(member),
        action_flag=CHANGE,
        change_message=json.dumps(
            [{"changed": {"name": "address", "object": quoted, "fields": ["Phone"]}}]
        ),
    )
    LogEntry.objects.create(
        user=staff,
        content_type=addresses,
        object_id=str(address.pk),
        object_repr=quoted,
        action_flag=CHANGE,
        change_message=json.dumps([{"changed": {"fields": ["City"]}}]),
    )
    other = UserFactory(email="otto@example.com")
    LogEntry.objects.create(
        user=staff,
        content_type=users,
        object_id=str(other.pk),
        object_repr=str(other),
        action_flag=CHANGE,
        change_message="[]",
    )

    assert services.close_account(user=member)

    history = list(LogEntry.objects.order_by("pk"))
    assert len(history) == 3  # what staff did stays
    text = " ".join(f"{e.object_repr} {e.change_message}" for e in history)
    assert "mia@example.com" not in text
    assert "Gartenweg" not in text
    assert "Mia Member" not in text
    assert history[0].get_change_message() == "Changed Phone for address “closed account”."
    assert history[2].object_repr == "otto@example.com"  # somebody else's stays


def test_a_member_deleted_in_admin_is_not_quoted_in_its_history_either(client, member):
    """A guest or member asking to be forgotten by mail: the owner deletes the account in
    admin. The deletion's own history line quoted the e-mail address as well."""
    boss = UserFactory(email="boss@example.com", is_staff=True, is_superuser=True)
    client.force_login(boss)
    response = client.post(reverse("admin:accounts_user_delete", args=[member.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=member.pk).exists()
    deletion = LogEntry.objects.get(action_flag=DELETION)
    assert deletion.user == boss  # who deleted it, and when, stays
    assert deletion.object_id == str(member.pk)
    assert "mia@example.com" not in deletion.object_repr
