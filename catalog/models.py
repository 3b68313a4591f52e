from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.fields.files import FieldFile

from core.reverse import cached_reverse

from .validators import validate_image_upload

MAX_CATEGORY_DEPTH = 3


class Series(models.Model):
    """A product line; the shop sells a few of them."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=140, unique=True)
    tagline = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "series"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return cached_reverse("catalog:series", kwargs={"slug": self.slug})


class Category(models.Model):
    """A node of the category tree (at most three levels deep)."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="category_name_unique_in_parent"
            )
        ]

    def __str__(self) -> str:
        return " › ".join(c.name for c in self.ancestors_and_self())

    def get_absolute_url(self) -> str:
        return cached_reverse("catalog:category", kwargs={"slug": self.slug})

    def ancestors_and_self(self) -> list["Category"]:
        """This category and its parents, root first (walks cached parents, no query if loaded)."""
        chain, node, seen = [], self, set()
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    def clean(self) -> None:
        node, depth = self.parent, 1
        while node is not None:
            if self.pk and node.pk == self.pk:
                raise ValidationError({"parent": "A category cannot be inside itself."})
            depth += 1
            node = node.parent
        # its subcategories move with it: the deepest of them must stay within the limit too
        below, seen = [self.pk] if self.pk else [], {self.pk}
        while below and depth <= MAX_CATEGORY_DEPTH:
            below = [
                pk
                for pk in Category.objects.filter(parent_id__in=below).values_list("pk", flat=True)
                if pk not in seen
            ]
            seen.update(below)
            depth += bool(below)
        if depth > MAX_CATEGORY_DEPTH:
            raise ValidationError(
                {
                    "parent": f"Categories can be at most {MAX_CATEGORY_DEPTH} levels deep "
                    "(subcategories included)."
                }
            )


class ProductQuerySet(models.QuerySet):
    def active(self) -> "ProductQuerySet":
        return self.filter(is_active=True)

    def in_stock(self) -> "ProductQuerySet":
        return self.filter(stock_total__gt=0)


class Product(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    series = models.ForeignKey(Series, on_delete=models.PROTECT, related_name="products")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    short_description = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    price = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))]
    )
    compare_at_price = models.DecimalField(
        "compare-at price",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The former price, shown struck through. Must be above the price.",
    )
    # no index of its own: the product_active_* indexes (Meta) start with it
    is_active = models.BooleanField("active", default=True)
    is_featured = models.BooleanField("featured", default=False)
    # Units over all variants, kept by catalog.services.refresh_stock_totals (variant saves,
    # orders): listings filter and sort on it without touching the variants.
    stock_total = models.PositiveIntegerField(default=0, editable=False)
    # The lowest and highest price a variant sells at (its own price, or the product's), kept
    # by catalog.services.refresh_price_ranges (product and variant saves): cards say "From"
    # when they differ, and listings sort and filter on them.
    # (db_default: a product added by code from before these columns, while a deploy is under
    # way, gets 0 instead of failing; provision.sh then fills them: refresh_stale_price_ranges.)
    price_from = models.DecimalField(
        max_digits=10, decimal_places=2, default=0, db_default=0, editable=False
    )
    price_to = models.DecimalField(
        max_digits=10, decimal_places=2, default=0, db_default=0, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["is_active", "-created_at"], name="product_active_newest"),
            models.Index(fields=["is_active", "price_from"], name="product_active_price_from"),
            models.Index(fields=["is_active", "name"], name="product_active_name"),
            models.Index(
                fields=["category", "is_active", "stock_total"], name="product_category_stock"
            ),
            models.Index(
                fields=["category", "-is_featured", "-created_at"],
                condition=Q(is_active=True),
                name="product_category_related",
            ),
            models.Index(
                fields=["series", "-created_at"],
                condition=Q(is_active=True),
                name="product_series_newest",
            ),
            models.Index(
                fields=["-created_at"],
                condition=Q(is_featured=True, is_active=True),
                name="product_featured_newest",
            ),
            # the admin's product list, newest first (it sorted all products for each page)
            models.Index(fields=["-created_at", "-id"], name="product_newest"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_gte_0"),
            models.CheckConstraint(
                condition=Q(compare_at_price__isnull=True)
                | Q(compare_at_price__gt=models.F("price")),
                name="product_compare_at_above_price",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    DERIVED_FIELDS = ("stock_total", "price_from", "price_to")

    def save(self, *args, **kwargs):
        # stock_total and the price range are written only by catalog.services: a product
        # saved from a copy read before an order or a variant's change (an admin form) would
        # otherwise put back old values. (The post_save signal refreshes the price range.)
        if self.pk is not None and not self._state.adding and kwargs.get("update_fields") is None:
            deferred = self.get_deferred_fields()  # a copy read with only(): its loaded fields
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key
                and f.name not in self.DERIVED_FIELDS
                and f.attname not in deferred
            ]
        elif self._state.adding:
            self.price_from = self.price_to = self.price  # no variant yet
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return cached_reverse("catalog:product", kwargs={"slug": self.slug})

    def clean(self) -> None:
        if (
            self.compare_at_price is not None
            and self.price is not None
            and self.compare_at_price <= self.price
        ):
            raise ValidationError(
                {"compare_at_price": "The compare-at price must be higher than the price."}
            )

    @property
    def card_image_url(self) -> str:
        """The address of the card picture that catalog.selectors.product_cards annotated."""
        name = getattr(self, "card_image", None)
        return default_storage.url(name) if name else ""

    @property
    def price_varies(self) -> bool:
        """Whether the variants sell at different prices (cards and the page say "From")."""
        return self.price_from != self.price_to

    @property
    def shown_price(self) -> Decimal:
        """The price cards and the page show: what every variant costs, or the lowest."""
        return self.price_from

    @property
    def on_sale(self) -> bool:
        return (
            self.compare_at_price is not None
            and not self.price_varies
            and self.compare_at_price > self.shown_price
        )

    @property
    def orderable_max(self) -> int:
        return orderable_max(self.stock_total)


class OldProductSlug(models.Model):
    """An address a product had before its slug was changed: links shared, bookmarked and in
    search engines' index lead on to its page (301) instead of to a 404. Written when a
    product's slug changes (catalog.signals); deleted with the product."""

    slug = models.SlugField(max_length=220, unique=True)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="old_slugs")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "old address"
        verbose_name_plural = "old addresses"

    def __str__(self) -> str:
        return self.slug


class StockState(models.TextChoices):
    IN_STOCK = "in_stock", "In stock"
    LOW = "low", "Only a few left"
    SOLD_OUT = "sold_out", "Sold out"


# The most of one variant a cart line may hold (cart enforces it; pages use it as the quantity
# input's ``max`` while stock is plentiful).
MAX_LINE_QUANTITY = 999


def stock_shown(quantity: int) -> int:
    """What pages may show of a stock level: the exact count only while it is low (or out);
    above the low-stock threshold every level looks the same. So an order that leaves plenty
    changes nothing a shopper sees, and need not invalidate cached pages."""
    low = settings.SHOP_LOW_STOCK_THRESHOLD
    return max(quantity, 0) if quantity <= low else low + 1


def stock_change_shows(before: int, after: int) -> bool:
    """Whether a move between these two stock levels changes any page."""
    return stock_shown(before) != stock_shown(after)


def orderable_max(quantity: int) -> int:
    """The quantity input's ``max`` for this stock: the count while low, else the line cap."""
    if quantity <= settings.SHOP_LOW_STOCK_THRESHOLD:
        return max(quantity, 0)
    return MAX_LINE_QUANTITY


def stock_state(quantity: int) -> str:
    """The stock state a shopper sees for a number of units."""
    if quantity <= 0:
        return StockState.SOLD_OUT
    if quantity <= settings.SHOP_LOW_STOCK_THRESHOLD:
        return StockState.LOW
    return StockState.IN_STOCK


class Variant(models.Model):
    """The unit a shopper buys and stock is kept for."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField("SKU", max_length=64, unique=True)
    colour = models.CharField(max_length=60, blank=True)
    size = models.CharField(max_length=30, blank=True)
    price_override = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text="Leave empty to sell at the product's price.",
    )
    stock = models.PositiveIntegerField(default=0)
    # Counts staff's stock edits (orders do not): an admin form carries it, so the same edit
    # sent twice (a double click) or over another staff member's is refused, not added twice.
    stock_edits = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["product", "stock"], name="variant_product_stock"),
            # the admin's stock list: least stock first (it sorted all variants for each page)
            models.Index(fields=["stock", "sku"], name="variant_stock_sku"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="variant_stock_gte_0"),
            models.CheckConstraint(
                condition=Q(price_override__isnull=True) | Q(price_override__gte=0),
                name="variant_price_override_gte_0",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} — {self.label}" if self.label else self.product.name

    def save(self, *args, **kwargs):
        self.sku = self.sku.strip().upper()
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        return " / ".join(v for v in (self.colour, self.size) if v)

    @property
    def base_price(self):
        """The regular price before any promotion rule."""
        return self.price_override if self.price_override is not None else self.product.price

    @property
    def stock_state(self) -> str:
        return stock_state(self.stock)

    @property
    def stock_note(self) -> str:
        """What an option on the product page says of its stock."""
        state = self.stock_state
        if state == StockState.SOLD_OUT:
            return "sold out"
        return f"only {self.stock} left" if state == StockState.LOW else "in stock"


def product_image_path(instance: "ProductImage", filename: str) -> str:
    return f"products/{instance.product_id or 'new'}/{filename}"


class SavedDimensionsImageField(models.ImageField):
    """An ImageField whose width and height fields are filled when a file is assigned (an
    upload), never when a row is loaded.

    Django's ImageField also hooks every model instance's creation: a row loaded with empty
    dimensions has its file opened and decoded right there, on every page that loads it, and a
    file gone from the disk turns that page into an error. Here a loaded row is only a row."""

    def contribute_to_class(self, cls, name, **kwargs):
        models.FileField.contribute_to_class(self, cls, name, **kwargs)  # not the post_init hook

    def update_dimension_fields(self, instance, force=False, *args, **kwargs):
        """Measure a new file only. Django measures on every assignment, also of the file a
        row already has: the admin's product form assigns each picture's own file back, so a
        save opened every picture (a download each from a bucket) and a picture whose file was
        gone made the page an error that not even deleting that picture could get past."""
        value = instance.__dict__.get(self.attname)
        stored = isinstance(value, str) or (isinstance(value, FieldFile) and value._committed)
        if stored and value:  # a file already stored: its row has (or had no way to get) them
            return
        super().update_dimension_fields(instance, force, *args, **kwargs)


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = SavedDimensionsImageField(
        upload_to=product_image_path,
        validators=[validate_image_upload],
        width_field="width",
        height_field="height",
    )
    width = models.PositiveIntegerField(null=True, editable=False)
    height = models.PositiveIntegerField(null=True, editable=False)
    thumb_small = models.ImageField(
        upload_to="thumbs/small/", blank=True, editable=False, db_default=""
    )
    thumb_listing = models.ImageField(upload_to="thumbs/listing/", blank=True, editable=False)
    thumb_detail = models.ImageField(upload_to="thumbs/detail/", blank=True, editable=False)
    thumb_zoom = models.ImageField(upload_to="thumbs/zoom/", blank=True, editable=False)
    alt_text = models.CharField(
        max_length=200, blank=True, help_text="Describes the picture for people who cannot see it."
    )
    position = models.PositiveSmallIntegerField(
        default=0,
        help_text="The lowest number is the main picture (listings, first on the product page); "
        "equal numbers keep the order the pictures were added in.",
    )

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["product", "position"], name="image_product_position")]

    def __str__(self) -> str:
        return self.alt_text or f"Image of {self.product_id}"

    def _url(self, field) -> str:
        if field:
            return field.url
        return self.image.url if self.image else ""

    @property
    def small_url(self) -> str:
        """The small thumbnail (240 px), or the listing one for a picture from before it."""
        return self._url(self.thumb_small) if self.thumb_small else self.listing_url

    @property
    def listing_url(self) -> str:
        return self._url(self.thumb_listing)

    @property
    def detail_url(self) -> str:
        return self._url(self.thumb_detail)

    @property
    def zoom_url(self) -> str:
        return self._url(self.thumb_zoom)
