from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from core.adminlists import LimitedSearchMixin

from . import services
from .models import ContactMessage, ServiceText


@admin.register(ContactMessage)
class ContactMessageAdmin(LimitedSearchMixin, admin.ModelAdmin):
    """Questions from the customer service form. Staff answer from their mail program (the
    e-mail each one arrived as has the shopper as Reply-To) and mark them handled here."""

    list_display = ["created_at", "name", "email", "topic", "order", "short", "handled"]
    list_filter = ["handled", "topic", "created_at"]
    search_fields = ["name", "email", "order_number", "message"]
    date_hierarchy = "created_at"
    actions = ["mark_handled"]
    fields = ["name", "reply", "topic", "order", "message", "created_at", "handled"]
    readonly_fields = ["name", "reply", "topic", "order", "message", "created_at"]

    def has_add_permission(self, request):
        return False

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


@admin.register(ServiceText)
class ServiceTextAdmin(admin.ModelAdmin):
    """The shop's own wording for the customer service pages (the standard text until set)."""

    list_display = ["page", "updated_at", "view_on_shop"]
    fields = ["page", "text"]

    @admin.display(description="page on the shop")
    def view_on_shop(self, obj):
        url = reverse(f"service:{obj.page}")
        return format_html('<a href="{}">{}</a>', url, url)

    def get_readonly_fields(self, request, obj=None):
        return ["page"] if obj else []
