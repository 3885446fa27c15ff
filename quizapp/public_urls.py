"""Absolute links that leave the site (QR codes, e-mails, exported ids) from PUBLIC_URL, not the Host header.

A request's Host header is whatever the client sent: a link built from it in a password-reset
e-mail or on a certificate could point anywhere. With ``PUBLIC_URL`` set, every absolute link
starts with it (and ``TRUSTED_HOSTS`` refuses other hosts); without it, the local set-up falls
back to the request's own address.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, request, url_for


def external_url(endpoint: str, **values) -> str:
    base = current_app.config.get("PUBLIC_URL")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def public_link(endpoint: str, **values) -> str | None:
    """An absolute link from PUBLIC_URL, or None where it is unset; needs no request (e-mails sent by
    a command or a service). Without PUBLIC_URL there is no trustworthy address to put in a message."""
    base = current_app.config.get("PUBLIC_URL")
    if not base:
        return None
    adapter = current_app.url_map.bind(urlsplit(base).netloc or "localhost")
    return base + adapter.build(endpoint, values)


def site_root() -> str:
    """The site's root with a trailing slash (the base of exported ids)."""
    base = current_app.config.get("PUBLIC_URL")
    return base + "/" if base else request.url_root


def init_app(app: Flask) -> None:
    """Refuse requests for any host but PUBLIC_URL's (plus TRUSTED_HOSTS), where PUBLIC_URL is set."""
    base = app.config.get("PUBLIC_URL")
    if base and not app.config.get("TRUSTED_HOSTS"):
        extra = [h.strip() for h in (app.config.get("EXTRA_TRUSTED_HOSTS") or "").split(",") if h.strip()]
        app.config["TRUSTED_HOSTS"] = [urlsplit(base).hostname, *extra]
