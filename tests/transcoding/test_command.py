"""The pure ffmpeg argv: one decode, one branch per rung, aligned keyframes, HLS per rung."""

from fractions import Fraction
from pathlib import Path

from transcoding import DEFAULT_LADDER
from transcoding.command import build_transcode_argv, filter_graph
from transcoding.ladder import Plan, plan_renditions
from transcoding.probe import AudioStream
from transcoding.storyboard import plan_storyboard
from transcoding.thumbnails import fit_into, plan_thumbnail

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


THUMBNAIL = plan_thumbnail(3.0, 60.0, 1920, 1080, Fraction(25))


def argv_for(plan: Plan, ladder=DEFAULT_LADDER, storyboard=None) -> list[str]:
    return build_transcode_argv(
        Path("/in/film.mov"), 0, plan, ladder, Path("/out/work"),
        thumbnail=THUMBNAIL, storyboard=storyboard,
    )  # fmt: skip


def graph_of(plan: Plan, storyboard=None) -> str:
    sides = {"thumbnail": THUMBNAIL, **({"storyboard": storyboard} if storyboard else {})}
    return filter_graph(2, plan, "bicubic", sides)


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_source_is_decoded_once_and_split_per_rung_and_thumbnail():
    argv = argv_for(full_hd_plan())

    assert argv.count("-i") == 1
    assert option(argv, "-i") == "/in/film.mov"
    graph = option(argv, "-filter_complex")
    assert graph.startswith("[0:0]split=4[s0][s1][s2][s3];")
    assert "[s0]scale=854:480:flags=bicubic,format=yuv420p,setsar=1[v0]" in graph
    assert "[s2]scale=1920:1080:flags=bicubic,format=yuv420p,setsar=1[v2]" in graph


def test_every_rung_is_a_variant_with_its_own_audio():
    argv = argv_for(full_hd_plan())

    assert option(argv, "-var_stream_map") == (
        "v:0,a:0,name:480p v:1,a:1,name:720p v:2,a:2,name:1080p"
    )
    maps = [argv[i + 1] for i, arg in enumerate(argv) if arg == "-map"]
    assert maps == ["[v0]", "0:1", "[v1]", "0:1", "[v2]", "0:1", "[thumbnail]"]
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
    assert argv[argv.index("-var_stream_map") + 2] == "/out/work/%v/index.m3u8"
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


def test_loudness_gain_is_one_audio_filter_for_every_rung():
    argv = build_transcode_argv(
        Path("/in/film.mov"), 0, full_hd_plan(), DEFAULT_LADDER, Path("/out/work"),
        thumbnail=THUMBNAIL, audio_filter="volume=4.20dB",
    )  # fmt: skip

    assert argv.count("-filter:a") == 1
    assert option(argv, "-filter:a") == "volume=4.20dB"
    assert "-filter:a" not in argv_for(full_hd_plan())


def test_surround_audio_is_downmixed_to_stereo():
    surround = AudioStream(
        index=3, codec="ac3", channels=6, sample_rate=48000, default=True, language=""
    )
    argv = argv_for(full_hd_plan(audio=surround))

    assert option(argv, "-ac") == "2"
    assert "0:3" in argv


def test_interlaced_and_resampled_sources_are_fixed_once_before_the_split():
    plan = full_hd_plan(
        deinterlace=True, resample_frame_rate=True, frame_rate=Fraction(30000, 1001)
    )

    assert graph_of(plan).startswith(
        "[0:2]bwdif=mode=send_frame,fps=30000/1001,split=4[s0][s1][s2][s3];"
    )


def test_thumbnail_picks_from_two_seconds_near_the_asked_time_fitted_into_720p():
    argv = argv_for(full_hd_plan())

    graph = option(argv, "-filter_complex")
    assert graph.endswith(
        "[s3]trim=start=3.000:duration=2,scale=1280:720,setsar=1,thumbnail=50[thumbnail]"
    )
    still = argv[argv.index("/out/work/%v/index.m3u8") + 1 :]
    assert still[:4] == ["-map", "[thumbnail]", "-frames:v", "1"]
    assert still[-1] == "/out/work/thumbnail.jpg"


def test_thumbnail_time_is_clamped_into_short_videos():
    assert plan_thumbnail(3.0, 1.5, 320, 240, Fraction(25)).start == 0
    assert plan_thumbnail(3.0, 4.0, 320, 240, Fraction(25)).start == 2.0
    assert plan_thumbnail(0.5, 60.0, 320, 240, Fraction(30)).candidates == 60


def test_thumbnail_fits_the_box_without_stretching_or_upscaling():
    assert fit_into(1920, 1080, (1280, 720)) == (1280, 720)
    assert fit_into(1080, 1920, (1280, 720)) == (405, 720)
    assert fit_into(1920, 800, (1280, 720)) == (1280, 533)
    assert fit_into(320, 240, (1280, 720)) == (320, 240)


def test_single_rung_shares_the_decode_with_the_thumbnail_only():
    plan = full_hd_plan(renditions=plan_renditions(320, 240, DEFAULT_LADDER))

    assert graph_of(plan).startswith(
        "[0:2]split=2[s0][s1];[s0]scale=320:240:flags=bicubic,format=yuv420p,setsar=1[v0];"
    )


def test_storyboard_is_one_more_branch_of_the_same_decode():
    argv = argv_for(full_hd_plan(), storyboard=plan_storyboard(10, 1920, 1080))

    graph = option(argv, "-filter_complex")
    assert argv.count("-i") == 1
    assert "split=5[s0][s1][s2][s3][s4]" in graph
    assert graph.endswith("[s4]fps=1/10:eof_action=pass,scale=160:90,setsar=1[storyboard]")
    # Outputs after the HLS one: the thumbnail, then JPEG tiles numbered from zero.
    tiles = argv[argv.index("[storyboard]") - 1 :]
    assert tiles[:4] == ["-map", "[storyboard]", "-c:v", "mjpeg"]
    assert tiles[-1] == "/out/work/storyboard/tiles/%06d.jpg"
    assert option(tiles, "-start_number") == "0"


def test_tiles_are_packed_in_order_into_sprites_of_five_by_five():
    argv = plan_storyboard(10, 1920, 1080).packing_argv(Path("/out/work"))

    assert option(argv, "-i") == "/out/work/storyboard/tiles/%06d.jpg"
    assert option(argv, "-start_number") == "0"
    assert option(argv, "-vf") == "tile=5x5"
    assert argv[-1] == "/out/work/storyboard/sprite%03d.jpg"


def test_storyboard_tiles_keep_the_source_aspect():
    assert plan_storyboard(5, 1080, 1920).tile_height == 284
    assert plan_storyboard(5, 321, 241).tile_height == 120
