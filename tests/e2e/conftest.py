"""Browser tests: Playwright for Python driving Debian's Chromium against ``live_server``.

- No browser download: Chromium is the system one (``/usr/bin/chromium``, or ``E2E_CHROMIUM``).
  Without it, or without the ``playwright`` package, every test here is skipped with the reason.
- Each pytest(-xdist) worker has its own ``live_server`` thread and browser; the database is the
  test database, so the tests are ``django_db(transaction=True)`` (the server thread must see
  what the test writes, and the other way round).
- ``page`` fixtures fail the test on any browser console error or uncaught page error
  (CSP violations included). A test that expects one says so: ``console.allow(r"regex")``.
- Helpers to reuse (admin_login, read_outbox, screenshot, axe_check, checkout …) are in
  ``helpers.py``.
"""

import os
import re
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile

from shop.celery import app as celery_app
from tests.e2e.helpers import STAFF_EMAIL, STAFF_PASSWORD, png_bytes

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # the dev extras are not installed
    sync_playwright = None

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
E2E_DIR = Path(__file__).resolve().parent
DEFAULT_VIEWPORT = {"width": 1280, "height": 900}


def skip_reason() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if sync_playwright is None:
        return "e2e: the playwright package is missing (pip install -e '.[dev]')"
    if not Path(CHROMIUM).exists():
        return f"e2e: no Chromium at {CHROMIUM} (apt-get install chromium, or set E2E_CHROMIUM)"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # This hook sees every collected test of the run, not only the ones in this folder.
    reason = skip_reason()
    for item in items:
        if E2E_DIR not in Path(item.path).parents:
            continue
        item.add_marker(pytest.mark.e2e)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _e2e_settings(settings):
    """Serve /media/, hash passwords cheaply, run tasks in-process, fresh rate-limit counters."""
    settings.ROOT_URLCONF = "tests.e2e.urls"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    cache.clear()
    yield
    cache.clear()
    celery_app.conf.task_always_eager = eager


@pytest.fixture(scope="package")
def browser():
    """One headless Chromium, shared by the tests of this folder (per test worker).

    Package scope: it is closed before the worker goes on with tests from other folders.
    Playwright's sync API keeps an asyncio event loop on the main thread while it runs, and
    Django refuses ORM calls from a thread with a running loop. The browser tests are plain
    synchronous code, so Django's check is switched off exactly while the browser is up.
    """
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


class ConsoleWatch:
    """Collects console errors and uncaught exceptions of every page of a test."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self._allowed: list[re.Pattern] = []

    def allow(self, pattern: str) -> None:
        """Expect console errors matching ``pattern`` (e.g. the 404 of a page tested as 404)."""
        self._allowed.append(re.compile(pattern))

    def attach(self, page) -> None:
        def on_console(message):
            if message.type == "error":
                source = (message.location or {}).get("url") or "?"
                self.errors.append(f"console error on {page.url}: {message.text} [{source}]")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"page error on {page.url}: {exc}"))

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self._allowed)]


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, serving the shop's WSGI application as gunicorn does: the
    page cache's WSGI front (core/pagecache_wsgi.py) in front of Django, so the browser gets
    cached pages (and their CSRF tokens) from the front as a shopper's browser would."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from pytest_django.live_server_helper import LiveServer

    from core.pagecache_wsgi import with_page_cache_front

    addr = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = LiveServer(addr, start=False)
    server.thread.static_handler = lambda app: with_page_cache_front(StaticFilesHandler(app))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def console():
    return ConsoleWatch()


@pytest.fixture
def new_context(browser, live_server, console):
    """Make browser contexts (separate cookie jars = separate shoppers) for this test.

    ``new_context(**options)`` takes Playwright's context options; ``base_url`` is the live
    server, so ``page.goto("/cart/")`` works. All are closed after the test, which then fails
    if any page logged a console error.
    """
    contexts = []

    def make(**options):
        options.setdefault("viewport", DEFAULT_VIEWPORT)
        options.setdefault("base_url", live_server.url)
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        context.on("page", console.attach)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    errors = console.unexpected()
    if errors:
        pytest.fail("The browser reported errors:\n" + "\n".join(errors), pytrace=False)


@pytest.fixture
def page(new_context):
    """A fresh page (own cookies) with the shop's CSP in force."""
    return new_context().new_page()


@pytest.fixture
def axe_page(new_context):
    """A page whose context bypasses CSP so that ``axe_check`` can inject axe-core."""
    return new_context(bypass_csp=True).new_page()


@pytest.fixture
def seeded_shop(transactional_db):
    """A small shop: two series, three categories, five products with pictures and variants.

    - ``backpack``: "Alpine Backpack", 3 variants (Green / M: 10, Blue / L: 3, Red / S: 0)
    - ``bottle``: "Summit Water Bottle", 1 variant, 20 units
    - ``mug``: "Pine Mug", 1 variant, the last unit (1)
    - ``towel``: "Meadow Tea Towel", on sale, 15 units
    - ``board``: "Cedar Cutting Board", sold out
    - ``standard`` and ``express`` shipping methods, and a staff superuser
      (``STAFF_EMAIL`` / ``STAFF_PASSWORD``)
    """
    from accounts.models import User
    from cart.models import ShippingMethod
    from catalog.images import make_thumbnails
    from catalog.models import Category, Product, ProductImage, Series, Variant

    trail = Series.objects.create(
        name="Trail", slug="trail", tagline="Gear for long days outside.", position=1
    )
    home = Series.objects.create(
        name="Home", slug="home", tagline="Goods for the kitchen.", position=2
    )
    outdoor = Category.objects.create(name="Outdoor", slug="outdoor", position=1)
    backpacks = Category.objects.create(name="Backpacks", slug="backpacks", parent=outdoor)
    kitchen = Category.objects.create(name="Kitchen", slug="kitchen", position=2)

    def product(name, slug, series, category, price, variants, colors, **extra):
        item = Product.objects.create(
            name=name,
            slug=slug,
            series=series,
            category=category,
            price=Decimal(price),
            short_description=f"The {name.lower()}, made to last.",
            description=f"A longer text about the {name.lower()}.\n\nCare: wipe clean.",
            **extra,
        )
        for position, (sku, stock, colour, size) in enumerate(variants):
            Variant.objects.create(
                product=item, sku=sku, stock=stock, colour=colour, size=size, position=position
            )
        for position, color in enumerate(colors):
            image = ProductImage(product=item, alt_text=f"{name}, view {position + 1}")
            image.position = position
            image.image.save(
                f"{slug}-{position}.png", ContentFile(png_bytes((400, 400), color=color))
            )
            make_thumbnails(image)
        return item

    backpack = product(
        "Alpine Backpack",
        "alpine-backpack",
        trail,
        backpacks,
        "89.00",
        [("AB-GRN-M", 10, "Green", "M"), ("AB-BLU-L", 3, "Blue", "L"), ("AB-RED-S", 0, "Red", "S")],
        ["#2f7d5b", "#2b5d8a"],
        is_featured=True,
    )
    bottle = product(
        "Summit Water Bottle",
        "summit-water-bottle",
        trail,
        outdoor,
        "19.50",
        [("SB-001", 20, "", "")],
        ["#5b6f8a"],
    )
    mug = product(
        "Pine Mug", "pine-mug", home, kitchen, "12.00", [("PM-001", 1, "", "")], ["#8a5b2f"]
    )
    towel = product(
        "Meadow Tea Towel",
        "meadow-tea-towel",
        home,
        kitchen,
        "9.90",
        [("TT-001", 15, "", "")],
        ["#b5a642"],
        compare_at_price=Decimal("12.90"),
    )
    board = product(
        "Cedar Cutting Board",
        "cedar-cutting-board",
        home,
        kitchen,
        "34.00",
        [("CB-001", 0, "", "")],
        ["#7a4b2a"],
    )
    standard = ShippingMethod.objects.create(
        name="Standard", fee=Decimal("4.90"), free_over=Decimal("50.00"), position=1
    )
    express = ShippingMethod.objects.create(
        name="Express", fee=Decimal("9.90"), min_days=1, max_days=1, position=2
    )
    staff = User.objects.create_superuser(STAFF_EMAIL, STAFF_PASSWORD)
    return SimpleNamespace(
        series=SimpleNamespace(trail=trail, home=home),
        categories=SimpleNamespace(outdoor=outdoor, backpacks=backpacks, kitchen=kitchen),
        backpack=backpack,
        bottle=bottle,
        mug=mug,
        towel=towel,
        board=board,
        standard=standard,
        express=express,
        staff=staff,
    )
