"""core.fixedquery: compiled once per process, the same rows as the ORM, misuse refused."""

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.utils import timezone

from catalog.models import Product, Variant
from core.fixedquery import FixedQuery
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_gives_the_rows_the_orm_gives_with_converted_values(django_assert_num_queries):
    product = ProductFactory(name="Brass Lamp", price=Decimal("49.90"), stock=3)
    ProductFactory(name="Other")
    by_slug = FixedQuery(lambda slug: Product.objects.active().filter(slug=slug), str)

    with django_assert_num_queries(1):  # counted, as every query through Django's cursor
        (found,) = by_slug(product.slug)

    expected = Product.objects.get(pk=product.pk)
    for field in Product._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    assert found.price == Decimal("49.90")
    assert isinstance(found.price, Decimal)
    assert found.created_at.tzinfo is not None
    assert found._state.adding is False
    assert found._state.db == "default"
    assert by_slug("no-such-product") == []


def test_compiles_once_and_sends_each_calls_own_arguments():
    first, second = ProductFactory(stock=2), ProductFactory(stock=5)
    builds = []

    def build(pk):
        builds.append(pk)
        return Variant.objects.filter(product_id=pk).order_by("pk")

    variants_of = FixedQuery(build, int)
    assert [v.stock for v in variants_of(first.pk)] == [2]
    assert [v.stock for v in variants_of(second.pk)] == [5]
    assert [v.stock for v in variants_of(first.pk)] == [2]
    assert len(builds) == 2  # the two compiles (checked against each other), then none
    assert first.pk not in builds
    assert second.pk not in builds


def test_an_argument_of_another_type_goes_to_the_orm():
    product = ProductFactory()
    by_slug = FixedQuery(lambda slug: Product.objects.filter(slug=slug), str)
    assert by_slug(None) == []  # slug IS NULL: another shape, built by the ORM
    assert [p.pk for p in by_slug(product.slug)] == [product.pk]


@pytest.mark.parametrize(
    "build",
    [
        lambda pk: Variant.objects.filter(product_id=pk).values("sku"),
        lambda pk: Variant.objects.filter(product_id=pk).only("sku"),
        lambda pk: Variant.objects.filter(product_id=pk).select_for_update(),
        lambda pk: Variant.objects.filter(product_id=pk).prefetch_related("product"),
        lambda pk: Variant.objects.filter(product_id=pk).none(),
        lambda pk: Variant.objects.filter(product_id=pk, product__created_at__lte=timezone.now()),
        lambda pk: Variant.objects.all(),  # the argument is not in the query at all
    ],
    ids=["values", "only", "for-update", "prefetch", "none", "timestamp", "no-argument"],
)
def test_a_query_that_is_not_of_a_fixed_shape_is_refused_at_its_first_call(build):
    product = ProductFactory()
    with pytest.raises(ImproperlyConfigured):
        FixedQuery(build, int)(product.pk)


def test_an_argument_the_lookup_rewrites_is_refused():
    ProductFactory(name="Brass Lamp")
    containing = FixedQuery(lambda text: Product.objects.filter(name__icontains=text), str)
    with pytest.raises(ImproperlyConfigured):  # the parameter is "%text%", not the argument
        containing("brass")


def test_an_integer_no_column_holds_finds_nothing_instead_of_failing():
    product = ProductFactory()
    by_pk = FixedQuery(lambda pk: Product.objects.filter(pk=pk), int)
    assert by_pk(2**70) == []  # the ORM answers it (no rows); the database would refuse it
    assert by_pk(-(2**70)) == []
    assert [p.pk for p in by_pk(product.pk)] == [product.pk]


def test_select_related_models_come_filled_in_as_the_orm_fills_them(django_assert_num_queries):
    from cart.models import Cart, CartLine

    product = ProductFactory(name="Brass Lamp", price=Decimal("49.90"), stock=3)
    cart = Cart.objects.create(session_key="k")
    CartLine.objects.create(cart=cart, variant=product.variants.get(), quantity=2)
    lines_of = FixedQuery(
        lambda pk: CartLine.objects.filter(cart_id=pk).select_related("variant__product"), int
    )
    lines_of(cart.pk)  # compiled

    with django_assert_num_queries(1):  # the lines, their variants and products: one query
        (line,) = lines_of(cart.pk)
        assert line.quantity == 2
        assert line.variant.stock == 3
        assert line.variant.product.name == "Brass Lamp"
        assert line.variant.product.price == Decimal("49.90")
    assert lines_of(cart.pk + 1000) == []


def test_an_argument_used_twice_and_annotations_are_sent_and_set_as_the_orm_does():
    from django.db.models import OuterRef, Subquery

    from cart.models import Cart, CartLine

    product = ProductFactory(stock=3)
    variant = product.variants.get()
    cart, other = Cart.objects.create(session_key="a"), Cart.objects.create(session_key="b")
    line = CartLine.objects.create(cart=cart, variant=variant, quantity=2)

    def build(variant_id, cart_id):
        in_cart = CartLine.objects.filter(cart_id=cart_id, variant=OuterRef("pk"))
        return Variant.objects.filter(Q(pk=variant_id) | Q(product_id=-1)).annotate(
            line_id=Subquery(in_cart.values("pk")[:1]),
            in_cart=Subquery(in_cart.values("quantity")[:1]),  # cart_id a second time
        )

    with_line = FixedQuery(build, int, int)
    (found,) = with_line(variant.pk, cart.pk)
    assert (found.line_id, found.in_cart) == (line.pk, 2)
    (found,) = with_line(variant.pk, other.pk)
    assert (found.line_id, found.in_cart) == (None, None)


def test_a_32_bit_primary_key_takes_the_sentinels_too():
    """Django answers a look-up of a value a column cannot hold without SQL; the integer
    sentinels fit a 32-bit column (auth's Group has one on PostgreSQL)."""
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="Packers")
    by_pk = FixedQuery(lambda pk: Group.objects.filter(pk=pk), int)
    assert [g.name for g in by_pk(group.pk)] == ["Packers"]


def test_settings_changes_compile_again():
    from django.test import override_settings

    by_pk = FixedQuery(lambda pk: Product.objects.filter(pk=pk), int)
    by_pk(1)
    assert by_pk._compiled
    with override_settings(USE_TZ=True):
        assert not by_pk._compiled  # forgotten: compiled for these settings on the next call
