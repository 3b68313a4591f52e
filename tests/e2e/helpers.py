"""Plain helpers for the browser tests (fixtures live in conftest.py).

Everything here takes a Playwright ``Page`` (and the ``live_server`` where a URL is needed) so
that later features can reuse it in their own journeys:

- ``admin_login(page, live_server)``: sign in to ``/admin/`` as the seeded staff user.
- ``read_outbox()``: the e-mails the shop sent during the test (locmem backend).
- ``screenshot(page, name)``: full-page PNGs at 375 and 1280 px into ``screenshots/``.
- ``axe_check(page)``: axe-core's serious and critical violations on the current page
  (needs a browser context made with ``bypass_csp=True``, see the ``axe_page`` fixture).
- ``checkout(page, ...)``: fill in the checkout from a filled cart and place the order.
- ``fill_contact(page, ...)``, ``fill_address(page, ...)``: type into those sections of the
  checkout's details page (without sending it).
"""

import io
import json
import re
from pathlib import Path

from django.core import mail
from PIL import Image, ImageDraw

try:
    from playwright.sync_api import Page, expect
except ImportError:  # no dev extras: conftest.py skips every e2e test with the reason
    Page, expect = object, None

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = ROOT / "screenshots"
AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
SCREEN_WIDTHS = (375, 1280)

STAFF_EMAIL = "staff@meadowpine.example"
STAFF_PASSWORD = "e2e-staff-password-2026"  # noqa: S105 (test data)

GUEST = {
    "email": "greta.guest@example.com",
    "phone": "+49 30 1234567",
    "full_name": "Greta Guest",
    "line1": "Lindenstr. 1",
    "postcode": "10115",
    "city": "Berlin",
}


def png_bytes(size: tuple[int, int] = (600, 600), color: str = "#2f7d5b", label: str = "") -> bytes:
    """A PNG picture with a lighter circle (so a screenshot shows a real, non-blank image)."""
    img = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(img)
    w, h = size
    draw.ellipse((w // 5, h // 5, w * 4 // 5, h * 4 // 5), fill="#f4f6f3")
    if label:
        draw.text((w // 10, h // 10), label, fill="#1c2421")
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def admin_login(page: Page, live_server, *, email=STAFF_EMAIL, password=STAFF_PASSWORD) -> None:
    """Sign in to the Django admin with the seeded staff user (``seeded_shop`` makes it)."""
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.get_by_label(re.compile("e-?mail", re.I)).fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Run the shop")).to_be_visible()


def read_outbox(*, to: str | None = None, subject: str | None = None) -> list:
    """E-mails sent so far in this test (``django.core.mail.outbox``; tasks run eagerly).

    ``to`` keeps messages to that address, ``subject`` those whose subject contains the text.
    """
    messages = list(getattr(mail, "outbox", []))
    if to is not None:
        messages = [m for m in messages if to.lower() in (a.lower() for a in m.to)]
    if subject is not None:
        messages = [m for m in messages if subject.lower() in m.subject.lower()]
    return messages


def screenshot(page: Page, name: str) -> dict[int, dict]:
    """Full-page screenshots of the current page at 375 and 1280 px wide.

    Written to ``screenshots/<name>-375.png`` and ``-1280.png`` (git-ignored); the viewport is
    put back afterwards. Returns, per width, the ``path`` and the page's ``overflow`` (how many
    pixels it is wider than the screen: anything above 0 means sideways scrolling).
    """
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    before = page.viewport_size
    shots = {}
    for width in SCREEN_WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        # Lazy pictures below the fold load before the full-page shot.
        page.evaluate(
            "() => Promise.all(Array.from(document.images, img => { img.loading = 'eager';"
            " return img.complete ? null : new Promise(r => { img.onload = img.onerror = r; });"
            " }))"
        )
        path = SCREENSHOT_DIR / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        shots[width] = {"path": path, "overflow": horizontal_overflow(page)}
    if before:
        page.set_viewport_size(before)
    return shots


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 = no sideways scrolling)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def broken_images(page: Page) -> list[str]:
    """The sources of pictures on the page that failed to load."""
    return page.evaluate(
        "() => Array.from(document.images)"
        ".filter(img => img.complete && img.naturalWidth === 0).map(img => img.src)"
    )


def axe_check(page: Page, *, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core (WCAG 2 A/AA rules and best practices) on the page as it is now.

    Returns the violations whose impact is in ``impacts``, each a dict with ``id``, ``impact``,
    ``help`` and ``nodes`` (target selectors and failure summaries). The page's context must be
    made with ``bypass_csp=True`` (the shop's CSP forbids the injected script otherwise).
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {
              runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                              'wcag22aa', 'best-practice']},
              resultTypes: ['violations'],
            });
            return r.violations.map(v => ({
              id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.map(n => ({target: n.target, html: n.html.slice(0, 200),
                                        summary: n.failureSummary})),
            }));
        }"""
    )
    return [v for v in result if v["impact"] in impacts]


def describe_violations(violations: list[dict]) -> str:
    """A readable summary for an assertion message."""
    return json.dumps(violations, indent=2, ensure_ascii=False)


def focus_outline(page: Page) -> dict:
    """The focused element, its accessible-ish name, and whether its focus is visible.

    Visible means a non-``none`` outline at least 1px wide, or a box-shadow. Product cards draw
    the ring on the card around their focused title link (``.card:focus-within``): that counts.
    """
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el || el === document.body) return {tag: 'body', name: '', visible: false};
            const shows = node => {
              const s = getComputedStyle(node);
              return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 1)
                || (s.boxShadow && s.boxShadow !== 'none');
            };
            let visible = shows(el);
            const card = el.closest('article');
            if (!visible && card && card.matches(':focus-within')) visible = shows(card);
            const label = el.getAttribute('aria-label')
              || (el.labels && el.labels.length ? el.labels[0].innerText : '')
              || el.innerText || el.value || '';
            return {tag: el.tagName.toLowerCase(), type: el.type || '',
                    name: label.replace(/\\s+/g, ' ').trim().slice(0, 80), visible};
        }"""
    )


def tab_to(page: Page, name: str, *, backwards: bool = False, limit: int = 60) -> dict:
    """Press Tab (or Shift+Tab) until the focused element's name contains ``name``.

    Every element focused on the way must show a visible focus indicator. Returns the
    ``focus_outline`` info of the element reached.
    """
    key = "Shift+Tab" if backwards else "Tab"
    path = []
    for _ in range(limit):
        page.keyboard.press(key)
        info = focus_outline(page)
        path.append(f"{info['tag']} {info['name']!r}")
        assert info["visible"], f"no visible focus on {info} (after {' → '.join(path)})"
        if name.lower() in info["name"].lower():
            return info
    raise AssertionError(f"{key} never reached {name!r}: {' → '.join(path)}")


def press_and_wait(page: Page, key: str) -> None:
    """Press a key that submits a form or follows a link, and wait for the next page."""
    with page.expect_navigation():
        page.keyboard.press(key)


def fill_contact(page: Page, *, email=GUEST["email"], phone=GUEST["phone"]) -> None:
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Phone").fill(phone)


def fill_address(page: Page, **overrides) -> None:
    data = {**GUEST, **overrides}
    page.get_by_label("Full name").fill(data["full_name"])
    page.get_by_label("Street and number").fill(data["line1"])
    page.get_by_label("Postcode").fill(data["postcode"])
    page.get_by_label("City").fill(data["city"])


def checkout(
    page: Page,
    *,
    payment: str = "Cash on delivery",
    delivery: str = "Standard",
    email: str = GUEST["email"],
    place: bool = True,
) -> str | None:
    """From a page with a filled cart: fill in the checkout's details page and send it.

    Stops on the review page if ``place`` is false; otherwise places the order and returns its
    number as shown on the confirmation page.
    """
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Cart").click()
    page.get_by_role("link", name="Checkout").click()
    expect(page.get_by_role("heading", name="Checkout", exact=True)).to_be_visible()
    fill_contact(page, email=email)
    fill_address(page)
    page.get_by_role("radio", name=re.compile(delivery)).check()
    page.get_by_role("radio", name=re.compile(payment)).check()
    page.get_by_role("button", name="Review your order").click()
    expect(page.get_by_role("heading", name="Check and place your order")).to_be_visible()
    if not place:
        return None
    page.get_by_role("button", name="Buy now").click()
    return confirmation_number(page)


def confirmation_number(page: Page) -> str:
    """The order number the confirmation page announces."""
    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible()
    status = page.get_by_role("status").filter(has_text="Your order number is")
    number = status.locator("strong").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9-]{6,20}", number), number
    return number


def inquire(page: Page, live_server, *, number: str, email: str = GUEST["email"]) -> None:
    """Look an order up on "Where is my order?", reached through the footer link."""
    page.goto(live_server.url + "/")
    footer = page.get_by_role("contentinfo")
    footer.get_by_role("link", name="Where is my order?").click()
    page.get_by_label("Order number").fill(number)
    page.get_by_label("E-mail used at checkout").fill(email)
    page.get_by_role("button", name="Find my order").click()


def said(page: Page, text: str) -> None:
    """The page's messages ("Address saved.") say ``text``. Read from the messages region, not
    by the text alone: 300 ms after the page loads, shop.js copies the messages into a live
    region for screen readers, and a text locator then finds two elements (strict mode)."""
    expect(page.get_by_role("region", name="Messages")).to_contain_text(text)
