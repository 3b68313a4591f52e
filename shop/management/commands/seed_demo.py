"""Fill the shop with a deterministic, realistic demo catalog and a staff login."""

import datetime
import io
import random
from dataclasses import dataclass
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image, ImageDraw, ImageFont

from cart.models import ShippingMethod
from catalog.images import make_thumbnails
from catalog.models import Category, Product, ProductImage, Series, Variant
from catalog.selectors import bump_catalog_version
from catalog.services import refresh_price_ranges, refresh_stock_totals
from core.progress import ProgressBar
from guestbook.models import Entry
from search.services import index_all_products
from shop.demo import DEMO_STAFF_EMAIL, DEMO_STAFF_PASSWORD

SERIES = [
    (
        "Trailhead",
        "trailhead",
        "Packs, layers and camp kit for days outside.",
        "The Trailhead series is built for walkers, climbers and weekend campers: light, tough and "
        "repairable gear tested on real trails.",
    ),
    (
        "Hearth",
        "hearth",
        "Kitchen, sound and light for the home you come back to.",
        "The Hearth series gathers the things that make a home warm: solid cookware, good tea, "
        "clear sound and soft light.",
    ),
]

# (root, child, grandchild or None, series slug, nouns, colours, sizes, price range, shape)
LEAVES = [
    (
        "Outdoor",
        "Backpacks",
        "Daypacks",
        "trailhead",
        ["Daypack", "Roll-Top Daypack", "Hip Pack"],
        ["Moss", "Slate", "Rust"],
        [],
        (39, 119),
        "pack",
    ),
    (
        "Outdoor",
        "Backpacks",
        "Hiking Packs",
        "trailhead",
        ["Hiking Pack", "Trekking Pack"],
        ["Forest", "Charcoal"],
        [],
        (119, 289),
        "pack",
    ),
    (
        "Outdoor",
        "Clothing",
        "Jackets",
        "trailhead",
        ["Rain Jacket", "Down Jacket", "Softshell"],
        ["Pine", "Navy", "Ember"],
        ["S", "M", "L", "XL"],
        (89, 329),
        "jacket",
    ),
    (
        "Outdoor",
        "Clothing",
        "Base Layers",
        "trailhead",
        ["Merino Tee", "Base Layer Top", "Hiking Shirt"],
        ["Stone", "Sky"],
        ["S", "M", "L", "XL"],
        (29, 89),
        "jacket",
    ),
    (
        "Outdoor",
        "Camping",
        None,
        "trailhead",
        ["Two-Person Tent", "Sleeping Bag", "Camp Stove", "Trekking Poles", "Water Bottle"],
        [],
        [],
        (15, 399),
        "tent",
    ),
    (
        "Home & Living",
        "Kitchen",
        "Cookware",
        "hearth",
        ["Cast Iron Skillet", "Saucepan", "Dutch Oven", "Chef's Knife"],
        [],
        [],
        (24, 189),
        "pan",
    ),
    (
        "Home & Living",
        "Kitchen",
        "Tea & Coffee",
        "hearth",
        ["Green Tea", "Black Tea", "Pour-Over Kettle", "Coffee Grinder", "Tea Set"],
        [],
        [],
        (8, 129),
        "cup",
    ),
    (
        "Home & Living",
        "Audio",
        "Speakers",
        "hearth",
        ["Bluetooth Speaker", "Bookshelf Speaker", "Smart Speaker"],
        ["Oak", "Graphite"],
        [],
        (49, 349),
        "speaker",
    ),
    (
        "Home & Living",
        "Audio",
        "Headphones",
        "hearth",
        ["Wireless Headphones", "Bluetooth Earbuds", "Studio Headphones"],
        ["Black", "Sand"],
        [],
        (39, 299),
        "speaker",
    ),
    (
        "Home & Living",
        "Lighting",
        None,
        "hearth",
        ["Table Lamp", "Reading Light", "Lantern", "Pendant Lamp"],
        [],
        [],
        (19, 219),
        "lamp",
    ),
]

MODELS = [
    "Alder",
    "Birch",
    "Cedar",
    "Fjord",
    "Ridge",
    "Summit",
    "Tundra",
    "Canyon",
    "Harbor",
    "Meadow",
    "Aspen",
    "Glacier",
    "Heath",
    "Linden",
    "Marsh",
    "Nordic",
]
ADJECTIVES = ["durable", "lightweight", "hard-wearing", "carefully made", "versatile", "compact"]
PALETTE = {
    "pack": (31, 95, 74),
    "jacket": (48, 84, 150),
    "tent": (164, 69, 42),
    "pan": (60, 60, 64),
    "cup": (120, 90, 40),
    "speaker": (70, 70, 90),
    "lamp": (170, 130, 30),
}
# Each product shows two pictures: its own kind of thing (one file per kind, "Chef's Knife"),
# and a second view shared by its category (labelled with the category, in another tint).
CATEGORY_VIEW = -1


@dataclass
class LeafInfo:
    category: Category
    series: Series
    nouns: list[str]
    colours: list[str]
    sizes: list[str]
    price_range: tuple[int, int]
    shape: str
    images: dict[int, ProductImage | None]  # noun index (or CATEGORY_VIEW) -> the shared file


def _picture_name(leaf: "LeafInfo", kind: int) -> str:
    suffix = "view" if kind == CATEGORY_VIEW else f"kind{kind}"
    return f"demo-{leaf.category.slug}-{suffix}.png"


def _alt_text(product, position: int) -> str:
    # the gallery says "Picture 2 of 2: ..." itself; the alt text describes what is shown
    return product.name if position == 0 else f"{product.name}, another view"


def draw_product_image(*, shape: str, label: str, variant: int) -> bytes:
    """A simple, recognisable product picture drawn with Pillow (no files shipped)."""
    base = PALETTE[shape]
    tint = tuple(min(255, c + 40 * variant) for c in base)
    img = Image.new("RGB", (1200, 1200), (244, 246, 243))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((60, 60, 1140, 1140), radius=80, fill=(232, 238, 233))
    if shape == "pack":
        d.rounded_rectangle((380, 300, 820, 940), radius=120, fill=tint)
        d.rounded_rectangle((450, 560, 750, 820), radius=40, fill=base)
        d.arc((460, 180, 740, 420), 180, 360, fill=base, width=40)
    elif shape == "jacket":
        d.polygon(
            [
                (420, 280),
                (780, 280),
                (960, 520),
                (860, 580),
                (820, 480),
                (820, 960),
                (380, 960),
                (380, 480),
                (340, 580),
                (240, 520),
            ],
            fill=tint,
        )
        d.line((600, 300, 600, 960), fill=base, width=16)
    elif shape == "tent":
        d.polygon([(600, 260), (1000, 940), (200, 940)], fill=tint)
        d.polygon([(600, 520), (720, 940), (480, 940)], fill=base)
    elif shape == "pan":
        d.ellipse((260, 380, 760, 880), fill=tint)
        d.ellipse((320, 440, 700, 820), fill=base)
        d.rounded_rectangle((720, 590, 1040, 670), radius=30, fill=tint)
    elif shape == "cup":
        d.rounded_rectangle((360, 420, 760, 900), radius=60, fill=tint)
        d.arc((680, 500, 900, 760), 270, 90, fill=tint, width=40)
        d.line((470, 260, 500, 380), fill=base, width=18)
        d.line((600, 240, 630, 380), fill=base, width=18)
    elif shape == "speaker":
        d.rounded_rectangle((400, 240, 800, 960), radius=60, fill=tint)
        d.ellipse((480, 320, 720, 560), fill=base)
        d.ellipse((450, 620, 750, 920), fill=base)
    else:  # lamp
        d.polygon([(420, 300), (780, 300), (880, 560), (320, 560)], fill=tint)
        d.rectangle((580, 560, 620, 880), fill=base)
        d.rounded_rectangle((440, 880, 760, 940), radius=20, fill=base)
    font = ImageFont.load_default(size=56)
    d.text((600, 1040), label, fill=(28, 36, 33), font=font, anchor="mm")
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()


class Command(BaseCommand):
    help = "Create demo series, categories, products with images and stock, and a staff login."

    def add_arguments(self, parser):
        parser.add_argument("--products", type=int, default=120, help="How many products.")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even when DEBUG is off (never on a live shop).",
        )
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, products: int, seed: int, force: bool, batch_size: int, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo fills the shop with demo data; with DEBUG off, add --force."
            )
        if products < 0:
            raise CommandError("--products must be zero or more.")
        rng = random.Random(seed)
        with transaction.atomic():
            series = self._series()
            leaves = self._categories(series)
        self._images(leaves)
        created = self._products(leaves, total=products, rng=rng, batch_size=batch_size)
        self._extra()
        if created:
            bar = ProgressBar(Product.objects.count(), label="Search index", stream=self.stdout)
            index_all_products(progress=bar.update)
            bar.close()
            if connection.vendor == "postgresql":
                # fresh statistics, or the planner guesses wrong on the new rows
                with connection.cursor() as cursor:
                    cursor.execute(
                        "ANALYZE catalog_product, catalog_variant, catalog_productimage, "
                        "search_productdocument, search_lexeme"
                    )
        bump_catalog_version()
        staff = self._staff()
        self._guestbook(staff)
        self.stdout.write(self.style.SUCCESS(f"Demo catalog ready: {created:,} new products."))
        self.stdout.write(f"Staff login: {DEMO_STAFF_EMAIL} / {DEMO_STAFF_PASSWORD} at /admin/")

    def _series(self) -> dict[str, Series]:
        result = {}
        for position, (name, slug, tagline, description) in enumerate(SERIES):
            result[slug], _ = Series.objects.get_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "tagline": tagline,
                    "description": description,
                    "position": position,
                },
            )
        return result

    def _category(self, name: str, parent: Category | None, position: int) -> Category:
        slug = slugify(name.replace("&", "and"))
        category, _ = Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "parent": parent, "position": position}
        )
        return category

    def _categories(self, series: dict[str, Series]) -> list[LeafInfo]:
        leaves = []
        for position, (
            root,
            child,
            grandchild,
            series_slug,
            nouns,
            colours,
            sizes,
            prices,
            shape,
        ) in enumerate(LEAVES):
            root_cat = self._category(root, None, 0 if root == "Outdoor" else 1)
            node = self._category(child, root_cat, position)
            if grandchild:
                node = self._category(grandchild, node, position)
            leaves.append(
                LeafInfo(node, series[series_slug], nouns, colours, sizes, prices, shape, [])
            )
        return leaves

    def _images(self, leaves: list[LeafInfo]) -> None:
        """A small pool of pictures per category, shared by its products (not one file each):
        one per kind of product (noun), so a knife never shows a saucepan, and one view of the
        category."""
        for leaf in leaves:
            leaf.images = {}
            for kind in [*range(len(leaf.nouns)), CATEGORY_VIEW]:
                name = _picture_name(leaf, kind)
                leaf.images[kind] = (
                    ProductImage.objects.filter(image__endswith=name).order_by("id").first()
                )

    def _ensure_image(
        self, leaf: LeafInfo, kind: int, product: Product, position: int
    ) -> ProductImage:
        """The first product that needs this picture creates the file."""
        image = ProductImage(
            product=product, position=position, alt_text=_alt_text(product, position)
        )
        if kind == CATEGORY_VIEW:
            data = draw_product_image(shape=leaf.shape, label=leaf.category.name, variant=1)
        else:
            data = draw_product_image(shape=leaf.shape, label=leaf.nouns[kind], variant=0)
        name = _picture_name(leaf, kind)
        # a named ContentFile: Django measures only a file with a name (width and height)
        image.image.save(name, ContentFile(data, name=name), save=True)
        make_thumbnails(image)
        leaf.images[kind] = image
        return image

    def _products(
        self, leaves: list[LeafInfo], *, total: int, rng: random.Random, batch_size: int
    ) -> int:
        existing = set(Product.objects.values_list("slug", flat=True))
        created = 0
        bar = ProgressBar(total, label="Products", stream=self.stdout)
        specs = []
        for i in range(total):
            leaf = leaves[i % len(leaves)]
            k = i // len(leaves)
            noun = leaf.nouns[k % len(leaf.nouns)]
            model = MODELS[(k // len(leaf.nouns)) % len(MODELS)]
            cycle = k // (len(leaf.nouns) * len(MODELS))
            name = f"{model} {noun}" + (f" Mk {cycle + 1}" if cycle else "")
            slug = slugify(name.replace("&", "and").replace("'", ""))
            lo, hi = leaf.price_range
            price = Decimal(rng.randint(lo, hi)) - Decimal("0.01")
            on_sale = rng.random() < 0.15
            compare = (price * Decimal("1.25")).quantize(Decimal("1")) - Decimal("0.01")
            featured = rng.random() < 0.08
            stock_roll = rng.random()
            specs.append(
                (
                    i,
                    leaf,
                    name,
                    slug,
                    noun,
                    model,
                    price,
                    compare if on_sale else None,
                    featured,
                    stock_roll,
                )
            )
            if len(specs) >= batch_size or i == total - 1:
                created += self._insert_batch(specs, existing, rng)
                bar.update(len(specs))
                specs = []
        bar.close()
        return created

    def _insert_batch(self, specs, existing: set[str], rng: random.Random) -> int:
        new = [s for s in specs if s[3] not in existing]
        if not new:
            return 0
        with transaction.atomic():
            products = []
            for i, leaf, name, slug, noun, _model, price, compare, featured, _roll in new:
                adjective = ADJECTIVES[i % len(ADJECTIVES)]
                kind = noun.lower()
                products.append(
                    Product(
                        name=name,
                        slug=slug,
                        series=leaf.series,
                        category=leaf.category,
                        short_description=f"A {adjective} {kind} from the {leaf.series} series.",
                        description=(
                            f"The {name} is a {adjective} {kind} designed for everyday use.\n\n"
                            f"Part of our {leaf.series.name} series, it is made from materials "
                            "chosen to last, backed by our "
                            f"{settings.SHOP_RETURN_DAYS}-day return promise, and shipped from "
                            "our own warehouse."
                        ),
                        price=price,
                        compare_at_price=compare,
                        is_featured=featured,
                        is_active=True,
                    )
                )
            Product.objects.bulk_create(products, batch_size=1000)
            # SQLite and PostgreSQL both return primary keys from bulk_create.
            variants, images = [], []
            for product, spec in zip(products, new, strict=True):
                i, leaf, _name, _slug, noun, _model, _price, _cmp, _feat, roll = spec
                existing.add(product.slug)
                colours = leaf.colours or [""]
                sizes = leaf.sizes or [""]
                position = 0
                for colour in colours[: 1 + i % len(colours)]:
                    for size in sizes:
                        if roll < 0.08:
                            stock = 0
                        elif roll < 0.2:
                            stock = rng.randint(1, settings.SHOP_LOW_STOCK_THRESHOLD)
                        else:
                            stock = rng.randint(6, 60)
                        sku = f"{leaf.category.slug[:3].upper()}-{i + 1:06d}"
                        sku += "".join(f"-{p[:3].upper()}" for p in (colour, size) if p)
                        variants.append(
                            Variant(
                                product=product,
                                sku=sku,
                                colour=colour,
                                size=size,
                                stock=stock,
                                position=position,
                            )
                        )
                        position += 1
                for position, kind in enumerate((leaf.nouns.index(noun), CATEGORY_VIEW)):
                    source = leaf.images[kind]
                    if source is None:
                        self._ensure_image(leaf, kind, product, position)
                        continue
                    images.append(
                        ProductImage(
                            product=product,
                            image=source.image.name,
                            width=source.width,
                            height=source.height,
                            thumb_small=source.thumb_small.name,
                            thumb_listing=source.thumb_listing.name,
                            thumb_detail=source.thumb_detail.name,
                            thumb_zoom=source.thumb_zoom.name,
                            alt_text=_alt_text(product, position),
                            position=position,
                        )
                    )
            Variant.objects.bulk_create(variants, batch_size=2000)
            refresh_stock_totals(product_ids=[p.pk for p in products])
            refresh_price_ranges(product_ids=[p.pk for p in products])
            ProductImage.objects.bulk_create(images, batch_size=2000)
        return len(new)

    def _extra(self) -> None:
        """Delivery methods the demo shop offers."""
        methods = [
            ("Standard parcel", Decimal("4.90"), Decimal("60.00"), 2, 4),
            ("Express", Decimal("12.90"), None, 1, 1),
        ]
        for position, (name, fee, free_over, low, high) in enumerate(methods):
            ShippingMethod.objects.get_or_create(
                name=name,
                defaults={
                    "fee": fee,
                    "free_over": free_over,
                    "min_days": low,
                    "max_days": high,
                    "position": position,
                },
            )

    def _staff(self) -> None:
        User = get_user_model()
        user, created = User.objects.get_or_create(
            email=DEMO_STAFF_EMAIL, defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(DEMO_STAFF_PASSWORD)
            user.first_name = "Shop"
            user.last_name = "Staff"
            user.save()
        EmailAddress.objects.get_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
        return user

    def _guestbook(self, staff) -> None:
        """A few guestbook messages, so the demo's board and its moderation are not empty:
        published ones (two answered) and one waiting for review. Only into an empty guestbook."""
        if Entry.objects.exists():
            return
        now = timezone.now()
        entries = [
            (
                "Lena",
                "The pour-over kettle arrived in two days, well packed. Lovely to use.",
                "Thank you, Lena! Enjoy your coffee.",
                9,
            ),
            (
                "Tomasz",
                "Will the trekking poles come in a shorter size?",
                "Yes: a 100-120 cm pair is planned for spring. We will post it here.",
                6,
            ),
            ("Aiko", "Friendly help on the phone when I changed my delivery address.", "", 3),
        ]
        for name, message, reply, days in entries:
            entry = Entry.objects.create(
                name=name, message=message, status=Entry.Status.PUBLISHED, reply=reply
            )
            Entry.objects.filter(pk=entry.pk).update(
                created_at=now - datetime.timedelta(days=days),
                replied_at=now - datetime.timedelta(days=days - 1) if reply else None,
                replied_by=staff if reply else None,
            )
        Entry.objects.create(
            name="Sam", message="Do you ship to Switzerland?", email="sam@example.com"
        )
