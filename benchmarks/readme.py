"""Writing a benchmark's results into benchmarks/README.md between its own markers."""

import re
from pathlib import Path

README = Path(__file__).resolve().parent / "README.md"


def write_section(begin: str, end: str, section: str, *, heading: str = "") -> None:
    """Replace what stands between the markers `begin` and `end`, or append them with it
    (under `heading`, a Markdown heading line, when given)."""
    text = README.read_text() if README.exists() else "# Benchmarks\n"
    block = f"{begin}\n{section}\n{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = (
            f"{text.rstrip()}\n\n{heading}\n\n{block}\n"
            if heading
            else f"{text.rstrip()}\n\n{block}\n"
        )
    README.write_text(text)
