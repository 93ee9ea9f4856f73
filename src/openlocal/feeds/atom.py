"""The Atom document our feeds write: Django's Atom 1.0 plus full content and a map point."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.utils.feedgenerator import Atom1Feed
from django.utils.xmlutils import SimplerXMLGenerator

GEORSS_NS = "http://www.georss.org/georss"

#: Characters XML 1.0 cannot carry. Text typed by the public can contain them (a pasted
#: form feed, a stray NUL); they are dropped rather than letting one entry break the feed.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(text: str) -> str:
    return NOT_XML.sub("", text)


class XMLSafeGenerator(SimplerXMLGenerator):
    """Writes every text and attribute value without the characters XML cannot carry."""

    def characters(self, content: str) -> None:
        super().characters(xml_safe(content) if content else content)

    def startElement(self, name: str, attrs: Any) -> None:
        # Django passes plain dicts here, whatever the SAX stubs say.
        safe: Any = {k: xml_safe(str(v)) for k, v in (attrs or {}).items()}
        super().startElement(name, safe)


class AtomFeed(Atom1Feed):
    """Atom 1.0 with ``<content type="html">``, a GeoRSS point and a stable empty-feed date.

    Text that XML cannot carry (control characters) is dropped instead of failing the feed.

    Extra item fields (passed through ``Feed.item_extra_kwargs``):

    - ``content_html``: the entry's full text as escaped HTML, written as ``<content>``.
    - ``point``: ``(latitude, longitude)``, written as ``<georss:point>`` for map readers.

    Extra feed field (``Feed.feed_extra_kwargs``): ``empty_updated``, the ``<updated>`` of a
    feed with no entries. Without it Django uses the current time, which would change the feed
    (and its ETag) on every fetch.
    """

    def write(self, outfile: Any, encoding: str) -> None:
        handler = XMLSafeGenerator(outfile, encoding, short_empty_elements=True)
        handler.startDocument()
        handler.startElement("feed", self.root_attributes())
        self.add_root_elements(handler)
        self.write_items(handler)
        handler.endElement("feed")

    def root_attributes(self) -> dict[str, str]:
        attrs = super().root_attributes()
        attrs["xmlns:georss"] = GEORSS_NS
        return attrs

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        if item.get("content_html"):
            handler.addQuickElement("content", item["content_html"], {"type": "html"})
        if item.get("point"):
            latitude, longitude = item["point"]
            handler.addQuickElement("georss:point", f"{latitude:.6f} {longitude:.6f}")

    def latest_post_date(self) -> datetime:
        if not self.items and self.feed.get("empty_updated") is not None:
            return self.feed["empty_updated"]
        return super().latest_post_date()
