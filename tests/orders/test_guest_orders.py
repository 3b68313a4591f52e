"""Guest orders come under "My orders" once the buyer confirms that e-mail address in an
account, never before and never for anyone else."""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from core.models import OutboxMessage
from orders.models import Order
from tests.factories import ProductFactory, UserFactory

from .helpers import CONTACT, make_cart, place

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-enough-passphrase-42"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()


def confirm_link(email: str) -> str:
    message = OutboxMessage.objects.filter(to=[email], kind="email_confirmation_signup").latest(
        "created_at"
    )
    return re.search(r"/accounts/confirm-email/[^/\s]+/", message.body_text).group(0)


def test_guest_orders_show_under_my_orders_after_the_address_is_confirmed(
    standard_shipping, django_capture_on_commit_callbacks
):
    variant = ProductFactory(stock=10).variants.get()
    mine = [place(make_cart((variant, 1)), standard_shipping) for _ in range(2)]
    someone_else = place(make_cart((variant, 1)), standard_shipping)
    Order.objects.filter(pk=someone_else.pk).update(email="other@example.com")
    members_own = place(make_cart((variant, 1)), standard_shipping, user=UserFactory())
    assert mine[0].email == CONTACT.email.lower()  # stored lower-case

    client = Client()
    signup = client.post(
        reverse("account_signup"),
        {"email": CONTACT.email.upper(), "password1": PASSWORD, "password2": PASSWORD},
    )
    assert signup.status_code == 302
    # signed up, not yet confirmed: nothing is claimed (anyone can type an address)
    assert not Order.objects.filter(user__isnull=False).exclude(pk=members_own.pk).exists()

    link = confirm_link(CONTACT.email.lower())
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(link, follow=True)
    assert "Your 2 earlier orders with this address are now under My orders." in (
        confirmed.content.decode()
    )

    page = client.get(reverse("orders:my_orders")).content.decode()
    for order in mine:
        assert order.number in page
    assert someone_else.number not in page
    assert members_own.number not in page
    members_own.refresh_from_db()
    assert members_own.user.email != CONTACT.email.lower()  # another member's order stays theirs
    assert client.get(reverse("orders:detail", args=[mine[0].number])).status_code == 200


def test_members_verified_before_the_claim_existed_get_their_guest_orders_once(
    standard_shipping,
):
    import importlib

    from allauth.account.models import EmailAddress
    from django.apps import apps

    migration = importlib.import_module(
        "orders.migrations.0002_claim_guest_orders_of_verified_members"
    )
    variant = ProductFactory(stock=10).variants.get()
    guest_order = place(make_cart((variant, 1)), standard_shipping)
    unverified_order = place(make_cart((variant, 1)), standard_shipping)
    Order.objects.filter(pk=unverified_order.pk).update(email="later@example.com")
    member = UserFactory(email=CONTACT.email.lower())  # the factory verifies the address
    assert EmailAddress.objects.filter(user=member, verified=True).exists()
    EmailAddress.objects.create(user=UserFactory(), email="later@example.com", verified=False)

    from types import SimpleNamespace

    from django.db import connection

    migration.claim(apps, SimpleNamespace(connection=connection))  # SQL on PostgreSQL

    guest_order.refresh_from_db()
    unverified_order.refresh_from_db()
    assert guest_order.user == member
    assert unverified_order.user is None


def test_staff_marking_an_address_verified_claims_but_does_not_get_the_members_message(
    admin_client, standard_shipping
):
    from allauth.account.models import EmailAddress

    variant = ProductFactory(stock=10).variants.get()
    order = place(make_cart((variant, 1)), standard_shipping)
    member = UserFactory(email=CONTACT.email.lower(), verified_email=False)
    address = EmailAddress.objects.create(user=member, email=member.email, verified=False)
    response = admin_client.post(
        reverse("admin:account_emailaddress_changelist"),
        {"action": "make_verified", "_selected_action": [address.pk]},
        follow=True,
    )
    order.refresh_from_db()
    assert order.user == member
    assert "earlier order" not in response.content.decode()


def test_the_confirmation_page_names_the_account_the_address_is_added_to(client):
    """Someone adds another person's address to their own account: the owner of the address
    must see whose account it joins (confirming hands it that address's guest orders)."""
    from allauth.account.models import EmailAddress, EmailConfirmationHMAC

    attacker = UserFactory(email="taker@example.com")
    added = EmailAddress.objects.create(user=attacker, email="victim@example.com")
    key = EmailConfirmationHMAC(added).key
    page = client.get(reverse("account_confirm_email", args=[key])).content.decode()
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "may be added to the account taker@example.com" in text
    assert "Confirm only if that account is yours" in text


def my_orders_of_the_next_owner(capture_on_commit) -> str:
    """The next person to sign up with CONTACT's address confirms it: their My orders page."""
    client = Client()
    client.post(
        reverse("account_signup"),
        {"email": CONTACT.email, "password1": PASSWORD, "password2": PASSWORD},
    )
    with capture_on_commit(execute=True):
        client.post(confirm_link(CONTACT.email.lower()))
    return client.get(reverse("orders:my_orders")).content.decode()


@pytest.mark.parametrize("how", ["closed by the member", "deleted in admin"])
def test_orders_of_a_closed_account_never_come_under_the_next_owner_of_the_address(
    standard_shipping, django_capture_on_commit_callbacks, how
):
    """A mailbox can change hands (a recycled free-mail address, a colleague's work address):
    the next person to sign up with it got the earlier owner's orders under My orders, with
    their name, addresses and phone number. A guest order with that address still comes."""
    from accounts.services import close_account

    variant = ProductFactory(stock=10).variants.get()
    earlier_owner = UserFactory(email=CONTACT.email.lower())
    theirs = place(make_cart((variant, 1)), standard_shipping, user=earlier_owner)
    if how == "closed by the member":
        assert close_account(user=earlier_owner) is True
    else:
        earlier_owner.delete()
    theirs.refresh_from_db()
    assert (theirs.user, theirs.account_closed) == (None, True)  # kept for the books
    guest = place(make_cart((variant, 1)), standard_shipping)  # placed since, as a guest

    page = my_orders_of_the_next_owner(django_capture_on_commit_callbacks)
    assert guest.number in page
    assert theirs.number not in page
    assert Order.objects.get(pk=theirs.pk).user is None


def test_guest_orders_the_earlier_owner_placed_never_come_under_the_next_owner(
    standard_shipping, django_capture_on_commit_callbacks
):
    """A member who checked out signed out (as a guest, with their own address) left orders
    that were under no account when theirs closed: they were not marked, and the next person
    to confirm the address got them under My orders, with the earlier owner's name, address
    and phone number."""
    from accounts.services import close_account

    variant = ProductFactory(stock=10).variants.get()
    earlier_owner = UserFactory(email=CONTACT.email.lower())
    as_guest = place(make_cart((variant, 1)), standard_shipping)  # signed out, same address
    assert close_account(user=earlier_owner) is True
    as_guest.refresh_from_db()
    assert (as_guest.user, as_guest.account_closed) == (None, True)
    since = place(make_cart((variant, 1)), standard_shipping)  # after the account closed

    page = my_orders_of_the_next_owner(django_capture_on_commit_callbacks)
    assert since.number in page
    assert as_guest.number not in page
    assert Order.objects.get(pk=as_guest.pk).user is None


def test_an_unconfirmed_sign_up_that_is_deleted_leaves_the_addresss_guest_orders_alone(
    standard_shipping,
):
    """Someone else's address, signed up with and never confirmed (the nightly clean-up
    deletes it): the real owner's guest orders stay theirs to claim."""
    variant = ProductFactory(stock=10).variants.get()
    owners = place(make_cart((variant, 1)), standard_shipping)
    UserFactory(email=CONTACT.email.lower(), verified_email=False).delete()
    owners.refresh_from_db()
    assert owners.account_closed is False
