from django.contrib import admin
from django.db import transaction

from .models import Cart, CartLine, ShippingMethod
from .services import cart_changed


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    list_display = ["name", "fee", "free_over", "min_days", "max_days", "is_active", "position"]
    list_editable = ["fee", "free_over", "is_active", "position"]


class CartLineInline(admin.TabularInline):
    model = CartLine
    extra = 0
    raw_id_fields = ["variant"]


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ["pk", "user", "status", "created_at", "updated_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["user__email", "session_key"]
    raw_id_fields = ["user"]
    inlines = [CartLineInline]

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
