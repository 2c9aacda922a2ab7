"""catalog.outputs: versioned output folders behind one symlink, swapped with a single rename."""

import os

from catalog import outputs
from tests.catalog.conftest import leftover_work_dir


def built_output(video_id: int, marker: str):
    """A finished output as the transcoding library leaves it in a work folder."""
    folder = leftover_work_dir(video_id) / "output"
    (folder / "240p").mkdir(parents=True)
    (folder / "master.m3u8").write_text(marker)
    (folder / "240p" / "segment000.ts").write_bytes(b"\x47" * 188)
    return folder


def test_the_first_output_becomes_live_behind_a_relative_link():
    outputs.swap_in(7, built_output(7, "first"))

    link = outputs.live_dir(7)
    assert link.is_symlink()
    assert not os.path.isabs(os.readlink(link))
    assert (link / "master.m3u8").read_text() == "first"
    assert link.resolve().parent == outputs.hls_root()


def test_a_new_output_replaces_the_old_one_and_the_old_one_is_removed():
    outputs.swap_in(7, built_output(7, "first"))
    first = outputs.live_dir(7).resolve()
    with (first / "240p" / "segment000.ts").open("rb") as playing:
        outputs.swap_in(7, built_output(7, "second"))
        assert len(playing.read()) == 188  # a response already sending keeps its bytes

    assert (outputs.live_dir(7) / "master.m3u8").read_text() == "second"
    assert not first.exists()


def test_a_plain_folder_in_place_is_replaced_too():
    plain = outputs.live_dir(7)
    plain.mkdir(parents=True)
    (plain / "master.m3u8").write_text("from elsewhere")

    outputs.swap_in(7, built_output(7, "ours"))

    assert outputs.live_dir(7).is_symlink()
    assert (outputs.live_dir(7) / "master.m3u8").read_text() == "ours"
    entries = sorted(p.name for p in outputs.hls_root().iterdir() if not p.name.startswith("."))
    assert entries == ["7", outputs.live_dir(7).resolve().name]  # the old folder is gone


def test_remove_all_touches_only_that_video():
    outputs.swap_in(1, built_output(1, "one"))
    outputs.swap_in(12, built_output(12, "twelve"))
    leftover_work_dir(1)
    leftover_work_dir(12)

    outputs.remove_all(1)

    names = sorted(p.name for p in outputs.hls_root().iterdir())
    assert [name for name in names if name.startswith("1") and not name.startswith("12")] == []
    assert (outputs.live_dir(12) / "master.m3u8").read_text() == "twelve"
    work = [p.name for p in (outputs.hls_root() / outputs.WORK_FOLDER).iterdir()]
    assert work
    assert all(name.startswith("12-") for name in work)


def test_output_sizes_per_rung():
    outputs.swap_in(3, built_output(3, "sized"))
    assert outputs.output_sizes(3) == {"240p": 188, "playlist and thumbnail": len("sized")}
    assert outputs.output_sizes(4) == {}
