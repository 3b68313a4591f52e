"""The shop's URLs plus /media/ (DEBUG is off in tests, so shop.urls doesn't serve uploads)."""

from django.conf import settings
from django.urls import include, path
from django.views.static import serve


def media(request, path):
    # MEDIA_ROOT is a fresh temp folder per test (tests/conftest.py): read it per request.
    return serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns = [
    path("media/<path:path>", media),
    path("", include("shop.urls")),
]

handler500 = "shop.views.server_error"
