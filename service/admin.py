from django.contrib import admin, messages

from . import services
from .models import ContactMessage


@admin.register(ContactMessage)
class ContactMessageAdmin(admin.ModelAdmin):
    """Questions from the customer service form. Staff answer from their mail program (the
    e-mail each one arrived as has the shopper as Reply-To) and mark them handled here."""

    list_display = ["created_at", "name", "email", "topic", "order_number", "short", "handled"]
    list_filter = ["handled", "topic", "created_at"]
    search_fields = ["name", "email", "order_number", "message"]
    date_hierarchy = "created_at"
    actions = ["mark_handled"]
    fields = ["name", "email", "topic", "order_number", "message", "created_at", "handled"]
    readonly_fields = ["name", "email", "topic", "order_number", "message", "created_at"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="message")
    def short(self, obj):
        return obj.message[:80]

    @admin.action(description="Mark selected messages as handled")
    def mark_handled(self, request, queryset):
        count = services.mark_handled(message_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} message(s) marked handled.", messages.SUCCESS)
