"""The cart page's rows are written in Python (cart_tags.cart_rows) with the markup the
template's loop wrote."""

import re
from decimal import Decimal

import pytest
from django.template import engines
from django.test import RequestFactory

from cart.pricing import PricedLine
from tests.factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db

# The loop as cart_detail.html had it, for comparison.
TEMPLATE_LOOP = (
    "{% load shop_tags static %}{% for line in pricing.lines %}\n"
    '          <tr>\n            <th scope="row">\n              <div class="cart-item">\n'
    '                {% if line.product.card_image %}<img class="cart-thumb" src="{{ line.pro'
    'duct.card_image_url }}" alt="" width="64" height="64" decoding="async">{% else %}<img clas'
    's="cart-thumb" src="{% static \'img/placeholder.svg\' %}" alt="" width="64" height="6'
    '4">{% endif %}\n                <div>\n              <a href="{{ line.product.get_absolute_'
    'url }}"><bdi>{{ line.product.name }}</bdi></a>\n              {% if line.variant.label %}<b'
    "r><small><bdi>{{ line.variant.label }}</bdi></small>{% endif %}\n              <br><small>S"
    'KU <span class="sku">{{ line.variant.sku }}</span></small>\n              <small class="uni'
    't-narrow"><br>{{ line.unit_price|money }} each</small>\n              {% if line.problem %}'
    '<p class="cart-line-flag" id="problem-{{ line.line_id }}">{{ line.problem }}</p>{% endif %'
    "}\n                </div>\n              </div>\n            </th>\n            <td class="
    '"num col-unit">{{ line.unit_price|money }}</td>\n            <td>\n              <div clas'
    's="line-actions">\n                <form class="qty-form" method="post" action="{% url \'car'
    "t:update_line' line.line_id %}\">\n                  {% csrf_token %}\n                  <l"
    'abel class="visually-hidden" for="qty-{{ line.line_id }}">Quantity of {{ line.product.name'
    ' }}</label>\n                  <input id="qty-{{ line.line_id }}" type="number" name="quant'
    'ity" value="{{ line.quantity }}" min="0" max="999" inputmode="numeric"{% if line.line_id =='
    ' refused_line %} aria-invalid="true" aria-describedby="refused-{{ line.line_id }}{% if lin'
    'e.problem %} problem-{{ line.line_id }}{% endif %}"{% elif line.problem %} aria-describedb'
    'y="problem-{{ line.line_id }}"{% endif %}>\n                  <button type="submit" class="'
    'secondary">Update</button>\n                  {% if line.line_id == refused_line %}<p class'
    '="errorlist qty-error" id="refused-{{ line.line_id }}">{{ refused_reason }}</p>{% endif %}'
    '\n                </form>\n                <form method="post" action="{% url \'cart:remov'
    'e_line\' line.line_id %}">{% csrf_token %}<button type="submit" class="danger" aria-la'
    'bel="Remove {{ line.product.name }}">Remove</button></form>\n              </div>\n       '
    '     </td>\n            <td class="num">{{ line.line_total|money }}</td>\n          </tr>\n'
    "        {% endfor %}"
)
ROWS = "{% load cart_tags %}{% cart_rows pricing.lines %}"


def lines():
    plain = ProductFactory(name='Mug <b>"big"</b> & co', stock=False)
    plain.card_image = "products/1/thumbs/mug 1_480.webp"
    jacket = ProductFactory(name="Jacket", stock=False)
    jacket.card_image = ""
    a = VariantFactory(product=plain, stock=4)
    b = VariantFactory(product=jacket, colour="Red <i>", size="M", stock=0)
    c = VariantFactory(product=jacket, size="L", stock=9)
    for variant, product in ((a, plain), (b, jacket), (c, jacket)):
        variant.product = product  # the annotated picture, as the cart's query gives it
    return [
        PricedLine(11, a, 2, Decimal("9.99"), Decimal("19.98")),
        PricedLine(12, b, 1, Decimal("1234.50"), Decimal("1234.50"), problem="Sold out <now>"),
        PricedLine(13, c, 1000, Decimal("0.00"), Decimal("0.00"), problem="Only 9 left"),
    ]


@pytest.mark.parametrize("refused_line", [None, 11, 12, 13])
def test_rows_are_what_the_template_loop_wrote(refused_line):
    request = RequestFactory().get("/cart/")
    request.META["CSRF_COOKIE"] = "a" * 32
    context = {
        "pricing": {"lines": lines()},
        "refused_line": refused_line,
        "refused_reason": 'Only 9 <left> & "more"',
    }
    django = engines["django"]
    expected = django.from_string(TEMPLATE_LOOP).render(context, request)
    rows = django.from_string(ROWS).render(context, request)
    mask = r'value="[A-Za-z0-9]{64}"'
    assert re.sub(mask, "TOKEN", rows) == re.sub(mask, "TOKEN", expected)
    assert "Mug &lt;b&gt;&quot;big&quot;&lt;/b&gt; &amp; co" in rows
    assert rows.count("csrfmiddlewaretoken") == 6
