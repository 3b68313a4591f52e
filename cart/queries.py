"""The cart's hot reads, compiled to SQL once per process (core/fixedquery.py).

Every cart page, add to cart and checkout request makes some of these; Django compiling them
anew each time cost more than PostgreSQL answering them (a third of an add to cart, a fifth
of the cart page). Each returns a list of model instances, as the QuerySet it is built from
would. Shared by services and selectors.
"""

from django.db.models import OuterRef, Subquery

from catalog.models import Variant
from catalog.selectors import card_picture
from core.fixedquery import FixedQuery

from .models import Cart, CartLine

OPEN = Cart.Status.OPEN

#: [the member's open cart] (a member has at most one)
member_open_cart = FixedQuery(
    lambda user_id: Cart.objects.filter(user_id=user_id, status=OPEN).order_by("pk")[:1], int
)
#: [the anonymous visitor's open cart], by the id their session keeps
guest_open_cart = FixedQuery(
    lambda cart_id: Cart.objects.filter(pk=cart_id, user__isnull=True, status=OPEN).order_by("pk")[
        :1
    ],
    int,
)


def _member_lines(user_id):
    return CartLine.objects.filter(cart__user_id=user_id, cart__status=OPEN).select_related(
        "variant__product"
    )


def _guest_lines(cart_id):
    return CartLine.objects.filter(
        cart_id=cart_id, cart__user__isnull=True, cart__status=OPEN
    ).select_related("variant__product")


def _pictured(lines):
    # the cart shows them at 64 px: the small thumbnail, not the listing's 480 px one
    return lines.annotate(**card_picture(OuterRef("variant__product"), small=True))


#: The lines of the member's open cart, with their variants and products.
member_cart_lines = FixedQuery(_member_lines, int)
#: The lines of an anonymous visitor's open cart, with their variants and products.
guest_cart_lines = FixedQuery(_guest_lines, int)
#: The same, each with its product's first picture (``card_image``, ``card_image_alt``), for
#: the pages that show the lines.
member_cart_lines_pictured = FixedQuery(lambda user_id: _pictured(_member_lines(user_id)), int)
guest_cart_lines_pictured = FixedQuery(lambda cart_id: _pictured(_guest_lines(cart_id)), int)


def _variant_with_line(variant_id, cart_id):
    line = CartLine.objects.filter(cart_id=cart_id, variant=OuterRef("pk"))
    return (
        Variant.objects.select_related("product")
        .annotate(
            line_id=Subquery(line.values("pk")[:1]),
            in_cart=Subquery(line.values("quantity")[:1]),
        )
        .filter(pk=variant_id)
    )


#: [the variant with its product, and the id and quantity of the cart's line of it]
#: (``line_id``, ``in_cart``: None without a line)
variant_with_line = FixedQuery(_variant_with_line, int, int)


def first_or_none(rows: list):
    return rows[0] if rows else None
