from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from core.pagination import page_links
from core.ratelimit import form_over_limit
from core.siteurl import shop_url

from . import services
from .forms import EntryForm
from .models import Entry

PAGE_SIZE = 20


def guestbook(request):
    """The public message board; posting keeps the typed text on any error."""
    # a member's address is filled in (they can clear it: it is optional)
    initial = {"email": request.user.email} if request.user.is_authenticated else {}
    form = EntryForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        if form_over_limit(
            request,
            form,
            scope="guestbook",
            limit=settings.GUESTBOOK_RATE,
            window=600,
            message="You have posted several messages just now. "
            "Please wait a few minutes and send this one again.",
        ):
            status = 429
        elif form.is_valid():
            if not form.is_spam():
                services.post_entry(
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    message=form.cleaned_data["message"],
                    site_url=shop_url(request),
                )
            if settings.GUESTBOOK_PREMODERATE:
                messages.success(
                    request, "Thank you! Your message will appear after a quick review."
                )
            else:
                messages.success(request, "Thank you! Your message is on the guestbook.")
            return redirect("guestbook:index")
    entries = Entry.objects.filter(status=Entry.Status.PUBLISHED).order_by("-created_at")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "guestbook/guestbook.html",
        {
            "form": form,
            "entries": page.object_list,
            **page_links(page),
            # each page its own for search engines (page 2 said it was page 1, whose entries
            # it does not show)
            "page_title": "Guestbook" + (f" – page {page.number}" if page.number > 1 else ""),
            "canonical_query": f"page={page.number}" if page.number > 1 else "",
            "meta_description": f"What customers say about {settings.SHOP_NAME}, and our answers.",
        },
        status=status,
    )
