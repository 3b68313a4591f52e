"""The navigation and footer are rendered once per content version and shared by everyone."""

import pytest
from django.contrib.auth import get_user_model

from core.templatetags import shop_tags
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def nav(body: str) -> str:
    return body[body.index('<nav class="main-nav"') : body.index("</nav>", body.index("main-nav"))]


def test_current_page_is_marked_in_the_shared_navigation(client):
    product = ProductFactory()
    series_url = product.series.get_absolute_url()
    body = client.get(series_url).content.decode()
    assert f'<a href="{series_url}" aria-current="page">' in nav(body)
    home = client.get("/").content.decode()
    assert 'aria-current="page"' not in nav(home)
    assert f'<a href="{series_url}">' in nav(home)


def test_a_renamed_category_shows_at_once(client, django_capture_on_commit_callbacks):
    category = CategoryFactory(name="Kettles", slug="kettles")
    assert ">Kettles<" in nav(client.get("/").content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        category.name = "Tea kettles"
        category.save()
    body = client.get("/").content.decode()
    assert ">Tea kettles<" in nav(body)
    assert ">Kettles<" not in nav(body)


def test_the_shared_parts_carry_nothing_personal(client):
    user = get_user_model().objects.create_user(
        email="ada@example.com", password="a long passphrase 123"
    )
    CategoryFactory(name="Lamps", slug="lamps")
    client.force_login(user)
    client.get("/")  # fills the fragments while signed in
    signed_in_fragments = ["".join(pieces) for pieces in shop_tags._shared_fragments.values()]
    assert signed_in_fragments
    for html in signed_in_fragments:
        assert "ada" not in html
        assert "csrfmiddlewaretoken" not in html
    client.logout()
    body = client.get("/").content.decode()
    assert "ada@example.com" not in body
    assert "Sign in" in body


def test_footer_follows_the_admin_email_setting(client, settings):
    # (different URLs: the whole-page cache does not follow settings, the fragment does)
    settings.SHOP_ADMIN_EMAIL = "first@shop.example"
    assert "mailto:first@shop.example" in client.get("/?v=1").content.decode()
    settings.SHOP_ADMIN_EMAIL = "second@shop.example"
    assert "mailto:second@shop.example" in client.get("/?v=2").content.decode()


@pytest.mark.usefixtures("redis_down")
def test_with_the_cache_down_the_navigation_is_never_stale(
    client, django_capture_on_commit_callbacks
):
    category = CategoryFactory(name="Kettles", slug="kettles")
    assert ">Kettles<" in nav(client.get("/").content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        category.name = "Tea kettles"
        category.save()  # the version cannot be bumped: Redis is down
    assert ">Tea kettles<" in nav(client.get("/").content.decode())


def header(body: str) -> str:
    return body[body.index('<header class="site-header">') : body.index("</header>")]


def header_renders(response) -> int:
    return sum(t.name == "includes/header.html" for t in response.templates)


def test_the_header_is_rendered_once_for_every_visitor_and_filled_for_each(client):
    CategoryFactory(name="Lamps", slug="lamps")
    first = client.get("/?q=1", secure=True)
    assert header_renders(first) == 1
    second = client.get("/search/?q=lamp", secure=True)
    assert header_renders(second) == 0  # the shared copy
    assert 'name="q" value="lamp"' in header(second.content.decode())
    assert ">Lamps<" in header(second.content.decode())


def test_the_header_search_box_shows_each_visitors_own_query_escaped(client):
    body = client.get("/search/", {"q": '<b>"tea'}).content.decode()
    assert 'name="q" value="&lt;b&gt;&quot;tea"' in header(body)
    body = client.get("/search/", {"q": "zqxwv"}).content.decode()
    assert 'name="q" value="zqxwv"' in header(body)
    assert "tea" not in header(body)
    for pieces in shop_tags._shared_fragments.values():
        assert "zqxwv" not in "".join(pieces)


def test_one_visitors_name_cart_count_and_token_never_reach_another(client):
    from django.middleware.csrf import _unmask_cipher_token
    from django.test import Client

    from tests.factories import UserFactory

    product = ProductFactory(name="Camp Mug", stock=9)
    member = UserFactory(email="ada@example.com")
    ada = Client()
    ada.force_login(member)
    ada.post("/cart/add/", {"variant": product.variants.get().pk, "quantity": 3})
    ada_page = ada.get("/guestbook/").content.decode()
    ada_header = header(ada_page)
    assert "Sign out" in ada_header
    assert 'aria-label="3 items in cart">3</span>' in ada_header
    ada_token = ada_header.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert _unmask_cipher_token(ada_token) == ada.cookies["csrftoken"].value

    guest_header = header(client.get("/guestbook/").content.decode())  # the same shared copy
    assert "Sign out" not in guest_header
    assert "Sign in" in guest_header
    assert 'aria-label="0 items in cart">0</span>' in guest_header
    assert "csrfmiddlewaretoken" not in guest_header
    assert ada_token not in client.get("/guestbook/").content.decode()

    # and Ada's next page has a token of her own again, not one kept with the header
    again = header(ada.get("/guestbook/?page=1").content.decode())
    token = again.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert _unmask_cipher_token(token) == ada.cookies["csrftoken"].value
    for pieces in shop_tags._shared_fragments.values():
        text = "".join(pieces)
        assert "csrfmiddlewaretoken" not in text
        assert "ada@example.com" not in text


def test_the_header_follows_the_shop_name_setting(client, settings):
    # (different URLs: the whole-page cache does not follow settings, the fragment does)
    settings.SHOP_NAME = "Meadow One"
    assert "<span>Meadow One</span>" in header(client.get("/?v=1").content.decode())
    settings.SHOP_NAME = "Pine Two"
    assert "<span>Pine Two</span>" in header(client.get("/?v=2").content.decode())


def test_a_series_added_shows_in_the_header_at_once(client, django_capture_on_commit_callbacks):
    from tests.factories import SeriesFactory

    ProductFactory()
    client.get("/")
    with django_capture_on_commit_callbacks(execute=True):
        ProductFactory(series=SeriesFactory(name="Harbour", slug="harbour"))
    assert ">Harbour<" in nav(client.get("/").content.decode())


@pytest.mark.usefixtures("redis_down")
def test_with_the_cache_down_the_header_is_rendered_on_every_page(client):
    CategoryFactory(name="Kettles", slug="kettles")
    shop_tags._shared_fragments.clear()
    for query in ("mug", "pot"):
        response = client.get("/search/", {"q": query})
        assert header_renders(response) == 1
        assert f'name="q" value="{query}"' in header(response.content.decode())
    assert not shop_tags._shared_fragments
