"""What a phone has to download and lay out (bench/frontend.py measures it; bench/README.md
"What the phone downloads"): pictures that keep their place, the page's main picture fetched
first and the rest only when scrolled to, scripts that never block the first paint."""

import shutil
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from cart.models import ShippingMethod
from catalog.models import ProductImage
from catalog.templatetags.catalog_tags import EAGER_CARDS, URGENT_CARDS
from orders.models import Order
from tests.factories import CategoryFactory, ProductFactory
from tests.orders.helpers import add_to_cart, review_key, walk_checkout

pytestmark = pytest.mark.django_db


class Tags(HTMLParser):
    """The <img> and <script> tags of a page, with their attributes, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict] = []
        self.scripts: list[dict] = []
        self._in: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs) | {"_in": list(self._in)})
        elif tag == "script":
            self.scripts.append(dict(attrs))
        elif tag in ("ul", "section", "main"):
            self._in.append(dict(attrs).get("class") or tag)

    def handle_endtag(self, tag):
        if tag in ("ul", "section", "main") and self._in:
            self._in.pop()


def tags(response) -> Tags:
    assert response.status_code == 200, response.status_code
    parser = Tags()
    parser.feed(response.content.decode())
    return parser


def pictured(name: str, *, category=None, featured: bool = False, **kwargs):
    """A product with a picture (a stored name only: pages build its address, nothing reads
    the file)."""
    product = ProductFactory(
        name=name, is_featured=featured, **({"category": category} if category else {}), **kwargs
    )
    ProductImage.objects.create(
        product=product,
        image=f"products/{product.pk}/{product.slug}.jpg",
        thumb_listing=f"thumbs/listing/{product.slug}-listing.webp",
        thumb_detail=f"thumbs/detail/{product.slug}-detail.webp",
        width=1200,
        height=1200,
    )
    ProductImage.objects.create(
        product=product,
        image=f"products/{product.pk}/{product.slug}-2.jpg",
        thumb_listing=f"thumbs/listing/{product.slug}-2-listing.webp",
        thumb_detail=f"thumbs/detail/{product.slug}-2-detail.webp",
        width=1200,
        height=1200,
        position=1,
    )
    return product


def card_images(page: Tags) -> list[dict]:
    return [img for img in page.images if "product-grid" in img["_in"]]


@pytest.fixture
def shop_with_pictures(django_capture_on_commit_callbacks):
    category = CategoryFactory(name="Tents")
    with django_capture_on_commit_callbacks(execute=True):  # the search index follows
        products = [
            pictured(f"Ridge Tent {i}", category=category, featured=i < 6, price=Decimal("90"))
            for i in range(10)
        ]
    shipping = ShippingMethod.objects.create(
        name="Standard", fee=Decimal("4.90"), min_days=2, max_days=4, position=1
    )
    return category, products, shipping


def every_page_type(client, category, products, shipping) -> dict[str, object]:
    pages = {
        "home": client.get(reverse("home")),
        "all products": client.get(reverse("catalog:products")),
        "category": client.get(category.get_absolute_url()),
        "series": client.get(products[0].series.get_absolute_url()),
        "product": client.get(products[0].get_absolute_url()),
        "search": client.get(reverse("search:results"), {"q": "tent"}),
        "service": client.get(reverse("service:delivery")),
        "guestbook": client.get(reverse("guestbook:index")),
    }
    add_to_cart(client, products[0].variants.get())
    pages["cart"] = client.get(reverse("cart:detail"))
    pages["checkout"] = client.get(reverse("orders:checkout"))
    review = walk_checkout(client, shipping)
    pages["review"] = review
    placed = client.post(reverse("orders:place_order"), {"idempotency_key": review_key(review)})
    assert placed.status_code == 302
    order = Order.objects.get()
    pages["confirmation"] = client.get(reverse("orders:confirmation", args=[order.number]))
    return pages


def test_every_picture_on_every_page_type_has_its_size_so_nothing_shifts(shop_with_pictures):
    """A picture without width and height takes no room until it arrives, then pushes what is
    below it down (layout shift): on a slow phone network, the button a thumb was reaching for."""
    pages = every_page_type(Client(), *shop_with_pictures)
    seen = 0
    for name, response in pages.items():
        for img in tags(response).images:
            seen += 1
            assert img.get("width", "").isdigit(), (name, img)
            assert img.get("height", "").isdigit(), (name, img)
    assert seen > 20  # the pages did show pictures


def test_the_first_row_of_a_listing_loads_at_once_and_the_rest_when_scrolled_to(
    shop_with_pictures,
):
    """The first cards' pictures are the Largest Contentful Paint of listings and search; a lazy
    picture is only fetched once the layout shows it is on screen."""
    category, _, _ = shop_with_pictures
    client = Client()
    for url in (
        reverse("catalog:products"),
        category.get_absolute_url(),
        reverse("search:results") + "?q=tent",
    ):
        cards = card_images(tags(client.get(url)))
        assert len(cards) == 10, url
        for i, img in enumerate(cards):
            if i < EAGER_CARDS:
                assert "loading" not in img, (url, i)
            else:
                assert img.get("loading") == "lazy", (url, i)
            assert (img.get("fetchpriority") == "high") == (i < URGENT_CARDS), (url, i)


def test_only_the_home_pages_first_grid_loads_at_once(shop_with_pictures):
    page = tags(Client().get(reverse("home")))
    cards = card_images(page)
    assert len(cards) > EAGER_CARDS + 6  # featured, then the new arrivals and the series
    assert [img.get("loading") for img in cards[:EAGER_CARDS]] == [None] * EAGER_CARDS
    assert all(img.get("loading") == "lazy" for img in cards[EAGER_CARDS:])


def test_a_product_pages_main_picture_comes_first_and_the_others_wait(shop_with_pictures):
    _, products, _ = shop_with_pictures
    page = tags(Client().get(products[0].get_absolute_url()))
    main, *others = page.images
    assert main["src"].endswith(f"{products[0].slug}-detail.webp")
    assert "loading" not in main  # a lazy main picture is fetched only after layout
    assert main.get("fetchpriority") == "high"
    thumbs = [img for img in others if "gallery-thumbs" in img["_in"]]
    related = card_images(page)
    assert len(thumbs) == 2  # the gallery's thumbnails
    assert related  # and "related products"
    assert all(img.get("loading") == "lazy" for img in thumbs + related)
    assert not any(img.get("fetchpriority") for img in others)


def test_scripts_never_hold_up_the_first_paint(shop_with_pictures):
    """Every script file is deferred (it runs after the page is parsed, and the page works
    without it); the only inline ones are data (JSON-LD), which the browser does not run."""
    pages = every_page_type(Client(), *shop_with_pictures)
    files = 0
    for name, response in pages.items():
        for script in tags(response).scripts:
            if "src" in script:
                files += 1
                assert "defer" in script or "async" in script, (name, script)
            else:
                assert script.get("type") == "application/ld+json", (name, script)
    assert files >= len(pages)


def test_hashed_static_files_are_kept_for_good_by_browsers(settings, tmp_path):
    """A file whose name carries its content's hash never changes under that name: browsers
    keep it (no revalidation on the next page), and a new version has a new name."""
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.test import RequestFactory
    from whitenoise.middleware import WhiteNoiseMiddleware

    root = tmp_path / "static"
    (root / "css").mkdir(parents=True)
    (root / "css" / "shop.css").write_text("body{}")
    (root / "css" / "shop.0123456789ab.css").write_text("body{}")
    (root / "staticfiles.json").write_text(
        '{"paths": {"css/shop.css": "css/shop.0123456789ab.css"}, "version": "1.1"}'
    )
    settings.DEBUG = False
    settings.STATIC_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    assert staticfiles_storage.url("css/shop.css") == "/static/css/shop.0123456789ab.css"
    middleware = WhiteNoiseMiddleware(lambda request: None)
    response = middleware(RequestFactory().get("/static/css/shop.0123456789ab.css"))
    cache_control = response["Cache-Control"]
    assert "immutable" in cache_control
    assert int(cache_control.split("max-age=")[1].split(",")[0]) >= 365 * 24 * 3600


def test_nginx_keeps_pictures_for_a_week():
    from pathlib import Path

    conf = (Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "shop.conf").read_text()
    media = conf.split("location ^~ /media/ {", 1)[1].split("}", 1)[0]
    assert "expires 7d;" in media


@pytest.mark.skipif(not shutil.which("nginx"), reason="needs nginx")
def test_nginx_keeps_hashed_static_files_for_good_and_plain_names_an_hour(tmp_path):
    """shop.conf's own /static/ location and maps, in a real nginx: every name was kept a
    year, immutable, also collectstatic's plain "css/shop.css" that the next release changes."""
    import tempfile
    from pathlib import Path

    from tests.nginx import running_nginx

    conf = (Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "shop.conf").read_text()
    start = conf.index("# Static files:")
    maps = conf[start : conf.index("# Rate limits", start)]
    location = conf[conf.index("    location ^~ /static/ {") :]
    location = location[: location.index("\n    }\n") + 6]
    # nginx's workers (user nobody when the tests run as root) cannot read pytest's tmp_path
    with tempfile.TemporaryDirectory() as folder:
        files = Path(folder)
        files.chmod(0o755)
        (files / "css").mkdir(mode=0o755)
        for name in ("shop.css", "shop.0123456789ab.css"):
            (files / "css" / name).write_text("body{}")
            (files / "css" / name).chmod(0o644)
        location = location.replace("/srv/shop/app/staticfiles/", f"{files}/")
        with running_nginx(tmp_path, http=f"  access_log off;\n{maps}", server=location) as base:
            assert_cache_control(base)


def assert_cache_control(base: str) -> None:
    import urllib.request

    with urllib.request.urlopen(f"{base}/static/css/shop.0123456789ab.css") as hashed:  # noqa: S310
        assert hashed.headers.get_all("Cache-Control") == ["max-age=315360000", "public, immutable"]
    with urllib.request.urlopen(f"{base}/static/css/shop.css") as plain:  # noqa: S310
        assert plain.headers.get_all("Cache-Control") == ["max-age=3600"]
        assert plain.headers["X-Content-Type-Options"] == "nosniff"
