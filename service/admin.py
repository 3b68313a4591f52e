from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from core.adminlists import LimitedSearchMixin, TailPaginator

from . import services
from .models import ContactMessage, ServiceText
from .text import html_to_service_text
from .views import ServicePageView


@admin.register(ContactMessage)
class ContactMessageAdmin(LimitedSearchMixin, admin.ModelAdmin):
    """Questions from the customer service form. Staff answer from their mail program (the
    e-mail each one arrived as has the shopper as Reply-To) and mark them handled here."""

    paginator = TailPaginator

    list_display = ["created_at", "name", "email", "topic", "order", "short", "handled"]
    list_filter = ["handled", "topic", "created_at"]
    search_fields = ["name", "email", "order_number", "message"]
    date_hierarchy = "created_at"
    actions = ["mark_handled"]
    fields = ["name", "reply", "topic", "order", "message", "created_at", "handled"]
    readonly_fields = ["name", "reply", "topic", "order", "message", "created_at"]

    def has_add_permission(self, request):
        return False

    # The order a message is about links to the order list, for staff who may open it; others
    # see its number (the link led them to a refusal).
    @staticmethod
    def _order_as_text(request, names):
        user = request.user
        if user.has_perm("orders.view_order") or user.has_perm("orders.change_order"):
            return names
        return type(names)("order_number" if name == "order" else name for name in names)

    def get_list_display(self, request):
        return self._order_as_text(request, super().get_list_display(request))

    def get_fields(self, request, obj=None):
        return self._order_as_text(request, super().get_fields(request, obj))

    def get_readonly_fields(self, request, obj=None):
        return self._order_as_text(request, super().get_readonly_fields(request, obj))

    @admin.display(description="message")
    def short(self, obj):
        return obj.message[:80]

    @admin.display(description="order")
    def order(self, obj):
        """The order it is about, as a search of the orders (staff land on it in one click)."""
        if not obj.order_number:
            return "-"
        url = reverse("admin:orders_order_changelist") + "?" + urlencode({"q": obj.order_number})
        return format_html('<a href="{}">{}</a>', url, obj.order_number)

    @admin.display(description="e-mail")
    def reply(self, obj):
        subject = f"Re: your message to {settings.SHOP_NAME}"
        url = f"mailto:{obj.email}?" + urlencode({"subject": subject}, quote_via=quote)
        return format_html('<a href="{}">{}</a> (write back)', url, obj.email)

    @admin.action(description="Mark selected messages as handled", permissions=["change"])
    def mark_handled(self, request, queryset):
        count = services.mark_handled(message_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} message(s) marked handled.", messages.SUCCESS)


def standard_text(request, page: str) -> str:
    """The standard text of a service page, as the page shows it now (with the shop's return
    days, unpaid-order days...), in the markup staff edit: where writing their own starts."""
    view = ServicePageView(page=page)
    view.setup(request)
    html = render_to_string(
        f"service/standard/{page}.html", view.get_context_data(), request=request
    )
    return html_to_service_text(html)


@admin.register(ServiceText)
class ServiceTextAdmin(admin.ModelAdmin):
    """The shop's own wording for the customer service pages (the standard text until set).
    A new one starts from the page's standard text, in the markup of service.text."""

    list_display = ["page", "updated_at", "view_on_shop"]
    fields = ["page", "text"]

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        page = request.GET.get("page", "")
        if page in ServiceText.Page.values:
            initial["text"] = standard_text(request, page)
        return initial

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None and "page" in form.base_fields:
            taken = set(ServiceText.objects.values_list("page", flat=True))
            links = format_html_join(
                " · ",
                '<a href="?page={}">{}</a>',
                ((value, label) for value, label in ServiceText.Page.choices if value not in taken),
            )
            if links:
                form.base_fields["page"].help_text = format_html(
                    "Start from a page's standard text: {}", links
                )
        return form

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "text":
            field.widget.attrs.update(rows=24, cols=100)
            field.help_text = format_html(
                "Plain text, no HTML. A blank line starts a new paragraph. A line "
                "<code>{}</code> is a heading; lines starting <code>{}</code> or "
                "<code>{}</code> are a list; <code>{}</code> is a link, <code>{}</code> bold. "
                "Delete this entry to show the standard text again.",
                "## Heading",
                "- ",
                "1. ",
                "[Write to us](/service/contact/)",
                "**bold**",
            )
        return field

    @admin.display(description="page on the shop")
    def view_on_shop(self, obj):
        url = reverse(f"service:{obj.page}")
        return format_html('<a href="{}">{}</a>', url, url)

    def get_readonly_fields(self, request, obj=None):
        return ["page"] if obj else []
