from urllib.parse import urlencode

from allauth.account import admin as allauth_admin  # registers EmailAddress first
from allauth.account.models import EmailAddress
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html

from core.adminlists import LimitedSearchMixin, TailPaginator

from .forms import StaffUserChangeForm, StaffUserCreationForm
from .models import Address, User
from .services import lock_address_books, settle_default_address

# Who may enter admin, and with which rights, is the owner's to say: Django lets anyone who may
# change users (or groups) give themselves every right, and a staff account's e-mail changed to
# one's own is a password reset away from that account. Staff who are not superusers change
# members' accounts only, and never these fields.
RIGHTS_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


def may_manage_staff(request) -> bool:
    """Whether the signed-in staff member may give rights and change staff accounts."""
    return request.user.is_active and request.user.is_superuser


def may_open_orders(request) -> bool:
    """Whether the order list opens for the signed-in staff member (links to it otherwise
    lead to a refusal)."""
    return request.user.has_perm("orders.view_order") or request.user.has_perm(
        "orders.change_order"
    )


def is_staff_account(user) -> bool:
    return user is not None and (user.is_staff or user.is_superuser)


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
    paginator = TailPaginator
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

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields if may_manage_staff(request) else [*fields, *RIGHTS_FIELDS]

    def has_change_permission(self, request, obj=None):
        if is_staff_account(obj) and not may_manage_staff(request):
            return False  # looked at, not changed (nor their password reset)
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if is_staff_account(obj) and not may_manage_staff(request):
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        """The delete pages (one account, or the list's "delete selected"): a staff account
        among them refuses the whole deletion for staff who are not superusers."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if not may_manage_staff(request) and any(is_staff_account(user) for user in objs):
            perms_needed = {*perms_needed, "staff accounts (only a superuser deletes them)"}
        return deleted, counts, perms_needed, protected

    def get_fieldsets(self, request, obj=None):
        """Staff who may only look at people (the "Shop staff" group) get no password row:
        its "Reset password" button led them to a refusal (403), and the hash's summary is
        nothing they need. Staff who may not open the orders get no link to them either."""
        fieldsets = super().get_fieldsets(request, obj)
        hidden = set()
        if obj is not None and not self.has_change_permission(request, obj):
            hidden.add("password")
        if not may_open_orders(request):
            hidden.add("orders")
        if not hidden:
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
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
    paginator = TailPaginator
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


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    """Groups are rights: staff who are not superusers may look at them, not change them
    (whoever may change a group may add every permission to their own)."""

    def has_add_permission(self, request):
        return may_manage_staff(request)

    def has_change_permission(self, request, obj=None):
        return may_manage_staff(request)

    def has_delete_permission(self, request, obj=None):
        return may_manage_staff(request)


admin.site.unregister(EmailAddress)


@admin.register(EmailAddress)
class EmailAddressAdmin(allauth_admin.EmailAddressAdmin):
    """allauth's, with the rule of the accounts above: staff who are not superusers change the
    addresses of members only (a verified address of one's own on the owner's account is a
    password reset away from it), and marking verified is a change, not for view-only."""

    def has_change_permission(self, request, obj=None):
        if obj is not None and is_staff_account(obj.user) and not may_manage_staff(request):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and is_staff_account(obj.user) and not may_manage_staff(request):
            return False
        return super().has_delete_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user" and not may_manage_staff(request):
            kwargs["queryset"] = User.objects.filter(is_staff=False, is_superuser=False)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if not may_manage_staff(request) and any(is_staff_account(a.user) for a in objs):
            perms_needed = {*perms_needed, "staff accounts' addresses (only a superuser)"}
        return deleted, counts, perms_needed, protected

    @admin.action(description="Mark selected email addresses as verified", permissions=["change"])
    def make_verified(self, request, queryset):
        if not may_manage_staff(request):
            staff = Q(user__is_staff=True) | Q(user__is_superuser=True)
            skipped = list(queryset.filter(staff).values_list("email", flat=True))
            if skipped:
                self.message_user(
                    request,
                    "Not marked: addresses of staff accounts (only a superuser may): "
                    + ", ".join(skipped),
                    messages.ERROR,
                )
            queryset = queryset.exclude(staff)
        super().make_verified(request, queryset)
