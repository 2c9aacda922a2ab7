"""Catalog search, categories and paging: GET /api/video/?q=&category=&limit=&cursor= and
GET /api/categories/ (catalog.search)."""

import base64
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Category, Video, VideoStatus
from catalog.search import video_page, video_search

TRUSTED_ORIGIN = "http://127.0.0.1:5500"  # a default CORS_ALLOWED_ORIGINS entry


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()]


def next_link(response) -> str | None:
    """The path and query of the `Link: <url>; rel="next"` header, if any."""
    header = response.headers.get("Link")
    if header is None:
        return None
    url, _, rel = header.partition(">; ")
    assert rel == 'rel="next"'
    parts = urlsplit(url.removeprefix("<"))
    assert (parts.scheme, parts.netloc) == ("http", "testserver")
    return f"{parts.path}?{parts.query}"


@pytest.fixture
def films(make_row):
    """Five streamable films, one a day, newest last made; and three nobody may list."""
    now = timezone.now()
    made = [
        make_row(title="Ocean voyage", description="Sailors cross the sea.", category="adventure"),
        make_row(title="Desert storm", description="Sand everywhere.", category="war"),
        make_row(title="Harbour lights", description="A storm hits the harbour.", category="drama"),
        make_row(title="The quiet sea", description="Nothing happens.", category="drama"),
        make_row(title="Mountain", description="Climbers and a storm.", category="adventure"),
    ]
    for age, video in enumerate(reversed(made)):
        Video.objects.filter(pk=video.pk).update(created_at=now - timedelta(days=age))
    make_row(title="Storm unpublished", category="drama", is_published=False)
    make_row(title="Storm pending", category="drama", status=VideoStatus.PENDING)
    make_row(title="Storm failed", category="war", status=VideoStatus.FAILED)
    return made


def test_the_plain_list_is_unchanged_and_carries_no_paging_headers(auth_client, films):
    response = auth_client.get("/api/video/")

    assert ids(response) == [video.pk for video in reversed(films)]
    assert "X-Total-Count" not in response.headers
    assert "Link" not in response.headers
    assert auth_client.get("/api/video/?ready_only=true").content == response.content


def test_search_finds_words_in_title_and_description(auth_client, films):
    ocean, desert, harbour, quiet, mountain = films

    response = auth_client.get("/api/video/?q=storm")

    assert ids(response) == [mountain.pk, harbour.pk, desert.pk]  # newest first, streamable only
    assert response.headers["X-Total-Count"] == "3"
    assert ids(auth_client.get("/api/video/?q=SEA")) == [quiet.pk, ocean.pk]
    assert ids(auth_client.get("/api/video/?q=storm harbour")) == [harbour.pk]  # every word
    assert ids(auth_client.get("/api/video/?q=submarine")) == []
    assert ids(auth_client.get("/api/video/?q=%20%20")) == ids(auth_client.get("/api/video/"))


def test_search_within_a_category_by_slug_or_name(auth_client, films):
    ocean, _, harbour, _, mountain = films

    assert ids(auth_client.get("/api/video/?category=adventure")) == [mountain.pk, ocean.pk]
    assert ids(auth_client.get("/api/video/?category=Adventure")) == [mountain.pk, ocean.pk]
    assert ids(auth_client.get("/api/video/?category=drama&q=storm")) == [harbour.pk]
    assert ids(auth_client.get("/api/video/?category=horror")) == []
    response = auth_client.get("/api/video/?category=Science%20fiction")
    assert response.status_code == 200


@pytest.mark.parametrize("category", ["romcom", "", "science_fiction", "drama%00"])
def test_an_unknown_category_is_a_400_with_a_message(auth_client, films, category):
    response = auth_client.get(f"/api/video/?category={category}")
    assert response.status_code == 400
    assert "GET /api/categories/" in response.json()["detail"]


def test_paging_walks_the_list_newest_first_with_total_and_next_link(auth_client, films):
    response = auth_client.get("/api/video/?limit=2")
    pages = [ids(response)]
    totals = [response.headers["X-Total-Count"]]
    while (link := next_link(response)) is not None:
        response = auth_client.get(link)
        pages.append(ids(response))
        totals.append(response.headers["X-Total-Count"])

    newest_first = [video.pk for video in reversed(films)]
    assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:]]
    assert totals == ["5", "5", "5"]


def test_the_next_link_keeps_the_search(auth_client, films):
    _, desert, harbour, _, mountain = films

    first = auth_client.get("/api/video/?q=storm&limit=2")
    assert ids(first) == [mountain.pk, harbour.pk]
    link = next_link(first)
    assert "q=storm" in link

    second = auth_client.get(link)
    assert ids(second) == [desert.pk]
    assert second.headers["X-Total-Count"] == "3"
    assert next_link(second) is None


def test_films_made_in_the_same_instant_are_paged_by_id_without_gaps(auth_client, make_row):
    made = [make_row() for _ in range(7)]
    Video.objects.update(created_at=timezone.now())

    seen, link = [], "/api/video/?limit=3"
    while link is not None:
        response = auth_client.get(link)
        seen += ids(response)
        link = next_link(response)

    assert seen == sorted((video.pk for video in made), reverse=True)


def test_a_page_is_not_shifted_by_a_film_published_meanwhile(auth_client, films, make_row):
    first = auth_client.get("/api/video/?limit=2")
    make_row(title="Brand new")  # newest of all: belongs before page one, not in page two

    second = auth_client.get(next_link(first))

    assert ids(second) == [films[2].pk, films[1].pk]


def test_a_cursor_without_a_limit_pages_by_twenty(auth_client, make_row):
    for _ in range(23):
        make_row()
    first = auth_client.get("/api/video/?limit=1")
    cursor = next_link(first).split("cursor=")[1].split("&")[0]

    response = auth_client.get(f"/api/video/?cursor={cursor}")

    assert len(ids(response)) == 20
    assert "limit=20" in next_link(response)


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "query",
    [
        "cursor=not-a-cursor",
        "cursor=%00",
        "cursor=" + _cursor("2026-12-01T10:00:00+00:00"),  # no id
        "cursor=" + _cursor("2026-12-01T10:00:00|5"),  # no time zone
        "cursor=" + _cursor("yesterday|5"),
        "cursor=" + _cursor("2026-12-01T10:00:00+00:00|0"),
        "cursor=" + _cursor(f"2026-12-01T10:00:00+00:00|{2**63}"),
        "cursor=" + _cursor("2026-12-01T10:00:00+00:00|five"),
        "cursor=" + base64.urlsafe_b64encode(b"\xff\xfe|1").decode(),
        "limit=0",
        "limit=101",
        "limit=-3",
        "limit=ten",
        "q=" + "a" * 201,
        "q=storm%00",
    ],
)
def test_a_bad_cursor_limit_or_search_is_a_400_with_a_message(auth_client, films, query):
    response = auth_client.get(f"/api/video/?{query}")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_a_page_costs_two_queries_at_any_depth_and_size(
    auth_client, make_row, django_assert_num_queries
):
    for _ in range(5):
        make_row(description="storm")
    auth_client.get("/api/video/")  # caches the token's user, as any earlier request does
    with django_assert_num_queries(2):  # the total, then the page
        first = auth_client.get("/api/video/?limit=2&q=storm")
    with django_assert_num_queries(2):
        auth_client.get(next_link(first))
    for _ in range(30):
        make_row(description="storm", category=Category.HORROR)
    with django_assert_num_queries(2):
        assert len(ids(auth_client.get("/api/video/?limit=20&q=storm&category=horror"))) == 20
    with django_assert_num_queries(1):  # a search without paging: the list alone
        assert len(ids(auth_client.get("/api/video/?q=storm"))) == 35


def test_cross_origin_front_ends_may_read_the_paging_headers(auth_client, films):
    response = auth_client.get("/api/video/?limit=2", HTTP_ORIGIN=TRUSTED_ORIGIN)
    exposed = {name.strip() for name in response["Access-Control-Expose-Headers"].split(",")}
    assert {"Link", "X-Total-Count"} <= exposed


def test_categories_list_those_with_streamable_films_with_counts(client, auth_client, films):
    assert client.get("/api/categories/").status_code == 401

    response = auth_client.get("/api/categories/")

    assert response.status_code == 200
    assert response.json() == [  # in the categories' own order; unlisted films not counted
        {"slug": "adventure", "name": "Adventure", "count": 2},
        {"slug": "drama", "name": "Drama", "count": 2},
        {"slug": "war", "name": "War", "count": 1},
    ]


def test_the_categories_cost_one_query(auth_client, films, django_assert_num_queries):
    auth_client.get("/api/categories/")
    with django_assert_num_queries(1):
        auth_client.get("/api/categories/")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text index: PostgreSQL only")
def test_postgresql_searches_through_the_gin_index(films):
    with connection.cursor() as cursor:
        # A handful of rows: the planner would rather read them all than any index, and
        # rather all streamable entries of the small partial index than the text index (on
        # 100,000 films it is the other way round). What is checked here is that the search's
        # expression is the one the GIN index holds; the drop is undone with the test.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("DROP INDEX catalog_video_streamable")
    assert "catalog_video_search" in video_search(q="storm").explain()


def test_the_openapi_schema_declares_the_new_parameters_and_routes(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    listed = {parameter["name"] for parameter in paths["/api/video/"]["get"]["parameters"]}
    assert {"q", "category", "limit", "cursor"} <= listed
    assert set(paths["/api/categories/"]["get"]["responses"]) == {"200", "401"}
    assert set(paths["/api/continue-watching/"]["get"]["responses"]) == {"200", "401"}
    assert set(paths["/api/video/{video_id}/progress/"]["put"]["responses"]) == {
        "200", "400", "401", "403", "404", "415",
    }  # fmt: skip


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans: PostgreSQL only")
def test_postgresql_reads_a_page_and_its_total_off_the_streamable_index(films):
    with connection.cursor() as cursor:
        # A handful of rows: the planner would rather read them all than any index.
        cursor.execute("SET LOCAL enable_seqscan = off")
        with CaptureQueriesContext(connection) as queries:
            video_page(q=None, category=None, limit=2, cursor=None)
        assert len(queries) == 2  # the total, then the page
        for query in queries:
            cursor.execute("EXPLAIN " + query["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "catalog_video_streamable" in plan, plan
