"""The Jinja2 environment for every page: GOV.UK Frontend macros plus our own helpers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma, naturaltime
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader, select_autoescape


def url(name: str, *args: Any, **kwargs: Any) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)


def localtime(value: Any, fmt: str = "%-d %B %Y, %-I:%M%p") -> str:
    if value is None:
        return ""
    local = timezone.localtime(value)
    return local.strftime(fmt).replace("AM", "am").replace("PM", "pm")


def environment(**options: Any) -> Environment:
    app_loader = options.pop("loader", None)
    # Everything is escaped as HTML except plain-text templates (the text parts of emails),
    # where an escaped apostrophe would arrive as "&#39;".
    options["autoescape"] = select_autoescape(
        disabled_extensions=("txt",), default_for_string=True, default=True
    )
    env = Environment(**options)  # noqa: S701 (select_autoescape above)
    loaders = [
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
    ]
    if app_loader is not None:
        loaders.insert(0, app_loader)
    env.loader = ChoiceLoader([env.loader, *loaders]) if env.loader else ChoiceLoader(loaders)
    env.globals.update(
        {
            "static": static,
            "url": url,
            "settings": {
                "SITE_NAME": settings.SITE_NAME,
                "MAP_TILE_URL": settings.MAP_TILE_URL,
                "MAP_TILE_ATTRIBUTION": settings.MAP_TILE_ATTRIBUTION,
                "BASE_URL": settings.BASE_URL,
            },
        }
    )
    env.filters.update({"localtime": localtime, "naturaltime": naturaltime, "intcomma": intcomma})
    return env
