from allauth.account.adapter import DefaultAccountAdapter

from core.outbox import queue_message


class AccountAdapter(DefaultAccountAdapter):
    """allauth hooks for the shop: its e-mails go through the outbox like every other."""

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        message = self.render_mail(template_prefix, email, context)
        html = ""
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                html = content
        queue_message(
            to=list(message.to),
            subject=message.subject,
            body_text=message.body if message.content_subtype != "html" else "",
            body_html=html or (message.body if message.content_subtype == "html" else ""),
            kind=template_prefix.rsplit("/", 1)[-1],
        )
