"""What link previews and search engines read: Open Graph pages, sitemap, robots.txt.

The Reflex frontend is a static build, so a listing's own page cannot carry
its title and photo in the HTML a crawler fetches. Shared links point at
``/share/listing/{id}``, which does, and sends people on to the listing.
"""

from __future__ import annotations

import asyncio
import html
import json

from sqlmodel import select
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from marketplace_app.db import read_session
from marketplace_app.i18n.formatting import money
from marketplace_app.ids import parse_id
from marketplace_app.models import Listing
from marketplace_app.services import catalog, media
from marketplace_app.services.errors import NotFound
from marketplace_app.services.payments import statements
from marketplace_app.settings import settings

SITEMAP_LIMIT = 50_000


def _product_json(detail: catalog.ListingDetail, url: str, image: str) -> str:
    """schema.org Product data: the price and availability a visitor would meet now."""
    buyable = [q for q in detail.quotes if q.ok]
    if buyable:
        availability = "InStock"
    elif detail.status == "sold":
        availability = "SoldOut"
    else:
        availability = "OutOfStock"
    prices = [q.price_cents for q in buyable] or [detail.price_cents]
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": detail.title,
        "description": detail.description[:500],
        "url": url,
        "offers": {
            "@type": "AggregateOffer",
            "priceCurrency": settings.currency,
            "lowPrice": statements.decimal_amount(min(prices)),
            "highPrice": statements.decimal_amount(max(prices)),
            "offerCount": max(1, len(buyable)),
            "availability": f"https://schema.org/{availability}",
        },
    }
    if detail.condition:
        data["itemCondition"] = (
            "https://schema.org/NewCondition"
            if detail.condition == "new"
            else "https://schema.org/UsedCondition"
        )
    if image:
        data["image"] = image
    # "<" escaped so that no text of the listing can close the script element.
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")


def _share_html(detail: catalog.ListingDetail) -> str:
    url = f"{settings.public_url}/listing/{detail.id}"
    description = (
        f"{money(detail.price_cents, settings.default_locale)} · {detail.description[:160]}"
    )
    image = (
        f"{settings.public_url}{media.url(detail.image_keys[0], 800)}" if detail.image_keys else ""
    )
    esc = html.escape
    tags = [
        f'<meta property="og:title" content="{esc(detail.title)}">',
        f'<meta property="og:description" content="{esc(description)}">',
        f'<meta property="og:url" content="{esc(url)}">',
        '<meta property="og:type" content="product">',
        f'<meta property="og:site_name" content="{esc(settings.market_name)}">',
        f'<meta name="description" content="{esc(description)}">',
    ]
    if image:
        tags.append(f'<meta property="og:image" content="{esc(image)}">')
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{esc(detail.title)} · {esc(settings.market_name)}</title>"
        + "".join(tags)
        + f'<link rel="canonical" href="{esc(url)}">'
        + '<script type="application/ld+json">'
        + _product_json(detail, url, image)
        + "</script>"
        f'<meta http-equiv="refresh" content="0; url={esc(url)}">'
        f'</head><body><a href="{esc(url)}">{esc(detail.title)}</a></body></html>'
    )


def _detail(listing_id: int) -> catalog.ListingDetail | None:
    with read_session() as session:
        try:
            return catalog.listing_detail(session, listing_id, None)
        except NotFound:
            return None


async def share_listing(request: Request) -> Response:
    """A listing's Open Graph page; people are sent on to the listing itself."""
    listing_id = parse_id(request.path_params["listing_id"])
    detail = await asyncio.to_thread(_detail, listing_id) if listing_id else None
    if detail is None:
        return PlainTextResponse("Not found", status_code=404)
    return HTMLResponse(_share_html(detail))


def _sitemap() -> str:
    with read_session() as session:
        rows = session.exec(
            select(Listing.id, Listing.updated_at)
            .where(Listing.status == "active")
            .order_by(Listing.id.desc())
            .limit(SITEMAP_LIMIT)
        ).all()
    entries = "".join(
        f"<url><loc>{settings.public_url}/listing/{listing_id}</loc>"
        f"<lastmod>{updated.date().isoformat()}</lastmod></url>"
        for listing_id, updated in rows
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    )


async def listings_sitemap(_request: Request) -> Response:
    """Every active listing's URL (the static pages are in /sitemap.xml)."""
    return Response(await asyncio.to_thread(_sitemap), media_type="application/xml")


async def robots(_request: Request) -> Response:
    """robots.txt naming both sitemaps."""
    return PlainTextResponse(
        "User-agent: *\nDisallow: /account\nDisallow: /api/\n"
        f"Sitemap: {settings.public_url}/sitemap.xml\n"
        f"Sitemap: {settings.public_url}/sitemap-listings.xml\n"
    )
