from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html

from core.adminlists import LimitedSearchMixin

from .forms import StaffUserChangeForm, StaffUserCreationForm
from .models import Address, User
from .services import lock_address_books, settle_default_address


class AddressInline(admin.TabularInline):
    """The member's address book, to read (members keep it themselves; the address admin
    edits one, keeping the default rule)."""

    model = Address
    extra = 0
    can_delete = False
    fields = ["full_name", "line1", "line2", "postcode", "city", "country", "phone", "is_default"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(LimitedSearchMixin, BaseUserAdmin):
    form = StaffUserChangeForm
    inlines = [AddressInline]
    add_form = StaffUserCreationForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "orders")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ["orders"]

    def get_fieldsets(self, request, obj=None):
        """Staff who may only look at people (the "Shop staff" group) get no password row:
        its "Reset password" button led them to a refusal (403), and the hash's summary is
        nothing they need."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "password"]})
            for name, options in fieldsets
        ]

    @admin.display(description="orders")
    def orders(self, obj):
        """A link to this member's orders (by e-mail: their guest orders too)."""
        if obj is None or not obj.pk:
            return "-"
        url = reverse("admin:orders_order_changelist") + "?" + urlencode({"q": obj.email})
        return format_html('<a href="{}">Orders of {}</a>', url, obj.email)

    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )


@admin.register(Address)
class AddressAdmin(LimitedSearchMixin, admin.ModelAdmin):
    list_display = ["full_name", "user", "city", "postcode", "country", "is_default"]
    search_fields = ["full_name", "user__email", "city", "postcode"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]

    # A member with addresses always has exactly one default (the address book and checkout
    # rely on it). The constraint refuses a second one with a message; these hooks give one
    # back when staff untick it, delete it, or move an address to another member. The books
    # are locked first, in the services' order (member row, then addresses): a member editing
    # their book at the same moment waits, instead of deadlocking with staff.

    def save_model(self, request, obj, form, change):
        users = sorted({obj.user_id, form.initial.get("user")} - {None})
        with transaction.atomic():
            lock_address_books(user_ids=users)
            super().save_model(request, obj, form, change)
            unticked = obj.pk if change and "is_default" in form.changed_data else None
            for user_id in users:
                self._settle(request, user_id, not_this=unticked)

    def delete_model(self, request, obj):
        with transaction.atomic():
            lock_address_books(user_ids=[obj.user_id])
            super().delete_model(request, obj)
            self._settle(request, obj.user_id)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            user_ids = sorted(set(queryset.values_list("user_id", flat=True)))
            lock_address_books(user_ids=user_ids)
            super().delete_queryset(request, queryset)
            for user_id in user_ids:
                self._settle(request, user_id)

    def _settle(self, request, user_id, *, not_this=None) -> None:
        made = settle_default_address(user_id=user_id, not_this=not_this)
        if made is not None:
            self.message_user(
                request,
                f"“{made}” is now {made.user}’s default address (a member with addresses "
                "always has one).",
                messages.INFO,
            )
