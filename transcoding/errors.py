"""Typed failures: one human sentence, ffmpeg's last words, and whether a retry can help."""


class TranscodingError(Exception):
    """Base of every failure the library raises.

    `reason` is one sentence fit for a status page, `stderr_tail` the last lines ffmpeg or
    ffprobe printed, `permanent` tells a job queue whether retrying the same input can help.
    """

    permanent = False
    default_reason = "Transcoding failed."

    def __init__(self, reason: str | None = None, *, stderr_tail: str = "") -> None:
        self.reason = reason or self.default_reason
        self.stderr_tail = stderr_tail
        super().__init__(self.reason)


class SourceMissingError(TranscodingError):
    permanent = True
    default_reason = "The source file does not exist."


class NotMediaError(TranscodingError):
    permanent = True
    default_reason = "The source file is not a readable audio or video file."


class NoVideoStreamError(TranscodingError):
    permanent = True
    default_reason = "The source file has no video stream."


class ZeroDurationError(TranscodingError):
    permanent = True
    default_reason = "The source video has no duration."


class CorruptSourceError(TranscodingError):
    permanent = True
    default_reason = "The source video is damaged and cannot be decoded."


class OutputExistsError(TranscodingError):
    permanent = True
    default_reason = "The output folder already exists."


class EncodeFailedError(TranscodingError):
    default_reason = "ffmpeg failed while encoding."


class TranscodeCancelledError(TranscodingError):
    default_reason = "Transcoding was cancelled."


class TranscodeTimeoutError(TranscodingError):
    default_reason = "Transcoding took too long and was stopped."


class ValidationError(TranscodingError):
    """The encoder finished but its output breaks a promise of the ladder (alignment, duration)."""

    default_reason = "The encoded output failed validation."
