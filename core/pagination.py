"""What templates/includes/pagination.html needs to show a page's links."""

from django.core.paginator import Page


def page_links(page: Page) -> dict:
    """``page_obj``, ``is_paginated`` and ``page_range`` (the numbers around the current page,
    the first and the last, "…" between) for includes/pagination.html."""
    return {
        "page_obj": page,
        "is_paginated": page.has_other_pages(),
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
    }
