"""Link previews, the listings sitemap and robots.txt."""

import json

import pytest
from starlette.testclient import TestClient

from marketplace_app.api.routes import make_api
from marketplace_app.db import write_session
from marketplace_app.models import Category, Listing, ListingImage, User
from marketplace_app.settings import settings


@pytest.fixture
def client(db):
    return TestClient(make_api(), base_url=settings.public_url)


def _listing(status: str, title: str) -> int:
    with write_session() as s:
        seller = User(name="S", email=f"{status}@x.com", password_hash="!")
        cat = Category(slug=f"c-{status}")
        s.add_all([seller, cat])
        s.flush()
        listing = Listing(
            seller_id=seller.id,
            kind="secondhand",
            category_id=cat.id,
            title=title,
            description="Solid oak",
            price_cents=1250,
            condition="good",
            status=status,
        )
        s.add(listing)
        s.flush()
        s.add(
            ListingImage(
                listing_id=listing.id, position=0, storage_key="a" * 24, width=800, height=600
            )
        )
        return listing.id


def test_share_page_carries_escaped_open_graph_tags(client):
    listing_id = _listing("active", 'Oak table <script>alert("x")</script>')
    response = client.get(f"/share/listing/{listing_id}")
    assert response.status_code == 200
    body = response.text
    assert '<meta property="og:title" content="Oak table &lt;script&gt;' in body
    assert "<script>" not in body
    assert f'content="{settings.public_url}/media/{"a" * 24}-800.webp"' in body
    assert f"url={settings.public_url}/listing/{listing_id}" in body


@pytest.mark.parametrize("path", ["/share/listing/999999", "/share/listing/abc"])
def test_unknown_listings_are_not_found(client, path):
    assert client.get(path).status_code == 404


def test_drafts_are_not_shared_or_listed(client):
    draft = _listing("draft", "Secret draft")
    active = _listing("active", "Public lamp")
    assert client.get(f"/share/listing/{draft}").status_code == 404
    sitemap = client.get("/sitemap-listings.xml").text
    assert f"/listing/{active}</loc>" in sitemap
    assert f"/listing/{draft}</loc>" not in sitemap


def test_robots_names_both_sitemaps(client):
    text = client.get("/robots.txt").text
    assert f"Sitemap: {settings.public_url}/sitemap.xml" in text
    assert f"Sitemap: {settings.public_url}/sitemap-listings.xml" in text


def _product_data(body: str) -> dict:
    start = body.index('<script type="application/ld+json">') + len(
        '<script type="application/ld+json">'
    )
    return json.loads(body[start : body.index("</script>", start)])


def test_share_page_carries_the_price_and_availability_a_visitor_meets(client):
    listing_id = _listing("active", "Oak table </script><script>alert(1)")
    data = _product_data(client.get(f"/share/listing/{listing_id}").text)
    assert data["name"] == "Oak table </script><script>alert(1)"  # escaped, not closed
    assert data["offers"]["lowPrice"] == "12.50"
    assert data["offers"]["availability"] == "https://schema.org/InStock"
    assert data["itemCondition"] == "https://schema.org/UsedCondition"
    with write_session() as s:
        s.get(Listing, listing_id).status = "sold"
    data = _product_data(client.get(f"/share/listing/{listing_id}").text)
    assert data["offers"]["availability"] == "https://schema.org/SoldOut"
