"""{% url %} and get_absolute_url() answer from core.reverse's memory, and are never stale."""

from unittest import mock

import pytest
from django.template import Context, Template, engines
from django.urls import NoReverseMatch, reverse, set_script_prefix
from django.utils.functional import lazy

from catalog.models import Product
from core import reverse as cached
from core.templatetags.cached_url import CachedURLNode


@pytest.fixture(autouse=True)
def empty_memory():
    cached.clear()
    yield
    cached.clear()
    set_script_prefix("/")


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_every_template_gets_the_remembering_url_tag():
    template = engines["django"].from_string("{% url 'cart:detail' %}")
    nodes = template.template.nodelist.get_nodes_by_type(CachedURLNode)
    assert len(nodes) == 1


def test_the_tag_answers_as_django_does():
    assert render("{% url 'cart:detail' %}") == reverse("cart:detail")
    assert render("{% url 'cart:update_line' 7 %}") == reverse("cart:update_line", args=[7])
    assert render("{% url 'catalog:product' slug=s %}", s="blue-mug") == "/products/blue-mug/"
    assert render("{% url 'catalog:product' slug='x' as link %}[{{ link }}]") == ("[/products/x/]")
    assert render("{% url 'no-such-page' as link %}[{{ link }}]") == "[]"
    with pytest.raises(NoReverseMatch):
        render("{% url 'no-such-page' %}")


def test_a_second_call_does_not_resolve_the_patterns_again():
    with mock.patch.object(cached, "reverse", wraps=reverse) as real:
        for _ in range(3):
            assert render("{% url 'cart:update_line' 7 %}") == "/cart/lines/7/"
    assert real.call_count == 1


def test_the_script_prefix_is_part_of_the_answer():
    assert render("{% url 'cart:detail' %}") == "/cart/"
    set_script_prefix("/shop/")
    assert render("{% url 'cart:detail' %}") == "/shop/cart/"
    assert cached.cached_reverse("cart:detail") == "/shop/cart/"


def test_only_plain_values_are_remembered():
    lazy_slug = lazy(lambda: "lazy-slug", str)()
    with mock.patch.object(cached, "reverse", wraps=reverse) as real:
        render("{% url 'catalog:product' p.slug %}", p=Product(slug="a-slug"))
        render("{% url 'catalog:product' 'a-slug' %}")
        assert real.call_count == 1  # the same plain slug twice: remembered
        for _ in range(2):
            assert render("{% url 'catalog:product' s %}", s=lazy_slug) == "/products/lazy-slug/"
    assert real.call_count == 3  # a lazy value: resolved every time


def test_a_renamed_product_links_to_its_new_address():
    product = Product(slug="old-name")
    assert product.get_absolute_url() == "/products/old-name/"
    product.slug = "new-name"
    assert product.get_absolute_url() == "/products/new-name/"
