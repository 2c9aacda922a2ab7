"""Upload a film from the command line: store it, queue its transcode, optionally wait for it."""

import argparse
import json
import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from catalog.languages import normalized_language
from catalog.models import Category, Video, VideoStatus
from catalog.schemas import VideoRecordOut
from catalog.services import video_create
from catalog.storage import MediaStoreError
from catalog.subtitles import subtitle_create, webvtt_from_upload
from catalog.uploads import MovableFile
from transcoding import TranscodingError, probe

POLL_SECONDS = 1.0
BAR_WIDTH = 30


def category_from_input(text: str) -> str:
    """A category slug from its slug or name, any case: "science-fiction", "Science fiction"."""
    wanted = text.strip().lower()
    for slug, name in Category.choices:
        if wanted in (slug, name.lower()):
            return slug
    raise CommandError(f"Unknown category {text!r}; choose one of: {', '.join(Category.values)}.")


def subtitle_from_input(text: str) -> tuple[str, Path]:
    """(language, path) from "en:film.en.srt"."""
    tag, colon, path = text.partition(":")
    language = normalized_language(tag.strip())
    if not colon or not path:
        raise argparse.ArgumentTypeError(
            f"expected LANGUAGE:FILE such as en:film.en.srt, not {text!r}"
        )
    if language is None:
        raise argparse.ArgumentTypeError(
            f"{tag!r} is not a language tag such as en, pt-BR or zh-Hant"
        )
    return language, Path(path)


def checked_subtitles(subtitles: list[tuple[str, Path]]) -> None:
    """Refuse the whole upload, before anything is stored, if any subtitle file would be."""
    languages = [language for language, _ in subtitles]
    repeated = sorted({language for language in languages if languages.count(language) > 1})
    if repeated:
        raise CommandError(f"Subtitles given twice for: {', '.join(repeated)}.")
    for _, path in subtitles:
        if not path.is_file():
            raise CommandError(f"No such subtitle file: {path}")
        with path.open("rb") as source:
            try:
                webvtt_from_upload(File(source, name=path.name))
            except ValidationError as exc:
                raise CommandError(f"{path}: {' '.join(exc.messages)}") from exc


class Command(BaseCommand):
    help = "Store a video file, create its catalog entry and queue its transcode."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The video file.")
        parser.add_argument("--title", required=True)
        parser.add_argument("--description", default="")
        parser.add_argument("--category", default=Category.DRAMA, help="Slug or name.")
        parser.add_argument("--owner", help="Email of the uploading user.")
        parser.add_argument("--publish", action="store_true", help="Show it once it is ready.")
        parser.add_argument("--move", action="store_true", help="Move the file instead of copying.")
        parser.add_argument("--json", action="store_true", help="Print the video as JSON.")
        parser.add_argument("--wait", action="store_true", help="Wait until the transcode ends.")
        parser.add_argument(
            "--subtitles",
            action="append",
            default=[],
            type=subtitle_from_input,
            metavar="LANGUAGE:FILE",
            help="A subtitle track, SRT or WebVTT, e.g. en:film.en.srt; repeat for more.",
        )

    def handle(self, *args, path: Path, title, description, category, owner, **options):
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        uploader = None
        if owner:
            uploader = User.objects.filter(email=User.objects.normalize_email(owner)).first()
            if uploader is None:
                raise CommandError(f"No user has the email address {owner}.")
        slug = category_from_input(category)
        try:
            probe(path)
        except TranscodingError as exc:
            raise CommandError(f"{path} is not a usable video: {exc.reason}") from exc
        checked_subtitles(options["subtitles"])

        file_class = MovableFile if options["move"] else File
        try:
            # One transaction: the transcode is queued once the tracks are there too.
            with transaction.atomic(), path.open("rb") as source:
                video = video_create(
                    title=title,
                    description=description,
                    category=slug,
                    original=file_class(source, name=path.name),
                    uploaded_by=uploader,
                    publish=options["publish"],
                )
                for language, subtitle_path in options["subtitles"]:
                    with subtitle_path.open("rb") as subtitle:
                        subtitle_create(
                            video=video,
                            language=language,
                            file=File(subtitle, name=subtitle_path.name),
                        )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        except MediaStoreError as exc:
            raise CommandError(f"{exc} Nothing was stored; try again shortly.") from exc
        if options["move"]:
            # Local storage moved the file into MEDIA_ROOT; a bucket took a copy, which is
            # stored and committed by now, so the local file goes only at this point.
            path.unlink(missing_ok=True)
        if not options["json"]:
            self.stdout.write(
                f"Video {video.pk} ({video.title!r}) stored and queued for transcoding."
            )

        if options["wait"]:
            video = self._wait(video)
        else:
            video.refresh_from_db()
        if options["json"]:
            self.stdout.write(json.dumps(VideoRecordOut.from_orm(video).model_dump(mode="json")))
        elif options["wait"] and video.status == VideoStatus.READY:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Video {video.pk} is ready: {', '.join(video.renditions)}, "
                    f"{video.duration:.1f} s."
                )
            )
        if video.status == VideoStatus.FAILED:
            raise CommandError(f"Transcoding video {video.pk} failed: {video.error}")

    def _wait(self, video: Video) -> Video:
        """Poll until the job ends: a progress bar on a terminal, status changes otherwise."""
        bar = self.stderr.isatty()
        last_seen = None
        while True:
            video.refresh_from_db()
            if bar:
                filled = BAR_WIDTH * video.progress // 100
                self.stderr.write(
                    f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {video.progress:3d}% "
                    f"{video.get_status_display():<10}",
                    ending="",
                )
            elif video.status != last_seen:
                self.stderr.write(f"Video {video.pk}: {video.get_status_display().lower()}")
            last_seen = video.status
            if video.status in (VideoStatus.READY, VideoStatus.FAILED):
                if bar:
                    self.stderr.write("")
                return video
            time.sleep(POLL_SECONDS)
