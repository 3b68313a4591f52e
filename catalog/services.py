"""Writes to the catalog that several apps need."""

from collections.abc import Iterable

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
