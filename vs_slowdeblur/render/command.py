"""``vs-slowdeblur render INPUT OUTPUT``: parse and check the arguments, plan the chunks, render the missing
ones on ``--workers`` processes, join them into OUTPUT. Bad arguments: one line on stderr and exit code 2;
nothing is written to stdout, and OUTPUT appears only when complete."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

import vapoursynth as vs
import yaml

from ..filters._checks import output_factor
from ..options import validate
from .chunks import Chunk, cut_frames, plan
from .distributed import check_reachable, render_on_ray
from .ffmpeg import RenderError, ffmpeg_path, join
from .graph import apply_operator, open_input, y4m_ready
from .job import CODECS, OPERATORS, Job
from .progress import Progress
from .runner import chunk_path, is_finished, render_chunk, write_script

DEFAULT_CHUNK_FRAMES = 600


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="a video file (opened with BestSource) or a .vpy script (its output 0)")
    parser.add_argument("output", help="the file to write (.mkv, .mp4 or .mov)")
    parser.add_argument("--op", choices=OPERATORS, default=None, help="for a video file: the operator "
                                                                      "(default slowmo)")
    rate = parser.add_mutually_exclusive_group()
    rate.add_argument("--factor", help="output frames per source frame, e.g. 2, 2.5 or 5/2 (default 2; for "
                                       "--op extract a whole number, default 3)")
    rate.add_argument("--fps", help="output frame rate, e.g. 60 or 60000/1001")
    parser.add_argument("--preset", help="a preset name (python -m vs_slowdeblur presets) or a YAML file")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="any preset key, e.g. --option exposure=0.5 (repeatable)")
    parser.add_argument("--start", type=int, help="first output frame of the whole result to render")
    parser.add_argument("--end", type=int, help="last output frame to render (inclusive)")
    parser.add_argument("--codec", choices=list(CODECS), default="ffv1", help="ffv1 (lossless, default), x264, "
                                                                                "x265 or prores")
    parser.add_argument("--crf", type=int, help="x264/x265 quality (default 18 / 20; lower is better)")
    parser.add_argument("--workers", type=int, default=1, help="chunks rendered at once, each in its own process")
    parser.add_argument("--chunk-frames", type=int, default=DEFAULT_CHUNK_FRAMES,
                        help=f"most output frames per chunk (default {DEFAULT_CHUNK_FRAMES})")
    parser.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS",
                        help="render the chunks as Ray tasks: alone, on a local Ray of --workers CPUs; with an "
                             "address (HEAD:6379), on that cluster (needs pip install 'vs_slowdeblur[ray]')")
    parser.add_argument("--work-dir", help="folder of finished chunks, kept until OUTPUT is complete so that a "
                                           "rerun resumes (default: beside OUTPUT)")


def run(args: argparse.Namespace) -> int:
    try:
        job, workers, chunk_frames = job_of(args)
        return render(job, workers, chunk_frames, args.work_dir, args.ray)
    except (ValueError, RenderError, vs.Error) as exc:
        message = " ".join(str(exc).split())
        print(f"vs-slowdeblur render: {message}", file=sys.stderr)
        return 2


def job_of(args: argparse.Namespace) -> tuple[Job, int, int]:
    """The checked job, the worker count and the chunk length; ValueError names the bad argument."""
    source, output = Path(args.input), Path(args.output)
    if not source.is_file():
        raise ValueError(f"INPUT {args.input} is not a file")
    is_script = source.suffix.lower() == ".vpy"
    if is_script and (args.op or args.factor or args.fps or args.preset or args.option):
        raise ValueError("--op, --factor, --fps, --preset and --option apply to a video INPUT; a .vpy script "
                         "renders its output 0 as it is (set them in the script)")
    if args.op == "deblur" and (args.factor or args.fps):
        raise ValueError("--factor/--fps have no effect with --op deblur (it keeps the frame rate); leave them out")
    extensions = CODECS[args.codec][3]
    if output.suffix.lower() not in extensions:
        raise ValueError(f"OUTPUT {args.output}: codec {args.codec} writes {', '.join(extensions)} files; "
                         f"change the extension or --codec")
    if output.resolve() == source.resolve():
        raise ValueError("OUTPUT is the INPUT file; choose another name")
    folder = output.resolve().parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise ValueError(f"OUTPUT {args.output}: the folder {folder} does not exist or is not writable")
    if args.crf is not None and args.codec not in ("x264", "x265"):
        raise ValueError(f"--crf sets x264/x265 quality; codec {args.codec} has none, leave it out")
    for name in ("workers", "chunk_frames"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    for name in ("factor", "fps"):
        value = getattr(args, name)
        if value is not None:
            try:
                if Fraction(value) <= 0:
                    raise ValueError
            except (ValueError, ZeroDivisionError):
                raise ValueError(f"--{name} must be a positive number or fraction such as 60000/1001, got "
                                 f"{value!r}") from None
    if args.op == "extract" and (args.fps or Fraction(args.factor or 1).denominator != 1):
        raise ValueError(f"--op extract takes --factor COUNT, a whole number of frames per source frame, not "
                         f"{'--fps' if args.fps else repr(args.factor)}")
    options = {}
    for item in args.option:
        key, equals, text = item.partition("=")
        if not equals or not key:
            raise ValueError(f"--option takes KEY=VALUE (a preset key), got {item!r}")
        options[key.strip()] = yaml.safe_load(text)
    validate(options, "--option")
    ffmpeg_path()  # missing ffmpeg is reported before any work
    if args.ray not in (None, "local"):
        check_reachable(args.ray)
    threads = max(1, (os.cpu_count() or 1) // args.workers)
    job = Job(str(source.resolve()), str(output.resolve()), None if is_script else (args.op or "slowmo"),
              args.factor, args.fps, args.preset, options, args.start, args.end, args.codec, args.crf, threads)
    return job, args.workers, args.chunk_frames


def render(job: Job, workers: int, chunk_frames: int, work_dir: str | None, ray: str | None = None) -> int:
    """Render ``job``: plan, the missing chunks on ``workers`` local processes (or as Ray tasks: ``ray`` is
    "local" or a cluster address), join, clean up. Returns the exit code."""
    source = open_input(job)
    operated = apply_operator(job, source)
    clip = y4m_ready(operated)
    if clip.format.id != operated.format.id:
        print(f"render: {operated.format.name} is converted to {clip.format.name} for the chunks (y4m carries "
              f"only integer YUV and GRAY)", file=sys.stderr)
    first = 0 if job.start is None else job.start
    last = clip.num_frames - 1 if job.end is None else job.end
    if not 0 <= first <= last < clip.num_frames:
        raise ValueError(f"--start/--end must satisfy 0 ≤ start ≤ end < {clip.num_frames} (the output's frames), "
                         f"got {first} and {last}")
    output = Path(job.output).resolve()
    work = Path(work_dir) if work_dir else output.with_name(f".{output.name}.render-{job.key()}")
    work.mkdir(parents=True, exist_ok=True)
    job_path = work / "job.json"
    job.save(job_path)
    chunks = plan(first, last, [] if job.is_script else _cuts(job, source, first, last), chunk_frames)
    todo = [chunk for chunk in chunks if not is_finished(work, chunk)]
    print(f"render: {last - first + 1} output frames of {clip.width}x{clip.height} {clip.format.name} in "
          f"{len(chunks)} chunks ({len(chunks) - len(todo)} already done), "
          f"{'Ray at ' + ray if ray else str(workers) + ' worker(s)'}", file=sys.stderr)
    progress = Progress(last - first + 1, sum(chunk.frames for chunk in chunks if chunk not in todo))
    script = write_script(work, job_path)
    frame_bytes = _frame_bytes(clip)
    if ray is not None:
        render_on_ray(None if ray == "local" else ray, workers, script, work, todo, frame_bytes, progress)
    else:
        _render_locally(workers, script, work, todo, frame_bytes, progress)
    progress.finish()
    whole = first == 0 and last == clip.num_frames - 1
    audio = Path(job.input) if whole and not job.is_script else None
    notes: list[str] = [] if whole or job.is_script else ["audio left out: only part of the output is rendered"]
    partial = output.with_name(f".{output.name}.partial{output.suffix}")
    try:
        join([chunk_path(work, chunk) for chunk in chunks], partial, job, audio, notes)
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    for note in notes:
        print(f"render: {note}", file=sys.stderr)
    shutil.rmtree(work, ignore_errors=True)
    print(f"render: wrote {output}", file=sys.stderr)
    return 0


def _render_locally(workers: int, script: Path, work: Path, chunks: list[Chunk], frame_bytes: int,
                    progress: Progress) -> None:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(render_chunk, script, work, chunk, frame_bytes, progress) for chunk in chunks]
        try:
            for future in futures:
                future.result()
        except BaseException:
            for future in futures:  # the first failure stops the render; finished chunks stay for a rerun
                future.cancel()
            raise


def _cuts(job: Job, source: vs.VideoNode, first: int, last: int) -> list[int]:
    if job.op == "extract":  # source frame n is output frames count·n … count·n + count − 1
        count = job.count()
        starts = cut_frames(source, None, first // count, -(-last // count))
        return [count * n for n in starts if first < count * n <= last]
    rate = job.rate()
    ratio = None if job.op == "deblur" else output_factor("render", source, rate.get("factor"), rate.get("fps"))
    return cut_frames(source, ratio, first, last)


def _frame_bytes(clip: vs.VideoNode) -> int:
    fmt = clip.format
    return sum((clip.width >> (fmt.subsampling_w if p else 0)) * (clip.height >> (fmt.subsampling_h if p else 0))
               * fmt.bytes_per_sample for p in range(fmt.num_planes))


