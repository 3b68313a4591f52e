from django.contrib import admin, messages
from django.utils.translation import ngettext

from .models import OutboxMessage
from .outbox import SEND_NOW_BATCH, retry_now, send_again


class FailingFilter(admin.SimpleListFilter):
    title = "delivery"
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return [("failing", "Failing (not sent, tried)"), ("waiting", "Not sent yet")]

    def queryset(self, request, queryset):
        if self.value() == "failing":
            return queryset.filter(sent_at__isnull=True, attempts__gt=0)
        if self.value() == "waiting":
            return queryset.filter(sent_at__isnull=True)
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = [
        "subject",
        "recipients",
        "kind",
        "created_at",
        "sent_at",
        "attempts",
        "next_attempt_at",
        "error",
    ]
    list_filter = [FailingFilter, "kind", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["subject", "to"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["send_now", "send_copy"]

    @admin.display(description="to")
    def recipients(self, obj):
        return ", ".join(obj.to)

    @admin.display(description="last error")
    def error(self, obj):
        return obj.last_error[:80]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # a record of what was sent: read, never edited or deleted ("send now" is the action)
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Send the selected unsent messages now", permissions=["change"])
    def send_now(self, request, queryset):
        count = retry_now(queryset)
        self.message_user(
            request,
            ngettext("%d message will be sent now.", "%d messages will be sent now.", count)
            % count,
            messages.SUCCESS if count else messages.WARNING,
        )

    @admin.action(description="Send a copy of the selected sent messages", permissions=["change"])
    def send_copy(self, request, queryset):
        count = send_again(queryset)
        if count:
            self.message_user(
                request,
                ngettext(
                    "A copy of %d message is on its way.",
                    "Copies of %d messages are on their way.",
                    count,
                )
                % count,
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                "None of the selected messages was sent yet: use “send now”.",
                messages.WARNING,
            )
        if queryset.filter(sent_at__isnull=False).count() > SEND_NOW_BATCH:
            self.message_user(
                request,
                f"At most {SEND_NOW_BATCH} at a time: select the rest again.",
                messages.WARNING,
            )

    def has_add_permission(self, request):
        return False
