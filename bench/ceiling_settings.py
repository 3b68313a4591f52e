"""The ceiling: the shop's settings with no middleware and a one-view URLconf.

Served by the same gunicorn (same worker class and count) as the shop, it shows what Django +
gunicorn + loopback can do on this machine at most; every shop page is reported as a ratio to it.
The apps are the shop's (their start imports what the shop's does), with allauth's account app
in a form that starts without its middleware (bench/ceiling_apps.py); the one view uses none.
"""

from shop.settings import *  # noqa: F403
from shop.settings import INSTALLED_APPS as _SHOP_APPS

ROOT_URLCONF = "bench.ceiling_urls"
MIDDLEWARE: list[str] = []
INSTALLED_APPS = [
    "bench.ceiling_apps.AccountConfig" if app == "allauth.account" else app for app in _SHOP_APPS
]
