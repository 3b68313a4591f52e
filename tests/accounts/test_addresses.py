"""The member's address book: list, add, edit, delete and choose the default, only ever on
one's own addresses, with exactly one default whenever there is any."""

import re
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Address
from orders.services import ShippingAddress, save_member_address
from tests.concurrency import run_at_once
from tests.factories import ProductFactory, UserFactory
from tests.orders.helpers import add_to_cart, form_defaults, messages_of

pytestmark = pytest.mark.django_db

LIST_URL = reverse("accounts:addresses")
ADD_URL = reverse("accounts:address_add")
FORM = {
    "full_name": "Mia Member",
    "line1": "Hauptstr. 9",
    "line2": "",
    "postcode": "80331",
    "city": "München",
    "country": "Germany",
    "phone": "+49 89 123456",
}


def add(user, **fields) -> Address:
    values = {k: v for k, v in FORM.items() if k != "line2"}
    return services.create_address(user=user, **{**values, **fields})


def defaults_of(user) -> list[int]:
    return list(Address.objects.filter(user=user, is_default=True).values_list("pk", flat=True))


def snapshot() -> list[tuple]:
    return list(Address.objects.order_by("pk").values_list())


@pytest.fixture
def member(client):
    user = UserFactory(email="member@example.com")
    client.force_login(user)
    return user


@pytest.fixture
def stranger():
    return UserFactory(email="stranger@example.com")


# --- the pages, end to end -------------------------------------------------------------------


def test_the_list_shows_every_address_with_the_default_first_and_marked(client, member):
    old = add(member, full_name="Old Home", line1="Altweg 1")
    office = add(member, full_name="Office", line1="Büroweg 2", line2="3. Stock")
    services.set_default_address(address=office)
    add(UserFactory(), full_name="Someone Else", line1="Fremdweg 7")

    body = client.get(LIST_URL).content.decode()

    assert body.index("Office") < body.index("Old Home")  # the default first
    assert body.count(">Default</span>") == 1
    assert "3. Stock" in body
    assert "Someone Else" not in body
    assert "Fremdweg" not in body
    assert reverse("accounts:address_edit", args=[old.pk]) in body
    assert reverse("accounts:address_delete", args=[old.pk]) in body
    # only the other one can be made the default
    assert reverse("accounts:address_make_default", args=[old.pk]) in body
    assert reverse("accounts:address_make_default", args=[office.pk]) not in body
    # the account pages' own navigation, with this page marked
    assert f'href="{LIST_URL}" aria-current="page">Addresses</a>' in body


def test_every_account_page_links_the_others(client, member):
    for url in (
        reverse("orders:my_orders"),
        LIST_URL,
        ADD_URL,
        reverse("account_email"),
        reverse("account_change_password"),
    ):
        body = client.get(url).content.decode()
        nav = body[body.index('<nav class="account-subnav"') :]
        nav = nav[: nav.index("</nav>")]
        for target in (
            reverse("orders:my_orders"),
            LIST_URL,
            reverse("account_email"),
            reverse("account_change_password"),
        ):
            assert f'href="{target}"' in nav, (url, target)
        assert nav.count('aria-current="page"') == (0 if url == ADD_URL else 1), url


def test_an_empty_address_book_says_how_to_fill_it(client, member):
    body = client.get(LIST_URL).content.decode()
    assert "You have no saved addresses yet." in body
    assert ADD_URL in body


def test_adding_the_first_address_saves_it_tidied_as_the_default(client, member):
    form = client.get(ADD_URL).content.decode()
    assert "Your first address becomes your default address." in form
    assert 'name="make_default"' not in form  # nothing to choose

    response = client.post(
        ADD_URL,
        {**FORM, "full_name": "  Mia \t Member ", "line1": "Hauptstr.   9\r\n", "line2": "  "},
        follow=True,
    )

    assert response.redirect_chain == [(LIST_URL, 302)]
    assert messages_of(response) == ["Address saved."]
    saved = Address.objects.get(user=member)
    assert (saved.full_name, saved.line1, saved.line2, saved.city, saved.phone) == (
        "Mia Member",
        "Hauptstr. 9",
        "",
        "München",
        "+49 89 123456",
    )
    assert saved.is_default
    assert "Mia Member" in response.content.decode()


def test_a_further_address_is_not_the_default_unless_asked(client, member):
    first = add(member)
    assert 'name="make_default"' in client.get(ADD_URL).content.decode()

    client.post(ADD_URL, {**FORM, "full_name": "Second"})
    assert defaults_of(member) == [first.pk]

    client.post(ADD_URL, {**FORM, "full_name": "Third", "make_default": "on"})
    third = Address.objects.get(full_name="Third")
    assert defaults_of(member) == [third.pk]
    assert Address.objects.filter(user=member).count() == 3


def test_editing_changes_the_address_and_keeps_it_in_place(client, member):
    address = add(member)
    other = add(member, full_name="Other")
    url = reverse("accounts:address_edit", args=[address.pk])
    page = client.get(url)
    assert form_defaults(page)["line1"] == "Hauptstr. 9"  # prefilled
    assert "This is your default address" in page.content.decode()
    assert 'name="make_default"' not in page.content.decode()

    response = client.post(url, {**FORM, "line1": "Neuweg 1", "city": "Augsburg"}, follow=True)

    assert messages_of(response) == ["Address saved."]
    address.refresh_from_db()
    assert (address.pk, address.line1, address.city, address.is_default) == (
        address.pk,
        "Neuweg 1",
        "Augsburg",
        True,
    )
    other.refresh_from_db()
    assert (other.line1, other.city) == ("Hauptstr. 9", "München")  # untouched
    assert Address.objects.count() == 2


def test_editing_can_make_an_address_the_default(client, member):
    first = add(member)
    second = add(member, full_name="Second")
    client.post(
        reverse("accounts:address_edit", args=[second.pk]),
        {**FORM, "full_name": "Second", "make_default": "on"},
    )
    assert defaults_of(member) == [second.pk]
    first.refresh_from_db()
    assert not first.is_default


def test_an_invalid_edit_shows_errors_and_changes_nothing(client, member):
    address = add(member)
    before = snapshot()
    response = client.post(
        reverse("accounts:address_edit", args=[address.pk]), {**FORM, "city": " ", "phone": "abc"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Please correct the 2 fields marked below." in body
    assert "This field is required." in body
    assert "Enter a phone number with digits" in body
    assert snapshot() == before


def test_delete_asks_first_and_deletes_on_confirmation(client, member):
    keep = add(member, full_name="Keep Me")
    gone = add(member, full_name="Delete Me", line1="Weg 5")
    url = reverse("accounts:address_delete", args=[gone.pk])

    confirm = client.get(url)
    assert "Delete this address?" in confirm.content.decode()
    assert "Weg 5" in confirm.content.decode()
    assert Address.objects.filter(pk=gone.pk).exists()  # a GET changes nothing

    response = client.post(url, follow=True)

    assert messages_of(response) == ["Address deleted."]
    assert list(Address.objects.filter(user=member)) == [keep]
    assert "Delete Me" not in response.content.decode()


def test_make_default_switches_the_one_default(client, member):
    first = add(member)
    second = add(member, full_name="Second")
    url = reverse("accounts:address_make_default", args=[second.pk])

    assert client.get(url).status_code == 405  # only a POST changes it
    assert defaults_of(member) == [first.pk]

    response = client.post(url, follow=True)

    assert messages_of(response) == ["Default address changed."]
    assert defaults_of(member) == [second.pk]
    body = response.content.decode()
    assert body.index("Second") < body.index("Mia Member")


def test_the_checkout_preselects_the_default_chosen_in_the_address_book(client, member):
    add(member, full_name="Home")
    office = add(member, full_name="Office")
    client.post(reverse("accounts:address_make_default", args=[office.pk]))
    add_to_cart(client, ProductFactory(stock=5).variants.get())

    page = client.get(reverse("orders:checkout"))

    assert form_defaults(page)["saved_address"] == str(office.pk)
    assert "Office, Hauptstr. 9, 80331 München (default)" in page.content.decode()


# --- who may do what -------------------------------------------------------------------------

ADDRESS_URLS = ["address_edit", "address_delete", "address_make_default"]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", ["addresses", "address_add", *ADDRESS_URLS])
def test_every_page_asks_a_visitor_to_sign_in_and_changes_nothing(client, name, method):
    owner = UserFactory()
    address = add(owner)
    before = snapshot()
    url = reverse(f"accounts:{name}", args=[address.pk] if name in ADDRESS_URLS else [])

    response = getattr(client, method)(url, FORM)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")
    assert snapshot() == before


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", ADDRESS_URLS)
@pytest.mark.parametrize("target", ["another member's", "unknown", "huge"])
def test_an_address_not_ones_own_is_not_found_and_untouched(
    client, member, stranger, name, method, target
):
    add(member)
    theirs = add(stranger, full_name="Their Name", line1="Geheimweg 1")
    pk = {
        "another member's": theirs.pk,
        "unknown": theirs.pk + 1000,
        "huge": 99999999999999999999,  # more than a 64-bit integer column holds
    }[target]
    before = snapshot()

    response = getattr(client, method)(
        reverse(f"accounts:{name}", args=[pk]), {**FORM, "make_default": "on"}
    )

    assert response.status_code == 404
    assert "Geheimweg" not in response.content.decode()
    assert snapshot() == before


def test_a_pk_that_is_not_a_number_is_not_found(client, member):
    assert client.get("/accounts/addresses/abc/edit/").status_code == 404
    assert client.post("/accounts/addresses/-1/delete/").status_code == 404


# --- the one default -------------------------------------------------------------------------


def test_there_is_exactly_one_default_through_every_change(member):
    first = add(member)
    assert defaults_of(member) == [first.pk]
    second = add(member, full_name="Second")
    third = add(member, full_name="Third", make_default=True)
    assert defaults_of(member) == [third.pk]
    services.set_default_address(address=second)
    assert defaults_of(member) == [second.pk]
    services.set_default_address(address=second)  # again: still the one
    assert defaults_of(member) == [second.pk]
    services.update_address(address=first, **{**FORM, "make_default": True})
    assert defaults_of(member) == [first.pk]
    services.delete_address(address=third)  # not the default: the default stays
    assert defaults_of(member) == [first.pk]
    services.delete_address(address=first)
    assert defaults_of(member) == [second.pk]
    services.delete_address(address=second)
    assert defaults_of(member) == []
    assert defaults_of(UserFactory()) == []


def test_deleting_the_default_makes_the_most_recent_remaining_one_the_default(member):
    now = timezone.now()
    oldest, newest, default = add(member), add(member), add(member)
    for address, age in ((oldest, 3), (newest, 1), (default, 2)):
        Address.objects.filter(pk=address.pk).update(created_at=now - timedelta(days=age))
    services.set_default_address(address=default)

    promoted = services.delete_address(address=default)

    assert promoted == newest
    assert defaults_of(member) == [newest.pk]


def test_an_address_book_without_a_default_gets_one_with_the_next_change(member):
    # e.g. rows entered in the admin: the next address saved repairs the rule
    legacy = Address.objects.create(user=member, **{**FORM, "full_name": "Legacy"})
    added = add(member, full_name="Added")
    assert defaults_of(member) == [added.pk]
    assert not Address.objects.get(pk=legacy.pk).is_default


def test_checkout_saves_a_members_first_address_as_the_default(member):
    address = ShippingAddress(
        full_name="Greta Guest",
        line1="Lindenstr. 1",
        postcode="10115",
        city="Berlin",
        country="Germany",
    )
    first = save_member_address(user=member, address=address, phone="030 1234")
    second = save_member_address(
        user=member, address=ShippingAddress(**{**address.__dict__, "city": "Potsdam"})
    )
    again = save_member_address(user=member, address=address, phone="030 9999")

    assert first.is_default
    assert not second.is_default
    assert again == first
    assert defaults_of(member) == [first.pk]
    assert Address.objects.filter(user=member).count() == 2


def test_the_database_refuses_a_second_default(member):
    add(member)
    with pytest.raises(IntegrityError), transaction.atomic():
        Address.objects.create(user=member, is_default=True, **FORM)
    other = add(member, full_name="Other")
    with pytest.raises(IntegrityError), transaction.atomic():
        Address.objects.filter(pk=other.pk).update(is_default=True)
    # other members have their own default
    assert add(UserFactory()).is_default


@pytest.mark.django_db(transaction=True)
def test_the_migration_leaves_each_member_exactly_one_default_the_newest():
    executor = MigrationExecutor(connection)
    before = [("accounts", "0002_address")]
    after = [("accounts", "0003_one_default_address_per_user")]
    try:
        executor.migrate(before)
        old_apps = executor.loader.project_state(before).apps
        OldUser = old_apps.get_model("accounts", "User")
        OldAddress = old_apps.get_model("accounts", "Address")
        now = timezone.now()

        def address(user, days_old, is_default):
            row = OldAddress.objects.create(
                user=user, is_default=is_default, **{**FORM, "full_name": f"{days_old}"}
            )
            OldAddress.objects.filter(pk=row.pk).update(created_at=now - timedelta(days=days_old))
            return row.pk

        none = OldUser.objects.create(email="none@example.com")
        several = OldUser.objects.create(email="several@example.com")
        one = OldUser.objects.create(email="one@example.com")
        OldUser.objects.create(email="empty@example.com")
        address(none, 5, False)
        newest_of_none = address(none, 1, False)
        address(none, 3, False)
        address(several, 9, True)
        newest_default = address(several, 4, True)
        address(several, 1, False)
        kept = address(one, 8, True)
        address(one, 1, False)

        executor.loader.build_graph()
        executor.migrate(after)

        assert defaults_of(none.pk) == [newest_of_none]
        assert defaults_of(several.pk) == [newest_default]
        assert defaults_of(one.pk) == [kept]
        assert Address.objects.count() == 8
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


# --- hostile input ---------------------------------------------------------------------------

SCRIPT = "<script>alert('x')</script>"
HOSTILE = [
    SCRIPT,
    '"><img src=x onerror=alert(1)>',
    "\x00",
    "Main\x00Street",
    "\x01\x02\x7f",
    "\u202eevil\u202c",
    "ｓｃｒｉｐｔ ᴀdmin раураl",
    "🙂" * 50,
    "x" * 100_000,
    "' OR '1'='1' --",
    " ",
]
MARKERS = ["<script>alert('x')", "<img src=x onerror=alert(1)>"]


def assert_safe(response) -> str:
    assert response.status_code < 500
    body = response.content.decode(errors="replace")
    for marker in MARKERS:
        assert marker not in body
    return body


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("field", [*FORM, "make_default"])
def test_hostile_input_is_refused_with_a_message_or_stored_and_escaped(
    client, member, field, value
):
    existing = add(member)
    for url in (ADD_URL, reverse("accounts:address_edit", args=[existing.pk])):
        before = snapshot()
        response = client.post(url, {**FORM, field: value})
        body = assert_safe(response)
        if response.status_code == 200:  # refused: the form says why, nothing changed
            assert "Please correct the" in body
            assert snapshot() == before
        else:
            assert response.status_code == 302
        assert_safe(client.get(LIST_URL))
    for address in Address.objects.filter(user=member):
        assert "\x00" not in "".join(str(v) for v in address.__dict__.values())
        assert_safe(client.get(reverse("accounts:address_edit", args=[address.pk])))
        assert_safe(client.get(reverse("accounts:address_delete", args=[address.pk])))


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("Main\x00Street", "Null characters are not allowed."),
        ("Main\x07Street", "Remove the control characters from this field."),
        ("x" * 100_000, "Ensure this value has at most 200 characters (it has 100000)."),
        ("  ", "This field is required."),
    ],
)
def test_the_form_says_what_is_wrong_with_a_line(client, member, value, error):
    response = client.post(ADD_URL, {**FORM, "line1": value})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Address.objects.exists()


def test_markup_and_unicode_are_stored_as_typed_and_shown_escaped(client, member):
    client.post(ADD_URL, {**FORM, "full_name": SCRIPT, "city": "Zürich 🙂", "line2": "\u202eevil"})
    saved = Address.objects.get()
    assert (saved.full_name, saved.city) == (SCRIPT, "Zürich 🙂")
    for url in (
        LIST_URL,
        reverse("accounts:address_edit", args=[saved.pk]),
        reverse("accounts:address_delete", args=[saved.pk]),
    ):
        body = assert_safe(client.get(url))
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body
        assert "Zürich 🙂" in body


def test_the_fields_carry_the_models_limits_and_labels(client, member):
    body = client.get(ADD_URL).content.decode()
    for name, limit in (("full_name", 120), ("line1", 200), ("postcode", 20), ("phone", 40)):
        assert re.search(rf'<input [^>]*name="{name}"[^>]*maxlength="{limit}"', body), name
    for label in ("Full name", "Street and number", "Postcode", "City", "Country", "Phone"):
        assert f">{label}" in body
    assert 'value="Germany"' in body


# --- cost ------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 10])
def test_the_list_runs_a_fixed_number_of_queries(
    client, member, django_assert_max_num_queries, count
):
    for i in range(count):
        add(member, full_name=f"Person {i}")
    client.get(LIST_URL)  # warm the session and caches as every later visit finds them
    with django_assert_max_num_queries(4):
        body = client.get(LIST_URL).content.decode()
    assert body.count('class="address-lines"') == count


# --- two tabs at once (row locks: PostgreSQL) ------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_first_addresses_at_once_make_one_default(postgres_only):
    user = UserFactory()
    results = run_at_once([lambda i=i: add(user, full_name=f"Tab {i}") for i in range(4)])
    assert all(isinstance(r, Address) for r in results), results
    assert len(defaults_of(user)) == 1
    assert Address.objects.filter(user=user).count() == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_making_defaults_and_deleting_at_once_leaves_one_default(postgres_only):
    user = UserFactory()
    addresses = [add(user, full_name=f"A{i}") for i in range(6)]
    jobs = [lambda a=a: services.set_default_address(address=a) for a in addresses[:3]]
    jobs += [lambda a=a: services.delete_address(address=a) for a in addresses[3:]]
    jobs.append(lambda: services.delete_address(address=addresses[0]))
    results = run_at_once(jobs)
    assert not [r for r in results if isinstance(r, IntegrityError)], results
    assert len(defaults_of(user)) == 1
    assert Address.objects.filter(user=user).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_checkouts_at_once_with_the_same_new_address_save_it_once(postgres_only):
    user = UserFactory()
    typed = [
        ShippingAddress(
            full_name=name, line1="Lindenstr. 1", postcode="10115", city="Berlin", country="Germany"
        )
        for name in ("Greta Guest", "greta  guest", "Greta Guest", "GRETA GUEST")
    ]
    results = run_at_once(
        [lambda a=a: save_member_address(user=user, address=a, phone="030 1234") for a in typed]
    )
    assert all(isinstance(r, Address) for r in results), results
    assert Address.objects.filter(user=user).count() == 1
    assert len({r.pk for r in results}) == 1
    assert len(defaults_of(user)) == 1


def test_admin_refuses_a_second_default_address_with_a_clear_message(admin_client):
    member = UserFactory()
    Address.objects.create(
        user=member,
        full_name="A",
        line1="x",
        postcode="1",
        city="B",
        country="Germany",
        is_default=True,
    )
    r = admin_client.post(
        reverse("admin:accounts_address_add"),
        {
            "user": member.pk,
            "full_name": "C",
            "line1": "y",
            "line2": "",
            "postcode": "2",
            "city": "D",
            "country": "Germany",
            "phone": "",
            "is_default": "on",
        },
    )
    assert r.status_code == 200
    assert "This member already has a default address: untick it there first." in r.content.decode()
    assert Address.objects.filter(user=member).count() == 1


# --- staff in admin: a member with addresses always keeps one default --------------------------


def _book(member, *names, default=None):
    return [
        Address.objects.create(
            user=member,
            full_name=name,
            line1="Street 1",
            postcode="10115",
            city="Berlin",
            country="Germany",
            is_default=(name == default),
        )
        for name in names
    ]


def default_names(member) -> list[str]:
    return list(
        Address.objects.filter(user=member, is_default=True).values_list("full_name", flat=True)
    )


def _admin_form(address, **changes):
    data = {
        "user": address.user_id,
        "full_name": address.full_name,
        "line1": address.line1,
        "line2": address.line2,
        "postcode": address.postcode,
        "city": address.city,
        "country": address.country,
        "phone": address.phone,
        **changes,
    }
    return data  # "is_default" left out: unticked, unless given in ``changes``


def test_staff_unticking_the_default_in_admin_makes_another_address_the_default(admin_client):
    member = UserFactory()
    home, work = _book(member, "Home", "Work", default="Home")
    response = admin_client.post(
        reverse("admin:accounts_address_change", args=[home.pk]), _admin_form(home), follow=True
    )
    assert "is now" in response.content.decode()
    assert default_names(member) == ["Work"]


def test_unticking_the_only_address_in_admin_leaves_it_the_default(admin_client):
    member = UserFactory()
    (home,) = _book(member, "Home", default="Home")
    admin_client.post(reverse("admin:accounts_address_change", args=[home.pk]), _admin_form(home))
    assert default_names(member) == ["Home"]


def test_deleting_the_default_in_admin_makes_the_newest_other_the_default(admin_client):
    member = UserFactory()
    home, _old, _new = _book(member, "Home", "Old", "New", default="Home")
    admin_client.post(reverse("admin:accounts_address_delete", args=[home.pk]), {"post": "yes"})
    assert default_names(member) == ["New"]


def test_deleting_defaults_in_bulk_in_admin_leaves_each_member_one(admin_client):
    ann, bob = UserFactory(), UserFactory()
    ann_home, _ann_work = _book(ann, "Ann home", "Ann work", default="Ann home")
    (bob_home,) = _book(bob, "Bob home", default="Bob home")
    admin_client.post(
        reverse("admin:accounts_address_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [ann_home.pk, bob_home.pk],
            "post": "yes",
        },
    )
    assert default_names(ann) == ["Ann work"]
    assert defaults_of(bob) == []  # no address left: nothing to be the default


def test_moving_the_default_to_another_member_in_admin_gives_the_first_a_new_one(admin_client):
    ann, bob = UserFactory(), UserFactory()
    home, _work = _book(ann, "Home", "Work", default="Home")
    admin_client.post(
        reverse("admin:accounts_address_change", args=[home.pk]),
        _admin_form(home, user=bob.pk, is_default="on"),
    )
    assert default_names(ann) == ["Work"]
    assert default_names(bob) == ["Home"]


# --- postcodes as they are written in the country ------------------------------------------


@pytest.mark.parametrize(
    ("country", "typed", "kept"),
    [
        ("Germany", " 80331 ", "80331"),
        ("Austria", "1010", "1010"),
        ("Netherlands", "1012ab", "1012 AB"),
        ("Poland", "00950", "00-950"),
        ("Luxembourg", "1009", "L-1009"),
        ("Norway", "0150 Oslo-ish", "0150 Oslo-ish"),  # a country without a rule: as typed
    ],
)
def test_a_postcode_is_kept_as_written_in_its_country(
    client, member, settings, country, typed, kept
):
    settings.SHOP_DELIVERY_COUNTRIES = ["Germany", country]
    response = client.post(ADD_URL, {**FORM, "country": country, "postcode": typed})
    assert response.status_code == 302, response.content.decode()[-1500:]
    assert Address.objects.get(user=member).postcode == kept


@pytest.mark.parametrize(("postcode", "country"), [("1062", "Germany"), ("10115", "Austria")])
def test_a_postcode_that_cannot_be_one_there_is_refused_with_an_example(
    client, member, settings, postcode, country
):
    settings.SHOP_DELIVERY_COUNTRIES = ["Germany", "Austria"]
    response = client.post(ADD_URL, {**FORM, "postcode": postcode, "country": country})
    body = response.content.decode()
    example = {"Germany": "10115", "Austria": "1010"}[country]
    assert f"Enter a postcode as it is written in {country}, such as {example}." in body
    assert f'value="{postcode}"' in body  # nothing typed is lost
    assert not Address.objects.filter(user=member).exists()


def test_the_checkout_refuses_a_german_postcode_of_four_digits(client):
    from tests.orders.helpers import ADDRESS_FORM

    add_to_cart(client, ProductFactory(stock=3).variants.get())
    response = client.post(
        reverse("orders:checkout"),
        {"email": "g@example.com", "phone": "030 1234", **ADDRESS_FORM, "postcode": "1062"},
    )
    assert response.status_code == 200
    assert (
        "Enter a postcode as it is written in Germany, such as 10115." in response.content.decode()
    )
    assert "address" not in client.session.get("checkout", {})


def test_full_width_or_other_script_digits_are_not_a_postcode(client, member):
    for typed in ("１０１１５", "١٠١١٥"):
        response = client.post(ADD_URL, {**FORM, "postcode": typed})
        assert "Enter a postcode as it is written in Germany" in response.content.decode()
    assert not Address.objects.filter(user=member).exists()


def test_a_saved_address_with_an_impossible_postcode_is_refused_at_checkout(client, member):
    bad = add(member, postcode="1062")  # saved before postcodes were checked
    add_to_cart(client, ProductFactory(stock=3).variants.get())
    response = client.post(
        reverse("orders:checkout"),
        {
            "email": "member@example.com",
            "phone": "030 1234",
            "saved_address": bad.pk,
            "shipping_method": "",
        },
    )
    body = response.content.decode()
    assert "The postcode of this address (1062) cannot be right for Germany." in body
    assert "address" not in client.session.get("checkout", {})


def test_staff_changing_an_address_lock_the_book_before_writing_it(admin_client):
    """The services lock a member's row, then their addresses; admin must take them in the same
    order, or a member editing at the same moment deadlocks with staff."""
    from django.test.utils import CaptureQueriesContext

    member = UserFactory()
    home, _work = _book(member, "Home", "Work", default="Home")
    with CaptureQueriesContext(connection) as queries:
        admin_client.post(
            reverse("admin:accounts_address_change", args=[home.pk]), _admin_form(home)
        )
    sql = [q["sql"] for q in queries.captured_queries]
    # the book's lock: the member's row alone (FOR NO KEY UPDATE on PostgreSQL)
    lock = 'SELECT "accounts_user"."id" AS "pk" FROM "accounts_user" WHERE'
    first_user_lock = next(i for i, s in enumerate(sql) if s.startswith(lock))
    first_write = next(i for i, s in enumerate(sql) if s.startswith('UPDATE "accounts_address"'))
    assert first_user_lock < first_write
    assert default_names(member) == ["Work"]


@pytest.mark.django_db
def test_a_new_address_in_admin_starts_in_the_first_country_the_shop_delivers_to(
    admin_client, settings
):
    """It started as "Germany" whatever the shop delivers to (a Swiss shop's staff had to
    change it every time)."""
    settings.SHOP_DELIVERY_COUNTRIES = ["Switzerland", "Liechtenstein"]
    page = admin_client.get(reverse("admin:accounts_address_add")).content.decode()
    assert re.search(r'<input[^>]*name="country"[^>]*value="Switzerland"', page)
    assert Address(user_id=1).country == "Switzerland"


# --- back, refresh and two tabs (what a browser does around the address book) ----------------


def test_deleting_an_address_twice_says_it_is_gone_not_404(client, member):
    """Back to the confirmation page (or a second tab) and Delete again: the address book with
    a word, not 'page not found'."""
    gone = add(member, full_name="Delete Me")
    url = reverse("accounts:address_delete", args=[gone.pk])
    client.post(url, follow=True)

    again = client.post(url, follow=True)

    assert again.redirect_chain == [(LIST_URL, 302)]
    assert messages_of(again) == ["That address was already deleted."]


def test_editing_an_address_deleted_in_another_tab_keeps_what_was_typed(client, member):
    gone = add(member, full_name="Old Name")
    client.post(reverse("accounts:address_delete", args=[gone.pk]), follow=True)

    response = client.post(
        reverse("accounts:address_edit", args=[gone.pk]), {**FORM, "full_name": "New Name"}
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "was deleted" in " ".join(messages_of(response))
    assert 'value="New Name"' in body
    assert f'action="{ADD_URL}"' in body
    assert not Address.objects.filter(user=member).exists()  # nothing saved without asking
    client.post(ADD_URL, {**FORM, "full_name": "New Name"})
    assert Address.objects.get(user=member).full_name == "New Name"


def test_making_a_deleted_address_the_default_says_it_is_gone(client, member):
    add(member)
    gone = add(member, full_name="Delete Me")
    client.post(reverse("accounts:address_delete", args=[gone.pk]), follow=True)

    again = client.post(reverse("accounts:address_make_default", args=[gone.pk]), follow=True)

    assert messages_of(again) == ["That address was already deleted."]
