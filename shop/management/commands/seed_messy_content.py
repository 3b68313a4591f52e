"""seed_messy_content: a merchant's messy real content in the demo shop, for looking at the
pages with it (a content-extremes pass found overflowing pages, emoji cut in half and
right-to-left names swallowing their punctuation). Idempotent enough to run twice: rows are
looked up by slug, SKU or e-mail first. Never on a live shop.
"""

from decimal import Decimal

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Address
from catalog.models import Category, Product, Series, Variant
from catalog.selectors import bump_catalog_version
from catalog.services import refresh_price_ranges, refresh_stock_totals
from guestbook.models import Entry
from search.services import index_products
from service.models import ContactMessage

LONG_NAME = (
    "Ultralight Waterproof Breathable Three-Layer Expedition Rain Jacket with Adjustable "
    "Storm Hood, Pit Zips, Recycled Nylon Face Fabric and Reflective Trim for Alpine Trekking"
)[:200]
ARABIC = "إبريق شاي نحاسي مطروق يدويًا (كبير، ١٫٥ لتر)"
HEBREW = "קומקום תה מנחושת בעבודת יד – גדול"
CHINESE = "手工景德镇青花瓷茶具套装——十二件套，附赠竹制茶盘与收纳礼盒"
JAPANESE = "南部鉄器 急須 あられ 0.65L ブラック（日本製）"
EMOJI = "Family Camping Mug 🏕️☕ 👨‍👩‍👧‍👦 Edition 🇩🇪🇫🇷 — limited 🔥🔥🔥"
WORD = (
    "Donaudampfschifffahrtsgesellschaftskapitänsmützenaufbewahrungsboxdeckelscharnier"
    "schraubenziehergriffüberzugsmaterialprüfungsverordnungsentwurf"
)
DESCRIPTION_PARAGRAPH = (
    "This is a very long description pasted from the manufacturer's catalogue. "
    "It goes on and on about materials, care, warranty and the history of the workshop. "
)
BIG_DESCRIPTION = "\n\n".join(DESCRIPTION_PARAGRAPH * 3 for _ in range(80))[:20000]
STREET = (
    "Rue du Faubourg Saint-Honoré, Bâtiment C, Escalier 4, Appartement 1207, "
    "Résidence Les Jardins de la Grande Armée, Porte "
)[:120]
LONG_EMAIL = ("a" * 64) + "@" + ".".join(["b" * 63, "c" * 63, "d" * 57]) + ".com"  # 254 chars
assert len(LONG_EMAIL) == 254, len(LONG_EMAIL)


def product(*, slug, name, series, category, price, variants, description="", short=""):
    p = Product.objects.filter(slug=slug).first() or Product(slug=slug)
    p.name, p.series, p.category, p.price = name, series, category, Decimal(price)
    p.description, p.short_description = description, short
    p.is_active = True
    p.save()
    for i, (sku, colour, size, stock, override) in enumerate(variants):
        v = Variant.objects.filter(sku=sku.upper()).first() or Variant(sku=sku)
        v.product, v.colour, v.size, v.stock, v.position = p, colour, size, stock, i
        v.price_override = Decimal(override) if override else None
        v.save()
    return p


@transaction.atomic
def fill() -> list[int]:
    """Create (or update) the messy rows; the ids of the products made."""
    trail = Series.objects.get(slug="trailhead")
    one, _ = Series.objects.get_or_create(
        slug="single-origin",
        defaults={
            "name": "سلسلة الشاي — Single Origin Tea Collection from the High Mountains of Yunnan",
            "tagline": "One product only, a name in two scripts, and a tagline of " + WORD,
            "description": BIG_DESCRIPTION[:3000],
            "position": 9,
        },
    )
    root = Category.objects.get(slug="home-and-living")
    mid, _ = Category.objects.get_or_create(
        slug="kitchen-tableware-and-serving-accessories",
        defaults={
            "name": "Kitchen Tableware, Serving Accessories and Tea Ceremony Utensils",
            "parent": root,
        },
    )
    leaves = []
    for i in range(60):
        name = [
            f"Teekannen und Zubehör {i}",
            f"茶具 {i}",
            f"أدوات الشاي {i}",
            f"{WORD[:40]}{i}",
        ][i % 4]
        c, _ = Category.objects.get_or_create(
            slug=f"extreme-leaf-{i}", defaults={"name": name, "parent": mid, "position": i}
        )
        leaves.append(c)
    cat = leaves[1]

    made = [
        product(
            slug="long-name-jacket",
            name=LONG_NAME,
            series=trail,
            category=cat,
            price="349.00",
            variants=[("XT-LONG-1", "Glacier Blue", "M", 12, None)],
            short="A jacket with a name longer than the product card.",
        ),
        product(
            slug="arabic-teapot",
            name=ARABIC,
            series=one,
            category=leaves[2],
            price="89.50",
            variants=[("XT-AR-1", "نحاسي", "كبير", 4, None)],
            description="إبريق شاي تقليدي مصنوع يدويًا من النحاس. " * 30,
            short="إبريق شاي تقليدي (نحاس) — صنع يدوي!",
        ),
        product(
            slug="hebrew-kettle",
            name=HEBREW,
            series=trail,
            category=cat,
            price="120.00",
            variants=[("XT-HE-1", "", "", 9, None)],
        ),
        product(
            slug="chinese-tea-set",
            name=CHINESE,
            series=trail,
            category=cat,
            price="268.00",
            variants=[("XT-ZH-1", "青花", "十二件套", 30, None)],
            description="景德镇手工制作的青花瓷茶具。" * 200,
            short="景德镇手工青花瓷，十二件套，附赠竹制茶盘与收纳礼盒，适合家庭和办公室使用。",
        ),
        product(
            slug="japanese-kettle",
            name=JAPANESE,
            series=trail,
            category=cat,
            price="159.00",
            variants=[("XT-JA-1", "ブラック", "0.65L", 2, None)],
        ),
        product(
            slug="emoji-mug",
            name=EMOJI,
            series=trail,
            category=cat,
            price="19.99",
            variants=[("XT-EMO-1", "🟢 Green", "🅻", 50, None)],
            description=("👨‍👩‍👧‍👦🏕️☕🇩🇪 " * 100) + "end.",
            short="Emoji " + "👨‍👩‍👧‍👦" * 40,
        ),
        product(
            slug="unbreakable-word",
            name=WORD,
            series=trail,
            category=cat,
            price="45.00",
            variants=[("XT-WORD-1", WORD[:60], WORD[:30], 7, None)],
            description=WORD * 30,
            short=(WORD * 3)[:300],
        ),
        product(
            slug="huge-description",
            name="Cast Iron Skillet with a 20,000-character description",
            series=trail,
            category=cat,
            price="59.00",
            variants=[("XT-HUGE-1", "", "", 100, None)],
            description=BIG_DESCRIPTION,
        ),
        product(
            slug="expensive-sauna",
            name="Finnish Outdoor Barrel Sauna, Thermowood",
            series=trail,
            category=cat,
            price="99999.99",
            variants=[("XT-SAUNA-1", "", "", 5000, None)],
        ),
        product(
            slug="forty-variants",
            name="Merino Base Layer in Forty Colours and Sizes",
            series=trail,
            category=cat,
            price="79.00",
            variants=[
                (
                    f"XT-40-{i:02d}-{'X' * 40}",
                    f"Heathered Mountain Twilight Lavender Mist Shade Number {i:02d}"[:60],
                    ["Extra Small Petite Long Torso", "Medium Regular Fit Tall", "XXXL"][i % 3],
                    (i * 7) % 13,
                    "99999.99" if i == 39 else (f"{79 + i}.00" if i % 5 == 0 else None),
                )
                for i in range(40)
            ],
        ),
    ]
    product(
        slug="one-in-series",
        name="Single Origin Pu-erh (the only product of its series)",
        series=one,
        category=leaves[3],
        price="24.00",
        variants=[("XT-ONE-1", "", "", 3, None)],
    )
    made.append(Product.objects.get(slug="one-in-series"))
    ids = [p.pk for p in made]
    refresh_stock_totals(product_ids=ids)
    refresh_price_ranges(product_ids=ids)
    index_products(product_ids=ids)

    User = get_user_model()
    for email, password in [(LONG_EMAIL, "content-extremes-2026"), ("رنا@example.com", None)]:
        if password is None:
            continue
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=password)
            user.first_name = "Greta " + "Wolfeschlegelsteinhausenbergerdorff"
            user.save()
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        if not user.addresses.exists():
            Address.objects.create(
                user=user,
                full_name="Greta Wolfeschlegelsteinhausenbergerdorff"[:120],
                line1=STREET,
                line2="c/o محمد بن عبد الله الحسيني — شركة التجارة العالمية",
                postcode="75008-12345",
                city="Saint-Rémy-en-Bouzemont-Saint-Genest-et-Isson",
                phone="+33 1 23 45 67 89 ext. 1234567",
                is_default=True,
            )

    Entry.objects.get_or_create(
        name="محمد (Mohammed) 👋",
        defaults={
            "message": "ش" * 10 + "!" + "A" * 1989,
            "status": Entry.Status.PUBLISHED,
            "reply": "Thank you! " + "🙏" * 300,
        },
    )
    Entry.objects.get_or_create(
        name="W" * 80,
        defaults={"message": WORD * 20, "status": Entry.Status.PUBLISHED},
    )
    Entry.objects.get_or_create(
        name="張偉",
        defaults={"message": "非常好的商店！" * 100, "status": Entry.Status.PUBLISHED},
    )
    ContactMessage.objects.get_or_create(
        name="أحمد " + "W" * 60,
        defaults={"email": LONG_EMAIL, "message": WORD * 30},
    )
    bump_catalog_version()
    return ids


class Command(BaseCommand):
    help = (
        "Add a merchant's messy real content to the demo shop (after seed_demo), to look at "
        "the pages with it: 200-character and unbreakable names, Arabic, Hebrew, Chinese, "
        "Japanese and emoji, a 20,000-character description, 40 variants, a 254-character "
        "e-mail address. Development databases only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even when DEBUG is off (never on a live shop).",
        )

    def handle(self, *args, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_messy_content adds test content; with DEBUG off, add --force.")
        if not Series.objects.filter(slug="trailhead").exists():
            raise CommandError("Run seed_demo first: the messy content joins its catalog.")
        ids = fill()
        self.stdout.write(f"Messy content ready: {len(ids)} products made or updated.")
