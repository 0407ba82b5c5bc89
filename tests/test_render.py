"""``vs-slowdeblur render``: a real clip with a scene cut and an audio track in, FFV1 out. Chunked renders on
one or two workers or a local Ray decode to the in-process operator's frames bit for bit; --start/--end give
exactly those frames; a render killed after its first chunk resumes; bad arguments are one line and exit code 2."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import vapoursynth as vs

import vs_slowdeblur
from vs_slowdeblur.render.chunks import cut_frames, plan
from vs_slowdeblur.render.ffmpeg import ffmpeg_path

pytestmark = pytest.mark.slow
core = vs.core
CUT_OUTPUT_FRAME = 13  # bikes frames 130..143: the cut after frame 136 (pair 6) starts output frame 13 at 2x


def render(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vs_slowdeblur", "render", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def same_frames(a: vs.VideoNode, b: vs.VideoNode) -> list[int]:
    """Frame numbers where two clips of one format differ in any plane."""
    assert (a.num_frames, a.format.id, a.width, a.height) == (b.num_frames, b.format.id, b.width, b.height)
    return [n for n in range(a.num_frames)
            if not all(np.array_equal(np.asarray(a.get_frame(n)[p]), np.asarray(b.get_frame(n)[p]))
                       for p in range(a.format.num_planes))]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory, bikes: vs.VideoNode) -> Path:
    """14 real bikes frames (130..143, a cut after 136) at 160x96 in FFV1, with a 440 Hz FLAC track."""
    folder = tmp_path_factory.mktemp("render")
    script = folder / "source.vpy"
    script.write_text("import vapoursynth as vs\nfrom vs_slowdeblur.samples import sample_path\n"
                      "vs.core.bs.VideoSource(str(sample_path('bikes')))[130:144].resize.Bicubic(160, 96)"
                      ".set_output()\n")
    video = folder / "source.mkv"
    frames = subprocess.run([str(Path(sys.executable).with_name("vspipe")), "-c", "y4m", str(script), "-"],
                            capture_output=True, check=True).stdout
    subprocess.run([ffmpeg_path(), "-loglevel", "error", "-y", "-f", "yuv4mpegpipe", "-i", "-", "-f", "lavfi",
                    "-i", "sine=frequency=440:duration=0.56", "-map", "0:v", "-map", "1:a", "-c:v", "ffv1",
                    "-c:a", "flac", str(video)], input=frames, check=True)
    return video


@pytest.fixture(scope="module")
def reference(source: Path) -> vs.VideoNode:
    return vs_slowdeblur.interpolate(core.bs.VideoSource(str(source)), 2)


def test_chunks_split_at_the_cut_and_by_length(source: Path) -> None:
    cuts = cut_frames(core.bs.VideoSource(str(source)), 2, 0, 27)
    assert cuts == [CUT_OUTPUT_FRAME]
    chunks = plan(0, 27, cuts, 8)
    assert [(c.first, c.last) for c in chunks] == [(0, 5), (6, 12), (13, 19), (20, 27)]


def test_overlap_cost_counts_the_source_frames_each_chunk_reads() -> None:
    from vs_slowdeblur.bench.render import overlap_cost

    assert overlap_cost(plan(0, 99, [], 100), 2) == 1
    assert overlap_cost(plan(0, 99, [], 50), 2) == pytest.approx(52 / 51)  # frame 25 read by both chunks
    assert overlap_cost(plan(0, 99, [], 49), 2) > overlap_cost(plan(0, 99, [], 50), 2)


def test_workers_render_the_operators_frames_with_the_audio(source: Path, reference: vs.VideoNode,
                                                            tmp_path: Path) -> None:
    outputs = []
    for workers in ("1", "2"):
        output = tmp_path / f"workers{workers}.mkv"
        result = render(str(source), str(output), "--op", "interpolate", "--factor", "2", "--workers", workers,
                        "--chunk-frames", "8", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert result.stdout == "" and "4 chunks" in result.stderr and "28/28 frames" in result.stderr
        outputs.append(core.bs.VideoSource(str(output)))
        streams = subprocess.run([ffmpeg_path(), "-hide_banner", "-i", str(output)], capture_output=True,
                                 text=True).stderr
        assert "Audio: flac" in streams and "00:00:00.56" in streams, streams
    for decoded in outputs:
        assert decoded.fps == 50 and same_frames(decoded, reference) == []
    assert not list(tmp_path.glob(".*render-*"))  # the work folder goes once the output is complete


def test_a_local_ray_renders_the_same_frames(source: Path, reference: vs.VideoNode, tmp_path: Path) -> None:
    output = tmp_path / "ray.mkv"
    result = render(str(source), str(output), "--op", "interpolate", "--workers", "2", "--chunk-frames", "8",
                    "--ray", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and "Ray at local" in result.stderr and "28/28 frames" in result.stderr
    assert same_frames(core.bs.VideoSource(str(output)), reference) == []


def test_extract_renders_count_frames_per_source_frame_split_at_the_cut(source: Path, tmp_path: Path) -> None:
    clip = core.bs.VideoSource(str(source))
    output = tmp_path / "extract.mkv"
    result = render(str(source), str(output), "--op", "extract", "--factor", "2", "--chunk-frames", "10",
                    cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # the cut after source frame 6 starts output frame 14: 0–13 and 14–27, each in two chunks of at most 10
    assert "4 chunks" in result.stderr and "28/28 frames" in result.stderr
    assert same_frames(core.bs.VideoSource(str(output)), vs_slowdeblur.extract(clip, 2)) == []


def test_start_and_end_select_output_frames(source: Path, reference: vs.VideoNode, tmp_path: Path) -> None:
    output = tmp_path / "part.mkv"
    result = render(str(source), str(output), "--op", "interpolate", "--start", "9", "--end", "16", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "audio left out" in result.stderr
    assert same_frames(core.bs.VideoSource(str(output)), reference[9:17]) == []


def test_a_killed_render_resumes_from_its_finished_chunks(source: Path, reference: vs.VideoNode,
                                                          tmp_path: Path) -> None:
    output, work = tmp_path / "resumed.mkv", tmp_path / "work"
    args = [sys.executable, "-m", "vs_slowdeblur", "render", str(source), str(output), "--op", "interpolate",
            "--chunk-frames", "4", "--work-dir", str(work)]
    first = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    deadline = time.monotonic() + 300
    while not list(work.glob("frames-*[0-9].mkv")) and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.2)
    os.killpg(first.pid, signal.SIGKILL)  # the render and its vspipe and ffmpeg, mid-way
    first.wait()
    finished = list(work.glob("frames-*[0-9].mkv"))
    assert finished and not output.exists()
    result = render(*args[4:], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"({len(finished)} already done)" in result.stderr
    assert same_frames(core.bs.VideoSource(str(output)), reference) == []


def test_a_script_input_renders_its_output(source: Path, tmp_path: Path) -> None:
    script = tmp_path / "in.vpy"
    script.write_text(f"import vapoursynth as vs\nvs.core.bs.VideoSource({str(source)!r}).std.Invert()"
                      ".set_output()\n")
    output = tmp_path / "script.mkv"
    result = render(str(script), str(output), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    expected = core.bs.VideoSource(str(source)).std.Invert()
    assert same_frames(core.bs.VideoSource(str(output)), expected) == []


@pytest.mark.parametrize(("args", "message"), [
    (["missing.mkv", "out.mkv"], "INPUT missing.mkv is not a file"),
    (["{source}", "out.avi"], "codec ffv1 writes .mkv files"),
    (["{source}", "out.mkv", "--option", "exposur=0.5"], "unknown key 'exposur' (did you mean 'exposure'?)"),
    (["{source}", "out.mkv", "--option", "exposure"], "--option takes KEY=VALUE"),
    (["{source}", "out.mkv", "--factor", "zero"], "--factor must be a positive number"),
    (["{source}", "out.mkv", "--start", "30"], "--start/--end must satisfy 0 ≤ start ≤ end < 28"),
    (["{source}", "out.mkv", "--op", "deblur", "--fps", "50"], "--factor/--fps have no effect with --op deblur"),
    (["{source}", "out.mkv", "--op", "extract", "--factor", "2.5"], "--op extract takes --factor COUNT"),
    (["{source}", "out.mkv", "--op", "extract", "--fps", "50"], "--op extract takes --factor COUNT"),
    (["{source}", "no/such/folder/out.mkv"], "does not exist or is not writable"),
    (["{source}", "out.mkv", "--codec", "prores", "--crf", "3"], "--crf sets x264/x265 quality"),
    (["{source}", "out.mkv", "--ray", "127.0.0.1:1"], "no Ray head answers there"),
    (["{source}", "out.mkv", "--ray", "nonsense"], "--ray takes HOST:PORT"),
])
def test_bad_arguments_are_one_line_and_exit_code_2(source: Path, tmp_path: Path, args: list[str],
                                                    message: str) -> None:
    result = render(*(a.format(source=source) for a in args), cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.startswith("vs-slowdeblur render:")]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert not list(tmp_path.glob("*.mkv")) and not list(tmp_path.glob(".*"))
