from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from catalog.models import Category, Product, StockState, stock_state
from tests.factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


def test_product_slug_is_unique():
    ProductFactory(slug="trail-pack")
    with pytest.raises(IntegrityError):
        ProductFactory(slug="trail-pack")


def test_negative_price_is_refused_by_validation_and_database():
    product = ProductFactory.build(price=Decimal("-1.00"))
    with pytest.raises(ValidationError):
        product.full_clean(exclude=["series", "category"])
    product = ProductFactory()
    with pytest.raises(IntegrityError):
        Product.objects.filter(pk=product.pk).update(price=Decimal("-0.01"))


def test_compare_at_price_must_be_above_price():
    product = ProductFactory.build(price=Decimal("20.00"), compare_at_price=Decimal("15.00"))
    with pytest.raises(ValidationError) as excinfo:
        product.clean()
    assert "compare_at_price" in excinfo.value.message_dict


def test_on_sale_only_with_higher_compare_at_price():
    assert ProductFactory.build(price=Decimal("10"), compare_at_price=Decimal("12")).on_sale
    assert not ProductFactory.build(price=Decimal("10"), compare_at_price=None).on_sale


@pytest.mark.parametrize(
    ("units", "state"),
    [(0, StockState.SOLD_OUT), (1, StockState.LOW), (5, StockState.LOW), (6, StockState.IN_STOCK)],
)
def test_stock_state(units, state, settings):
    settings.SHOP_LOW_STOCK_THRESHOLD = 5
    assert stock_state(units) == state


def test_variant_price_falls_back_to_product_price():
    product = ProductFactory(price=Decimal("30.00"), stock=False)
    plain = VariantFactory(product=product)
    special = VariantFactory(product=product, price_override=Decimal("35.50"))
    assert plain.base_price == Decimal("30.00")
    assert special.base_price == Decimal("35.50")


def test_variant_sku_is_normalised_and_unique():
    variant = VariantFactory(sku=" ab-12 ")
    assert variant.sku == "AB-12"
    with pytest.raises(IntegrityError):
        VariantFactory(sku="AB-12")


def test_negative_stock_is_refused_by_the_database():
    variant = VariantFactory(stock=1)
    with pytest.raises(IntegrityError):
        type(variant).objects.filter(pk=variant.pk).update(stock=-1)


def test_category_tree_is_at_most_three_levels():
    root = CategoryFactory()
    child = CategoryFactory(parent=root)
    grandchild = CategoryFactory(parent=child)
    too_deep = Category(name="Too deep", slug="too-deep", parent=grandchild)
    with pytest.raises(ValidationError):
        too_deep.clean()
    assert str(grandchild) == f"{root.name} › {child.name} › {grandchild.name}"


def test_moving_a_category_with_subcategories_keeps_the_tree_three_levels_deep():
    # the subcategories move with it: their depth counts too
    outdoor = CategoryFactory()
    packs = CategoryFactory(parent=outdoor)
    CategoryFactory(parent=packs)  # outdoor › packs › daypacks
    home = CategoryFactory()
    outdoor.parent = home  # home › outdoor › packs › daypacks: four levels
    with pytest.raises(ValidationError) as excinfo:
        outdoor.clean()
    assert "at most 3 levels deep" in str(excinfo.value)
    packs.parent = home  # home › packs › daypacks: three, allowed
    packs.clean()


def test_category_cannot_be_its_own_ancestor():
    root = CategoryFactory()
    child = CategoryFactory(parent=root)
    root.parent = child
    with pytest.raises(ValidationError):
        root.clean()


def test_stock_total_follows_variant_changes():
    product = ProductFactory(stock=4)
    extra = VariantFactory(product=product, stock=3)
    product.refresh_from_db()
    assert product.stock_total == 7
    extra.stock = 0
    extra.save()
    extra.delete()
    product.refresh_from_db()
    assert product.stock_total == 4
    assert list(Product.objects.in_stock()) == [product]


def test_a_product_added_by_older_code_during_a_deploy_gets_its_price_range_filled():
    """Review: price_from/price_to had no database default, so the code from before them, still
    running between migrate and the restart (or on an app server not updated yet), failed to
    add a product (NOT NULL) and staff lost what they typed. Now it gets 0, and provision.sh
    fills the range once the new code runs."""
    from django.db import connection

    from catalog.services import refresh_stale_price_ranges

    made = ProductFactory(stock=False)
    with connection.cursor() as cursor:  # the INSERT the older model makes: no range columns
        cursor.execute(
            "INSERT INTO catalog_product (name, slug, series_id, category_id, short_description,"
            " description, price, is_active, is_featured, stock_total, created_at, updated_at)"
            " VALUES ('Old', 'old', %s, %s, '', '', 12.50, true, false, 0, %s, %s)",
            [made.series_id, made.category_id, made.created_at, made.created_at],
        )
    old = Product.objects.get(slug="old")
    assert (old.price_from, old.price_to) == (0, 0)
    assert refresh_stale_price_ranges() == 1
    old.refresh_from_db()
    assert (old.price_from, old.price_to) == (Decimal("12.50"), Decimal("12.50"))
    # repriced by the older code (no range refresh): found too; the others are left alone
    Product.objects.filter(pk=old.pk).update(price=Decimal("14.00"))
    assert refresh_stale_price_ranges() == 1
    old.refresh_from_db()
    assert (old.price_from, old.price_to) == (Decimal("14.00"), Decimal("14.00"))
    assert refresh_stale_price_ranges() == 0
    assert (
        "refresh_stale_price_ranges()"
        in (settings.BASE_DIR / "deploy" / "provision.sh").read_text()
    )
