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
    signed_in_fragments = list(shop_tags._shared_fragments.values())
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
