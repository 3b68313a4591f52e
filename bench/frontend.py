#!/usr/bin/env python
"""What a shopper's phone downloads, and how each page settles (Core Web Vitals).

Runs the shop with production settings (DEBUG=0, WhiteNoise serving the collected static files)
behind a small nginx that does what deploy/nginx/shop.conf does for a page load (gzip level 5,
/media/ from MEDIA_ROOT with 7 days), and opens each public page type in Debian's Chromium
(Playwright, no browser download) as a phone: 390x844 CSS pixels at 3 device pixels per CSS
pixel, a slow mobile network (1.6 Mbps down, 750 kbps up, 150 ms round trip) and a CPU four
times slower. Every page is loaded with an empty browser cache.

Per page: bytes over the wire by type (HTML, CSS, JS, images, fonts, other), requests, the
Largest Contentful Paint element and time, Cumulative Layout Shift, long tasks (> 50 ms). For
the header search: how many autocomplete requests typing a word makes, and how many of them
the page dropped when a newer one superseded them.

    .venv/bin/python bench/frontend.py            # prints the table
    .venv/bin/python bench/frontend.py --readme   # also puts it into bench/README.md

Environment (all optional):
  DATABASE_URL   postgres://shop:shop@127.0.0.1:5432/shop_frontend (migrated; the demo catalog
                 is seeded into it if it holds no product)
  REDIS_URL      redis://127.0.0.1:6379/13
  MEDIA_ROOT     /tmp/shop-frontend-media
  FRONTEND_PORT  8180 (nginx); gunicorn gets the next port
  E2E_CHROMIUM   /usr/bin/chromium
Needs nginx (the Debian package; only its binary, run as this user with a config in a
temporary directory) and the dev extras (playwright).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
README = ROOT / "bench" / "README.md"
START = "<!-- frontend:start -->"
END = "<!-- frontend:end -->"

PHONE = {"width": 390, "height": 844}
DPR = 3
NETWORK = {  # "slow 4G"-ish, as Lighthouse's mobile profile
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1.6 * 1024 * 1024 / 8,
    "uploadThroughput": 750 * 1024 / 8,
}
SLOW_3G = {  # for the autocomplete only: where its requests overlap
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400 * 1024 / 8,
    "uploadThroughput": 400 * 1024 / 8,
}
CPU_SLOWDOWN = 4
TYPES = {  # CDP resource type -> column
    "Document": "html",
    "Stylesheet": "css",
    "Script": "js",
    "Image": "img",
    "Font": "font",
}
COLUMNS = ["html", "css", "js", "img", "font", "other"]

# Collects the page's own measurements from the first byte on (buffered observers).
OBSERVE = """
window.__cwv = {lcp: null, lcpEl: "", lcpUrl: "", cls: 0, shifts: [], longTasks: 0, longMs: 0,
                inp: 0};
(function () {
  function describe(el) {
    if (!el) return "";
    var s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    if (el.className && typeof el.className === "string")
      s += "." + el.className.trim().split(/\\s+/).join(".");
    if (el.tagName === "IMG") s += " " + (el.currentSrc || el.src).replace(location.origin, "");
    return s;
  }
  try {
    new PerformanceObserver(function (list) {
      list.getEntries().forEach(function (e) {
        window.__cwv.lcp = e.startTime; window.__cwv.lcpEl = describe(e.element);
        window.__cwv.lcpUrl = e.url || "";
      });
    }).observe({type: "largest-contentful-paint", buffered: true});
    new PerformanceObserver(function (list) {
      list.getEntries().forEach(function (e) {
        if (e.hadRecentInput) return;
        window.__cwv.cls += e.value;
        window.__cwv.shifts.push({value: e.value, sources: (e.sources || []).map(function (s) {
          return describe(s.node); })});
      });
    }).observe({type: "layout-shift", buffered: true});
    new PerformanceObserver(function (list) {
      list.getEntries().forEach(function (e) {
        window.__cwv.longTasks += 1; window.__cwv.longMs += e.duration;
      });
    }).observe({type: "longtask", buffered: true});
    new PerformanceObserver(function (list) {
      list.getEntries().forEach(function (e) {
        if (e.interactionId) window.__cwv.inp = Math.max(window.__cwv.inp, e.duration);
      });
    }).observe({type: "event", buffered: true, durationThreshold: 16});
  } catch (e) {}
})();
"""

# Every picture of the page: what it was sent as against what it is shown at.
IMAGES = """
Array.prototype.map.call(document.images, function (img) {
  var r = img.getBoundingClientRect();
  return {src: (img.currentSrc || img.src).replace(location.origin, ""),
          natural: img.naturalWidth, shown: Math.round(r.width * devicePixelRatio),
          top: Math.round(r.top + scrollY), loading: img.loading,
          fetchpriority: img.getAttribute("fetchpriority") || "",
          width: img.getAttribute("width"), height: img.getAttribute("height"),
          loaded: img.complete && img.naturalWidth > 0};
})
"""


# --- the servers ----------------------------------------------------------------------------


def production_env(static_root: str, media_root: str) -> dict[str, str]:
    alphabet = string.ascii_letters + string.digits + "!#%+-.:=@^_~"
    env = dict(os.environ)
    for name in ("PYTEST_XDIST_WORKER", "DJANGO_SETTINGS_MODULE", "MEDIA_URL"):
        env.pop(name, None)
    for name in [n for n in env if n.startswith("MEDIA_S3_")]:
        env.pop(name)
    env.update(
        DEBUG="0",
        SECRET_KEY="".join(secrets.choice(alphabet) for _ in range(60)),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",  # no TLS on loopback
        DATABASE_URL=os.environ.get(
            "DATABASE_URL", "postgres://shop:shop@127.0.0.1:5432/shop_frontend"
        ),
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13"),
        MEDIA_ROOT=media_root,
        STATIC_ROOT=static_root,
        TRUSTED_PROXY_COUNT="1",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


NGINX_CONF = """
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    # as deploy/nginx/shop.conf
    gzip on;
    gzip_vary on;
    gzip_proxied any;
    gzip_comp_level 5;
    gzip_min_length 512;
    gzip_types text/plain text/css text/xml text/javascript application/javascript
               application/json application/xml application/rss+xml
               application/manifest+json image/svg+xml;
    server {{
        listen 127.0.0.1:{port};
        proxy_set_header Host $http_host;  # with the port: CSRF compares the Origin
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        location ^~ /media/ {{
            alias {media}/;
            expires 7d;
        }}
        # /static/ goes to the app: WhiteNoise's own headers are measured
        location / {{ proxy_pass http://127.0.0.1:{upstream}; }}
    }}
}}
"""


class Servers:
    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def start(self, cmd: list[str], env: dict[str, str] | None, log: Path) -> None:
        with open(log, "ab") as logf:
            proc = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=logf, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.procs.append(proc)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)  # its own group: master and workers
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)


def wait_ready(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/")
            if conn.getresponse().status == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"nothing answers on port {port}")


# --- the browser ----------------------------------------------------------------------------


class Measured:
    """One page load: what went over the wire, seen through the DevTools protocol."""

    def __init__(self, cdp) -> None:
        self.types: dict[str, str] = {}
        self.urls: dict[str, str] = {}
        self.bytes = dict.fromkeys(COLUMNS, 0)
        self.requests = 0
        self.canceled: list[str] = []
        self.done: set[str] = set()
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.loadingFailed", self._failed)
        cdp.on("Network.requestWillBeSent", self._sent)

    def _sent(self, e) -> None:
        self.urls[e["requestId"]] = e["request"]["url"]

    def _response(self, e) -> None:
        self.types[e["requestId"]] = TYPES.get(e.get("type", ""), "other")

    def _finished(self, e) -> None:
        self.done.add(e["requestId"])
        self.requests += 1
        col = self.types.get(e["requestId"], "other")
        self.bytes[col] += int(e.get("encodedDataLength", 0))

    def _failed(self, e) -> None:
        self.done.add(e["requestId"])
        if e.get("canceled"):
            self.canceled.append(self.urls.get(e["requestId"], "?"))

    def reset(self) -> None:
        self.bytes = dict.fromkeys(COLUMNS, 0)
        self.requests = 0
        self.canceled = []


def open_phone(browser):
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=DPR,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
    )
    context.add_init_script(OBSERVE)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    measured = Measured(cdp)
    return context, page, cdp, measured


def throttle(cdp, on: bool, network: dict = NETWORK) -> None:
    if on:
        cdp.send("Network.emulateNetworkConditions", network)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    else:
        cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})


def settle(page) -> dict:
    page.wait_for_load_state("load")
    with contextlib.suppress(Exception):
        page.wait_for_load_state("networkidle", timeout=20000)
    page.wait_for_timeout(500)
    # an LCP entry is final once the page is hidden or handled input; read it as it stands
    vitals = page.evaluate("window.__cwv")
    # when the LCP picture was asked for: a lazy one waits for layout, an eager one does not
    vitals["lcpRequested"] = page.evaluate(
        "u => { var e = u && performance.getEntriesByName(u)[0]; return e ? e.startTime : null; }",
        vitals.get("lcpUrl"),
    )
    return vitals | {"images": page.evaluate(IMAGES)}


RUNS = 3


def measure(page, cdp, measured, url: str) -> dict:
    """Load ``url`` throttled, RUNS times, each with the browser's cache emptied first; the
    load with the median LCP is reported (the times vary from load to load on a shared
    machine; the bytes do not)."""
    loads = []
    for _ in range(RUNS):
        cdp.send("Network.clearBrowserCache")
        throttle(cdp, True)
        measured.reset()
        page.goto(url, wait_until="commit")
        vitals = settle(page)
        throttle(cdp, False)
        loads.append({"bytes": dict(measured.bytes), "requests": measured.requests, **vitals})
    loads.sort(key=lambda load: load["lcp"] or 0)
    return loads[len(loads) // 2] | {"lcp_all": [load["lcp"] for load in loads]}


def run_pages(base: str, chromium: str) -> tuple[dict[str, dict], dict]:
    from playwright.sync_api import sync_playwright

    results: dict[str, dict] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        context, page, cdp, measured = open_phone(browser)
        # find a category and a product from the home page, as a shopper would
        page.goto(base + "/")
        category = page.locator("a[href^='/category/']").first.get_attribute("href")
        results["home"] = measure(page, cdp, measured, base + "/")
        results["category listing"] = measure(page, cdp, measured, base + category)
        product = page.locator(".product-grid a[href^='/products/']").first.get_attribute("href")
        results["product page"] = measure(page, cdp, measured, base + product)
        results["search results"] = measure(page, cdp, measured, base + "/search/?q=tent")
        results["service page"] = measure(page, cdp, measured, base + "/service/delivery/")
        results["guestbook"] = measure(page, cdp, measured, base + "/guestbook/")

        # autocomplete: type a word into the header box, quickly and at a thumb's pace
        suggest = {}
        for delay, network, label in (
            (60, NETWORK, "the phone network above"),
            (300, NETWORK, "the phone network above"),
            (300, SLOW_3G, "a slow 3G network (400 kbps, 400 ms)"),
        ):
            page.goto(base + "/")
            page.wait_for_load_state("networkidle")
            cdp.send("Network.clearBrowserCache")  # the answers of the pass before
            throttle(cdp, True, network)
            measured.reset()
            measured.urls.clear()
            page.locator("#header-q").press_sequentially("sleeping bag", delay=delay)
            page.wait_for_timeout(1000)  # past the script's pause before it asks
            for _ in range(300):  # until every request has its answer or was cancelled
                page.wait_for_timeout(100)
                if set(measured.urls) <= measured.done:
                    break
            suggest[f"{delay} ms between keys, {label}"] = {
                "requests": sum(1 for u in measured.urls.values() if "/search/suggest/" in u),
                "bytes": sum(measured.bytes.values()),
                "canceled": sum(1 for u in measured.canceled if "/search/suggest/" in u),
                "inp": page.evaluate("window.__cwv.inp"),
            }
            throttle(cdp, False)

        # the cart with one item in it (added from a listing card's "Add" button)
        page.goto(base + category)
        with page.expect_navigation():
            page.locator("form.qty-form button").first.click()
        results["cart"] = measure(page, cdp, measured, base + "/cart/")
        results["checkout"] = measure(page, cdp, measured, base + "/checkout/")
        try:
            fill_checkout(page)
        except Exception:
            print(page.url, page.inner_text("main")[:1500], file=sys.stderr)
            raise
        page.get_by_role("button", name="Review your order").click()
        page.wait_for_load_state("load")
        page.get_by_role("button", name="Buy now").click()
        page.wait_for_url(re.compile(r"/orders/confirmation/"))
        results["order confirmation"] = measure(page, cdp, measured, page.url)
        context.close()
        browser.close()
    return results, suggest


def fill_checkout(page) -> None:
    page.get_by_label("E-mail").fill("frontend-bench@example.com")
    page.get_by_label("Phone").fill("+49 30 1234567")
    for label, value in (
        ("Full name", "Bench Shopper"),
        ("Street and number", "Teststr. 1"),
        ("Postcode", "10115"),
        ("City", "Berlin"),
    ):
        page.get_by_label(label).fill(value)
    page.get_by_role("radio", name=re.compile("Standard")).check()
    page.get_by_role("radio", name=re.compile("Cash on delivery")).check()


# --- the report -----------------------------------------------------------------------------


def kb(n: int) -> str:
    return f"{n / 1024:.1f}"


def table(results: dict[str, dict]) -> list[str]:
    lines = [
        "| page | HTML KB | CSS KB | JS KB | images KB | fonts KB | other KB | total KB "
        "| requests | LCP ms | LCP picture asked for at ms | LCP element | CLS | long tasks |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|",
    ]
    for name, r in results.items():
        b = r["bytes"]
        lcp = f"{r['lcp']:.0f}" if r.get("lcp") is not None else "–"
        el = (r.get("lcpEl") or "–").replace("|", "/")
        asked = f"{r['lcpRequested']:.0f}" if r.get("lcpRequested") is not None else "–"
        lines.append(
            f"| {name} | {kb(b['html'])} | {kb(b['css'])} | {kb(b['js'])} | {kb(b['img'])} "
            f"| {kb(b['font'])} | {kb(b['other'])} | {kb(sum(b.values()))} | {r['requests']} "
            f"| {lcp} | {asked} | `{el}` | {r['cls']:.3f} "
            f"| {r['longTasks']} ({r['longMs']:.0f} ms) |"
        )
    return lines


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        m = re.search(r"model name\s*:\s*(.+)", f.read())
        if m:
            cpu = m.group(1).strip()
    chromium = subprocess.run(
        [os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"), "--version"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"{cpu}, {os.cpu_count()} cores, {chromium}"


def report(results: dict[str, dict], suggest: dict) -> list[str]:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return [
        f"Measured {when} on {machine()} by `bench/frontend.py`: "
        f"{PHONE['width']}x{PHONE['height']} at {DPR}x, network 1.6 Mbps down / 750 kbps up / "
        f"150 ms, CPU slowed {CPU_SLOWDOWN}x, empty cache for every load; LCP is the median of "
        f"{RUNS} loads. KB as sent (gzip).",
        "",
        *table(results),
        "",
        *(
            f'Typing "sleeping bag" into the header search box, {how}: '
            f"{s['requests']} autocomplete requests, {s['canceled']} of them cancelled when a "
            f"newer one superseded them, {kb(s['bytes'])} KB in all, slowest key press "
            f"(to the next paint) {s['inp']:.0f} ms."
            for how, s in suggest.items()
        ),
    ]


def write_readme(lines: list[str]) -> None:
    text = README.read_text()
    block = "\n".join([START, *lines, END])
    if START in text:
        text = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda m: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    README.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--readme", action="store_true", help="write the table into README")
    parser.add_argument("--json", help="also write the raw figures to this file")
    parser.add_argument("--runs", type=int, default=RUNS, help="loads of each page (3)")
    args = parser.parse_args()
    globals()["RUNS"] = args.runs
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    chromium = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
    port = int(os.environ.get("FRONTEND_PORT", "8180"))
    media = os.environ.get("MEDIA_ROOT", "/tmp/shop-frontend-media")
    tmp = Path(tempfile.mkdtemp(prefix="shop-frontend-"))
    servers = Servers()
    try:
        env = production_env(str(tmp / "static"), media)
        manage(env, "migrate", "--noinput", "-v0")
        count = manage(
            env,
            "shell",
            "-c",
            "from catalog.models import Product; print(Product.objects.count())",
        )
        if int(count.split()[-1]) == 0:
            manage(env, "seed_demo", "--force")
        if (ROOT / "catalog/management/commands/fill_small_thumbnails.py").exists():
            manage(env, "fill_small_thumbnails")  # as deploy/provision.sh does after an update
        manage(env, "collectstatic", "--noinput", "-v0")
        # pages cached by an earlier run (other code, other static names) are stale
        manage(env, "shell", "-c", "from core.pagecache import bump_content_version; "
               "bump_content_version()")  # fmt: skip
        servers.start(
            [
                str(VENV_BIN / "gunicorn"),
                "shop.wsgi:application",
                "--bind",
                f"127.0.0.1:{port + 1}",
                "--workers",
                "2",
                "--no-control-socket",
            ],
            env,
            tmp / "gunicorn.log",
        )
        wait_ready(port + 1)
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (tmp / sub).mkdir()
        conf = tmp / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=tmp, port=port, upstream=port + 1, media=media))
        servers.start([nginx, "-c", str(conf), "-e", str(tmp / "nginx-error.log")], None,
                      tmp / "nginx.log")  # fmt: skip
        wait_ready(port)
        results, suggest = run_pages(f"http://localhost:{port}", chromium)
    finally:
        servers.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    lines = report(results, suggest)
    print("\n".join(lines))
    if args.json:
        Path(args.json).write_text(json.dumps({"pages": results, "suggest": suggest}, indent=1))
    if args.readme:
        write_readme(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
