"""The app with another FileResponse block size, for `segment_delivery.py --block-sizes`."""

import os

from streaming.responses import BlockFileResponse
from videoflix.wsgi import application

BlockFileResponse.block_size = int(os.environ["BENCH_BLOCK_SIZE"])

__all__ = ["application"]
