"""Standalone ffmpeg HLS library: probe, plan a ladder, encode in one decode, validate.

Imports nothing from Django or the Videoflix apps; it drives ffmpeg and ffprobe found on PATH.
"""

from transcoding.errors import (
    CorruptSourceError,
    EncodeFailedError,
    NotMediaError,
    NoVideoStreamError,
    OutputExistsError,
    SourceMissingError,
    TranscodeCancelledError,
    TranscodeTimeoutError,
    TranscodingError,
    ValidationError,
    ZeroDurationError,
)
from transcoding.hls import RenditionOutput
from transcoding.iframes import IFrameOutput
from transcoding.ladder import DEFAULT_LADDER, STANDARD_RENDITIONS, Ladder, Plan, Rendition, plan
from transcoding.loudness import Loudness
from transcoding.pipeline import TranscodeResult, transcode
from transcoding.probe import AudioStream, SourceInfo, VideoStream, probe
from transcoding.runner import Progress

__all__ = [
    "DEFAULT_LADDER",
    "STANDARD_RENDITIONS",
    "AudioStream",
    "CorruptSourceError",
    "EncodeFailedError",
    "IFrameOutput",
    "Ladder",
    "Loudness",
    "NoVideoStreamError",
    "NotMediaError",
    "OutputExistsError",
    "Plan",
    "Progress",
    "Rendition",
    "RenditionOutput",
    "SourceInfo",
    "SourceMissingError",
    "TranscodeCancelledError",
    "TranscodeResult",
    "TranscodeTimeoutError",
    "TranscodingError",
    "ValidationError",
    "VideoStream",
    "ZeroDurationError",
    "plan",
    "probe",
    "transcode",
]
