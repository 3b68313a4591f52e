"""README.md: what it tells a new merchant to set up matches the shop."""

from django.conf import settings

from service.models import ServiceText
from tests.shop.test_settings import ROOT

README = (ROOT / "README.md").read_text()


def own_shop() -> str:
    return README[README.index("## Your own shop") : README.index("## What the shop is")]


def test_the_own_shop_steps_name_every_setting_the_demo_check_warns_about():
    section = own_shop()
    for name in settings.SHOP_DEMO_VALUES:
        family = name.rsplit("_", 1)[0] + "_*"
        assert f"`{name}`" in section or f"`{family}`" in section, name


def test_the_own_shop_steps_start_empty_and_say_where_admin_keeps_the_texts():
    section = own_shop()
    assert "seed_demo" not in section  # "make run" fills the demo: these steps do not
    assert "manage.py migrate" in section
    assert "createsuperuser" in section
    assert f"**{ServiceText._meta.verbose_name_plural.capitalize()}**" in section
    assert "Carts → Shipping methods" in section
