"""One bare view returning a short response (no template, no database, no session)."""

from django.http import HttpResponse
from django.urls import path


def ceiling(request):
    return HttpResponse(b"ok\n", content_type="text/plain")


urlpatterns = [path("", ceiling)]
