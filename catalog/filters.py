"""Listing filters shared by the series, category and search pages."""

import django_filters
from django import forms
from django.db.models import Exists, F, Q

from core.widgets import FastCheckboxInput, FastNumberInput, FastSelect, FastTextInput

from .models import Product
from .selectors import get_navigation, variant_prices

SORTS = {
    "newest": ("-created_at", "-id"),
    # by the lowest price a variant sells at (what the card shows)
    "price": ("price_from", "id"),
    "-price": ("-price_from", "id"),
    "name": ("name", "id"),
}
SORT_CHOICES = [
    ("newest", "Newest"),
    ("price", "Price: low to high"),
    ("-price", "Price: high to low"),
    ("name", "Name"),
]


def _series_choices():
    return [(s.slug, s.name) for s in get_navigation().series]


def _category_choices():
    return [
        (node.slug, f"{'— ' * len(ancestors)}{node.name}")
        for node, ancestors in get_navigation().walk()
    ]


class ProductFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_price"), cleaned.get("max_price")
        if low is not None and high is not None and low > high:
            # shown at the field and left out (the listing filters by the minimum only)
            self.add_error("max_price", f"Enter at least {low}, the “From” price.")
        return cleaned


class ProductFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        label="Name contains",
        max_length=200,
        widget=FastTextInput(attrs={"type": "search"}),
    )
    # a product is in the range when a variant of it sells at a price in it
    min_price = django_filters.NumberFilter(
        field_name="price_to",
        lookup_expr="gte",
        label="From",
        min_value=0,
        max_digits=10,
        decimal_places=2,
        widget=FastNumberInput(attrs={"min": "0", "step": "any", "inputmode": "decimal"}),
    )
    max_price = django_filters.NumberFilter(
        field_name="price_from",
        lookup_expr="lte",
        label="To",
        min_value=0,
        max_digits=10,
        decimal_places=2,
        widget=FastNumberInput(attrs={"min": "0", "step": "any", "inputmode": "decimal"}),
    )
    in_stock = django_filters.BooleanFilter(
        method="filter_in_stock", label="In stock only", widget=FastCheckboxInput
    )
    series = django_filters.ChoiceFilter(
        method="filter_series",
        label="Series",
        choices=_series_choices,
        empty_label="All series",
        widget=FastSelect,
    )
    category = django_filters.ChoiceFilter(
        method="filter_category",
        label="Category",
        choices=_category_choices,
        empty_label="All categories",
        widget=FastSelect,
    )
    sort = django_filters.ChoiceFilter(
        method="filter_sort",
        label="Sort by",
        choices=SORT_CHOICES,
        empty_label=None,
        widget=FastSelect,
    )

    class Meta:
        model = Product
        fields: list[str] = []
        form = ProductFilterForm

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(name__icontains=value) if value else queryset

    def filter_in_stock(self, queryset, name, value):
        return queryset.in_stock() if value else queryset

    def filter_series(self, queryset, name, value):
        series = {s.slug: s.id for s in get_navigation().series}
        return queryset.filter(series_id=series[value]) if value in series else queryset

    def filter_category(self, queryset, name, value):
        node = get_navigation().by_slug.get(value)
        return queryset.filter(category_id__in=node.descendant_ids()) if node else queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        low = self.form.cleaned_data.get("min_price")
        high = self.form.cleaned_data.get("max_price")
        in_stock = self.form.cleaned_data.get("in_stock")
        if (low is not None and high is not None) or (in_stock and (low, high) != (None, None)):
            # The product's price range overlapping the one asked for is not enough when its
            # variants sell at different prices: with both bounds (EUR 10 and 50 for "20 to
            # 40"), or with "in stock only" (the size in the range may be the sold-out one), one
            # variant must sell in the range (and be in stock). Products at one price are
            # decided by the range and their stock alone, without the subquery.
            sells_in_range = variant_prices()
            if low is not None:
                sells_in_range = sells_in_range.filter(effective__gte=low)
            if high is not None:
                sells_in_range = sells_in_range.filter(effective__lte=high)
            if in_stock:
                sells_in_range = sells_in_range.filter(stock__gt=0)
            queryset = queryset.filter(Q(price_from=F("price_to")) | Exists(sells_in_range))
        return queryset

    def filter_sort(self, queryset, name, value):
        if value not in SORTS:  # "relevance" on the search page keeps the ranked order
            return queryset
        return queryset.order_by(*SORTS[value])

    @property
    def qs(self):
        queryset = super().qs
        if not queryset.query.order_by:
            queryset = queryset.order_by(*SORTS["newest"])
        return queryset
