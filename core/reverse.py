"""reverse() remembered per process.

Django resolves its URL patterns again on every reverse() call (~20 µs on a fast machine, up to
100 µs on the bench machine's slow phases), and a page calls it a dozen times or more: the
header's links, a form action per cart line, every product link. URL patterns do not change
while a process runs, so the answer for the same name and arguments is remembered, keyed also
by everything reverse() reads from its surroundings (script prefix, URLconf, language).

Only str and int arguments (SafeString included) are remembered: a model instance or a lazy
string may turn into a different text later.
"""

from functools import lru_cache

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

_PLAIN = (str, int)


@lru_cache(maxsize=4096)
def _remembered(viewname, args, kwargs, current_app, prefix, urlconf, language) -> str:
    return reverse(
        viewname, urlconf=urlconf, args=args, kwargs=dict(kwargs), current_app=current_app
    )


def cached_reverse(viewname, args=(), kwargs=None, current_app=None) -> str:
    """reverse(viewname, args=..., kwargs=..., current_app=...), remembered when it can be."""
    args = tuple(args or ())
    kwargs = kwargs or {}
    if (
        isinstance(viewname, str)
        and all(isinstance(a, _PLAIN) for a in args)
        and all(isinstance(v, _PLAIN) for v in kwargs.values())
    ):
        return _remembered(
            viewname,
            args,
            tuple(sorted(kwargs.items())),
            current_app,
            get_script_prefix(),
            get_urlconf(),
            get_language(),
        )
    return reverse(viewname, args=args, kwargs=kwargs, current_app=current_app)


def clear() -> None:
    _remembered.cache_clear()


@receiver(setting_changed)
def _urlconf_changed(*, setting, **kwargs) -> None:
    if setting == "ROOT_URLCONF":  # tests: other patterns under the same (None) urlconf key
        clear()
