import re

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode

from core.adminlists import (
    ConditionFilter,
    IndexedSearchMixin,
    TailPaginator,
    YearsFromIndexChangeList,
    name_some,
    too_many_selected,
)
from core.forms import DeliveryCountryField, clean_postcode
from core.money import format_money as money
from core.siteurl import shop_url

from . import services
from .carriers import carrier_choices
from .exceptions import IllegalTransition
from .exports import orders_csv
from .forms import typed_order_number
from .models import Order, OrderEvent, OrderLine
from .payments import list_payment_methods, payment_method_name
from .selectors import work_queues

EXPORT_MAX_ORDERS = 20_000  # per CSV export: what a request writes well within its 30 s
# per status action (mark paid, packed, delivered...; cancel): each order is its own locked
# step with its timeline entry and e-mail, 6-22 ms on the bench machine (939 "to pay" took
# 5.7 s, and 21 s with the machine busy); "select all" of a year (60,000) ran for minutes
# and was cut off by gunicorn's 30 s
ACTION_MAX_ORDERS = 500
SHIP_MAX_ORDERS = 200  # the ship page: a tracking number to type for each


# What staff paste into the order search: a whole e-mail address (or a whole order number,
# forms.typed_order_number, an earlier SHOP_ORDER_PREFIX too).
WHOLE_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

#: Sent by the order page's "Next step" buttons (the order's id): the step returns to that page.
BACK_TO_ORDER = "_back_to_order"


class ShipOrdersForm(forms.Form):
    """Shipping a batch: one carrier, a tracking number for each order (each parcel has its
    own; the same number on two orders is refused, since both customers would be mailed it)."""

    carrier = forms.ChoiceField(choices=carrier_choices)

    def __init__(self, *args, orders, correcting: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.orders = orders
        for order in orders:
            self.fields[self.field_name(order)] = forms.CharField(
                label=f"Tracking number of {order.number} ({order.full_name}, {order.city})",
                max_length=80,
                initial=order.tracking_number if correcting else None,
            )
        if correcting and orders:
            self.fields["carrier"].initial = orders[0].carrier

    @staticmethod
    def field_name(order) -> str:
        return f"tracking_{order.pk}"

    def tracking_fields(self):
        return [self[self.field_name(order)] for order in self.orders]

    def clean(self):
        cleaned = super().clean()
        seen = {}
        for order in self.orders:
            number = (cleaned.get(self.field_name(order)) or "").strip()
            if not number:
                continue
            if number in seen:
                self.add_error(
                    self.field_name(order), f"{seen[number]} already has this tracking number."
                )
            seen.setdefault(number, order.number)
        return cleaned

    def tracking_number(self, order) -> str:
        return self.cleaned_data[self.field_name(order)].strip()


class PaymentMethodFilter(ConditionFilter):
    title = "payment method"
    parameter_name = "payment"

    def lookups(self, request, model_admin):
        return [(m.code, m.name) for m in list_payment_methods()]

    def conditions(self, request):
        return {m.code: Q(payment_method=m.code) for m in list_payment_methods()}

    def queryset(self, request, queryset):
        # also the code of a method no longer offered (old orders, a link kept from then)
        return queryset.filter(payment_method=self.value()) if self.value() else queryset


class OrderAddressForm(forms.ModelForm):
    """The order page: the delivery address, while it may change, checked as at checkout
    (a country the shop delivers to, a postcode as written there); and a note for staff."""

    staff_note = forms.CharField(
        label="Add a note",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="For staff only: shown on this page's timeline, never to the customer.",
    )

    class Meta:
        model = Order
        fields = list(services.ORDER_ADDRESS_FIELDS)  # admin narrows it to what is editable

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "country" in self.fields:
            self.fields["country"] = DeliveryCountryField()
            self.fields["country"].show_current(self.instance.country)

    def clean(self):
        cleaned = super().clean()
        country, postcode = cleaned.get("country"), cleaned.get("postcode")
        if country and postcode is not None and "country" not in self.errors:
            try:
                cleaned["postcode"] = clean_postcode(country=country, postcode=postcode)
            except forms.ValidationError as error:
                self.add_error("postcode", error)
        return cleaned


class WorkFilter(ConditionFilter):
    """What staff do next: bank transfers to look for, orders to pack (paid, or cash on
    delivery, which ships before payment), packed orders to hand to the carrier, refunds."""

    title = "to do"
    parameter_name = "todo"

    def lookups(self, request, model_admin):
        return [
            ("payment", "Waiting for payment"),
            ("pack", "Ready to pack"),
            ("ship", "Packed, to ship"),
            ("refund", "Cancelled after payment: refund due"),
        ]

    def conditions(self, request):
        return work_queues()


class OrderChangeList(YearsFromIndexChangeList):
    """The order list: the lines of the orders on its page, to count them, in one query (when
    the page is shown; an action's post never reads the page)."""

    def get_results(self, request):
        super().get_results(request)
        lines = Prefetch("lines", queryset=OrderLine.objects.only("order"), to_attr="page_lines")
        self.result_list = self.result_list.prefetch_related(lines)


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    fields = ["product_name", "variant_label", "sku", "price", "quantity", "total"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="unit price")
    def price(self, line):
        return money(line.unit_price)

    @admin.display(description="line total")
    def total(self, line):
        return money(line.line_total)


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "previous_status", "status", "note", "internal", "actor"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # the staff member who took each step, in the same query (not one query per step)
        return super().get_queryset(request).select_related("actor")


@admin.register(Order)
class OrderAdmin(IndexedSearchMixin, admin.ModelAdmin):
    paginator = TailPaginator
    # Django counts the whole table for every page ("5 results (200,000 total)") on top of
    # the list's own count: one COUNT over every row the page does not need.
    show_full_result_count = False
    list_display = [
        "number",
        "created_at",
        "full_name",
        "email",
        "status",
        "payment",
        "shipping_name",
        "total_amount",
        "line_count",
    ]
    list_filter = [WorkFilter, "status", PaymentMethodFilter, "shipping_method", "created_at"]
    search_fields = ["number", "email", "full_name", "phone", "tracking_number", "lines__sku"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, OrderEventInline]
    actions = [
        "mark_paid",
        "mark_packed",
        "mark_shipped",
        "correct_tracking",
        "mark_delivered",
        "mark_completed",
        "cancel",
        "mark_refunded",
        "record_late_payment",
        "export_csv",
    ]
    list_select_related = ["shipping_method"]
    fieldsets = [
        (None, {"fields": ["number", "status", "created_at", "user", "channel"]}),
        ("Notes", {"fields": ["staff_note"]}),
        ("Customer", {"fields": ["email", "phone"]}),
        ("Ship to", {"fields": ["full_name", "line1", "line2", "postcode", "city", "country"]}),
        (
            "Delivery",
            {
                "fields": [
                    "shipping_name",
                    "carrier",
                    "tracking_number",
                    "shipped_at",
                    "delivered_at",
                    "returns_until",
                ]
            },
        ),
        (
            "Payment",
            {
                "fields": [
                    "payment",
                    "paid_at",
                    "refunded_at",
                    "subtotal_amount",
                    "shipping_amount",
                    "total_amount",
                ]
            },
        ),
    ]
    view_on_site = False  # its page is the customer's own (guests look orders up by e-mail)
    form = OrderAddressForm
    change_form_template = "admin/orders/order/change_form.html"  # packing slip, e-mails

    # The order page offers the next steps its status allows, as buttons that run the list's
    # actions on this one order (shipping and cancelling ask first, as there).
    NEXT_STEPS = [
        (Order.Status.PAID, "mark_paid", "Mark paid"),
        (Order.Status.PACKED, "mark_packed", "Mark packed"),
        (Order.Status.SHIPPED, "mark_shipped", "Ship…"),
        (Order.Status.DELIVERED, "mark_delivered", "Mark delivered"),
        (Order.Status.COMPLETED, "mark_completed", "Mark completed"),
        (Order.Status.CANCELLED, "cancel", "Cancel…"),
    ]

    @staticmethod
    def back_to_order(request, ids) -> int | None:
        """The order whose page a "Next step" button was pressed on, for the step to return
        to; None when the step was chosen on the list (it returns there). Only the one order
        the step is for: the page's URL is built from it, never taken from the request."""
        raw = request.POST.get(BACK_TO_ORDER) or request.GET.get(BACK_TO_ORDER) or ""
        if raw.isascii() and raw.isdigit() and len(raw) < 19 and [int(raw)] == list(ids):
            return int(raw)
        return None

    @staticmethod
    def _back_context(pk: int | None) -> dict:
        """For a step's own page (ship, cancel): where its "Cancel" leads, and the field its
        form sends to return to the order page afterwards."""
        return {
            "back_url": reverse("admin:orders_order_change", args=[pk])
            if pk
            else reverse("admin:orders_order_changelist"),
            "back_to_order_name": BACK_TO_ORDER,
            "back_to_order": pk or "",
        }

    def response_action(self, request, queryset):
        """An action run from the order page's "Next step" buttons goes back to that order
        (the next step is offered there), not to the list."""
        response = super().response_action(request, queryset)
        ids = request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME)
        pk = self.back_to_order(request, [int(x) for x in ids if x.isascii() and x.isdigit()])
        if (
            pk
            and response is not None
            and response.status_code == 302
            and response.url == request.get_full_path()
        ):
            return redirect("admin:orders_order_change", pk)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, object_id)
        steps = []
        if order is not None and self.has_change_permission(request, order):
            steps = [
                (action, label)
                for to, action, label in self.NEXT_STEPS
                if services.can_transition(order, to)
            ]
            if order.status == Order.Status.SHIPPED:
                steps.insert(0, ("correct_tracking", "Correct tracking…"))
            if order.refund_due:
                steps.append(("mark_refunded", "Mark refunded"))
            elif services.can_record_late_payment(order):
                steps.append(("record_late_payment", "Payment arrived after all"))
        extra_context = {
            **(extra_context or {}),
            "next_steps": steps,
            "back_to_order_name": BACK_TO_ORDER,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_readonly_fields(self, request, obj=None):
        # Status and money change only through the actions (which check the transitions); the
        # address and phone may change until the parcel leaves (services.change_shipping_address).
        shown = [
            "number",
            "payment",
            "subtotal_amount",
            "shipping_amount",
            "total_amount",
            "returns_until",
        ]
        editable = (
            services.ORDER_ADDRESS_FIELDS
            if obj is not None and obj.status in services.ADDRESS_EDITABLE
            else ()
        )
        fields = [f.name for f in Order._meta.fields if f.name not in ("id", *editable)]
        return fields + shown

    def save_model(self, request, obj, form, change):
        # Never obj.save(): it would write back every field as loaded, a status changed
        # meanwhile included. Only the address, through the service, under a row lock.
        if change and services.add_staff_note(
            order=obj, note=form.cleaned_data.get("staff_note", ""), actor=request.user
        ):
            self.message_user(request, "Note added to the timeline (staff only).")
        changed = set(form.changed_data) & set(services.ORDER_ADDRESS_FIELDS)
        if not change or not changed:
            return
        try:
            done = services.change_shipping_address(
                order=obj,
                actor=request.user,
                **{
                    f: form.cleaned_data[f]
                    for f in services.ORDER_ADDRESS_FIELDS
                    if f in form.cleaned_data
                },
            )
        except IllegalTransition as exc:
            self.message_user(request, f"Address not changed: {exc}", messages.ERROR)
            return
        if done:
            self.message_user(request, "Address changed; the timeline records the old one.")

    @admin.display(description="payment", ordering="payment_method")
    def payment(self, obj):
        return payment_method_name(obj.payment_method)

    @admin.display(description="returns until")
    def returns_until(self, obj):
        """The last day the customer may return or exchange (what their page and e-mail say)."""
        if obj.return_until is None:
            return "-"
        ended = "" if obj.can_return else " (ended)"
        return f"{date_format(obj.return_until)}{ended}"

    @admin.display(description="subtotal", ordering="subtotal")
    def subtotal_amount(self, obj):
        return money(obj.subtotal)

    @admin.display(description="shipping fee", ordering="shipping_fee")
    def shipping_amount(self, obj):
        return money(obj.shipping_fee)

    @admin.display(description="total", ordering="total")
    def total_amount(self, obj):
        return money(obj.total)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # Sorting by the number of lines counts them in a subquery; the list shows the count
        # of its page's orders only (OrderChangeList). A COUNT over the lines' join grouped
        # the whole table for the list, its count and its date links (2 s for 200,000 orders);
        # a subquery in the selected columns ran for every row an offset skips (page 500).
        lines = (
            OrderLine.objects.filter(order=OuterRef("pk"))
            .order_by()
            .values("order")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return super().get_queryset(request).alias(_lines=Coalesce(Subquery(lines), 0))

    def get_changelist(self, request, **kwargs):
        return OrderChangeList

    def get_search_results(self, request, queryset, search_term):
        """A whole e-mail address or order number (as staff paste them, any case) finds its
        orders by the e-mail and number indexes. The substring search looks in five columns
        and the lines' SKUs, each a trigram index scan: 130 ms for one address among 200,000
        orders, for the list and again for its count and its date links. When nothing has
        the address or number exactly (part of one), the substring search as before."""
        term = search_term.strip()
        exact = None
        if WHOLE_EMAIL.fullmatch(term):
            exact = queryset.filter(email=term.lower())
        elif number := typed_order_number(term):
            exact = queryset.filter(number=number)
        if exact is not None and exact.exists():
            return exact, False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="lines", ordering="_lines")
    def line_count(self, obj):
        return len(obj.page_lines)

    def _too_many(self, request, queryset, limit: int | None = None) -> bool:
        limit = limit or ACTION_MAX_ORDERS
        return too_many_selected(self, request, queryset, limit=limit, noun="orders")

    def _apply(self, request, queryset, func, label, *, hint=lambda order: ""):
        """Run ``func`` on each selected order; ``hint(order)`` adds what to do to a refusal.
        Refusals for the same reason come as one message naming the orders."""
        if self._too_many(request, queryset):
            return
        done, refused = 0, {}
        for order in queryset.order_by("pk"):
            try:
                func(order=order, actor=request.user, site_url=shop_url(request))
                done += 1
            except IllegalTransition as exc:
                refused.setdefault(f"{exc}{hint(order)}", []).append(order.number)
        if done:
            self.message_user(request, f"{done} order(s) {label}.", messages.SUCCESS)
        for reason, numbers in refused.items():
            self.message_user(request, f"{name_some(numbers)}: {reason}", messages.ERROR)

    @admin.action(description="Export the selected orders (CSV)", permissions=["view"])
    def export_csv(self, request, queryset):
        # A request has gunicorn's 30 s: ~2,500 orders a second are written (bench machine),
        # so a whole shop's history ("select all" of 200,000) would be cut off with a 502.
        selected = queryset.count()
        if selected > EXPORT_MAX_ORDERS:
            self.message_user(
                request,
                f"{selected:,} orders selected: export at most {EXPORT_MAX_ORDERS:,} at a time. "
                "Narrow the list first (by the dates above it, or a filter) and export each part.",
                messages.ERROR,
            )
            return None
        response = HttpResponse(orders_csv(queryset), content_type="text/csv; charset=utf-8")
        name = f"orders-{timezone.localtime():%Y-%m-%d-%H%M}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response

    @admin.action(description="Mark paid", permissions=["change"])
    def mark_paid(self, request, queryset):
        self._apply(request, queryset, services.mark_paid, "marked paid")

    @admin.action(description="Mark packed", permissions=["change"])
    def mark_packed(self, request, queryset):
        self._apply(
            request,
            queryset,
            services.mark_packed,
            "marked packed",
            hint=lambda order: (
                " It is not paid yet: mark it paid first."
                if order.status == Order.Status.PENDING_PAYMENT
                else ""
            ),
        )

    def _ship_url(self, request, queryset, **params) -> str:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        query = {"ids": ",".join(str(pk) for pk in ids), **params}
        if self.back_to_order(request, ids):
            query[BACK_TO_ORDER] = str(ids[0])
        return reverse("admin:orders_order_ship") + "?" + urlencode(query)

    @admin.action(
        description="Mark shipped (asks carrier and tracking number)", permissions=["change"]
    )
    def mark_shipped(self, request, queryset):
        if self._too_many(request, queryset, SHIP_MAX_ORDERS):
            return None
        return redirect(self._ship_url(request, queryset))

    @admin.action(description="Correct tracking number (shipped orders)", permissions=["change"])
    def correct_tracking(self, request, queryset):
        if self._too_many(request, queryset, SHIP_MAX_ORDERS):
            return None
        return redirect(self._ship_url(request, queryset, correct="1"))

    @admin.action(description="Mark delivered", permissions=["change"])
    def mark_delivered(self, request, queryset):
        self._apply(request, queryset, services.mark_delivered, "marked delivered")

    @admin.action(description="Mark completed", permissions=["change"])
    def mark_completed(self, request, queryset):
        self._apply(request, queryset, services.mark_completed, "marked completed")

    @admin.action(
        description="Mark refunded (cancelled after payment; e-mails the customer)",
        permissions=["change"],
    )
    def mark_refunded(self, request, queryset):
        if self._too_many(request, queryset):
            return
        done, refused = 0, []
        for order in queryset.order_by("pk"):
            try:
                done += services.mark_refunded(
                    order=order, actor=request.user, site_url=shop_url(request)
                )
            except IllegalTransition:
                refused.append(order.number)
        if done:
            self.message_user(request, f"{done} order(s) marked refunded.", messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                f"Not cancelled after payment, so nothing to refund: {name_some(refused)}.",
                messages.ERROR,
            )

    @admin.action(
        description="Payment arrived after cancelling (refund due)", permissions=["change"]
    )
    def record_late_payment(self, request, queryset):
        if self._too_many(request, queryset):
            return
        done, refused = 0, []
        for order in queryset.order_by("pk"):
            try:
                done += services.record_late_payment(order=order, actor=request.user)
            except IllegalTransition:
                refused.append(order.number)
        if done:
            self.message_user(
                request,
                f"Payment recorded on {done} cancelled order(s): send the money back, then "
                "mark them refunded (listed under 'refund due').",
                messages.SUCCESS,
            )
        if refused:
            self.message_user(
                request,
                "Not a cancelled order paid in advance (a payment to an open order is recorded "
                f"with Mark paid; cash on delivery is paid at the door): {name_some(refused)}.",
                messages.ERROR,
            )

    @admin.action(description="Cancel (asks first; puts the stock back)", permissions=["change"])
    def cancel(self, request, queryset):
        """Asks first, on a page that lists the orders (and which were paid: the money must go
        back), with a reason for the timeline; the customer is e-mailed and it cannot be undone."""
        if self._too_many(request, queryset):
            return None
        if request.POST.get("confirmed") == "yes":
            note = " ".join(request.POST.get("reason", "").split())[:200] or "Cancelled"
            self._apply(
                request,
                queryset,
                lambda **kwargs: services.cancel_order(note=note, **kwargs),
                "cancelled",
            )
            return None
        orders = list(queryset.order_by("pk"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Cancel orders?",
            "opts": self.model._meta,
            "orders": [
                (order, services.can_transition(order, Order.Status.CANCELLED)) for order in orders
            ],
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            **self._back_context(self.back_to_order(request, [o.pk for o in orders])),
        }
        return render(request, "admin/orders/cancel_confirm.html", context)

    def get_urls(self):
        return [
            path("ship/", self.admin_site.admin_view(self.ship_view), name="orders_order_ship"),
            path(
                "<int:pk>/packing-slip/",
                self.admin_site.admin_view(self.packing_slip_view),
                name="orders_order_packing_slip",
            ),
        ] + super().get_urls()

    def packing_slip_view(self, request, pk: int):
        """A printable packing slip: the address, the lines to pick, no prices."""
        if not self.has_view_permission(request):
            raise PermissionDenied  # the staff 403 page, as every admin page refuses
        order = Order.objects.filter(pk=pk).prefetch_related("lines").first()
        if order is None:
            raise Http404("No such order")
        return render(
            request,
            "admin/orders/packing_slip.html",
            {"order": order, "lines": order.lines.all(), "SHOP_NAME": settings.SHOP_NAME},
        )

    def ship_view(self, request):
        """Ship a batch (carrier + a tracking number per parcel), or, with ``correct=1``, put
        right the carrier or tracking numbers of shipped orders. Orders the step cannot apply
        to are listed with the reason and asked nothing."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        correcting = (request.GET.get("correct") or request.POST.get("correct")) == "1"
        raw = request.GET.get("ids") or request.POST.get("ids") or ""
        # ASCII digits only ("²" is a digit to isdigit(), not to int()), and no longer than an
        # id can be (the database refuses a larger number outright)
        parts = (x.strip() for x in raw.split(","))
        ids = [int(x) for x in parts if x.isascii() and x.isdigit() and len(x) < 19]
        ids = ids[:SHIP_MAX_ORDERS]
        selected = list(Order.objects.filter(pk__in=ids).order_by("pk"))
        back = self.back_to_order(request, [o.pk for o in selected])
        if correcting:
            orders = [o for o in selected if o.status == Order.Status.SHIPPED]
        else:
            orders = [o for o in selected if services.can_transition(o, Order.Status.SHIPPED)]
        left_out = [o for o in selected if o not in orders]
        form = ShipOrdersForm(request.POST or None, orders=orders, correcting=correcting)
        if request.method == "POST" and orders and form.is_valid():
            for order in orders:
                number = form.tracking_number(order)
                try:
                    if correcting:
                        if services.correct_tracking(
                            order=order,
                            actor=request.user,
                            carrier=form.cleaned_data["carrier"],
                            tracking_number=number,
                            site_url=shop_url(request),
                        ):
                            self.message_user(
                                request,
                                f"{order.number}: tracking corrected; the customer is told.",
                                messages.SUCCESS,
                            )
                        continue
                    services.mark_shipped(
                        order=order,
                        actor=request.user,
                        carrier=form.cleaned_data["carrier"],
                        tracking_number=number,
                        site_url=shop_url(request),
                    )
                    self.message_user(request, f"{order.number} marked shipped.", messages.SUCCESS)
                except IllegalTransition as exc:
                    self.message_user(request, f"{order.number}: {exc}", messages.ERROR)
            if back:
                return redirect("admin:orders_order_change", back)
            return redirect("admin:orders_order_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Correct tracking numbers" if correcting else "Mark orders shipped",
            "orders": orders,
            "left_out": left_out,
            "correcting": correcting,
            "form": form,
            "ids": ",".join(str(o.pk) for o in selected),
            "opts": self.model._meta,
            **self._back_context(back),
        }
        return render(request, "admin/orders/ship.html", context)
