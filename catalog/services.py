"""Writes to the catalog that several apps need."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from .models import Product, Variant


def refresh_stock_totals(*, product_ids: Iterable[int] | None = None) -> int:
    """Recompute ``Product.stock_total`` from the variants (one UPDATE); all products if None.

    Call it in the same transaction as the stock change so listings never disagree with it.
    """
    units = (
        Variant.objects.filter(product=OuterRef("pk"))
        .order_by()
        .values("product")
        .annotate(total=Sum("stock"))
        .values("total")
    )
    products = Product.objects.all()
    if product_ids is not None:
        products = products.filter(pk__in=list(product_ids))
    return products.update(stock_total=Coalesce(Subquery(units), 0))


def lock_variants(*, product_id: int) -> None:
    """Row-lock the product's variants (primary-key order, as checkout does) until the
    transaction ends."""
    list(
        Variant.objects.select_for_update(no_key=True)
        .filter(product_id=product_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def save_variant_for_staff(*, variant: Variant, stock_change: int | None) -> int:
    """Save staff's edit of an existing variant, with its stock moved by ``stock_change`` from
    the stock as it is now (under a row lock), not set to the number their page showed: orders
    placed since the page was loaded keep their units. Returns the units that could not be
    taken away (stock stops at 0); -1 if the variant was deleted meanwhile (nothing saved).

    ``stock_change`` None: the stock typed is taken as it is (a variant without a page behind
    the edit, e.g. a new one)."""
    with transaction.atomic():
        if variant.pk is None or stock_change is None:
            variant.save()
            return 0
        current = (
            Variant.objects.select_for_update(no_key=True)
            .filter(pk=variant.pk)
            .values_list("stock", flat=True)
            .first()
        )
        if current is None:
            return -1
        wanted = current + stock_change
        variant.stock = max(wanted, 0)
        variant.save()
        return variant.stock - wanted
