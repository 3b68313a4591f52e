"""Small middleware of the shop's own."""

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
