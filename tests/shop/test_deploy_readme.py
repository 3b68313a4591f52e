"""deploy/README.md: what it tells a merchant to click or expect matches the shop."""

import re

from django.apps import apps

from cart.models import ShippingMethod
from tests.shop.test_settings import ROOT

README = (ROOT / "deploy/README.md").read_text()


def after_installing() -> str:
    return README[README.index("## After installing") : README.index("## Health checks")]


def test_after_installing_asks_for_a_delivery_method_where_admin_has_it():
    """Drill: a fresh install followed step by step had no delivery method, and the README
    never said to add one: checkout showed "No delivery method is available right now" and no
    order could be placed."""
    section = " ".join(after_installing().split())
    where = re.search(r"\((\w+) → ([\w ]+):", section)
    assert where, section
    assert where.group(1) == apps.get_app_config("cart").verbose_name
    assert where.group(2) == ShippingMethod._meta.verbose_name_plural.capitalize()
    template = (ROOT / "templates/orders/checkout_details.html").read_text()
    quoted = re.search(r'checkout says "([^"]+)"', section).group(1)
    assert quoted in template
