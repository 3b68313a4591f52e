"""Orders as a spreadsheet (CSV) for the bookkeeping: one row per order."""

import csv
import io
import re

from django.utils import timezone

from .models import Order
from .payments import payment_method_name

COLUMNS = [
    "order number",
    "placed",
    "status",
    "name",
    "e-mail",
    "phone",
    "address",
    "address line 2",
    "postcode",
    "city",
    "country",
    "items",
    "subtotal",
    "delivery",
    "delivery fee",
    "total",
    "payment method",
    "paid",
    "refunded",
    "shipped",
    "carrier",
    "tracking number",
    "delivered",
]

# A cell a spreadsheet would run as a formula ("=HYPERLINK(...)" typed as a name at checkout):
# written with a leading apostrophe, which spreadsheets show as text and do not run. Phone
# numbers ("+49 30 1234567") run nothing and are left as typed.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
_PHONE_LIKE = re.compile(r"[+-]?[\d\s()./-]+", re.ASCII)


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "tzinfo"):  # datetimes in the shop's time zone, to the minute
        return _local_time(value)
    text = str(value)
    stripped = text.lstrip()  # " =1+1": some spreadsheets skip the space
    if stripped.startswith(_FORMULA_STARTS) and not _PHONE_LIKE.fullmatch(text):
        return "'" + text
    return text


def _local_time(value) -> str:
    """The shop's time, as a spreadsheet reads it; in the hour that comes twice when summer
    time ends (02:30 on the last Sunday of October in Berlin) with its UTC offset, so the two
    orders of "02:30" are told apart."""
    local = timezone.localtime(value)
    text = local.strftime("%Y-%m-%d %H:%M")
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        text += local.strftime(" %z")[:-2] + ":" + local.strftime("%z")[-2:]
    return text


# the time columns' headings name the shop's time zone (the cells carry no offset)
TIME_COLUMNS = {"placed", "paid", "refunded", "shipped", "delivered"}


def _header() -> list[str]:
    zone = timezone.get_current_timezone_name()
    return [f"{name} ({zone} time)" if name in TIME_COLUMNS else name for name in COLUMNS]


def _row(order: Order) -> list[str]:
    items = "; ".join(
        f"{line.quantity} × {line.product_name}"
        + (f" ({line.variant_label})" if line.variant_label else "")
        + f" [{line.sku}]"
        for line in order.lines.all()
    )
    values = [
        order.number,
        order.created_at,
        order.get_status_display(),
        order.full_name,
        order.email,
        order.phone,
        order.line1,
        order.line2,
        order.postcode,
        order.city,
        order.country,
        items,
        order.subtotal,  # Decimal: "107.98", exact
        order.shipping_name,
        order.shipping_fee,
        order.total,
        payment_method_name(order.payment_method),
        order.paid_at,
        order.refunded_at,
        order.shipped_at,
        order.carrier,
        order.tracking_number,
        order.delivered_at,
    ]
    return [_cell(v) for v in values]


def orders_csv(queryset) -> str:
    """The orders of ``queryset``, oldest first, as CSV text with a header row (a byte order
    mark first, so spreadsheet programs read the accents right). Two queries per 500 orders."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(_header())
    orders = queryset.order_by("created_at", "pk").prefetch_related("lines")
    for order in orders.iterator(chunk_size=500):
        writer.writerow(_row(order))
    return out.getvalue()
