from django.contrib import admin, messages

from core.adminlists import LimitedSearchMixin, TailPaginator
from core.siteurl import shop_url
from core.text import shorten

from . import services
from .models import Entry


@admin.register(Entry)
class EntryAdmin(LimitedSearchMixin, admin.ModelAdmin):
    """Moderation: publish or hide messages, and answer in public."""

    paginator = TailPaginator

    list_display = ["name", "short_message", "status", "created_at", "has_reply"]
    list_filter = ["status", "created_at"]
    search_fields = ["name", "email", "message", "reply"]
    date_hierarchy = "created_at"
    actions = ["publish", "hide"]
    fields = [
        "name",
        "email",
        "message",
        "status",
        "created_at",
        "reply",
        "replied_at",
        "replied_by",
    ]
    readonly_fields = ["name", "email", "message", "created_at", "replied_at", "replied_by"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="message")
    def short_message(self, obj):
        return shorten(obj.message, 80)

    @admin.display(description="replied", boolean=True)
    def has_reply(self, obj):
        return bool(obj.reply)

    @admin.action(description="Publish selected messages", permissions=["change"])
    def publish(self, request, queryset):
        count = services.publish_entries(entry_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} message(s) published.", messages.SUCCESS)

    @admin.action(description="Hide selected messages", permissions=["change"])
    def hide(self, request, queryset):
        count = services.hide_entries(entry_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} message(s) hidden.", messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        """A new or changed reply goes through the service (stamp, e-mail to the author); the
        status staff picked on the same form is passed on, so the reply cannot override it."""
        if "reply" in form.changed_data and obj.reply.strip():
            services.reply_to_entry(
                entry=obj,
                reply=obj.reply,
                staff_user=request.user,
                status=obj.status if "status" in form.changed_data else None,
                site_url=shop_url(request),
            )
        else:
            super().save_model(request, obj, form, change)
