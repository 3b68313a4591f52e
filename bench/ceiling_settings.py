"""The ceiling: the shop's settings with no middleware and a one-view URLconf.

Served by the same gunicorn (same worker class and count) as the shop, it shows what Django +
gunicorn + loopback can do on this machine at most; every shop page is reported as a ratio to it.
allauth is left out of INSTALLED_APPS only because it refuses to start without its middleware;
the one view uses no app.
"""

from shop.settings import *  # noqa: F403
from shop.settings import INSTALLED_APPS as _SHOP_APPS

ROOT_URLCONF = "bench.ceiling_urls"
MIDDLEWARE: list[str] = []
INSTALLED_APPS = [app for app in _SHOP_APPS if not app.startswith("allauth")]
