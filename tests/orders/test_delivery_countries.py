"""The shop delivers to the countries it names (SHOP_DELIVERY_COUNTRIES): shoppers choose
one from a list at checkout and in their address book, and nothing else gets through."""

import pytest
from django.urls import reverse

from accounts.models import Address
from tests.factories import ProductFactory, UserFactory

from .helpers import ADDRESS_FORM, add_to_cart, checkout_data, form_defaults

pytestmark = pytest.mark.django_db

CHECKOUT_URL = reverse("orders:checkout")


@pytest.fixture
def at_checkout(client, standard_shipping):
    add_to_cart(client, ProductFactory(stock=5).variants.get())
    return client


@pytest.fixture
def member_at_checkout(client, standard_shipping):
    """A signed-in member with something in the cart."""
    member = UserFactory()
    client.force_login(member)
    add_to_cart(client, ProductFactory(stock=5).variants.get())
    return member


@pytest.fixture
def details(standard_shipping):
    """The details page's fields other than the address, filled in."""
    return {k: v for k, v in checkout_data(standard_shipping).items() if k not in ADDRESS_FORM}


def saved(member, **fields) -> Address:
    values = {"full_name": "Mia", "line1": "1 Rue X", "postcode": "75001", "city": "Paris"}
    return Address.objects.create(user=member, is_default=True, **{**values, **fields})


def test_checkout_offers_the_delivery_countries_and_refuses_any_other(
    at_checkout, details, settings
):
    settings.SHOP_DELIVERY_COUNTRIES = ["Germany", "Austria"]
    page = at_checkout.get(CHECKOUT_URL).content.decode()
    assert '<option value="Germany" selected>Germany</option>' in page
    assert '<option value="Austria">Austria</option>' in page
    assert form_defaults(at_checkout.get(CHECKOUT_URL))["country"] == "Germany"

    refused = at_checkout.post(CHECKOUT_URL, {**details, **ADDRESS_FORM, "country": "Narnia"})
    assert refused.status_code == 200
    body = refused.content.decode()
    assert "We deliver to Germany and Austria only." in body
    assert 'value="Lindenstr. 1"' in body  # nothing typed is lost
    assert "address" not in at_checkout.session.get("checkout", {})

    accepted = at_checkout.post(
        CHECKOUT_URL,
        {**details, **ADDRESS_FORM, "postcode": "1010", "city": "Wien", "country": "Austria"},
    )
    assert accepted.url == reverse("orders:checkout_review")
    assert at_checkout.session["checkout"]["address"]["country"] == "Austria"


def test_a_saved_address_abroad_is_refused_at_checkout_with_the_reason(
    client, member_at_checkout, details
):
    paris = saved(member_at_checkout, country="France")
    response = client.post(CHECKOUT_URL, {**details, "saved_address": paris.pk, **ADDRESS_FORM})
    assert response.status_code == 200
    assert (
        "We deliver to Germany only; this address is in France. Choose another address or "
        "enter a new one." in response.content.decode()
    )
    assert "address" not in client.session.get("checkout", {})


def test_the_address_book_takes_only_delivery_countries(client):
    member = UserFactory()
    client.force_login(member)
    data = dict(ADDRESS_FORM)
    refused = client.post(reverse("accounts:address_add"), {**data, "country": "Atlantis"})
    assert "We deliver to Germany only." in refused.content.decode()
    assert not Address.objects.exists()
    client.post(reverse("accounts:address_add"), data)
    assert Address.objects.get().country == "Germany"


def test_the_delivery_page_names_the_countries(client, settings):
    settings.SHOP_DELIVERY_COUNTRIES = ["Germany", "Austria", "Switzerland"]
    page = client.get(reverse("service:delivery")).content.decode()
    assert "We deliver to Germany, Austria and Switzerland." in page


def test_editing_an_address_abroad_shows_its_country_and_refuses_it_openly(client):
    """The browser would otherwise send the first country of the list in its place."""
    member = UserFactory()
    client.force_login(member)
    paris = saved(member, country="France")
    url = reverse("accounts:address_edit", args=[paris.pk])
    page = client.get(url)
    assert '<option value="France" selected>France (we do not deliver there)</option>' in (
        page.content.decode()
    )
    response = client.post(url, {**form_defaults(page), "phone": "030 1234"})
    assert response.status_code == 200
    assert "We deliver to Germany only." in response.content.decode()
    paris.refresh_from_db()
    assert (paris.country, paris.phone) == ("France", "")


def test_a_saved_country_in_other_spelling_ships_as_the_shop_spells_it(
    client, member_at_checkout, details
):
    home = saved(member_at_checkout, city="München", country=" germany ")
    response = client.post(CHECKOUT_URL, {**details, "saved_address": home.pk, **ADDRESS_FORM})
    assert response.url == reverse("orders:checkout_review")
    assert client.session["checkout"]["address"]["country"] == "Germany"


def test_editing_an_address_saved_in_another_spelling_keeps_its_country(client, settings):
    """With several countries, a saved "germany" must preselect Germany, not leave the browser
    to send the first country of the list."""
    settings.SHOP_DELIVERY_COUNTRIES = ["Austria", "Germany"]
    member = UserFactory()
    client.force_login(member)
    home = saved(member, city="München", country="germany ")
    url = reverse("accounts:address_edit", args=[home.pk])
    page = client.get(url)
    assert '<option value="Germany" selected>Germany</option>' in page.content.decode()
    client.post(url, {**form_defaults(page), "phone": "030 1234"})
    home.refresh_from_db()
    assert (home.country, home.phone) == ("Germany", "030 1234")
