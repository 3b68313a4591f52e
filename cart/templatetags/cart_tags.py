"""The cart page's rows, written in Python.

The cart page is built on every request (never page-cached), and its loop over the lines was
most of its rendering: ~40 variable, if and url nodes per line and two forms. Here a row is
one str.format; the markup is the same as the template wrote (tests/cart/test_cart_rows.py
compares them) and everything from data is escaped with html.escape (what
django.utils.html.escape calls).
"""

from html import escape

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.templatetags.static import static
from django.utils.safestring import SafeString, mark_safe

from core.money import format_money
from core.reverse import cached_reverse

register = template.Library()

ROW = (
    '\n          <tr>\n            <th scope="row">\n              <div class="cart-item">'
    "\n                {image}\n                <div>"
    '\n              <a href="{url}"><bdi>{name}</bdi></a>'
    "\n              {label}"
    '\n              <br><small>SKU <span class="sku">{sku}</span></small>'
    '\n              <small class="unit-narrow"><br>{unit} each</small>'
    "\n              {problem}\n                </div>\n              </div>\n            </th>"
    '\n            <td class="num col-unit">{unit}</td>\n            <td>'
    '\n              <div class="line-actions">'
    '\n                <form class="qty-form" method="post" action="{update_url}">'
    "\n                  {csrf}"
    '\n                  <label class="visually-hidden" for="qty-{id}">Quantity of {name}</label>'
    '\n                  <input id="qty-{id}" type="number" name="quantity" value="{quantity}"'
    ' min="0" max="999" inputmode="numeric"{described}>'
    '\n                  <button type="submit" class="secondary">Update</button>'
    "\n                  {refused}\n                </form>"
    '\n                <form method="post" action="{remove_url}">{csrf}<button type="submit"'
    ' class="danger" aria-label="Remove {name}">Remove</button></form>'
    "\n              </div>\n            </td>"
    '\n            <td class="num">{total}</td>\n          </tr>\n        '
)
IMAGE = '<img class="cart-thumb" src="{}" alt="" width="64" height="64" decoding="async">'
PLACEHOLDER = '<img class="cart-thumb" src="{}" alt="" width="64" height="64">'


@register.simple_tag(takes_context=True)
def cart_rows(context, lines) -> SafeString:
    """A table row per priced line of the cart page: picture, name, option, SKU, unit price,
    what blocks it (``problem``), the quantity form (marked when ``refused_line`` in the
    context is this line, with ``refused_reason``), the remove form and the line total."""
    csrf = CsrfTokenNode().render(context)  # what {% csrf_token %} writes
    refused_line = context.get("refused_line")
    refused_reason = context.get("refused_reason")
    rows = []
    for line in lines:
        product, variant, line_id = line.product, line.variant, int(line.line_id)
        problem = str(line.problem or "")
        if product.card_image:
            image = IMAGE.format(escape(product.card_image_url))
        else:
            image = PLACEHOLDER.format(escape(static("img/placeholder.svg")))
        refused = line_id == refused_line
        if refused:
            described = f' aria-invalid="true" aria-describedby="refused-{line_id}'
            described += f' problem-{line_id}"' if problem else '"'
        elif problem:
            described = f' aria-describedby="problem-{line_id}"'
        else:
            described = ""
        rows.append(
            ROW.format(
                image=image,
                url=escape(product.get_absolute_url()),
                name=escape(product.name),
                label=f"<br><small><bdi>{escape(variant.label)}</bdi></small>"
                if variant.label
                else "",
                sku=escape(variant.sku),
                unit=escape(format_money(line.unit_price)),
                problem=f'<p class="cart-line-flag" id="problem-{line_id}">{escape(problem)}</p>'
                if problem
                else "",
                update_url=escape(cached_reverse("cart:update_line", args=[line_id])),
                remove_url=escape(cached_reverse("cart:remove_line", args=[line_id])),
                csrf=csrf,
                id=line_id,
                quantity=int(line.quantity),
                described=described,
                refused=f'<p class="errorlist qty-error" id="refused-{line_id}">'
                f"{escape(str(refused_reason))}</p>"
                if refused
                else "",
                total=escape(format_money(line.line_total)),
            )
        )
    return mark_safe("".join(rows))  # nosec B308 B703: every value is escaped above
