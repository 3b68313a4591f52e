from .models import ContactMessage, ServiceText


def list_messages_by_senders(*, emails: list[str]) -> list[dict]:
    """Messages to customer service sent from these (proven) addresses, for their sender's
    download."""
    if not emails:
        return []
    messages = ContactMessage.objects.filter(email__in=emails).order_by("created_at", "pk")
    return [
        {
            "sent": m.created_at,
            "name": m.name,
            "email": m.email,
            "topic": m.get_topic_display(),
            "order_number": m.order_number,
            "message": m.message,
        }
        for m in messages
    ]


def get_service_text(*, page: str) -> str:
    """The shop's own text for a customer service page, or "" for the standard one."""
    return ServiceText.objects.filter(page=page).values_list("text", flat=True).first() or ""
