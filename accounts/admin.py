from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction

from .forms import StaffUserChangeForm, StaffUserCreationForm
from .models import Address, User
from .services import lock_address_books, settle_default_address


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = StaffUserChangeForm
    add_form = StaffUserCreationForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
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
class AddressAdmin(admin.ModelAdmin):
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
