from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import escape, format_html
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin

from .adminlists import ConditionFilter, IndexedSearchMixin, IndexedValuesFilter, TailPaginator
from .models import FAILING, OutboxMessage
from .outbox import SEND_NOW_BATCH, retry_now, send_again


class FailingFilter(ConditionFilter):
    title = "delivery"
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return [
            ("failing", "Failing (not sent, tried)"),
            ("waiting", "Not sent yet"),
            ("sent", "Sent"),
        ]

    def conditions(self, request):
        return {
            "failing": FAILING,
            "waiting": Q(sent_at__isnull=True),
            "sent": Q(sent_at__isnull=False),
        }


@admin.register(OutboxMessage)
class OutboxMessageAdmin(IndexedSearchMixin, admin.ModelAdmin):
    paginator = TailPaginator
    show_full_result_count = False  # see OrderAdmin
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
    # (Django's "By sent at: Empty / Not empty" said the same as "Not sent yet" / "Sent" in
    # words staff had to translate)
    list_filter = [FailingFilter, ("kind", IndexedValuesFilter)]
    search_fields = ["subject", "to"]
    fields = [
        "to",
        "reply_to",
        "subject",
        "kind",
        "created_at",
        "sent_at",
        "attempts",
        "next_attempt_at",
        "last_error",
        "as_the_recipient_sees_it",
        "text",
        "html",
    ]
    readonly_fields = fields
    actions = ["send_now", "send_copy"]
    change_list_template = "admin/core/outboxmessage/change_list.html"

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "sent_mail_days": settings.SHOP_SENT_MAIL_DAYS}
        return super().changelist_view(request, extra_context)

    class Media:
        css = {"all": ["css/admin_outbox.css"]}

    # The HTML part is shown rendered in a sandboxed frame: its own page, served with a policy
    # that allows no script, no form, no request anywhere (an e-mail may carry text a shopper
    # typed; it is escaped when rendered, and this keeps it harmless even if it were not).
    PREVIEW_POLICY = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox"
    )

    def get_urls(self):
        preview = path(
            "<path:object_id>/preview/",
            self.admin_site.admin_view(self.preview_view),
            name="core_outboxmessage_preview",
        )
        return [preview, *super().get_urls()]

    # E-mails whose link or code lets its holder into the recipient's account (a password
    # reset, an address confirmation): shown to nobody here, or staff who may read the outbox
    # (not people's rights, shop/staff.py) could ask a reset for the owner and read the link.
    HIDDEN = (
        "Not shown: this e-mail holds a link or code that lets whoever has it into the "
        "recipient's account. “Send a copy” sends it to the recipient again."
    )

    @staticmethod
    def is_hidden(obj) -> bool:
        return obj is not None and obj.kind in getattr(settings, "OUTBOX_SECRET_KINDS", ())

    @admin.display(description="body text")
    def text(self, obj):
        return self.HIDDEN if self.is_hidden(obj) else obj.body_text

    @admin.display(description="body HTML")
    def html(self, obj):
        return self.HIDDEN if self.is_hidden(obj) else obj.body_html

    @xframe_options_sameorigin
    def preview_view(self, request, object_id):
        if not self.has_view_permission(request):
            raise Http404
        try:
            message = get_object_or_404(OutboxMessage, pk=int(object_id))
        except ValueError:
            raise Http404 from None
        if self.is_hidden(message):
            body = f"<p>{escape(self.HIDDEN)}</p>"
        else:
            body = message.body_html or (
                '<pre style="white-space: pre-wrap; font-family: inherit;">'
                f"{escape(message.body_text)}</pre>"
            )
        response = HttpResponse(body, content_type="text/html; charset=utf-8")
        response["Content-Security-Policy"] = self.PREVIEW_POLICY
        response["Cache-Control"] = "private, no-store"
        return response

    @admin.display(description="as the recipient sees it")
    def as_the_recipient_sees_it(self, obj):
        if obj is None or obj.pk is None:
            return "–"
        return format_html(
            '<iframe class="outbox-preview" sandbox src="{}" title="{}"></iframe>',
            reverse("admin:core_outboxmessage_preview", args=[obj.pk]),
            f"The e-mail “{obj.subject}” as the recipient sees it",
        )

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
