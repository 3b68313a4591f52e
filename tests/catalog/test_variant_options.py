"""The product page's options are written in Python (catalog_tags.variant_options) with the
markup the template's loops wrote."""

from decimal import Decimal

import pytest
from django.template import engines

from catalog.templatetags.catalog_tags import variant_options
from tests.factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db

# The loops as product_detail.html had them, for comparison.
TEMPLATE_LOOPS = {
    "select": (
        "{% load shop_tags %}{% for variant in variants %}\n"
        '            <option value="{{ variant.pk }}"{% if variant == only_choice %} selected'
        "{% endif %}{% if variant.stock <= 0 %} disabled{% endif %}>&#x2068;"
        "{{ variant.label|default:variant.sku }}&#x2069; — {% if variant.price_override is not "
        "None %}{{ variant.price_override|money }} · {% endif %}{{ variant.stock_note }}"
        "</option>\n            {% endfor %}"
    ),
    "radio": (
        "{% load shop_tags %}{% for variant in variants %}\n"
        '            <label class="variant-option" for="variant-{{ variant.pk }}">\n'
        '              <input type="radio" id="variant-{{ variant.pk }}" name="variant" '
        'value="{{ variant.pk }}" required{% if variant == only_choice %} checked{% endif %}'
        "{% if variant.stock <= 0 %} disabled{% endif %}>\n"
        "              <span><bdi>{{ variant.label|default:variant.sku }}</bdi>\n"
        "                <small>{% if variant.price_override is not None %}"
        "{{ variant.price_override|money }} · {% endif %}{{ variant.stock_note }}</small></span>\n"
        "            </label>\n            {% endfor %}"
    ),
}


def variants_of_every_kind():
    product = ProductFactory(stock=False, price=Decimal("20.00"))
    return [
        VariantFactory(product=product, colour='Red <b>"x"</b> & co', size="M", stock=12),
        VariantFactory(product=product, sku="SKU-NO-LABEL", stock=3),  # low: "only 3 left"
        VariantFactory(product=product, size="L", stock=0),  # sold out: disabled
        VariantFactory(product=product, size="XL", stock=7, price_override=Decimal("1234.50")),
        VariantFactory(product=product, size="XXL", stock=8, price_override=Decimal("0.00")),
    ]


@pytest.mark.parametrize("kind", ["select", "radio"])
@pytest.mark.parametrize("chosen", [None, 0, 2])
def test_options_are_what_the_template_loops_wrote(kind, chosen):
    variants = variants_of_every_kind()
    only_choice = None if chosen is None else variants[chosen]
    loop = engines["django"].from_string(TEMPLATE_LOOPS[kind])
    expected = loop.render({"variants": variants, "only_choice": only_choice})
    assert variant_options(variants, only_choice, kind) == expected
    assert "&lt;b&gt;&quot;x&quot;&lt;/b&gt; &amp; co" in expected  # escaped, both ways


def test_the_product_page_shows_options_and_no_template_comment(client):
    product = ProductFactory(stock=False, name="Rain Jacket")
    for size in ("XS", "S", "M", "L", "XL", "XXL", "3XL", "4XL", "5XL"):  # nine: a list
        VariantFactory(product=product, size=size, stock=4)
    body = client.get(product.get_absolute_url()).content.decode()
    assert body.count("<option value=") == 10  # "Choose…" and nine sizes
    assert "&#x2068;5XL&#x2069; — only 4 left</option>" in body
    assert "{#" not in body  # a comment over two lines was written out as text
