"""Small middleware of the shop's own."""

import csp.middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.utils import build_policy
from django.conf import settings
from django.utils.cache import patch_cache_control


def private_pages(get_response):
    """Pages are made for one visitor (their CSRF token and cookie, cart count, name): say
    ``Cache-Control: private`` so that no shared cache, a CDN or a proxy put in front of the
    shop one day, stores one and hands it to the next visitor. Browsers may still keep their
    own copy. Responses that say otherwise keep theirs (the admin's ``no-store``); static
    files never get here (WhiteNoise answers them further out).

    A signed-in member's pages also say ``no-store``: their orders, addresses and name must not
    come back from the browser's memory (Back, or its back-forward cache) to the next person at
    a shared computer after they signed out."""

    def middleware(request):
        response = get_response(request)
        if "Cache-Control" not in response and (
            response.cookies or response.get("Content-Type", "").startswith("text/html")
        ):
            user = getattr(request, "user", None)  # unset if answered before authentication
            if user is not None and user.is_authenticated:
                patch_cache_control(response, private=True, no_store=True)
            else:
                patch_cache_control(response, private=True)
        return response

    return middleware


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's middleware with the policy built once per settings instead of on every
    response (~37 µs each in-process): no view of the shop gives itself a policy of its own
    (django-csp's decorators) or asks for a nonce, so the header was the same every time. A
    response or request that does goes through django-csp's own code, as before."""

    PER_RESPONSE = (
        "_csp_config",
        "_csp_update",
        "_csp_replace",
        "_csp_config_ro",
        "_csp_update_ro",
        "_csp_replace_ro",
    )
    _built: tuple = (None, None, "", "")  # (policy setting, report-only setting, headers)

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            hasattr(response, name) for name in self.PER_RESPONSE
        ):
            return super().process_response(request, response)
        if response.status_code in (500, 404) and settings.DEBUG:
            return response  # Django's debug pages (as django-csp does)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        built = self._built
        if built[0] is not policy or built[1] is not report_only:  # (tests change them)
            built = (policy, report_only, build_policy(), build_policy(report_only=True))
            self._built = built
        for header, value, config, exempt in (
            (HEADER, built[2], policy, "_csp_exempt"),
            (HEADER_REPORT_ONLY, built[3], report_only, "_csp_exempt_ro"),
        ):
            prefixes = tuple((config or {}).get("EXCLUDE_URL_PREFIXES", None) or ())
            if (
                value
                and header not in response
                and getattr(response, exempt, False) is False
                and not request.path_info.startswith(prefixes)
            ):
                response[header] = value
        if getattr(request, "_csp_nonce", None) is None:  # django-csp's guard, kept
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
