import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.forms.models import BaseModelFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse

from core.adminlists import LimitedSearchMixin, TailPaginator

from .exceptions import NoActiveShippingMethod
from .models import Cart, CartLine, ShippingMethod
from .services import cart_changed, check_a_shipping_method_stays_active

NONE_ACTIVE = str(NoActiveShippingMethod())
# Django's session keys: 32 of lower-case letters and digits (sessions' VALID_KEY_CHARS)
SESSION_KEY = re.compile(r"[a-z0-9]{32}")

# Both checks lock the delivery methods until the page's transaction (the save) ends: the
# change page runs in one (Django's), the list's post in ShippingMethodAdmin.changelist_view.


class ShippingMethodForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        try:
            check_a_shipping_method_stays_active(
                active={self.instance.pk: bool(cleaned.get("is_active"))}
            )
        except NoActiveShippingMethod as exc:
            self.add_error("is_active", str(exc))
        return cleaned


class ShippingMethodListFormSet(BaseModelFormSet):
    """The list edits several methods at once: together they must leave one active."""

    def clean(self):
        super().clean()
        active = {}
        for form in self.forms:
            is_active = bool(getattr(form, "cleaned_data", {}).get("is_active"))
            if form.instance.pk:
                active[form.instance.pk] = is_active
            elif is_active:  # a new one (the list adds none today)
                active[None] = True
        try:
            check_a_shipping_method_stays_active(active=active)
        except NoActiveShippingMethod as exc:
            raise ValidationError(str(exc)) from exc


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    form = ShippingMethodForm
    list_display = ["name", "fee", "free_over", "min_days", "max_days", "is_active", "position"]
    list_editable = ["fee", "free_over", "is_active", "position"]

    def get_changelist_formset(self, request, **kwargs):
        return super().get_changelist_formset(request, formset=ShippingMethodListFormSet, **kwargs)

    def changelist_view(self, request, extra_context=None):
        # Django checks the list's forms outside the transaction that saves them: the check's
        # locks would end before the save. One transaction for the whole post, as the change
        # page has.
        if request.method != "POST":
            return super().changelist_view(request, extra_context)
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return super().changelist_view(request, extra_context)
        except NoActiveShippingMethod as exc:  # "delete selected" of every active one
            return self._refused(request, exc, request.path)

    def delete_view(self, request, object_id, extra_context=None):
        try:  # Django's delete page runs in a transaction: the refusal rolls it back
            return super().delete_view(request, object_id, extra_context)
        except NoActiveShippingMethod as exc:
            page = reverse("admin:cart_shippingmethod_change", args=[object_id])
            return self._refused(request, exc, page)

    # Deleting the last active method (one no order names yet) left the shop with none, as
    # switching it off would have.
    def delete_model(self, request, obj):
        check_a_shipping_method_stays_active(active={obj.pk: False})
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        check_a_shipping_method_stays_active(
            active=dict.fromkeys(queryset.values_list("pk", flat=True), False)
        )
        super().delete_queryset(request, queryset)

    def _refused(self, request, exc, url: str):
        self.message_user(request, str(exc), messages.ERROR)
        return HttpResponseRedirect(url)


class CartLineInline(admin.TabularInline):
    model = CartLine
    extra = 0
    raw_id_fields = ["variant"]


@admin.register(Cart)
class CartAdmin(LimitedSearchMixin, admin.ModelAdmin):
    paginator = TailPaginator
    show_full_result_count = False  # see OrderAdmin
    list_display = ["pk", "user", "status", "created_at", "updated_at"]
    list_select_related = ["user"]  # not one query per member's cart on the page
    list_filter = ["status", "created_at"]
    # A guest cart's session key is the visitor's session cookie: whoever reads it is that
    # visitor in the shop (their checkout details). The page's title keeps its first characters;
    # the search finds a whole key only (a part of it, letter by letter, would spell it out).
    search_fields = ["user__email"]  # and a whole session key: get_search_results
    raw_id_fields = ["user"]
    inlines = [CartLineInline]
    exclude = ["session_key"]

    def get_search_results(self, request, queryset, search_term):
        """A whole session key (as typed, any case) finds its cart by the index: Django's
        "=session_key" compared upper-cased values, which no index serves (every cart read,
        170 ms at 300,000 carts)."""
        key = search_term.strip().lower()
        if SESSION_KEY.fullmatch(key):
            return queryset.filter(session_key=key), False
        return super().get_search_results(request, queryset, search_term)

    # a change here shows in the shopper's header count at once, as one made in the shop does
    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        cart_changed(form.instance.pk)

    @transaction.atomic  # bumped again at commit, after the delete
    def delete_model(self, request, obj):
        cart_changed(obj.pk)
        super().delete_model(request, obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for pk in queryset.values_list("pk", flat=True):
            cart_changed(pk)
        super().delete_queryset(request, queryset)
