"""The catalog router: what viewers may watch, and the staff's job controls."""

from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from ninja.errors import HttpError

from accounts.auth import jwt_auth
from catalog import search, selectors, services, watch_progress
from catalog.models import Video
from catalog.schemas import (
    CategoryOut,
    ContinueWatchingOut,
    TranscodeAcceptedOut,
    VideoDetailOut,
    VideoListOut,
    VideoStatusOut,
    WatchProgressIn,
    WatchProgressOut,
)
from catalog.streaminfo import stream_for_viewer
from videoflix.errors import ErrorOut

router = Router(tags=["catalog"])

NOT_FOUND = "Video not found."
STAFF_ONLY = "Only staff members may do this."


@router.get(
    "/video/",
    response={200: list[VideoListOut], 400: ErrorOut, 401: ErrorOut},
    auth=jwt_auth,
    url_name="video_list",
)
def video_list(
    request: HttpRequest,
    response: HttpResponse,
    ready_only: str | None = None,
    order: str | None = None,
    q: str | None = Query(
        None,
        max_length=200,
        description='Search title and description: words, "a phrase", -not, or.',
    ),
    category: str | None = Query(
        None, max_length=64, description="A category's slug or name (GET /api/categories/)."
    ),
    limit: int | None = Query(
        None, ge=1, le=search.PAGE_SIZE_MAX, description="Page size: page with `cursor`."
    ),
    cursor: str | None = Query(
        None, max_length=200, description='From the `Link: <...>; rel="next"` header.'
    ),
):
    """Ready and published videos, newest first.

    Without parameters, the whole list. `q` and `category` narrow it; `limit` (1-100) pages
    it: the body stays a bare list, `X-Total-Count` says how many films match and
    `Link: <url>; rel="next"` gives the next page's URL while there is one. An unknown
    category, a cursor this API did not give out or a limit out of range answer 400.
    `ready_only` and `order` are accepted for older front ends; the list is the same with them.
    """
    if q is None and category is None and limit is None and cursor is None:
        return selectors.video_list_streamable()
    try:
        page = search.video_page(q=q, category=category, limit=limit, cursor=cursor)
    except search.CatalogQueryError as exc:
        raise HttpError(400, str(exc)) from None
    response["X-Total-Count"] = str(page.total)
    if page.next_cursor is not None:
        following = request.GET.copy()
        following["cursor"] = page.next_cursor
        following["limit"] = str(limit or search.PAGE_SIZE_DEFAULT)
        url = request.build_absolute_uri(f"{request.path}?{following.urlencode()}")
        response["Link"] = f'<{url}>; rel="next"'
    return page.videos


@router.get(
    "/categories/",
    response={200: list[CategoryOut], 401: ErrorOut},
    auth=jwt_auth,
    url_name="category_list",
)
def category_list(request: HttpRequest):
    """The categories that hold streamable films, each with how many (filter the list with
    `?category=<slug>`)."""
    return [
        {"slug": slug, "name": name, "count": count}
        for slug, name, count in search.category_counts()
    ]


@router.get(
    "/video/{video_id}/",
    response={200: VideoDetailOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut},
    auth=jwt_auth,
    url_name="video_detail",
)
def video_detail(request: HttpRequest, video_id: int):
    """One ready and published video with its renditions and master playlist (staff: any)."""
    video = selectors.video_get_visible(video_id=video_id, staff=request.auth.is_staff)
    if video is None:
        raise HttpError(404, NOT_FOUND)
    video.position_seconds = watch_progress.watch_position_get(user=request.auth, video_id=video.pk)
    return video


def _staff_video(request: HttpRequest, video_id: int) -> Video:
    if not request.auth.is_staff:
        raise HttpError(403, STAFF_ONLY)
    video = selectors.video_get_visible(video_id=video_id, staff=True)
    if video is None:
        raise HttpError(404, NOT_FOUND)
    return video


@router.get(
    "/video/{video_id}/status/",
    response={200: VideoStatusOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=jwt_auth,
    url_name="video_status",
)
def video_status(request: HttpRequest, video_id: int):
    """Staff only: the transcode job's status, progress (0-100), error and timings."""
    return _staff_video(request, video_id)


@router.post(
    "/video/{video_id}/transcode/",
    response={
        202: TranscodeAcceptedOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
    },
    auth=jwt_auth,
    url_name="video_transcode",
)
def video_transcode(request: HttpRequest, video_id: int):
    """Staff only: transcode again; the current output keeps playing until the new one is done."""
    video = _staff_video(request, video_id)
    try:
        services.video_retranscode(video=video)
    except services.VideoBusyError as exc:
        raise HttpError(409, str(exc)) from exc
    return Status(202, {"detail": "Transcode accepted", "video_id": video.pk})


@router.put(
    "/video/{video_id}/progress/",
    response={
        200: WatchProgressOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        415: ErrorOut,
    },
    auth=jwt_auth,
    url_name="video_progress",
)
def video_progress(request: HttpRequest, video_id: int, payload: WatchProgressIn):
    """Report the viewer's position in a film they may watch; players send it every few
    seconds and the last report wins. Past the end counts as the end; from 95 % on the film
    is finished and leaves continue watching."""
    info = stream_for_viewer(video_id=video_id, user=request.auth)
    if info is None:
        raise HttpError(404, NOT_FOUND)
    try:
        progress = watch_progress.watch_progress_record(
            user=request.auth, info=info, position_seconds=payload.position_seconds
        )
    except IntegrityError:  # the film was deleted since its stream facts were cached
        raise HttpError(404, NOT_FOUND) from None
    return progress


@router.get(
    "/continue-watching/",
    response={200: list[ContinueWatchingOut], 401: ErrorOut},
    auth=jwt_auth,
    url_name="continue_watching",
)
def continue_watching(request: HttpRequest):
    """The viewer's unfinished films (still streamable), most recently watched first."""
    return watch_progress.continue_watching_list(user=request.auth)
