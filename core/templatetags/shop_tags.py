import functools
import json
import re
from html import escape as html_escape

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.template.loader import get_template
from django.utils import timezone
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe

from core.money import format_money
from core.pagecache import content_version
from core.text import shorten

register = template.Library()

_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def cart_badge(count) -> str:
    """The header's unit count. core.pagecache fills a visitor's own count into cached pages by
    replacing cart_badge(0) with it (the shop's PAGE_CACHE_SESSION_FILL), so both use this."""
    count = int(count or 0)
    noun = "item" if count == 1 else "items"
    return format_html(
        '<span class="cart-count" aria-label="{} {} in cart">{}</span>', count, noun, count
    )


@register.filter
def fields_with_errors(form) -> list:
    """The bound fields of ``form`` that have errors, in page order (for an error summary:
    a form-wide error such as a rate limit is not a field to correct)."""
    return [field for field in form if field.errors]


@register.filter(name="shorten")
def shorten_filter(text, limit) -> str:
    """``truncatechars`` that never cuts an emoji, a flag or an accent apart (core.text)."""
    return shorten(text, int(limit))


@register.filter
def money(amount) -> str:
    """Format an amount as the shop's currency, e.g. €1,234.50."""
    return format_money(amount)


# Search engines show about this many characters of a page's <title>.
TITLE_LENGTH = 60


@register.simple_tag(takes_context=True)
def title_text(context, page_title) -> str:
    """The <title>: "page title · shop name". On a page search engines list, a long page title
    keeps its words and drops the shop name (results show the site's name on their own),
    shortened to TITLE_LENGTH; a noindex page (search results) keeps it whole."""
    shop_name = str(context.get("SHOP_NAME") or "")
    page_title = str(page_title or "")
    if not page_title:
        return shop_name
    full = f"{page_title} · {shop_name}" if shop_name else page_title
    if len(full) <= TITLE_LENGTH or context.get("noindex"):
        return full
    return shorten(page_title, TITLE_LENGTH)


@register.filter
def jsonld(data) -> str:
    """Serialize structured data for a <script type="application/ld+json"> block, safely."""
    # <, > and & become \u escapes, so the JSON can never close the <script> tag.
    text = json.dumps(data, ensure_ascii=False, default=str).translate(_JSON_ESCAPES)
    return mark_safe(text)  # nosec B308 B703


WORD = re.compile(r"([^\W_]+)", re.UNICODE)


@register.filter
def highlight(text, query) -> str:
    """Wrap words of ``text`` that start with a query word in <mark>; everything escaped."""
    text = str(text or "")
    terms = {t.lower() for t in WORD.findall(str(query or "")) if len(t) >= 2}
    # crude stemming so "shoes" also marks "shoe"
    terms |= {t[:-2] if t.endswith("es") else t[:-1] for t in terms if len(t) > 3 and t[-1] == "s"}
    if not terms:
        return escape(text)
    out, done = [], 0
    for match in _marker(frozenset(terms)).finditer(text):
        out.append(html_escape(text[done : match.start()]))
        out.append(f"<mark>{html_escape(match.group())}</mark>")
        done = match.end()
    out.append(html_escape(text[done:]))
    # html.escape is what django.utils.html.escape calls, without its lazy-string wrapper
    return mark_safe("".join(out))  # nosec B308 B703: every piece is escaped above


@functools.lru_cache(maxsize=256)
def _marker(terms: frozenset[str]) -> re.Pattern:
    """Whole words (runs of WORD characters) that start with one of ``terms``."""
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    return re.compile(rf"(?<![^\W_])(?:{alternatives})[^\W_]*", re.IGNORECASE)


@register.simple_tag
def price_html(item) -> str:
    """The price paragraph of a product (a sale price with the crossed-out regular price; the
    lowest price, "From", when its variants sell at different prices)."""
    if item.price_varies:
        return format_html('<p class="price">From {}</p>', money(item.shown_price))
    if item.on_sale:
        return format_html(
            '<p class="price"><span class="sale"><span class="visually-hidden">Now </span>{}'
            '</span> <del><span class="visually-hidden">was </span>{}</del></p>',
            money(item.shown_price),
            money(item.compare_at_price),
        )
    return format_html('<p class="price">{}</p>', money(item.shown_price))


# Fragments that are the same for every visitor: rendered once per process and content version.
SHARED_CONTEXT = (
    "navigation",
    "SHOP_NAME",
    "SHOP_ADMIN_EMAIL",
    "SHOP_CURRENCY_SYMBOL",
    "SHOP_PRICES_NOTE",
    "SHOP_LOGO",
)
# {key: the fragment cut at its visitor parts: (text, name, text, name, ..., text)}
_shared_fragments: dict[tuple, tuple[str, ...]] = {}
# In the context of a shared fragment's one rendering: visitor_part leaves a slot there.
_RENDERING_SHARED = "_rendering_shared_fragment"
# A slot: "<" comes out of data escaped (&lt;), and NUL is in no template, so only
# visitor_part writes this.
_SLOT = re.compile("<\x00([a-z_]+)\x00>")


@register.simple_tag(takes_context=True)
def shared_fragment(context, template_name: str) -> str:
    """Render ``template_name`` (the header, the navigation, the footer) once per worker
    process and content version instead of on every page.

    The fragment sees only SHARED_CONTEXT (never the request, the user or a CSRF token), so
    nothing personal can be cached in it; what differs between visitors is a
    ``{% visitor_part %}`` in it, filled on every page. A link to the current page gets
    ``aria-current="page"`` after the fact.
    """
    values = {n: context.get(n) for n in SHARED_CONTEXT}
    settings_part = tuple(values[n] for n in SHARED_CONTEXT if n.startswith("SHOP_"))
    # not personal: whether the header offers "Sign in" or "Sign out" (one copy of each)
    values["signed_in"] = signed_in = _signed_in(context)
    version = content_version()
    key = (template_name, version, timezone.localdate().year, settings_part, signed_in)
    pieces = _shared_fragments.get(key) if version else None
    if pieces is None:
        values[_RENDERING_SHARED] = True
        pieces = tuple(_SLOT.split(get_template(template_name).render(values)))
        if version:  # 0: the cache is unreachable, so changes cannot be told apart: no copy
            if len(_shared_fragments) > 32:  # old versions: drop them all
                _shared_fragments.clear()
            _shared_fragments[key] = pieces
    if context.get(_RENDERING_SHARED):  # inside another shared fragment: its slots stay
        return mark_safe("".join(_slot(p) if i % 2 else p for i, p in enumerate(pieces)))  # nosec B308 B703
    request = context.get("request")
    link = f'<a href="{escape(request.path)}">' if request is not None else None
    out = []
    for i, piece in enumerate(pieces):
        if i % 2:
            out.append(VISITOR_PARTS[piece](context))
            continue
        if link is not None and link in piece:
            piece = piece.replace(link, f'{link[:-1]} aria-current="page">', 1)
            link = None
        out.append(piece)
    # every piece is rendered by the template engine (autoescaped) or by VISITOR_PARTS
    return mark_safe("".join(out))  # nosec B308 B703


def _signed_in(context) -> bool:
    if context.get(_RENDERING_SHARED):
        return bool(context.get("signed_in"))
    user = context.get("user")
    return bool(user is not None and user.is_authenticated)


def _slot(name: str) -> str:
    return f"<\x00{name}\x00>"


def _search_query(context) -> str:
    """The header's search box value: what the visitor searched for."""
    return conditional_escape(context.get("search_query") or "")


def _csrf_input(context) -> str:
    """What {% csrf_token %} writes: the visitor's own token."""
    return CsrfTokenNode().render(context)


def _cart_badge(context) -> str:
    """The header's cart count; a callable (the context processor's) is called only now."""
    count = context.get("cart_count")
    return cart_badge(count() if callable(count) else count)


# What a shared fragment leaves to each page: name -> a function of the page's context.
VISITOR_PARTS = {
    "search_query": _search_query,
    "csrf_input": _csrf_input,
    "cart_badge": _cart_badge,
}


@register.simple_tag(takes_context=True)
def visitor_part(context, name: str) -> str:
    """A part of a shared fragment that differs between visitors (VISITOR_PARTS): a slot
    while the fragment is rendered for everyone, filled on every page."""
    if context.get(_RENDERING_SHARED):
        return mark_safe(_slot(name))  # nosec B308 B703: a fixed name (VISITOR_PARTS)
    return VISITOR_PARTS[name](context)
