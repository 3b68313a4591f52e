import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from catalog.models import Category, Product, ProductImage, Series, Variant
from guestbook.models import Entry

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
    # the guestbook has something to show and something to moderate, once
    statuses = sorted(Entry.objects.values_list("status", flat=True))
    assert statuses == ["pending"] + ["published"] * 3
    assert Entry.objects.exclude(reply="").filter(replied_by=staff).count() == 2


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


def test_the_messy_content_seeds_and_every_page_of_it_renders(client):
    """seed_messy_content (long, unbreakable, right-to-left, CJK and emoji names, 40 variants,
    a 254-character e-mail address) joins the demo catalog; each of its pages renders."""
    from django.urls import reverse

    from guestbook.models import Entry

    seed(products=3)
    out = io.StringIO()
    call_command("seed_messy_content", stdout=out, force=True)
    call_command("seed_messy_content", stdout=io.StringIO(), force=True)  # twice: no error
    assert "Messy content ready" in out.getvalue()
    products = list(Product.objects.filter(variants__sku__startswith="XT-").distinct())
    assert len(products) >= 8
    assert Variant.objects.filter(product__in=products).count() >= 40
    for product in products:
        page = client.get(product.get_absolute_url())
        assert page.status_code == 200, product.slug
        assert "<bdi>" in page.content.decode() or 'dir="auto"' in page.content.decode()
    for category in Category.objects.all():
        assert client.get(category.get_absolute_url()).status_code == 200, category.slug
    for series in Series.objects.all():
        assert client.get(series.get_absolute_url()).status_code == 200, series.slug
    assert Entry.objects.filter(name="張偉").exists()
    assert client.get(reverse("guestbook:index")).status_code == 200
    assert client.get(reverse("search:results"), {"q": "茶具"}).status_code == 200
    assert client.get("/").status_code == 200


def test_the_messy_content_needs_the_demo_catalog_and_debug():
    with pytest.raises(CommandError, match="seed_demo first"):
        call_command("seed_messy_content", force=True, stdout=io.StringIO())
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_messy_content", stdout=io.StringIO())
