"""Just enough MPEG-TS and H.264 parsing to see how a segment's first video frame begins."""

from dataclasses import dataclass
from pathlib import Path

PACKET_SIZE = 188
SYNC_BYTE = 0x47
PAT_PID = 0
H264_STREAM_TYPE = 0x1B
NAL_IDR_SLICE = 5
NAL_NON_IDR_SLICE = 1
NAL_SPS = 7
# The first access unit (delimiter, parameter sets, SEI, slice header) fits well inside this.
MAX_HEADER_BYTES = 64 * 1024
# A segment starts with its tables and the first video packet; no need to read megabytes.
READ_BYTES = 1024 * 1024


@dataclass(frozen=True)
class FirstFrame:
    keyframe: bool  # the first slice is an IDR slice: decoding can start here
    profile_idc: int | None  # from the sequence parameter set, when the segment carries one
    constraint_flags: int | None
    level_idc: int | None

    @property
    def avc_codec(self) -> str | None:
        """The RFC 6381 codec string, e.g. avc1.64001f."""
        if self.profile_idc is None:
            return None
        return f"avc1.{self.profile_idc:02x}{self.constraint_flags:02x}{self.level_idc:02x}"


def first_video_frame(path: Path) -> FirstFrame | None:
    """Inspect the first H.264 access unit of a transport stream file; None if there is none."""
    with Path(path).open("rb") as segment:
        data = segment.read(READ_BYTES)
    payload = _first_video_pes(data)
    if payload is None:
        return None
    return _first_frame(_elementary_stream(payload))


@dataclass(frozen=True)
class VideoFrame:
    """Where one video access unit (PES packet) starts in a transport stream file."""

    offset: int  # of the TS packet that starts it
    pts: int | None  # 90 kHz clock
    keyframe: bool


def video_frames(path: Path) -> list[VideoFrame]:
    """Every video access unit of a whole transport stream file, in file order."""
    frames = []
    for offset, pes in _video_pes(Path(path).read_bytes()):
        first = _first_frame(_elementary_stream(pes))
        frames.append(VideoFrame(offset, _pts(pes), first is not None and first.keyframe))
    return frames


def _pts(pes: bytes) -> int | None:
    if len(pes) < 14 or pes[:3] != b"\x00\x00\x01" or not pes[7] & 0x80:
        return None
    return (
        ((pes[9] >> 1) & 0x07) << 30
        | pes[10] << 22
        | (pes[11] >> 1) << 15
        | pes[12] << 7
        | pes[13] >> 1
    )


def _packet(data: bytes, offset: int) -> tuple[int, bool, bytes] | None:
    """(pid, payload_unit_start, payload) of the packet at `offset`, None if malformed."""
    packet = data[offset : offset + PACKET_SIZE]
    if len(packet) < PACKET_SIZE or packet[0] != SYNC_BYTE:
        return None
    adaptation = (packet[3] >> 4) & 0x3
    start = 4
    if adaptation & 0x2:
        start += 1 + packet[4]
    if not adaptation & 0x1 or start >= PACKET_SIZE:
        return None
    return ((packet[1] & 0x1F) << 8) | packet[2], bool(packet[1] & 0x40), packet[start:]


def _section(payload: bytes) -> bytes:
    """A PSI section without its pointer field, cut to its declared length."""
    section = payload[1 + payload[0] :]
    length = ((section[1] & 0x0F) << 8) | section[2]
    return section[: 3 + length]


def _first_video_pes(data: bytes) -> bytes | None:
    return next((pes for _, pes in _video_pes(data)), None)


def _video_pid(data: bytes) -> int | None:
    """The H.264 stream's PID, from the first PAT and PMT (at a segment's very start)."""
    pmt_pid = None
    for offset in range(0, len(data) - PACKET_SIZE + 1, PACKET_SIZE):
        packet = _packet(data, offset)
        if packet is None or not packet[1]:
            continue
        pid, _, payload = packet
        if pid == PAT_PID and pmt_pid is None:
            pmt_pid = _pmt_pid(_section(payload))
        elif pid == pmt_pid:
            return _h264_pid(_section(payload))
    return None


# Byte 1 of a packet holds TEI, payload_unit_start, priority and the PID's top 5 bits;
# this keeps payload_unit_start and the PID bits.
_UNIT_START_AND_PID_HIGH = bytes(byte & 0x5F for byte in range(256))


def _video_pes(data: bytes):
    """(offset of its first packet, its head) for each H.264 PES packet.

    Access units are found without visiting every packet in Python: the packets' PID bytes
    are sliced out with a stride and searched in C, so only the packets that start a PES
    packet (one per frame, of hundreds) are parsed. The head runs to the first slice
    header or MAX_HEADER_BYTES, whichever comes first: all `_first_frame` and `_pts` read.
    """
    video_pid = _video_pid(data)
    if video_pid is None:
        return
    end = len(data) - len(data) % PACKET_SIZE
    starts = data[1:end:PACKET_SIZE].translate(_UNIT_START_AND_PID_HIGH)
    pid_lows = data[2:end:PACKET_SIZE]
    marker = 0x40 | (video_pid >> 8)
    index = starts.find(marker)
    while index != -1:
        offset = index * PACKET_SIZE
        if pid_lows[index] == video_pid & 0xFF and data[offset] == SYNC_BYTE:
            head = _pes_head(data, offset, video_pid, end)
            if head is not None:
                yield offset, head
        index = starts.find(marker, index + 1)


def _pes_head(data: bytes, offset: int, pid: int, end: int) -> bytes | None:
    """The PES packet starting at `offset`, up to its first slice header (or MAX_HEADER_BYTES)."""
    collected = bytearray()
    enough = 1024  # bytes collected before looking for the slice (most headers fit in 1 KB)
    while offset < end and len(collected) < MAX_HEADER_BYTES:
        packet = _packet(data, offset)
        offset += PACKET_SIZE
        if packet is None or packet[0] != pid:
            continue
        if packet[1] and collected:
            break  # the next PES packet begins
        collected += packet[2]
        if len(collected) >= enough:
            if _first_frame(_elementary_stream(bytes(collected))) is not None:
                break
            enough *= 2
    return bytes(collected[:MAX_HEADER_BYTES]) if collected else None


def _pmt_pid(section: bytes) -> int | None:
    entries = section[8:-4]  # after the header, before the CRC
    for offset in range(0, len(entries) - 3, 4):
        program = (entries[offset] << 8) | entries[offset + 1]
        if program != 0:
            return ((entries[offset + 2] & 0x1F) << 8) | entries[offset + 3]
    return None


def _h264_pid(section: bytes) -> int | None:
    program_info_length = ((section[10] & 0x0F) << 8) | section[11]
    offset = 12 + program_info_length
    end = len(section) - 4
    while offset + 5 <= end:
        stream_type = section[offset]
        pid = ((section[offset + 1] & 0x1F) << 8) | section[offset + 2]
        if stream_type == H264_STREAM_TYPE:
            return pid
        offset += 5 + (((section[offset + 3] & 0x0F) << 8) | section[offset + 4])
    return None


def _elementary_stream(pes: bytes) -> bytes:
    if pes[:3] != b"\x00\x00\x01":
        return b""
    return pes[9 + pes[8] :]


def _first_frame(stream: bytes) -> FirstFrame | None:
    sps = None
    position = stream.find(b"\x00\x00\x01")
    while position != -1 and position + 3 < len(stream):
        header = position + 3
        nal_type = stream[header] & 0x1F
        if nal_type == NAL_SPS and sps is None:
            sps = stream[header + 1 : header + 4]
        if nal_type in (NAL_IDR_SLICE, NAL_NON_IDR_SLICE):
            profile, constraints, level = sps if sps and len(sps) == 3 else (None, None, None)
            return FirstFrame(nal_type == NAL_IDR_SLICE, profile, constraints, level)
        position = stream.find(b"\x00\x00\x01", header)
    return None
