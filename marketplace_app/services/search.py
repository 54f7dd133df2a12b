"""Search over active listings: full text, filters, distance, and similar items.

Full text lives in a side table named ``listing_search`` (one row per listing,
keyed by the listing's id) holding the normalised tokens of
:mod:`marketplace_app.services.search_text`:

* SQLite: an FTS5 table ``listing_search(title, body)`` (``unicode61``),
  ``rowid`` = listing id, ranked with ``bm25`` (title weighs 4x); filters
  come from ``listings``.
* PostgreSQL: a table ``listing_search(listing_id, document tsvector, ...)``
  with a GIN index; title tokens carry weight A; ranked with ``ts_rank``. It
  also carries a copy of the listing's columns that searches filter and sort
  on (:data:`MIRRORED`), kept equal to ``listings`` by a trigger whatever
  writes the listing, so a text search reads one table and never joins the
  few thousand listings a word matches.

The index holds exactly the listings the public can see (status active or
sold, :data:`listing_access.PUBLIC_STATUSES`; search returns the active ones): a
draft, a paused, pending or removed listing has no row. Both are created by
the search-index migrations, by ``create_all`` (DDL events on the listings
table, for tests) or on first write. Only a new listing, a change of title,
description or status, or a deletion needs a reindex. That happens
automatically for listings written through the ORM (an ``after_flush`` hook);
code that writes listings with Core statements calls :func:`reindex_listing`
or :func:`index_rows`, and :func:`rebuild_index` redoes everything (a sale
that marks a listing sold needs none: sold listings stay indexed).

Distance uses the public (rounded) position and the haversine formula of
:func:`geo.distance_km`. A circle reaches SQL as one longitude interval per
distinct public latitude inside it (public positions sit on a ~200 m grid, so
a 10 km circle has about 90), solved exactly from that formula: counting a
radius is one index range scan per latitude, with no trigonometry per row.
Sorting by distance grows a small circle around the origin until it holds the
page, then measures just those rows in Python.

Indexes behind it (the search-index migrations): the position index also holds
every filter column, so counts under any filter never read the wide listing
rows, and a narrow partial one counts active listings without filters; price
sorts walk ``(status, price_cents)`` and add the few listings on sale. Words
found in more than :data:`BROAD_MATCHES` listings are matched as a plain
filter (newest first): ranking that many is slow and ranks nothing apart.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, event, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from marketplace_app.models import Category, Listing, ListingImage, Shop, User
from marketplace_app.models.catalog import CONDITIONS
from marketplace_app.models.types import UTCDateTime, utcnow
from marketplace_app.services import catalog, geo, listing_access, purchasable
from marketplace_app.services.search_text import (
    MAX_QUERY_CHARS,
    Term,
    fts5_query,
    index_text,
    query_terms,
    tsquery,
    tsvector,
)

SORTS = ("relevance", "newest", "price_asc", "price_desc", "distance")
RADII_KM = (1, 3, 5, 10)
KINDS = ("shop", "secondhand")
MAX_PER_PAGE = 60
MAX_PAGE = 1000
TITLE_WEIGHT = 4.0
_WRITE_CHUNK = 2000

# What the index holds: the listings anyone may see (search shows the active ones).
SEARCHABLE = "status IN (" + ", ".join(f"'{s}'" for s in listing_access.PUBLIC_STATUSES) + ")"

SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS listing_search USING fts5("
    "title, body, tokenize = 'unicode61 remove_diacritics 0')",
)
# PostgreSQL's copy of the listing columns a text search filters and sorts on.
MIRRORED = {
    "status": "TEXT NOT NULL",
    "created_at": "TIMESTAMPTZ NOT NULL",
    "category_id": "INTEGER",
    "kind": "TEXT NOT NULL",
    "condition": "TEXT",
    "price_cents": "BIGINT NOT NULL",
    "sale_price_cents": "BIGINT",
    "sale_starts_at": "TIMESTAMPTZ",
    "sale_ends_at": "TIMESTAMPTZ",
    "public_lat": "DOUBLE PRECISION",
    "public_lon": "DOUBLE PRECISION",
}
_MIRROR_COLUMNS = ", ".join(MIRRORED)
POSTGRES_DDL = (
    "CREATE TABLE IF NOT EXISTS listing_search (listing_id INTEGER PRIMARY KEY,"
    " document TSVECTOR NOT NULL, "
    + ", ".join(f"{name} {kind}" for name, kind in MIRRORED.items())
    + ")",
    "CREATE INDEX IF NOT EXISTS ix_listing_search_document ON listing_search USING GIN (document)",
    # A change of any mirrored column, by any statement, is copied at once.
    "CREATE OR REPLACE FUNCTION listing_search_follow() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN UPDATE listing_search SET ("
    + _MIRROR_COLUMNS
    + ") = ("
    + ", ".join(f"NEW.{name}" for name in MIRRORED)
    + ") WHERE listing_id = NEW.id; RETURN NULL; END $$",
    "CREATE OR REPLACE TRIGGER listing_search_follow AFTER UPDATE ON listings FOR EACH ROW"
    " WHEN (("
    + ", ".join(f"OLD.{name}" for name in MIRRORED)
    + ") IS DISTINCT FROM ("
    + ", ".join(f"NEW.{name}" for name in MIRRORED)
    + ")) EXECUTE FUNCTION listing_search_follow()",
)
# The index as the listings table's stand-in in text searches (``l.id`` and every filter).
_POSTGRES_SOURCE = (
    f"(SELECT listing_id AS id, document, {_MIRROR_COLUMNS} FROM listing_search) AS l"
)


@dataclass(frozen=True)
class SearchQuery:
    """What the visitor asked for (validated by :func:`search`, never trusted)."""

    text: str = ""
    category: str | None = None
    kind: str | None = None
    conditions: tuple[str, ...] = ()
    min_price_cents: int | None = None
    max_price_cents: int | None = None
    free_only: bool = False
    origin: tuple[float, float] | None = None
    radius_km: float | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 24


@dataclass(frozen=True)
class SearchResult:
    """One page of results and the exact number of matches."""

    total: int
    cards: list[catalog.Card]


# -- query validation ------------------------------------------------------------------


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return max(0, int(value))


def _origin(value: object) -> tuple[float, float] | None:
    try:
        lat, lon = (float(v) for v in value)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def clean_query(query: SearchQuery) -> SearchQuery:
    """The query with every field validated or clamped.

    Unknown kinds, conditions and radii are ignored; a radius needs an origin;
    an unknown sort (or distance without an origin) becomes relevance; page is
    1..1000 and per_page 1..60; the text is cut to 80 characters; a minimum
    above the maximum price is swapped.

    Args:
        query: as built from the URL.

    Returns:
        A safe query.
    """
    origin = _origin(query.origin) if query.origin is not None else None
    radius = query.radius_km if query.radius_km in RADII_KM and origin else None
    sort = query.sort if query.sort in SORTS else "relevance"
    if sort == "distance" and origin is None:
        sort = "relevance"
    low, high = _int_or_none(query.min_price_cents), _int_or_none(query.max_price_cents)
    if low is not None and high is not None and low > high:
        low, high = high, low
    conditions = tuple(dict.fromkeys(c for c in query.conditions if c in CONDITIONS))
    page = query.page if isinstance(query.page, int) else 1
    per_page = query.per_page if isinstance(query.per_page, int) else 24
    category = query.category if isinstance(query.category, str) and query.category else None
    return SearchQuery(
        text=str(query.text or "")[:MAX_QUERY_CHARS],
        category=category[:40] if category else None,
        kind=query.kind if query.kind in KINDS else None,
        conditions=conditions,
        min_price_cents=low,
        max_price_cents=high,
        free_only=bool(query.free_only),
        origin=origin,
        radius_km=float(radius) if radius else None,
        sort=sort,
        page=min(max(1, page), MAX_PAGE),
        per_page=min(max(1, per_page), MAX_PER_PAGE),
    )


# -- SQL building ----------------------------------------------------------------------

# A sale price applies (see purchasable.listing_price); then it is the price to pay.
_ON_SALE = (
    "(l.sale_price_cents IS NOT NULL AND l.sale_price_cents < l.price_cents"
    " AND (l.sale_starts_at IS NULL OR l.sale_starts_at <= :now)"
    " AND (l.sale_ends_at IS NULL OR :now < l.sale_ends_at))"
)
_EFFECTIVE_PRICE = f"(CASE WHEN {_ON_SALE} THEN l.sale_price_cents ELSE l.price_cents END)"
PRICE_SORTS = ("price_asc", "price_desc")
_NEWEST = "l.created_at DESC, l.id DESC"
_ACTIVE = "l.status = 'active'"


@dataclass
class _Sql:
    """FROM and WHERE of one search, with its parameters."""

    dialect: str
    source: str
    where: list[str]
    params: dict
    rank: str | None = None

    def run(
        self,
        conn: Connection,
        select_list: str,
        tail: str = "",
        *,
        extra: Sequence[str] = (),
        prefix: str = "",
        ctes: Sequence[str] = (),
        source: str | None = None,
        params: dict | None = None,
        typed: bool = False,
    ):
        """Execute ``[WITH ctes] [prefix] SELECT select_list FROM source WHERE ... tail``."""
        where = " AND ".join([*self.where, *extra])
        head = "WITH " + ", ".join(ctes) if ctes else ""
        source = source or self.source
        sql = f"{head} {prefix} SELECT {select_list} FROM {source} WHERE {where} {tail}"
        stmt = text(sql)
        binds = []
        if ":now" in sql:
            binds.append(bindparam("now", type_=UTCDateTime()))
        if "conds" in self.params:
            binds.append(bindparam("conds", expanding=True))
        if binds:
            stmt = stmt.bindparams(*binds)
        if typed:  # read created_at as an aware datetime
            stmt = stmt.columns(created_at=UTCDateTime())
        return conn.execute(stmt, {**self.params, **(params or {}), "now": utcnow()})


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _base_sql(dialect: str, q: SearchQuery, terms: list[Term], category_id: int | None) -> _Sql:
    sql = _Sql(dialect, "listings AS l", [_ACTIVE], {})
    if terms:
        if dialect == "sqlite":
            # CROSS JOIN keeps the full-text match as the outer loop.
            sql.source = "listing_search CROSS JOIN listings AS l ON l.id = listing_search.rowid"
            sql.where.append("listing_search MATCH :fts")
            sql.params["fts"] = fts5_query(terms)
            sql.rank = f"bm25(listing_search, {TITLE_WEIGHT}, 1.0)"
        else:
            # One table: the GIN index finds the matches, every filter reads the same row.
            sql.source = _POSTGRES_SOURCE
            sql.where.append("l.document @@ CAST(:fts AS tsquery)")
            sql.params["fts"] = tsquery(terms)
            sql.rank = "-ts_rank(l.document, CAST(:fts AS tsquery))"
    if category_id is not None:
        sql.where.append("l.category_id = :category_id")
        sql.params["category_id"] = category_id
    if q.kind:
        sql.where.append("l.kind = :kind")
        sql.params["kind"] = q.kind
    if q.conditions:
        sql.where.append("l.condition IN :conds")
        sql.params["conds"] = list(q.conditions)
    if q.free_only:
        sql.where.append(f"{_EFFECTIVE_PRICE} = 0")
    if q.min_price_cents is not None:
        sql.where.append(f"{_EFFECTIVE_PRICE} >= :min_price")
        sql.params["min_price"] = q.min_price_cents
    if q.max_price_cents is not None:
        sql.where.append(f"{_EFFECTIVE_PRICE} <= :max_price")
        sql.params["max_price"] = q.max_price_cents
    return sql


def _order_by(sql: _Sql, sort: str) -> str:
    """ORDER BY for a sort (ties: newest first, then the higher id)."""
    if sort == "relevance" and sql.rank:
        return f"ORDER BY {sql.rank}, {_NEWEST}"
    if sort == "price_asc":
        return f"ORDER BY {_EFFECTIVE_PRICE} ASC, {_NEWEST}"
    if sort == "price_desc":
        return f"ORDER BY {_EFFECTIVE_PRICE} DESC, {_NEWEST}"
    return f"ORDER BY {_NEWEST}"


# -- distance ----------------------------------------------------------------------------
#
# A circle is a list of (lat, lon_lo, lon_hi): for each distinct public
# latitude inside it, the longitudes within the radius. The interval is solved
# from the haversine formula geo.distance_km uses, so "within r km" here is the
# same test as there.

MAX_CIRCLE_ROWS = 600
MAX_RING_KM = 500.0

Circle = list[tuple[float, float, float]]


def _bounding_box(origin: tuple[float, float], radius_km: float) -> tuple[float, ...]:
    """(lat_min, lat_max, lon_min, lon_max) holding every point within the radius."""
    lat, lon = origin
    angle = radius_km / geo.EARTH_RADIUS_KM
    dlat = math.degrees(angle) * 1.01 + 1e-6
    cos_lat = math.cos(math.radians(min(89.0, abs(lat) + dlat)))
    dlon = math.degrees(math.asin(min(1.0, math.sin(angle) / max(cos_lat, 1e-6)))) * 1.01 + 1e-6
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def _lat_values(conn: Connection, low: float, high: float) -> list[float] | None:
    """Distinct public latitudes of listings in [low, high] (index skip-scan); None if too many."""
    rows = conn.execute(
        text(
            "WITH RECURSIVE lats(v, n) AS ("
            " SELECT (SELECT min(public_lat) FROM listings WHERE public_lat >= :low), 1"
            " UNION ALL"
            " SELECT (SELECT min(public_lat) FROM listings WHERE public_lat > v), n + 1"
            " FROM lats WHERE v IS NOT NULL AND v <= :high AND n <= :cap"
            ") SELECT v FROM lats WHERE v IS NOT NULL AND v <= :high"
        ),
        {"low": low, "high": high, "cap": MAX_CIRCLE_ROWS},
    ).all()
    if len(rows) > MAX_CIRCLE_ROWS:
        return None
    return [row[0] for row in rows]


def _circle(
    conn: Connection,
    origin: tuple[float, float],
    radius_km: float,
    within: Circle | None = None,
) -> Circle | None:
    """The (lat, lon_lo, lon_hi) rows of the points within ``radius_km``; None if too many.

    ``within``, a circle of a larger radius around the same origin, already
    holds every latitude this one needs: they are taken from it, not queried.
    """
    lat0, lon0 = origin
    angle = radius_km / geo.EARTH_RADIUS_KM
    dlat = math.degrees(angle)
    low, high = lat0 - dlat - 1e-9, lat0 + dlat + 1e-9
    if within is not None:
        lats = [lat for lat, _lo, _hi in within if low <= lat <= high]
    else:
        lats = _lat_values(conn, low, high)
    if lats is None:
        return None
    phi0 = math.radians(lat0)
    limit = math.sin(angle / 2) ** 2
    rows: Circle = []
    for lat in lats:
        phi = math.radians(lat)
        scale = max(math.cos(phi0) * math.cos(phi), 1e-12)
        room = (limit - math.sin((phi - phi0) / 2) ** 2) / scale
        if room < 0:
            continue
        dlon = math.degrees(2 * math.asin(min(1.0, math.sqrt(room))))
        rows.append((lat, lon0 - dlon, lon0 + dlon))
    return rows


def _circle_or(rows: Circle, params: dict, *, walk: bool = False) -> str:
    """A WHERE term keeping listings inside the circle (``params`` receives its values).

    The bounding box comes first: it turns most rows away before the ORs.
    ``walk`` hides the terms from SQLite's index choice (unary ``+``), so a
    query ordered by date or price walks that order and stops early instead
    of collecting and sorting the whole circle.
    """
    if not rows:
        return "1 = 0"
    lat_col, lon_col = (
        ("+l.public_lat", "+l.public_lon") if walk else ("l.public_lat", "l.public_lon")
    )
    terms = []
    for i, (lat, lo, hi) in enumerate(rows):
        params.update({f"ca{i}": lat, f"cl{i}": lo, f"ch{i}": hi})
        terms.append(f"({lat_col} = :ca{i} AND {lon_col} BETWEEN :cl{i} AND :ch{i})")
    params.update(
        box_s=rows[0][0],
        box_n=rows[-1][0],
        box_w=min(r[1] for r in rows),
        box_e=max(r[2] for r in rows),
    )
    box = f"{lat_col} BETWEEN :box_s AND :box_n AND {lon_col} BETWEEN :box_w AND :box_e"
    return f"({box} AND (" + " OR ".join(terms) + "))"


def _circle_join(sql: _Sql, rows: Circle, params: dict) -> tuple[str, str]:
    """(CTE, FROM source) driving the listings through the circle's rows."""
    values = []
    for i, (lat, lo, hi) in enumerate(rows):
        params.update({f"ca{i}": lat, f"cl{i}": lo, f"ch{i}": hi})
        values.append(f"(:ca{i}, :cl{i}, :ch{i})")
    join = "CROSS JOIN" if sql.dialect == "sqlite" else "JOIN"
    cte = "c(lat, lo, hi) AS (VALUES " + ", ".join(values) + ")"
    source = (
        f"c {join} listings AS l ON l.public_lat = c.lat AND l.public_lon BETWEEN c.lo AND c.hi"
    )
    return cte, source


def _count_in_circle(conn: Connection, sql: _Sql, rows: Circle) -> int:
    """Matching listings in the circle.

    Without text the circle's rows drive the position index, which also holds
    every filter column: one range scan per latitude, never the wide rows.
    """
    if not rows:
        return 0
    params: dict = {}
    if sql.rank is None:
        cte, source = _circle_join(sql, rows, params)
        return sql.run(conn, "count(*)", ctes=[cte], source=source, params=params).scalar()
    return sql.run(conn, "count(*)", extra=[_circle_or(rows, params)], params=params).scalar()


def _positioned(conn: Connection, sql: _Sql, rows: Circle | None) -> list[tuple]:
    """(id, created_at, lat, lon) of matching listings in the circle (all positioned if None)."""
    if rows == []:
        return []
    params: dict = {}
    if rows is None:
        extra = ["l.public_lat IS NOT NULL", "l.public_lon IS NOT NULL"]
        result = sql.run(
            conn, "l.id, l.created_at, l.public_lat, l.public_lon", extra=extra, typed=True
        )
    elif sql.rank is None:
        cte, source = _circle_join(sql, rows, params)
        result = sql.run(
            conn,
            "l.id, l.created_at, l.public_lat, l.public_lon",
            ctes=[cte],
            source=source,
            params=params,
            typed=True,
        )
    else:
        result = sql.run(
            conn,
            "l.id, l.created_at, l.public_lat, l.public_lon",
            extra=[_circle_or(rows, params)],
            params=params,
            typed=True,
        )
    return list(result.all())


def _by_distance(origin: tuple[float, float], rows: list[tuple]) -> list[int]:
    """Ids of ``rows`` ordered by distance, then newest first."""
    lat0, lon0 = origin
    keyed = sorted(
        (geo.distance_km(lat0, lon0, lat, lon), -created.timestamp(), -listing_id)
        for listing_id, created, lat, lon in rows
    )
    return [-key[2] for key in keyed]


def _radius_search(conn: Connection, sql: _Sql, q: SearchQuery) -> tuple[int, list[int]]:
    """Total and page ids of a search with a radius and/or sorted by distance."""
    assert q.origin is not None
    offset = (q.page - 1) * q.per_page
    circle = _circle(conn, q.origin, q.radius_km) if q.radius_km is not None else None
    if q.sort == "distance":
        return _distance_search(conn, sql, q, circle, offset)
    params: dict = {}
    if circle is None:  # too many latitudes: filter the box, measure in Python
        return _measured_search(conn, sql, q, offset)
    if sql.rank is not None:  # text: one pass with a window count
        return _windowed(conn, sql, q, offset, [_circle_or(circle, params)], params)
    total = _count_in_circle(conn, sql, circle)
    if total <= offset:
        return total, []
    # Not through the position index: walk the sort's order and test each row.
    return total, _page(conn, sql, q, offset, [_circle_or(circle, params, walk=True)], params)


def _page(
    conn: Connection,
    sql: _Sql,
    q: SearchQuery,
    offset: int,
    extra: Sequence[str] = (),
    params: dict | None = None,
) -> list[int]:
    """Ids of one page of a search without text, in the order of ``q.sort``."""
    if q.sort in PRICE_SORTS:
        return _price_page(conn, sql, q, offset, extra, params or {})
    rows = sql.run(
        conn,
        "l.id",
        f"{_order_by(sql, q.sort)} LIMIT :lim OFFSET :off",
        extra=extra,
        params={**(params or {}), "lim": q.per_page, "off": offset},
    )
    return [row[0] for row in rows]


def _price_page(
    conn: Connection, sql: _Sql, q: SearchQuery, offset: int, extra: Sequence[str], params: dict
) -> list[int]:
    """A page by the price to pay, without sorting every listing.

    Listings not on sale now pay their regular price: the first ``offset +
    per_page`` of them come in order from the (status, price_cents) index.
    The few on sale now are all added; their union holds the page.
    """
    end = offset + q.per_page
    direction = "ASC" if q.sort == "price_asc" else "DESC"
    regular = sql.run(
        conn,
        "l.id, l.price_cents AS price, l.created_at",
        f"ORDER BY l.price_cents {direction}, {_NEWEST} LIMIT :lim",
        extra=[*extra, f"NOT {_ON_SALE}"],
        params={**params, "lim": end},
        typed=True,
    ).all()
    on_sale = sql.run(
        conn,
        "l.id, l.sale_price_cents AS price, l.created_at",
        extra=[*extra, "l.sale_price_cents IS NOT NULL", _ON_SALE],
        params=params,
        typed=True,
    ).all()
    sign = 1 if q.sort == "price_asc" else -1
    rows = sorted([*regular, *on_sale], key=lambda r: (sign * r[1], -r[2].timestamp(), -r[0]))
    return [row[0] for row in rows[offset:end]]


def _measured_search(
    conn: Connection, sql: _Sql, q: SearchQuery, offset: int
) -> tuple[int, list[int]]:
    """Fallback for a circle of too many latitudes: measure each row in Python."""
    assert q.origin is not None and q.radius_km is not None
    lat0, lon0 = q.origin
    rows = _positioned(conn, sql, None)
    inside = {row[0] for row in rows if geo.distance_km(lat0, lon0, row[2], row[3]) <= q.radius_km}
    if not inside:
        return 0, []
    ordered = sql.run(conn, "l.id", _order_by(sql, q.sort)).all()
    ids = [row[0] for row in ordered if row[0] in inside]
    return len(ids), ids[offset : offset + q.per_page]


def _distance_search(
    conn: Connection, sql: _Sql, q: SearchQuery, circle: Circle | None, offset: int
) -> tuple[int, list[int]]:
    """Nearest first. Without text, grow a circle until it holds the page."""
    assert q.origin is not None
    end = offset + q.per_page
    if sql.rank is not None or (q.radius_km is not None and circle is None):
        rows = _positioned(conn, sql, circle if q.radius_km is not None else None)
        if q.radius_km is not None and circle is None:
            lat0, lon0 = q.origin
            rows = [r for r in rows if geo.distance_km(lat0, lon0, r[2], r[3]) <= q.radius_km]
        ids = _by_distance(q.origin, rows)
        if q.radius_km is None:
            ids += _unplaced(conn, sql, max(0, end - len(ids)))
        return _total(conn, sql, q, len(ids)), ids[offset:end]
    if q.radius_km is not None:
        assert circle is not None
        total = _count_in_circle(conn, sql, circle)
    else:
        total = sql.run(conn, "count(*)").scalar()
    if total <= offset:
        return total, []
    want = min(end, total)
    limit = q.radius_km if q.radius_km is not None else MAX_RING_KM
    ring = _first_ring(q, want, total)
    while True:
        if ring >= limit:
            rows = _positioned(conn, sql, circle)  # without a radius: every placed listing
            break
        ring_circle = _circle(conn, q.origin, ring, within=circle)
        rows = _positioned(conn, sql, ring_circle)  # None: every placed listing
        if ring_circle is None or len(rows) >= want:
            break
        ring = min(limit, ring * max(1.5, math.sqrt(want / max(len(rows), 1)) * 1.2))
    ids = _by_distance(q.origin, rows)
    if q.radius_km is None and len(ids) < end:
        ids += _unplaced(conn, sql, end - len(ids))
    return total, ids[offset:end]


def _first_ring(q: SearchQuery, want: int, total: int) -> float:
    """A first guess of the radius holding ``want`` of the ``total`` listings."""
    if q.radius_km is not None and total:
        return max(0.1, q.radius_km * math.sqrt(want / total))
    return 0.5


def _unplaced(conn: Connection, sql: _Sql, count: int) -> list[int]:
    """Newest listings without a position (they come after every measured one)."""
    if count <= 0:
        return []
    rows = sql.run(
        conn,
        "l.id",
        f"ORDER BY {_NEWEST} LIMIT :lim",
        extra=["(l.public_lat IS NULL OR l.public_lon IS NULL)"],
        params={"lim": count},
    )
    return [row[0] for row in rows]


def _total(conn: Connection, sql: _Sql, q: SearchQuery, counted: int) -> int:
    """The total for a distance sort that measured rows itself."""
    if q.radius_km is not None:
        return counted
    return sql.run(conn, "count(*)").scalar()


def _windowed(
    conn: Connection,
    sql: _Sql,
    q: SearchQuery,
    offset: int,
    extra: Sequence[str] = (),
    params: dict | None = None,
) -> tuple[int, list[int]]:
    """A text search's page and total in one pass (``count(*) OVER ()``)."""
    inner = sql.rank if q.sort == "relevance" and sql.rank else "0"
    price = _EFFECTIVE_PRICE if q.sort in ("price_asc", "price_desc") else "0"
    rows = sql.run(
        conn,
        f"l.id AS id, {inner} AS r, {price} AS p, l.created_at AS created_at",
        extra=extra,
        params={**(params or {}), "lim": q.per_page, "off": offset},
        prefix="SELECT id, n FROM (SELECT id, r, p, created_at, count(*) OVER () AS n FROM (",
        tail=(
            ") AS matched) AS w ORDER BY "
            + {"price_asc": "p ASC, ", "price_desc": "p DESC, "}.get(q.sort, "r, ")
            + "created_at DESC, id DESC LIMIT :lim OFFSET :off"
        ),
    ).all()
    if rows:
        return rows[0][1], [row[0] for row in rows]
    total = sql.run(conn, "count(*)", extra=extra, params=params).scalar()
    return total, []


# -- search ----------------------------------------------------------------------------

BROAD_MATCHES = 20_000
# The full-text match alone, and as a filter on listings.
_MATCH = {
    "sqlite": "SELECT rowid FROM listing_search WHERE listing_search MATCH :fts",
    "postgresql": "SELECT listing_id FROM listing_search WHERE document @@ CAST(:fts AS tsquery)",
}


def _matches(conn: Connection, sql: _Sql) -> int:
    """How many listings, of any status, the words match (the full-text index alone)."""
    inner = _MATCH[sql.dialect]
    return conn.execute(
        text(f"SELECT count(*) FROM ({inner}) AS matched"), {"fts": sql.params["fts"]}
    ).scalar()


def _category_id(session: Session, slug: str) -> int | None:
    return session.exec(select(Category.id).where(Category.slug == slug)).first()


def search(session: Session, query: SearchQuery) -> SearchResult:
    """Find active listings.

    Args:
        session: a database session (reads only).
        query: what to look for; validated here (see :func:`clean_query`).

    Returns:
        The exact number of matches and the requested page of cards, with
        ``distance_km`` set when an origin is given.
    """
    q = clean_query(query)
    category_id = None
    if q.category:
        category_id = _category_id(session, q.category)
        if category_id is None:
            return SearchResult(total=0, cards=[])
    terms = query_terms(q.text)
    sql = _base_sql(_dialect(session), q, terms, category_id)
    conn = session.connection()
    if sql.dialect == "postgresql":
        # For this transaction only: parallel workers add start-up latency to
        # these short queries, and with the default random_page_cost (4, made
        # for spinning disks) the planner scans all listings rather than look
        # up the few thousand a word matches.
        conn.exec_driver_sql(
            "SELECT set_config('max_parallel_workers_per_gather', '0', true),"
            " set_config('random_page_cost', '1.1', true)"
        )
    offset = (q.page - 1) * q.per_page
    counter = sql
    if terms and _matches(conn, sql) > BROAD_MATCHES:
        # Words found in most listings rank nothing apart, and ranking them all
        # is slow: match them as a filter instead, newest first.
        sql = _base_sql(sql.dialect, q, [], category_id)
        sql.where.append(f"l.id IN ({_MATCH[sql.dialect]})")
        sql.params["fts"] = counter.params["fts"]
        if q.sort == "relevance":
            q = dataclasses.replace(q, sort="newest")
    if q.origin is not None and (q.radius_km is not None or q.sort == "distance"):
        total, ids = _radius_search(conn, sql, q)
    elif sql.rank is not None:
        total, ids = _windowed(conn, sql, q, offset)
    else:
        total = counter.run(conn, "count(*)").scalar()
        ids = _page(conn, sql, q, offset) if total > offset else []
    return SearchResult(total=int(total or 0), cards=_cards(session, ids, q.origin))


# Cards for a page of ids in one statement: every listing column (so
# catalog.cards finds whatever attribute it reads), the seller's and shop's
# names, and the cover photo (the lowest position). Built once; compiled once.
_COVER = (
    select(ListingImage.storage_key)
    .where(ListingImage.listing_id == Listing.id)
    .order_by(ListingImage.position)
    .limit(1)
    .scalar_subquery()
)
_CARD_ROWS = (
    select(
        *Listing.__table__.c,
        User.name.label("seller_name"),
        Shop.name.label("shop_name"),
        _COVER.label("cover_key"),
    )
    .join(User, User.id == Listing.seller_id)
    .outerjoin(Shop, Shop.id == Listing.shop_id)
    .where(Listing.id.in_(bindparam("ids", expanding=True)))
)


def _cards(
    session: Session, ids: list[int], origin: tuple[float, float] | None
) -> list[catalog.Card]:
    """Cards for ``ids`` in that order, with distances from ``origin``."""
    if not ids:
        return []
    by_id = {row.id: row for row in session.connection().execute(_CARD_ROWS, {"ids": ids})}
    ordered = [by_id[i] for i in ids if i in by_id]
    cards = catalog.cards([(row, row.cover_key, row.seller_name, row.shop_name) for row in ordered])
    if origin is None:
        return cards
    out = []
    for card, row in zip(cards, ordered, strict=True):
        km = None
        if row.public_lat is not None and row.public_lon is not None:
            km = geo.distance_km(origin[0], origin[1], row.public_lat, row.public_lon)
        out.append(dataclasses.replace(card, distance_km=km))
    return out


# -- similar items ---------------------------------------------------------------------

SIMILAR_RADIUS_KM = 10.0
SIMILAR_POOL = 400


def similar(session: Session, listing_id: int, *, limit: int = 8) -> list[catalog.Card]:
    """Listings like this one: same category, active, not itself; near and similar in price.

    Candidates priced within half to double this listing's price and within
    10 km are scored by ``|ln(price ratio)| + km / 5`` (lower is better); when
    they are too few, the newest of the category fill the list.

    Args:
        session: a database session.
        listing_id: the listing being viewed.
        limit: how many to return (1..24).

    Returns:
        Up to ``limit`` cards, with distances from the listing when it has a
        position. Empty for an unknown listing or one without a category.
    """
    limit = min(max(1, limit), 24)
    listing = session.get(Listing, listing_id)
    if listing is None or listing.category_id is None:
        return []
    price, _was = purchasable.listing_price(listing)
    origin = (
        (listing.public_lat, listing.public_lon)
        if listing.public_lat is not None and listing.public_lon is not None
        else None
    )
    base = [
        Listing.status == "active",
        Listing.category_id == listing.category_id,
        Listing.id != listing.id,
    ]
    low, high = (price // 2, price * 2) if price > 0 else (0, 2000)
    near = [*base, Listing.price_cents.between(low, high)]
    if origin is not None:
        lat_min, lat_max, lon_min, lon_max = _bounding_box(origin, SIMILAR_RADIUS_KM)
        near += [
            Listing.public_lat.between(lat_min, lat_max),
            Listing.public_lon.between(lon_min, lon_max),
        ]
    pool = session.exec(
        select(Listing.id, Listing.price_cents, Listing.public_lat, Listing.public_lon)
        .where(*near)
        .order_by(Listing.created_at.desc(), Listing.id.desc())
        .limit(SIMILAR_POOL)
    ).all()

    def score(row) -> float:
        ratio = abs(math.log((row[1] + 100) / (price + 100)))
        if origin is None or row[2] is None or row[3] is None:
            return ratio + 2.0
        return ratio + geo.distance_km(origin[0], origin[1], row[2], row[3]) / 5.0

    ids = [row[0] for row in sorted(pool, key=lambda r: (score(r), -r[0]))][:limit]
    if len(ids) < limit:
        more = session.exec(
            select(Listing.id)
            .where(*base, Listing.id.not_in(ids or [0]))
            .order_by(Listing.created_at.desc(), Listing.id.desc())
            .limit(limit - len(ids))
        ).all()
        ids += list(more)
    return _cards(session, ids, origin)


# -- index maintenance -----------------------------------------------------------------


def _has_index(conn: Connection) -> bool:
    if conn.dialect.name == "sqlite":
        found = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'listing_search'"
        ).first()
        return found is not None
    return conn.exec_driver_sql("SELECT to_regclass('listing_search')").scalar() is not None


def ensure_index(conn: Connection) -> None:
    """Create the search table on this connection's database when it is missing.

    Args:
        conn: a connection inside a write transaction.
    """
    if _has_index(conn):
        return
    for ddl in SQLITE_DDL if conn.dialect.name == "sqlite" else POSTGRES_DDL:
        conn.exec_driver_sql(ddl)


def _delete_rows(conn: Connection, ids: list[int]) -> None:
    key = "rowid" if conn.dialect.name == "sqlite" else "listing_id"
    for i in range(0, len(ids), _WRITE_CHUNK):
        chunk = ids[i : i + _WRITE_CHUNK]
        conn.execute(
            text(f"DELETE FROM listing_search WHERE {key} IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"ids": chunk},
        )


def _insert_rows(conn: Connection, rows: Sequence[tuple[int, str, str]]) -> int:
    """Index ``(id, title, description)`` rows, skipping listings that are not searchable."""
    if conn.dialect.name == "sqlite":
        searchable = set()
        for i in range(0, len(rows), _WRITE_CHUNK):
            chunk = [row[0] for row in rows[i : i + _WRITE_CHUNK]]
            searchable.update(
                conn.execute(
                    text(f"SELECT id FROM listings WHERE id IN :ids AND {SEARCHABLE}").bindparams(
                        bindparam("ids", expanding=True)
                    ),
                    {"ids": chunk},
                ).scalars()
            )
        data = [
            (i, index_text(title), index_text(body or ""))
            for i, title, body in rows
            if i in searchable
        ]
        if data:
            conn.exec_driver_sql(
                "INSERT INTO listing_search (rowid, title, body) VALUES (?, ?, ?)", data
            )
        return len(data)
    ids, documents = [], []
    for i, title, body in rows:
        ids.append(i)
        documents.append(tsvector(title, body or ""))
    if not ids:
        return 0
    return conn.exec_driver_sql(
        f"INSERT INTO listing_search (listing_id, document, {_MIRROR_COLUMNS})"
        f" SELECT l.id, d.document::tsvector, {', '.join(f'l.{c}' for c in MIRRORED)}"
        " FROM unnest(%s::integer[], %s::text[]) AS d(id, document)"
        f" JOIN listings AS l ON l.id = d.id WHERE {SEARCHABLE}",
        (ids, documents),
    ).rowcount


def index_rows(conn: Connection, rows: Sequence[tuple[int, str, str]]) -> int:
    """(Re)index listings given as ``(id, title, description)``, in the caller's transaction.

    Listings that are not searchable (see :data:`SEARCHABLE`) lose their
    index row and get none.

    Args:
        conn: a connection inside a write transaction.
        rows: the listings' current text.

    Returns:
        How many rows were indexed.
    """
    ensure_index(conn)
    _delete_rows(conn, [row[0] for row in rows])
    return _insert_rows(conn, rows)


def _listing_text(conn: Connection, where: str, params: dict) -> list[tuple[int, str, str]]:
    """``(id, title, description)`` of the listings matching ``where`` (and its tail)."""
    stmt = text(f"SELECT id, title, description FROM listings WHERE {where}")
    if "ids" in params:
        stmt = stmt.bindparams(bindparam("ids", expanding=True))
    return [tuple(r) for r in conn.execute(stmt, params).all()]


def _sync_ids(conn: Connection, ids: Sequence[int]) -> None:
    """Make the index rows of ``ids`` match the listings table (deleting absent ones)."""
    ensure_index(conn)
    ids = list(dict.fromkeys(ids))
    _delete_rows(conn, ids)
    for i in range(0, len(ids), _WRITE_CHUNK):
        _insert_rows(conn, _listing_text(conn, "id IN :ids", {"ids": ids[i : i + _WRITE_CHUNK]}))


def reindex_listing(session: Session, listing_id: int) -> None:
    """Bring one listing's index entry up to date (removing it when it is not searchable).

    Pending ORM changes are flushed first. Listings written through the ORM
    are reindexed automatically on flush; calling this as well is harmless.

    Args:
        session: a write session; the caller commits.
        listing_id: the listing that changed.
    """
    session.flush()
    _sync_ids(session.connection(), [listing_id])


def rebuild_index(session: Session) -> int:
    """Rebuild the whole search index from the listings table.

    Args:
        session: a write session; the caller commits.

    Returns:
        The number of listings indexed.
    """
    session.flush()
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("DROP TABLE IF EXISTS listing_search")
    else:
        ensure_index(conn)
        conn.exec_driver_sql("DELETE FROM listing_search")
    ensure_index(conn)
    last, total = 0, 0
    while True:
        rows = _listing_text(
            conn, "id > :last ORDER BY id LIMIT :n", {"last": last, "n": _WRITE_CHUNK * 5}
        )
        if not rows:
            break
        total += _insert_rows(conn, rows)
        last = rows[-1][0]
    optimize_index(conn)
    return total


def optimize_index(conn: Connection) -> None:
    """Tidy up after bulk writes: FTS5 ``optimize``; on PostgreSQL fresh planner statistics.

    Args:
        conn: a connection inside a write transaction.
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("INSERT INTO listing_search (listing_search) VALUES ('optimize')")
    else:
        conn.exec_driver_sql("SELECT gin_clean_pending_list('ix_listing_search_document')")
        conn.exec_driver_sql("ANALYZE listings")
        conn.exec_driver_sql("ANALYZE listing_search")


# -- automatic maintenance ---------------------------------------------------------------


def _index_changed(obj: Listing) -> bool:
    """Whether a flushed listing's text or status (so whether it is searchable) changed."""
    attrs = sa_inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in ("title", "description", "status"))


@event.listens_for(OrmSession, "after_flush")
def _reindex_flushed_listings(session: OrmSession, _context) -> None:
    """Keep the index in step with listings written through the ORM."""
    ids = [obj.id for obj in session.new if isinstance(obj, Listing)]
    ids += [obj.id for obj in session.dirty if isinstance(obj, Listing) and _index_changed(obj)]
    ids += [obj.id for obj in session.deleted if isinstance(obj, Listing)]
    ids = [i for i in ids if i is not None]
    if ids:
        _sync_ids(session.connection(), ids)


def _create_with_listings(_table, connection: Connection, **_kw) -> None:
    ensure_index(connection)


def _drop_with_listings(_table, connection: Connection, **_kw) -> None:
    connection.exec_driver_sql("DROP TABLE IF EXISTS listing_search")
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS listing_search_follow ON listings")
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS listing_search_follow()")


event.listen(Listing.__table__, "after_create", _create_with_listings)
event.listen(Listing.__table__, "before_drop", _drop_with_listings)


__all__ = [
    "RADII_KM",
    "SORTS",
    "SearchQuery",
    "SearchResult",
    "clean_query",
    "index_rows",
    "rebuild_index",
    "reindex_listing",
    "search",
    "similar",
]
