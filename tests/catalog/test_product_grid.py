"""The product cards of listings, search and home (catalog_tags.product_grid)."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


def card(body: str, name: str) -> str:
    start = body.rindex('<li><article class="card">', 0, body.index(name))
    return body[start : body.index("</article></li>", start)]


def test_a_card_shows_name_price_badges_and_a_working_add_form():
    product = ProductFactory(
        name="Storm Lantern", price=Decimal("24.00"), compare_at_price=Decimal("30.00"), stock=3
    )
    client = Client(enforce_csrf_checks=True)
    body = client.get("/products/").content.decode()
    html = card(body, "Storm Lantern")
    assert f'<a href="{product.get_absolute_url()}">Storm Lantern</a>' in html
    assert '<span class="badge sale">Sale</span>' in html
    assert "<del>" in html  # the crossed-out regular price
    assert 'max="3"' in html  # low stock: the input's maximum is what is left
    assert 'aria-label="Add Storm Lantern to cart"' in html
    assert '<label class="visually-hidden" for="qty-card-' in html
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    variant = product.variants.get()
    added = client.post(
        reverse("cart:add"), {"variant": variant.pk, "quantity": 1, "csrfmiddlewaretoken": token}
    )
    assert added.status_code == 302


def test_sold_out_and_several_variants():
    ProductFactory(name="Empty Kettle", stock=0)
    several = ProductFactory(name="Wool Socks", stock=False)
    VariantFactory(product=several, stock=4)
    VariantFactory(product=several, stock=2)
    body = Client().get("/products/").content.decode()
    sold_out = card(body, "Empty Kettle")
    assert '<span class="badge sold-out">Sold out</span>' in sold_out
    assert "<form" not in sold_out
    socks = card(body, "Wool Socks")
    assert f'<a class="button secondary" href="{several.get_absolute_url()}">Choose options' in (
        socks
    )
    assert "<form" not in socks


def test_everything_from_data_is_escaped_and_search_words_are_marked(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):  # the search index follows
        ProductFactory(
            name='<script>alert(1)</script> "Lamp"',
            short_description="A <b>bright</b> lamp & more " + "x" * 100,
        )
    body = Client().get(reverse("search:results"), {"q": "lamp"}).content.decode()
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &quot;<mark>Lamp</mark>&quot;" in body
    assert "A &lt;b&gt;bright&lt;/b&gt; <mark>lamp</mark> &amp; more" in body
    assert "x" * 100 not in body  # the short description is cut at 80 characters


def test_card_links_match_the_product_url_and_long_descriptions_are_cut():
    exact = "x" * 80
    long = "A lantern for storms. " * 6
    plain = ProductFactory(name="Plain Slug", slug="plain-slug_2", short_description=exact)
    cut = ProductFactory(name="Long Story", short_description=long)

    body = Client().get("/products/").content.decode()

    html = card(body, "Plain Slug")
    assert f'<a href="{plain.get_absolute_url()}">Plain Slug</a>' in html
    assert plain.get_absolute_url() == "/products/plain-slug_2/"
    assert f'<p class="meta" dir="auto">{exact}</p>' in html  # 80 characters fit: not cut
    html = card(body, "Long Story")
    assert f'<a href="{cut.get_absolute_url()}">Long Story</a>' in html
    assert f'<p class="meta" dir="auto">{long[:79].rstrip()}…</p>' in html
