from django.urls import path

from .views import PAGES, ServicePageView

app_name = "service"

urlpatterns = [path("", ServicePageView.as_view(page="index"), name="index")] + [
    path(f"{slug}/", ServicePageView.as_view(page=slug), name=slug) for slug, _, _ in PAGES
]
