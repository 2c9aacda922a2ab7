"""The pure ffmpeg argv: one decode, one branch per rung, aligned keyframes, HLS per rung."""

from fractions import Fraction
from pathlib import Path

from transcoding import DEFAULT_LADDER
from transcoding.command import build_transcode_argv, filter_graph
from transcoding.ladder import Plan, plan_renditions
from transcoding.probe import AudioStream
from transcoding.storyboard import plan_storyboard

STEREO = AudioStream(index=1, codec="aac", channels=2, sample_rate=48000, default=True, language="")


def full_hd_plan(**overrides) -> Plan:
    fields = {
        "renditions": plan_renditions(1920, 1080, DEFAULT_LADDER),
        "frame_rate": Fraction(25),
        "resample_frame_rate": False,
        "deinterlace": False,
        "audio": STEREO,
    }
    return Plan(**{**fields, **overrides})


def argv_for(plan: Plan, ladder=DEFAULT_LADDER) -> list[str]:
    return build_transcode_argv(Path("/in/film.mov"), 0, plan, ladder, Path("/out/work"))


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_source_is_decoded_once_and_split_per_rung():
    argv = argv_for(full_hd_plan())

    assert argv.count("-i") == 1
    assert option(argv, "-i") == "/in/film.mov"
    graph = option(argv, "-filter_complex")
    assert graph.startswith("[0:0]split=3[s0][s1][s2];")
    assert "[s0]scale=854:480:flags=bicubic,format=yuv420p,setsar=1[v0]" in graph
    assert "[s2]scale=1920:1080:flags=bicubic,format=yuv420p,setsar=1[v2]" in graph


def test_every_rung_is_a_variant_with_its_own_audio():
    argv = argv_for(full_hd_plan())

    assert option(argv, "-var_stream_map") == (
        "v:0,a:0,name:480p v:1,a:1,name:720p v:2,a:2,name:1080p"
    )
    maps = [argv[i + 1] for i, arg in enumerate(argv) if arg == "-map"]
    assert maps == ["[v0]", "0:1", "[v1]", "0:1", "[v2]", "0:1"]
    assert option(argv, "-c:a") == "aac"
    assert "-ac" not in argv


def test_keyframes_on_a_time_grid_without_scene_cuts():
    argv = argv_for(full_hd_plan())

    assert option(argv, "-force_key_frames") == "expr:gte(t,n_forced*2)"
    assert option(argv, "-sc_threshold") == "0"
    # x264's own GOP limit stays beyond the grid so it never adds unaligned keyframes.
    assert int(option(argv, "-g")) > 2 * 25


def test_hls_output_per_rung_folder():
    argv = argv_for(full_hd_plan())

    assert option(argv, "-f") == "hls"
    assert option(argv, "-hls_time") == "6"
    assert option(argv, "-hls_playlist_type") == "vod"
    assert option(argv, "-hls_segment_filename") == "/out/work/%v/segment%03d.ts"
    assert argv[-1] == "/out/work/%v/index.m3u8"
    assert "-master_pl_name" not in argv  # we write the master playlist from measurements


def test_rate_control_per_rung():
    argv = argv_for(full_hd_plan())

    assert option(argv, "-maxrate:v:0") == "2000k"
    assert option(argv, "-bufsize:v:2") == "16000k"
    assert option(argv, "-level:v:2") == "4.2"
    assert option(argv, "-crf:v:1") == f"{DEFAULT_LADDER.crf:g}"
    assert option(argv, "-b:a:0") == "128k"


def test_without_audio_nothing_audio_is_mapped():
    argv = argv_for(full_hd_plan(audio=None))

    assert option(argv, "-var_stream_map") == "v:0,name:480p v:1,name:720p v:2,name:1080p"
    assert "-c:a" not in argv
    assert "0:1" not in argv


def test_surround_audio_is_downmixed_to_stereo():
    surround = AudioStream(
        index=3, codec="ac3", channels=6, sample_rate=48000, default=True, language=""
    )
    argv = argv_for(full_hd_plan(audio=surround))

    assert option(argv, "-ac") == "2"
    assert "0:3" in argv


def test_interlaced_and_resampled_sources_are_fixed_once_before_the_split():
    graph = filter_graph(
        2,
        full_hd_plan(deinterlace=True, resample_frame_rate=True, frame_rate=Fraction(30000, 1001)),
        "bicubic",
    )

    assert graph.startswith("[0:2]bwdif=mode=send_frame,fps=30000/1001,split=3[s0][s1][s2];")


def test_single_rung_needs_no_split():
    plan = full_hd_plan(renditions=plan_renditions(320, 240, DEFAULT_LADDER))

    assert (
        filter_graph(0, plan, "bicubic")
        == "[0:0]scale=320:240:flags=bicubic,format=yuv420p,setsar=1[v0]"
    )


def test_storyboard_is_one_more_branch_of_the_same_decode():
    board = plan_storyboard(10, 1920, 1080)
    argv = build_transcode_argv(
        Path("/in/film.mov"), 0, full_hd_plan(), DEFAULT_LADDER, Path("/out/work"), board
    )

    graph = option(argv, "-filter_complex")
    assert argv.count("-i") == 1
    assert "split=4[s0][s1][s2][s3]" in graph
    assert graph.endswith("[s3]fps=1/10,scale=160:90,setsar=1,tile=5x5[storyboard]")
    # A second output after the HLS one: JPEG sprites numbered from zero.
    sprites = argv[argv.index("/out/work/%v/index.m3u8") + 1 :]
    assert sprites[:4] == ["-map", "[storyboard]", "-c:v", "mjpeg"]
    assert sprites[-1] == "/out/work/storyboard/sprite%03d.jpg"
    assert option(sprites, "-start_number") == "0"


def test_storyboard_tiles_keep_the_source_aspect():
    assert plan_storyboard(5, 1080, 1920).tile_height == 284
    assert plan_storyboard(5, 321, 241).tile_height == 120
