"""Language tags of subtitle tracks: a strict subset of BCP 47, written the canonical way.

`language[-Script][-REGION]`: two or three letters, an optional four-letter script and an
optional two-letter or three-digit region ("en", "pt-BR", "zh-Hant", "es-419"). Tags are
case-insensitive; the canonical case is what is stored, so "pt-br" and "pt-BR" are the same
track, and the tag goes into URLs and playlists as it is.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import get_language_info

LANGUAGE_PATTERN = re.compile(
    r"(?P<language>[a-z]{2,3})(?:-(?P<script>[a-z]{4}))?(?:-(?P<region>[a-z]{2}|[0-9]{3}))?",
    re.ASCII | re.IGNORECASE,
)
MAX_LANGUAGE_LENGTH = 16


def normalized_language(tag: str) -> str | None:
    """The canonical form of `tag` ("PT-br" -> "pt-BR"), or None if it is not one we take."""
    match = LANGUAGE_PATTERN.fullmatch(tag)
    if match is None:
        return None
    parts = [match["language"].lower()]
    if match["script"]:
        parts.append(match["script"].title())
    if match["region"]:
        parts.append(match["region"].upper())
    return "-".join(parts)


def _not_a_language(tag: str) -> ValidationError:
    return ValidationError(
        f"{tag[:40]!r} is not a language tag such as en, pt-BR or zh-Hant.", code="invalid"
    )


def validate_language(tag: str) -> None:
    """The model field's check: a tag as stored, in canonical form."""
    if normalized_language(tag) != tag:
        raise _not_a_language(tag)


def clean_language(tag: str) -> str:
    """`tag` as staff typed it, in canonical form; raises ValidationError for anything else."""
    language = normalized_language(tag.strip())
    if language is None:
        raise _not_a_language(tag)
    return language


def language_name(tag: str) -> str:
    """What players list a track as by default: the language's own name ("Deutsch",
    "Português Brasileiro"), or the tag itself for a language Django does not know."""
    try:
        return get_language_info(tag.lower())["name_local"]
    except KeyError:
        return tag
