"""Carriers staff can choose when marking an order shipped, and their tracking links."""

from urllib.parse import quote

CARRIERS = {
    "DHL": "https://www.dhl.com/global-en/home/tracking.html?tracking-id={}",
    "DPD": "https://tracking.dpd.de/status/en_US/parcel/{}",
    "GLS": "https://gls-group.com/track/{}",
    "UPS": "https://www.ups.com/track?tracknum={}",
    "Hermes": "https://www.myhermes.de/empfangen/sendungsverfolgung/sendungsinformation#{}",
    "Deutsche Post": "https://www.deutschepost.de/sendung/simpleQuery.html?form.sendungsnummer={}",
}
CARRIER_CHOICES = [(name, name) for name in CARRIERS]


def tracking_url(carrier: str, tracking_number: str) -> str:
    template = CARRIERS.get(carrier)
    if not template or not tracking_number:
        return ""
    return template.format(quote(tracking_number, safe=""))
