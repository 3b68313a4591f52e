import re

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.forms.models import BaseInlineFormSet
from django.http import Http404
from django.template.defaultfilters import pluralize
from django.utils.html import format_html

from core.adminlists import (
    ConditionFilter,
    IndexedSearchMixin,
    LimitedSearchMixin,
    TailPaginator,
    too_many_selected,
)
from core.diskfull import KeepsTheFormWhenTheDiskIsFull

from .images import make_thumbnails
from .models import Category, OldProductSlug, Product, ProductImage, Series, Variant
from .selectors import (
    first_image_prefetch,
    get_free_slug,
    get_navigation,
)
from .services import (
    STOCK_MAX,
    StaffStockEdit,
    lock_variants,
    save_variant_for_staff,
    set_products_active,
)


class StockLevelFilter(ConditionFilter):
    title = "stock"
    parameter_name = "stock"

    def lookups(self, request, model_admin):
        return [("sold_out", "Sold out"), ("low", "Low stock"), ("in_stock", "In stock")]

    def conditions(self, request):
        low = settings.SHOP_LOW_STOCK_THRESHOLD
        if self.model is Variant:
            return {
                "sold_out": Q(stock=0),
                "low": Q(stock__gt=0, stock__lte=low),
                "in_stock": Q(stock__gt=0),
            }
        variants = Variant.objects.filter(product=OuterRef("pk"))
        return {
            "sold_out": Q(stock_total=0),
            "low": Q(Exists(variants.filter(stock__gt=0, stock__lte=low))),
            "in_stock": Q(stock_total__gt=0),
        }


def thumbnail_tag(image: ProductImage | None, size: int = 48):
    if image is None or not image.image:
        return "—"
    return format_html(
        '<img src="{}" alt="" width="{}" height="{}" class="admin-thumb">',
        image.listing_url,
        size,
        size,
    )


class SlugFromNameForm(forms.ModelForm):
    """The address (slug) may be left empty: it is then made from the name. Admin's prefilled
    slug keeps Latin letters only, so a name in Chinese, Arabic or Hebrew left the field empty
    and the form refused to save until staff invented an address."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = (
                "The page's address. Left empty, it is made from the name (for a name without "
                "Latin letters, from the kind of page and a number)."
            )

    def clean_slug(self):
        slug = self.cleaned_data.get("slug") or ""
        self.slug_was_made = not slug
        if not slug:
            slug = get_free_slug(
                model=self._meta.model,
                name=self.cleaned_data.get("name") or "",
                exclude_pk=self.instance.pk,
            )
        return slug


class SavesWithAFreeSlug:
    """For admins whose form is a SlugFromNameForm: a slug made from the name was free when the
    form was checked, but another member of staff may have saved the same name since (two
    pages named "茶具" saved at once both got "category"). The second save then takes the next
    free slug instead of failing on the unique index with a 500."""

    ATTEMPTS = 5

    def save_model(self, request, obj, form, change):
        if not getattr(form, "slug_was_made", False):
            return super().save_model(request, obj, form, change)
        model = type(obj)
        for attempt in range(self.ATTEMPTS):
            try:
                with transaction.atomic():
                    return super().save_model(request, obj, form, change)
            except IntegrityError:
                taken = model.objects.filter(slug=obj.slug).exclude(pk=obj.pk).exists()
                if not taken or attempt == self.ATTEMPTS - 1:
                    raise
                obj.slug = get_free_slug(model=model, name=obj.name, exclude_pk=obj.pk)


@admin.register(Series)
class SeriesAdmin(SavesWithAFreeSlug, LimitedSearchMixin, admin.ModelAdmin):
    form = SlugFromNameForm
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(Category)
class CategoryAdmin(SavesWithAFreeSlug, LimitedSearchMixin, admin.ModelAdmin):
    form = SlugFromNameForm
    list_display = ["__str__", "slug", "position"]
    list_editable = ["position"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]
    autocomplete_fields = ["parent"]

    def get_queryset(self, request):
        # a category's name is its path ("Outdoor › Packs › Daypacks"): its parents come in
        # the same query, for the list and for the autocomplete of the product page (which
        # asked one query per parent of each category it offered)
        return super().get_queryset(request).select_related("parent__parent")


class StockWidget(forms.MultiWidget):
    """The stock box, and beside it (hidden) what the page showed: the stock and the count of
    staff's stock edits (Variant.stock_edits), as "stock:edits"."""

    def __init__(self, attrs=None):
        typed = forms.NumberInput(attrs={"class": "vIntegerField", "min": 0, **(attrs or {})})
        self.edits = 0  # the variant's stock_edits, set by the form
        # named "stock" and "stock_shown" ("" keeps the box's own name)
        super().__init__({"": typed, "shown": forms.HiddenInput()}, attrs)

    def decompress(self, value):
        return [value, "" if value in (None, "") else f"{value}:{self.edits}"]

    def id_for_label(self, id_):
        return f"{id_}_0" if id_ else id_  # the label points at the box


SHOWN = re.compile(r"(\d{1,10}):(\d{1,10})", re.ASCII)


class StockField(forms.MultiValueField):
    """Cleans to the number typed; ``shown`` is (stock, edits) as the page showed them, or None
    when the post did not say (a new variant, a script)."""

    widget = StockWidget

    def __init__(self, **kwargs):
        fields = (
            forms.IntegerField(min_value=0, max_value=STOCK_MAX),
            forms.CharField(required=False),
        )
        super().__init__(fields, require_all_fields=False, **kwargs)
        self.shown = None

    def compress(self, data_list):
        if not data_list:
            return None
        self.shown = self._shown(data_list[1] if len(data_list) > 1 else "")
        return data_list[0]

    @staticmethod
    def _shown(raw) -> tuple[int, int] | None:
        if not raw:
            return None
        match = SHOWN.fullmatch(str(raw))
        if match is None or int(match[1]) > STOCK_MAX or int(match[2]) > STOCK_MAX:
            raise ValidationError("This page is out of date: reload it and type the stock again.")
        return int(match[1]), int(match[2])

    def has_changed(self, initial, data):
        # Changed when staff typed another number than the page showed (orders moving the
        # stock meanwhile is not a change of theirs: no save, no "Changed stock" history).
        try:
            typed, shown = data[0], self._shown(data[1])
        except (TypeError, IndexError, ValidationError):
            return super().has_changed(initial, data)
        if shown is None:
            return super().has_changed(initial, data)
        try:
            return int(typed) != shown[0]
        except (TypeError, ValueError):
            return True


class VariantForm(forms.ModelForm):
    """Stock typed by staff moves the stock by what they changed on the page, applied to the
    stock as it is when they save: orders placed meanwhile keep their units (writing back the
    number the page showed would sell units that are gone). See save_variant_for_staff."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "stock" in self.fields:
            old = self.fields["stock"]
            field = StockField(
                label=old.label, help_text=old.help_text, required=old.required, initial=old.initial
            )
            field.widget.edits = self.instance.stock_edits if self.instance.pk else 0
            self.fields["stock"] = field
        self.stock_outcome = (StaffStockEdit.SAVED, 0)

    @property
    def stock_edit(self) -> StaffStockEdit | None:
        field = self.fields.get("stock")
        typed = self.cleaned_data.get("stock")
        if field is None or field.shown is None or typed is None or self.instance.pk is None:
            return None
        shown, edits = field.shown
        return StaffStockEdit(shown=shown, edits=edits, typed=typed)

    def save(self, commit=True):
        variant = super().save(commit=False)
        if commit:
            self.stock_outcome = save_variant_for_staff(variant=variant, edit=self.stock_edit)
            self._save_m2m()
        return variant

    def clean_sku(self):
        """A SKU in use elsewhere names the product that has it (not just "already exists").
        Cleaned as Variant.save stores it (upper case), so "mug-1" is found taken by "MUG-1"
        here and in the formset's duplicate check, not by the database at save (an error page)."""
        sku = self.cleaned_data["sku"].strip().upper()
        other = (
            Variant.objects.filter(sku=sku).exclude(pk=self.instance.pk).select_related("product")
        )
        taken = other.first()
        if taken is not None:
            raise ValidationError(f"SKU {sku} is already used by “{taken.product.name}”.")
        return sku


def tell_stock_outcome(request, form) -> None:
    """Tell staff when their edit of a variant was not saved as typed."""
    outcome, shortfall = getattr(form, "stock_outcome", (StaffStockEdit.SAVED, 0))
    sku = form.instance.sku
    if outcome == StaffStockEdit.DELETED:
        messages.warning(request, f"{sku} was deleted meanwhile: its changes were not saved.")
    elif outcome == StaffStockEdit.EDITED_MEANWHILE:
        messages.error(
            request,
            f"{sku}: its stock was changed by someone else since your page was loaded (or the "
            "page was sent twice): your changes to it were not saved. Reload and check.",
        )
    elif shortfall > 0:
        messages.warning(
            request,
            f"{sku}: orders took units while you edited; stock is now 0, "
            f"{shortfall} unit{pluralize(shortfall)} fewer could be taken away than you asked.",
        )


def posted_row_ids(request) -> list[int]:
    """The ids of the rows an admin list's "Save" sends (form-N-id), whatever their number."""
    try:
        total = min(int(request.POST.get("form-TOTAL_FORMS", 0)), 1000)
    except ValueError:
        return []
    ids = (request.POST.get(f"form-{n}-id", "") for n in range(total))
    return [int(i) for i in ids if i.isascii() and i.isdigit() and len(i) < 19]


class LocksVariantsOnListSave:
    """An admin list's "Save" writes its rows one by one in the order the list shows; taken one
    at a time, their rows deadlock with an order holding some of them (checkout locks
    variants in primary-key order, then updates their products). So every variant the save can
    touch is locked first, in that order, in the same transaction as the save."""

    lock_rows_as = "variant_ids"  # or "product_ids": the list's rows are products

    def changelist_view(self, request, extra_context=None):
        if (
            request.method == "POST"
            and "_save" in request.POST
            and self.has_change_permission(request)  # else nothing to lock: Django answers 403
        ):
            with transaction.atomic():
                lock_variants(**{self.lock_rows_as: posted_row_ids(request)})
                return super().changelist_view(request, extra_context)
        return super().changelist_view(request, extra_context)


class ProductForm(SlugFromNameForm):
    def clean_slug(self):
        slug = super().clean_slug()
        taken = Product.objects.filter(slug=slug).exclude(pk=self.instance.pk).first()
        if taken is not None:
            raise ValidationError(
                f"The address /products/{slug}/ is already used by “{taken.name}”; choose another."
            )
        return slug


ORDERED_VARIANT = (
    "{sku} has been ordered, so it stays: the orders keep pointing at it. To stop selling it, "
    "set its stock to 0 (it shows as sold out), or deactivate the whole product."
)


LAST_VARIANT = (
    "A product is sold as its variants, so keep at least one. To stop selling it, set the stock "
    "to 0 (it shows as sold out), or deactivate the whole product."
)


class VariantFormSet(BaseInlineFormSet):
    default_error_messages = {"too_few_forms": LAST_VARIANT}


class VariantInline(admin.TabularInline):
    model = Variant
    form = VariantForm
    formset = VariantFormSet
    extra = 0
    min_num = 1
    fields = ["sku", "colour", "size", "price_override", "stock", "position"]
    # the admin's 20em text inputs made this table 1,667 px wide on a 1,280 px screen
    formfield_overrides = {models.CharField: {"widget": forms.TextInput(attrs={"size": 14})}}

    def get_formset(self, request, obj=None, **kwargs):
        # min_num alone only shows one row: ticking "delete" on the last variant went
        # through, and the product's page then refused every save until one was added
        kwargs.setdefault("validate_min", True)
        formset = super().get_formset(request, obj, **kwargs)

        class OrderedVariantForm(formset.form):
            def hand_clean_DELETE(self):
                # Django's answer listed "the following protected related objects: Order
                # line: ..." and left staff to guess what to do instead
                try:
                    super().hand_clean_DELETE()
                except forms.ValidationError:
                    raise forms.ValidationError(
                        ORDERED_VARIANT.format(sku=self.instance.sku), code="protected"
                    ) from None

        formset.form = OrderedVariantForm
        return formset


class OldProductSlugInline(admin.TabularInline):
    """The addresses the product had before its slug changed: kept so that shared links and
    search engines lead on to its page (a product that takes one as its own slug comes first)."""

    model = OldProductSlug
    extra = 0
    fields = ["slug", "created_at"]
    readonly_fields = ["slug", "created_at"]
    can_delete = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # written when the slug changes


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 1
    fields = ["preview", "image", "alt_text", "position"]
    readonly_fields = ["preview"]

    @admin.display(description="preview")
    def preview(self, obj):
        # A picture sent with a form shown again for an error (another row's wrong file) is not
        # stored: its "preview" pointed at a file that is not there (a broken image, a 404),
        # as if it were kept, and the browser does not keep the chosen file either.
        if obj is None or obj.pk is None:
            return "—"
        return thumbnail_tag(obj, 64)


class CategoryTreeFilter(ConditionFilter):
    """Products of a category and its subcategories, from the cached category tree (Django's
    related filter printed each category's path with a query per category)."""

    title = "category"
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return [
            (str(node.id), " › ".join(n.name for n in (*ancestors, node)))
            for node, ancestors in get_navigation().walk()
        ]

    def conditions(self, request):
        return {
            str(node.id): Q(category_id__in=node.descendant_ids())
            for node, _ancestors in get_navigation().walk()
        }


class ProductListForm(forms.ModelForm):
    """A row of the product list (price, active, featured edited in place). Product.clean
    names the compare-at price, which the list does not edit: its error is shown at the price
    instead of failing the page (Django refuses errors for fields a form lacks)."""

    def _update_errors(self, errors):
        moved = getattr(errors, "error_dict", {}).pop("compare_at_price", None)
        if moved is not None and "compare_at_price" not in self.fields:
            errors.error_dict.setdefault("price", []).append(
                ValidationError(
                    f"Must stay below the compare-at price "
                    f"({self.instance.compare_at_price}); change that on the product's page."
                )
            )
        elif moved is not None:
            errors.error_dict["compare_at_price"] = moved
        super()._update_errors(errors)


@admin.register(Product)
class ProductAdmin(
    KeepsTheFormWhenTheDiskIsFull,
    SavesWithAFreeSlug,
    IndexedSearchMixin,
    LocksVariantsOnListSave,
    admin.ModelAdmin,
):
    lock_rows_as = "product_ids"
    paginator = TailPaginator
    show_full_result_count = False  # see OrderAdmin
    list_display = [
        "thumbnail",
        "name",
        "series",
        "category",
        "price",
        "stock_total",
        "is_active",
        "is_featured",
    ]
    form = ProductForm
    list_display_links = ["thumbnail", "name"]
    list_editable = ["price", "is_active", "is_featured"]
    list_filter = [
        "series",
        CategoryTreeFilter,
        "is_active",
        "is_featured",
        StockLevelFilter,
    ]
    list_select_related = ["series", "category__parent__parent"]
    list_per_page = 50
    search_fields = ["name", "slug", "variants__sku"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["category"]
    inlines = [VariantInline, ProductImageInline]
    actions = ["activate", "deactivate"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "series", "category"]}),
        ("Text", {"fields": ["short_description", "description"]}),
        ("Price", {"fields": ["price", "compare_at_price"]}),
        ("Visibility", {"fields": ["is_active", "is_featured", "created_at", "updated_at"]}),
    ]

    def get_inlines(self, request, obj):
        # the old addresses only where there are some: a form without them has nothing to send
        if obj is not None and obj.old_slugs.exists():
            return [*self.inlines, OldProductSlugInline]
        return self.inlines

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, form=ProductListForm, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            # The product's variant rows first, then the product row: the order checkout takes
            # them in (its stock update, then the product's stock total). Saving the product
            # first and its variants after could deadlock with an order for it.
            lock_variants(product_ids=[obj.pk])
            if not Product.objects.filter(pk=obj.pk).exists():
                # deleted by someone else since the page was loaded: not brought back
                raise Http404("This product was deleted meanwhile.")
        super().save_model(request, obj, form, change)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(first_image_prefetch())

    @admin.display(description="image")
    def thumbnail(self, obj):
        images = getattr(obj, "image_list", None)
        return thumbnail_tag(images[0] if images else None)

    # Activating or deactivating "select all" of 100,000 products was one UPDATE holding
    # every product row for 28 s (checkout waits on them), then a re-index of each in the
    # request: past gunicorn's 30 s, cut off with the search index half stale.
    ACTION_MAX_PRODUCTS = 1_000

    @admin.action(description="Activate selected products", permissions=["change"])
    def activate(self, request, queryset):
        self._set_active(request, queryset, active=True)

    @admin.action(description="Deactivate selected products", permissions=["change"])
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, active=False)

    def _set_active(self, request, queryset, *, active: bool) -> None:
        if too_many_selected(
            self, request, queryset, limit=self.ACTION_MAX_PRODUCTS, noun="products"
        ):
            return
        ids = queryset.values_list("pk", flat=True)
        count = set_products_active(product_ids=ids, active=active)
        done = "activated" if active else "deactivated"
        self.message_user(request, f"{count} product{pluralize(count)} {done}.", messages.SUCCESS)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is Variant:
            for variant_form in formset.forms:
                tell_stock_outcome(request, variant_form)
        if formset.model is ProductImage:
            changed = list(formset.new_objects) + [
                obj for obj, fields in formset.changed_objects if "image" in fields
            ]
            for image in changed:
                make_thumbnails(image)


@admin.register(Variant)
class VariantAdmin(IndexedSearchMixin, LocksVariantsOnListSave, admin.ModelAdmin):
    """Stock keeping: the low-stock view is this list filtered by stock."""

    paginator = TailPaginator
    show_full_result_count = False  # see OrderAdmin
    list_display = ["sku", "product", "colour", "size", "price_override", "stock"]
    list_editable = ["price_override", "stock"]
    list_filter = [StockLevelFilter, "product__series", "product__is_active"]
    list_select_related = ["product"]
    search_fields = ["sku", "product__name"]
    autocomplete_fields = ["product"]
    ordering = ["stock", "sku"]
    form = VariantForm

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, form=VariantForm, **kwargs)

    # Variants are deleted on their product's page, which keeps the last one and says what to
    # do with an ordered one; here "delete" took a product's last variant too. (Not by
    # has_delete_permission: deleting a product checks it for the variants that go with it.)
    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        raise PermissionDenied

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "show_delete": False}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        form.save()  # VariantForm.save: a stock edit applied to the stock as it is now
        tell_stock_outcome(request, form)
