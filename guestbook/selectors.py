from .models import Entry


def list_entries_by_authors(*, emails: list[str]) -> list[dict]:
    """Guestbook messages written from these (proven) addresses, for their author's download."""
    if not emails:
        return []
    entries = Entry.objects.filter(email__in=emails).order_by("created_at", "pk")
    return [
        {
            "written": e.created_at,
            "name": e.name,
            "message": e.message,
            "status": e.get_status_display(),
            "reply": e.reply,
            "replied": e.replied_at,
        }
        for e in entries
    ]
