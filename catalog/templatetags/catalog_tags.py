"""The product grid, written in Python.

A listing, search or home page shows up to 24 cards; as a template (an include, then inline) a
card cost ~0.25 ms, most of a cached-nothing search page's rendering. Here it is ~0.05 ms
(0.17 ms with the bench machine at its slowest, 0.31 ms there before the product URL was built
once per grid and short descriptions skipped the Truncator). The
markup is the same as before (tests/catalog/test_product_grid.py checks what matters) and
everything that comes from data goes through format_html, so it is escaped.
"""

import re
from html import escape as html_escape

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from core.templatetags.shop_tags import highlight, money, price_html
from core.text import shorten

register = template.Library()

CARD = (
    '<li><article class="card">{image}<div class="badges">{badge}</div>'
    '<div class="card-body"><h3 class="card-title" dir="auto"><a href="{url}">{name}</a></h3>'
    "{meta}{price}{buy}</div></article></li>"
)
FORM = (
    '<form method="post" action="{add_url}" class="qty-form">{csrf}'
    '<input type="hidden" name="variant" value="{variant}">'
    '<input type="hidden" name="on_error" value="{url}">'
    '<label class="visually-hidden" for="qty-card-{pk}">Quantity of {name}</label>'
    '<input id="qty-card-{pk}" type="number" name="quantity" value="1" min="1" max="{max}"'
    ' inputmode="numeric">'
    '<button type="submit" class="secondary" aria-label="Add {name} to cart">Add</button></form>'
)


# A grid at the top of a page (a listing, search, the home page's first) shows its first row
# before anything else: those pictures are the page's Largest Contentful Paint, and a lazy one
# waits until the layout says it is visible (~0.2-0.5 s later on a slow phone network). Four
# cards are the first row at every width; two are a phone's, the ones fetched first.
EAGER_CARDS = 4
URGENT_CARDS = 2


@register.simple_tag(takes_context=True)
def product_grid(context, products, query: str = "", first: bool = False) -> SafeString:
    """The cards of ``products`` (from catalog.selectors.product_cards) in a list; matched
    words of ``query`` are marked. ``first``: the grid opens the page (its first row's
    pictures load at once, not lazily)."""
    csrf = CsrfTokenNode().render(context)  # what {% csrf_token %} writes
    add_url = reverse("cart:add")
    product_url = _product_url_builder()
    placeholder = format_html(
        '<img src="{}" alt="" width="480" height="480" loading="lazy">',
        static("img/placeholder.svg"),
    )
    cards = format_html_join(
        "",
        "{}",
        (
            (_card(p, query, csrf, add_url, placeholder, product_url, _loading(first, i)),)
            for i, p in enumerate(products)
        ),
    )
    return format_html('<ul class="product-grid">{}</ul>', cards)


SLUG_SLOT = "0slug0"
PLAIN_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def _product_url_builder():
    """A function product -> its URL: one reverse() per grid instead of one per card (a
    quarter of a grid's time). A slug of the URL pattern's alphabet needs no quoting; anything
    else goes through reverse() (and fails there as it always did)."""
    pattern = reverse("catalog:product", kwargs={"slug": SLUG_SLOT})

    def url(product) -> str:
        if PLAIN_SLUG.fullmatch(product.slug):
            return pattern.replace(SLUG_SLOT, product.slug)
        return product.get_absolute_url()

    return url


def _short(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, never inside an emoji or a flag
    (core.text.shorten; cheaper than Django's Truncator, which also split them)."""
    return shorten(text, limit)


LAZY = SafeString(' loading="lazy" decoding="async"')
EAGER = SafeString("")
URGENT = SafeString(' fetchpriority="high"')


def _loading(first: bool, index: int) -> SafeString:
    """The loading attributes of the card picture at ``index`` (0-based) of a grid."""
    if not first or index >= EAGER_CARDS:
        return LAZY
    return URGENT if index < URGENT_CARDS else EAGER


def _card(
    product,
    query: str,
    csrf: str,
    add_url: str,
    placeholder: str,
    product_url,
    loading: SafeString = LAZY,
) -> SafeString:
    url = product_url(product)
    if product.card_image:
        image = format_html(
            '<img src="{}" alt="{}" width="480" height="480"{}>',
            product.card_image_url,
            product.card_image_alt,
            loading,
        )
    else:
        image = placeholder
    in_stock = product.stock_total > 0
    if not in_stock:
        badge = format_html('<span class="badge sold-out">{}</span>', "Sold out")
    elif product.on_sale:
        badge = format_html('<span class="badge sale">{}</span>', "Sale")
    else:
        badge = ""
    name = highlight(product.name, query) if query else product.name
    meta = ""
    if product.short_description:
        short = _short(product.short_description)
        meta = format_html(
            '<p class="meta" dir="auto">{}</p>', highlight(short, query) if query else short
        )
    buy = ""
    if in_stock and product.variant_count == 1:
        buy = format_html(
            FORM,
            add_url=add_url,
            url=url,
            csrf=csrf,
            variant=product.first_variant_id,
            pk=product.pk,
            name=product.name,
            max=product.orderable_max,
        )
    elif in_stock:
        buy = format_html('<a class="button secondary" href="{}">Choose options</a>', url)
    return format_html(
        CARD,
        image=image,
        badge=badge,
        url=url,
        name=name,
        meta=meta,
        price=price_html(product),
        buy=buy,
    )


# The product page's options, one line each, as the template's loops wrote them (a template
# loop cost ~40 µs per option; a page of 8 or 12 sizes spent more on them than on the rest).
OPTION = (
    '\n            <option value="{pk}"{selected}{disabled}>&#x2068;{label}&#x2069; — '
    "{price}{note}</option>\n            "
)
RADIO = (
    '\n            <label class="variant-option" for="variant-{pk}">'
    '\n              <input type="radio" id="variant-{pk}" name="variant" value="{pk}"'
    " required{selected}{disabled}>"
    "\n              <span><bdi>{label}</bdi>"
    "\n                <small>{price}{note}</small></span>"
    "\n            </label>\n            "
)
SELECTED = {"select": " selected", "radio": " checked"}


@register.simple_tag
def variant_options(variants, only_choice, kind: str) -> SafeString:
    """The buy form's options (``kind``: "select" for an <option> each, "radio" for a
    labelled radio button each): the variant's label (else its SKU), its own price when it
    has one, its stock note; the only buyable one chosen, sold-out ones disabled."""
    line = OPTION if kind == "select" else RADIO
    selected = SELECTED[kind]
    out = []
    for v in variants:
        price = v.price_override
        out.append(
            line.format(
                pk=int(v.pk),
                selected=selected if v == only_choice else "",
                disabled=" disabled" if v.stock <= 0 else "",
                label=html_escape(v.label or v.sku),
                price=f"{html_escape(money(price))} · " if price is not None else "",
                note=html_escape(v.stock_note),
            )
        )
    # html.escape is what django.utils.html.escape calls (format_html cost ~3 times as much)
    return mark_safe("".join(out))  # nosec B308 B703: every value is escaped above
