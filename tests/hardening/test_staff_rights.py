"""Staff who are not superusers, with the few permissions their job needs: what they may not do
in admin. Django's defaults let whoever may change users (or groups) give themselves every
right, and let a view-only permission run some actions."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def clerk_with(*codenames: str, email: str = "clerk@shop.example") -> User:
    """A staff member (not superuser) with just these permissions (codenames)."""
    clerk = UserFactory(email=email, is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return User.objects.get(pk=clerk.pk)  # permissions are cached on the user


def member_form(user: User, **changes) -> dict:
    """A member's admin page as it is posted."""
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
        "addresses-TOTAL_FORMS": "0",
        "addresses-INITIAL_FORMS": "0",
        **changes,
    }


RIGHTS = {"is_staff": "on", "is_superuser": "on"}


def rights_of(user: User) -> tuple:
    user.refresh_from_db()
    return (
        user.is_staff,
        user.is_superuser,
        sorted(user.groups.values_list("name", flat=True)),
        sorted(user.user_permissions.values_list("codename", flat=True)),
    )


def test_staff_who_may_change_members_cannot_give_anyone_rights(client):
    """Customer service may correct a member's name or e-mail, but a post with the rights'
    fields made them (or any member) superuser, staff, or a member of any group."""
    clerk = clerk_with("view_user", "change_user")
    everything = Group.objects.create(name="Everything")
    delete_orders = Permission.objects.get(codename="delete_order")
    member = UserFactory(email="mia@example.com")
    client.force_login(clerk)
    page = reverse("admin:accounts_user_change", args=[member.pk])

    body = client.get(page).content.decode()
    assert 'name="first_name"' in body  # they may change the member
    for field in ("is_staff", "is_superuser", "groups", "user_permissions"):
        assert f'name="{field}"' not in body, field

    response = client.post(
        page,
        member_form(
            member,
            first_name="Mia",
            groups=[everything.pk],
            user_permissions=[delete_orders.pk],
            **RIGHTS,
        ),
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.first_name == "Mia"
    assert rights_of(member) == (False, False, [], [])


def test_staff_who_may_change_members_cannot_change_their_own_rights(client):
    clerk = clerk_with("view_user", "change_user")
    Group.objects.create(name="Everything")
    client.force_login(clerk)
    page = reverse("admin:accounts_user_change", args=[clerk.pk])
    before = rights_of(clerk)

    response = client.post(
        page,
        member_form(
            clerk,
            groups=list(Group.objects.values_list("pk", flat=True)),
            user_permissions=list(Permission.objects.values_list("pk", flat=True)),
            **RIGHTS,
        ),
    )
    assert response.status_code == 403
    assert rights_of(clerk) == before


def test_staff_who_may_change_members_cannot_change_or_reset_a_staff_account(client):
    """The owner's e-mail changed to one's own, then "Forgot your password?", was the owner's
    account; and "Reset password" set it directly."""
    clerk = clerk_with("view_user", "change_user")
    owner = UserFactory(email="owner@shop.example", is_staff=True, is_superuser=True)
    packer = UserFactory(email="packer@shop.example", is_staff=True)
    client.force_login(clerk)
    for account in (owner, packer):
        page = reverse("admin:accounts_user_change", args=[account.pk])
        body = client.get(page).content.decode()
        assert account.email in body  # they may look
        assert 'name="email"' not in body
        assert "Reset password" not in body
        response = client.post(page, member_form(account, email="clerk2@shop.example", **RIGHTS))
        assert response.status_code == 403
        password_page = reverse("admin:auth_user_password_change", args=[account.pk])
        assert client.get(password_page).status_code == 403
        new_password = {"password1": "taken-over-2026!", "password2": "taken-over-2026!"}
        assert client.post(password_page, new_password).status_code == 403
        account.refresh_from_db()
        assert account.email in ("owner@shop.example", "packer@shop.example")
        assert account.check_password("correct-horse-battery")


def test_staff_who_may_delete_members_cannot_delete_a_staff_account(client):
    # (a member's verified address goes with the account: Django asks for that permission too)
    clerk = clerk_with("view_user", "change_user", "delete_user", "delete_emailaddress")
    owner = UserFactory(email="owner@shop.example", is_staff=True, is_superuser=True)
    member = UserFactory(email="mia@example.com")
    client.force_login(clerk)

    delete_page = reverse("admin:accounts_user_delete", args=[owner.pk])
    assert client.post(delete_page, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:accounts_user_changelist")
    response = client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [owner.pk, member.pk], "post": "yes"},
    )
    assert response.status_code == 403
    assert User.objects.filter(pk__in=[owner.pk, member.pk]).count() == 2

    client.post(
        changelist, {"action": "delete_selected", "_selected_action": [member.pk], "post": "yes"}
    )
    assert not User.objects.filter(pk=member.pk).exists()  # a member's account they may


def test_only_a_superuser_changes_what_a_group_may_do(client):
    """Whoever may change groups added every permission to their own group."""
    clerk = clerk_with("view_group", "add_group", "change_group", "delete_group")
    own = Group.objects.create(name="Packers")
    clerk.groups.add(own)
    client.force_login(clerk)
    delete_orders = Permission.objects.get(codename="delete_order")

    page = reverse("admin:auth_group_change", args=[own.pk])
    assert client.get(page).status_code == 200  # they may look
    response = client.post(page, {"name": "Packers", "permissions": [delete_orders.pk]})
    assert response.status_code == 403
    add = reverse("admin:auth_group_add")
    assert client.post(add, {"name": "Mine", "permissions": [delete_orders.pk]}).status_code == 403
    assert list(own.permissions.all()) == []
    assert not Group.objects.filter(name="Mine").exists()

    owner = UserFactory(email="owner@shop.example", is_staff=True, is_superuser=True)
    client.force_login(owner)
    client.post(page, {"name": "Packers", "permissions": [delete_orders.pk]})
    assert list(own.permissions.all()) == [delete_orders]


def test_staff_who_may_only_view_e_mail_addresses_cannot_mark_them_verified(client):
    """allauth's action has no permission of its own: a view-only permission confirmed
    addresses nobody had confirmed (then "Forgot your password?" to that address)."""
    clerk = clerk_with("view_emailaddress")
    member = UserFactory(email="mia@example.com", verified_email=False)
    address = EmailAddress.objects.create(user=member, email="mia@example.com")
    client.force_login(clerk)
    changelist = reverse("admin:account_emailaddress_changelist")

    assert '<option value="make_verified">' not in client.get(changelist).content.decode()
    client.post(changelist, {"action": "make_verified", "_selected_action": [address.pk]})
    address.refresh_from_db()
    assert not address.verified


def test_staff_who_may_change_e_mail_addresses_cannot_touch_a_staff_accounts(client):
    """An address of one's own added to the owner's account, verified and primary, was a
    password reset away from the owner's account."""
    clerk = clerk_with("view_emailaddress", "add_emailaddress", "change_emailaddress")
    owner = UserFactory(email="owner@shop.example", is_staff=True, is_superuser=True)
    owners = EmailAddress.objects.get(user=owner)
    member = UserFactory(email="mia@example.com", verified_email=False)
    unverified = EmailAddress.objects.create(user=member, email="mia@example.com")
    client.force_login(clerk)

    add = reverse("admin:account_emailaddress_add")
    new = {"user": owner.pk, "email": "clerk2@shop.example", "verified": "on", "primary": "on"}
    assert client.post(add, new).status_code == 200  # the form again, with the error
    assert not EmailAddress.objects.filter(email="clerk2@shop.example").exists()

    page = reverse("admin:account_emailaddress_change", args=[owners.pk])
    changed = {"user": owner.pk, "email": "clerk2@shop.example", "verified": "on", "primary": "on"}
    assert client.post(page, changed).status_code == 403
    moved = {"user": owner.pk, "email": unverified.email, "verified": "on", "primary": "on"}
    client.post(reverse("admin:account_emailaddress_change", args=[unverified.pk]), moved)
    assert list(EmailAddress.objects.filter(user=owner).values_list("email", flat=True)) == [
        "owner@shop.example"
    ]

    owners.verified = False
    owners.save()
    changelist = reverse("admin:account_emailaddress_changelist")
    client.post(
        changelist, {"action": "make_verified", "_selected_action": [owners.pk, unverified.pk]}
    )
    owners.refresh_from_db()
    unverified.refresh_from_db()
    assert not owners.verified
    assert unverified.verified  # a member's address they may confirm


@pytest.fixture
def one_of_everything(db):
    """A row of every model in admin, holding a customer's data where it can."""
    from datetime import date
    from decimal import Decimal

    from cart.models import ShippingMethod
    from core.models import OutboxMessage
    from guestbook.models import Entry
    from search.models import SearchCount
    from service.models import ContactMessage, ServiceText
    from tests.factories import AddressFactory, ProductFactory
    from tests.orders.helpers import make_cart, place

    member = UserFactory(email="greta@example.com", verified_email=False)
    EmailAddress.objects.create(user=member, email=member.email)  # not confirmed yet
    shipping = ShippingMethod.objects.create(name="Standard", fee=Decimal("4.90"))
    product = ProductFactory(name="Trail Lamp")
    order = place(make_cart((product.variants.get(), 1)), shipping)
    rows = [
        member,
        AddressFactory(user=member),
        order,
        product,
        product.variants.get(),
        product.series,
        product.category,
        shipping,
        make_cart((product.variants.get(), 1), user=member),
        OutboxMessage.objects.create(
            to=["greta@example.com"], subject="Your order", body_text="Hi"
        ),
        SearchCount.objects.create(query="lamp", day=date(2026, 12, 1), count=3, results=1),
        Entry.objects.create(name="Greta Guest", email="greta@example.com", message="Lovely"),
        ContactMessage.objects.create(name="Greta Guest", email="greta@example.com", message="Hi"),
        ServiceText.objects.create(page=ServiceText.Page.values[0], text="Our guide"),
        Group.objects.create(name="Packers"),
        EmailAddress.objects.get(user=member),
    ]
    return {type(row): row for row in rows}


def admin_pages(rows) -> list[str]:
    """Every page of every model in admin (its own views included: packing slip, ship,
    preview), for the row of that model in ``rows``."""
    from django.contrib import admin

    pages = []
    for model, model_admin in admin.site._registry.items():
        row = rows[model]
        for pattern in model_admin.get_urls():
            if pattern.name is None:
                continue
            kwargs = dict.fromkeys(pattern.pattern.converters, row.pk)  # object_id, pk, id
            pages.append(reverse(f"admin:{pattern.name}", kwargs=kwargs))
    return pages


def test_every_admin_page_refuses_staff_without_its_permission(client, one_of_everything):
    """A staff member with no permission: every model's pages, its own views, its actions and
    "view on site" answer 403 (the outbox preview 404) and show nothing of the shop's data."""
    from django.contrib import admin
    from django.contrib.contenttypes.models import ContentType

    assert set(one_of_everything) == set(admin.site._registry)  # a new model: add its row
    client.force_login(clerk_with())
    pages = admin_pages(one_of_everything)
    assert any("packing-slip" in page for page in pages)
    for page in pages:
        for response in (client.get(page), client.post(page, {"post": "yes"})):
            assert response.status_code in (403, 404), (page, response.status_code)
            body = response.content.decode()
            for secret in ("greta@example.com", "Greta Guest", "Lindenstr", "MP-"):
                assert secret not in body, (page, secret)
    for row in one_of_everything.values():
        ct = ContentType.objects.get_for_model(row)
        response = client.get(reverse("admin:view_on_site", args=[ct.pk, row.pk]))
        assert response.status_code in (403, 404), row

    home = client.get(reverse("admin:index")).content.decode()
    for secret in ("greta@example.com", "Greta Guest", "To do", "Trail Lamp"):
        assert secret not in home


def stored(row) -> dict:
    row = type(row)._default_manager.get(pk=row.pk)
    return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}


def test_staff_who_may_only_view_change_nothing_in_admin(client, one_of_everything):
    """For every model in admin, staff with its view permission only: no changing action is
    offered, and none of them, nor a post of its pages (change, delete, the list's "Save",
    its own views), changes the row or sends an e-mail."""
    from django.contrib import admin
    from django.core import mail

    for model, model_admin in admin.site._registry.items():
        row = one_of_everything[model]
        opts = model._meta
        viewer = UserFactory(email=f"view-{opts.model_name}@shop.example", is_staff=True)
        viewer.user_permissions.add(
            Permission.objects.get(
                content_type__app_label=opts.app_label, codename=f"view_{opts.model_name}"
            )
        )
        client.force_login(viewer)
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        page = client.get(changelist)
        assert page.status_code == 200, model
        actions = [*model_admin.actions, "delete_selected"]
        offered = [a for a in actions if f'<option value="{a}">' in page.content.decode()]
        assert offered in ([], ["export_csv"]), (model, offered)

        before = stored(row)
        for action in actions:
            client.post(
                changelist,
                {"action": action, "_selected_action": [row.pk], "confirmed": "yes", "post": "yes"},
            )
        client.post(changelist, {"_save": "Save", "form-TOTAL_FORMS": "1", "form-0-id": row.pk})
        for url in admin_pages(one_of_everything):
            if f"/{opts.app_label}/{opts.model_name}/" in url:
                client.post(url, {"post": "yes", "ids": str(row.pk), "carrier": "DHL"})
        assert stored(row) == before, model
    assert not [m for m in mail.outbox if "greta@example.com" in m.to]


def test_links_to_the_orders_are_shown_only_to_staff_who_may_open_them(client):
    """A member's page ("Orders of …") and the customer messages (the order they are about)
    linked the order list to customer service staff who may not open it: a refusal (403)."""
    from service.models import ContactMessage

    member = UserFactory(email="mia@example.com")
    message = ContactMessage.objects.create(
        name="Mia", email="mia@example.com", order_number="MP-7KQ4-X2HD", message="Where is it?"
    )
    orders = reverse("admin:orders_order_changelist")
    pages = [
        reverse("admin:accounts_user_change", args=[member.pk]),
        reverse("admin:service_contactmessage_changelist"),
        reverse("admin:service_contactmessage_change", args=[message.pk]),
    ]
    clerk = clerk_with("view_user", "view_contactmessage", "change_contactmessage")
    client.force_login(clerk)
    assert client.get(orders).status_code == 403
    for page in pages:
        body = client.get(page).content.decode()
        assert orders not in body, page
    for page in pages[1:]:
        assert "MP-7KQ4-X2HD" in client.get(page).content.decode()  # the number, as text
    assert "Orders of mia@example.com" not in client.get(pages[0]).content.decode()

    client.force_login(
        clerk_with("view_user", "view_contactmessage", "view_order", email="b@s.example")
    )
    for page in pages:
        assert f'href="{orders}?q=' in client.get(page).content.decode(), page
