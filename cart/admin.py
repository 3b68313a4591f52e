from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import BaseModelFormSet

from core.adminlists import LimitedSearchMixin

from .models import Cart, CartLine, ShippingMethod
from .services import cart_changed

NONE_ACTIVE = "At least one delivery method must stay active: without one, nobody can check out."


class ShippingMethodForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        others = ShippingMethod.objects.filter(is_active=True).exclude(pk=self.instance.pk)
        if not cleaned.get("is_active") and not others.exists():
            self.add_error("is_active", NONE_ACTIVE)
        return cleaned


class ShippingMethodListFormSet(BaseModelFormSet):
    """The list edits several methods at once: together they must leave one active."""

    def clean(self):
        super().clean()
        shown = [f for f in self.forms if f.instance.pk]
        elsewhere = (
            ShippingMethod.objects.filter(is_active=True)
            .exclude(pk__in=[f.instance.pk for f in shown])
            .exists()
        )
        active_here = any(getattr(f, "cleaned_data", {}).get("is_active") for f in self.forms)
        if not elsewhere and not active_here:
            raise ValidationError(NONE_ACTIVE)


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    form = ShippingMethodForm
    list_display = ["name", "fee", "free_over", "min_days", "max_days", "is_active", "position"]
    list_editable = ["fee", "free_over", "is_active", "position"]

    def get_changelist_formset(self, request, **kwargs):
        return super().get_changelist_formset(request, formset=ShippingMethodListFormSet, **kwargs)


class CartLineInline(admin.TabularInline):
    model = CartLine
    extra = 0
    raw_id_fields = ["variant"]


@admin.register(Cart)
class CartAdmin(LimitedSearchMixin, admin.ModelAdmin):
    list_display = ["pk", "user", "status", "created_at", "updated_at"]
    list_select_related = ["user"]  # not one query per member's cart on the page
    list_filter = ["status", "created_at"]
    # A guest cart's session key is the visitor's session cookie: whoever reads it is that
    # visitor in the shop (their checkout details). The page's title keeps its first characters;
    # the search finds a whole key only (a part of it, letter by letter, would spell it out).
    search_fields = ["user__email", "=session_key"]
    raw_id_fields = ["user"]
    inlines = [CartLineInline]
    exclude = ["session_key"]

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
