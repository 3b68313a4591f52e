import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from catalog.models import Category, Product, ProductImage, Series, Variant

pytestmark = pytest.mark.django_db


def seed(**kwargs) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, force=True, **kwargs)
    return out.getvalue()


def test_seed_is_realistic_and_idempotent():
    output = seed(products=30)
    assert Series.objects.count() == 2
    assert 12 <= Category.objects.count() <= 16
    assert Product.objects.count() == 30
    assert Variant.objects.count() >= 30
    assert ProductImage.objects.filter(product__isnull=False).count() >= 30
    # pictures are shared by products, not one file each: one per kind of product (a knife
    # never shows a saucepan) and one view per category; the gallery numbers them itself
    assert ProductImage.objects.values("image").distinct().count() <= 48
    kind_of_file: dict[str, str] = {}
    for image in ProductImage.objects.select_related("product"):
        kind = image.product.name.split(" ", 1)[1].split(" Mk ")[0]  # "Cedar Chef's Knife"
        shown = kind if image.position == 0 else image.product.category.name
        assert kind_of_file.setdefault(image.image.name, shown) == shown, image.image.name
        alt = image.product.name if image.position == 0 else f"{image.product.name}, another view"
        assert image.alt_text == alt
    assert Category.objects.filter(parent__parent__isnull=False).exists()  # three levels
    staff = get_user_model().objects.get(is_staff=True)
    assert staff.is_superuser
    assert f"Staff login: {staff.email} / " in output
    counts = (Product.objects.count(), Variant.objects.count(), ProductImage.objects.count())
    seed(products=30)
    assert (
        Product.objects.count(),
        Variant.objects.count(),
        ProductImage.objects.count(),
    ) == counts
    assert get_user_model().objects.count() == 1


def test_seed_is_deterministic():
    seed(products=12)
    first = list(Product.objects.order_by("slug").values_list("slug", "price"))
    Variant.objects.all().delete()
    ProductImage.objects.all().delete()
    Product.objects.all().delete()
    seed(products=12)
    assert list(Product.objects.order_by("slug").values_list("slug", "price")) == first


def test_seed_grows_to_a_larger_count_and_shows_progress():
    seed(products=10)
    output = seed(products=25)
    assert Product.objects.count() == 25
    assert "100%" in output


def test_seed_refuses_to_run_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo", products=1, stdout=io.StringIO())
