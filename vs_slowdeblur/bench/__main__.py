"""``python -m vs_slowdeblur.bench interp|deblur|joint|render|speed``: print a benchmark as markdown on stdout
(progress on stderr); ``--write-docs`` also puts it into its section of docs/BENCHMARKS.md."""

from __future__ import annotations

import argparse
import datetime
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from . import deblur, interp, joint, render, speed
from .common import CLIP_NAMES, HELD_OUT_CLIPS, machine

DOCS = Path(__file__).resolve().parents[2] / "docs" / "BENCHMARKS.md"


def _clip_list(text: str, allowed: Sequence[str] = CLIP_NAMES) -> list[str]:
    names = [name for name in text.split(",") if name]
    unknown = sorted(set(names) - set(allowed))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown clip(s) {unknown}; choose from {list(allowed)}")
    return names


def _held_out_clip_list(text: str) -> list[str]:
    return _clip_list(text, HELD_OUT_CLIPS)


def markers(name: str) -> tuple[str, str]:
    return f"<!-- bench {name}: begin -->", f"<!-- bench {name}: end -->"


def write_docs(section: str, path: Path = DOCS, name: str = "interp") -> None:
    """Replace the text between the markers of benchmark ``name`` (appending them if missing)."""
    begin, end = markers(name)
    block = f"{begin}\n{section.rstrip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.DOTALL)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + f"\n\n{block}\n"
    path.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m vs_slowdeblur.bench", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    interp_parser = commands.add_parser("interp", help="interpolation: quality at 2x/4x, one-pass vs exact, speed")
    interp_parser.add_argument("--quick", action="store_true",
                               help="fewer positions, frames and rounds (a few minutes)")
    interp_parser.add_argument("--clips", type=_clip_list, default=list(CLIP_NAMES),
                               help=f"comma-separated, from {','.join(CLIP_NAMES)} (default: all)")
    interp_parser.add_argument("--positions", type=int, help="test positions per clip and factor "
                                                             "(default 4 at 2x and 3 at 4x; --quick: 2 and 1)")
    interp_parser.add_argument("--write-docs", action="store_true", help=f"update the interpolation section of {DOCS}")
    deblur_parser = commands.add_parser("deblur", help="deblur: blurry input vs deblur, strong, mild, near-sharp")
    deblur_parser.add_argument("--quick", action="store_true", help="one position per segment, no speed run")
    deblur_parser.add_argument("--clips", type=_held_out_clip_list, default=list(HELD_OUT_CLIPS))
    deblur_parser.add_argument("--positions", type=int, default=4, help="scored frames per held-out segment")
    deblur_parser.add_argument("--write-docs", action="store_true",
                               help=f"update the deblur section of {DOCS} and its crop image")
    joint_parser = commands.add_parser("joint", help="slowmo vs blend, MVTools and interpolate on blurry keyframes")
    joint_parser.add_argument("--quick", action="store_true", help="one position per segment")
    joint_parser.add_argument("--clips", type=_held_out_clip_list, default=list(CLIP_NAMES))
    joint_parser.add_argument("--positions", type=int, default=3, help="keyframes per held-out segment")
    joint_parser.add_argument("--write-docs", action="store_true",
                              help=f"update the joint section of {DOCS} and its crop image")
    render_parser = commands.add_parser("render", help="render: 1 process vs local workers, overlap cost")
    render_parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per configuration")
    render_parser.add_argument("--write-docs", action="store_true", help=f"update the render section of {DOCS}")
    speed_parser = commands.add_parser("speed", help="output fps of every operator, the bare network, MVTools")
    speed_parser.add_argument("--frames", type=int, default=24, help="source frames per interpolate run "
                                                                     "(half as many for slowmo and deblur)")
    speed_parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per run")
    speed_parser.add_argument("--reference", type=Path, help="a source tree (older checkout) to compare with")
    speed_parser.add_argument("--gpu", action="store_true", help="the GPU table: 720p/1080p/2160p, fp32/fp16")
    speed_parser.add_argument("--budget-s", type=float, help="start no run after this many seconds")
    speed_parser.add_argument("--write-docs", action="store_true", help=f"update the speed (or gpu) section of {DOCS}")
    args = parser.parse_args(argv)

    if args.command == "interp":
        positions_2x, positions_4x = (2, 1) if args.quick else (4, 3)
        if args.positions is not None:
            positions_2x = positions_4x = args.positions
        speed_frames, rounds = (12, 1) if args.quick else (40, 3)
        body = interp.report(args.clips, positions_2x, positions_4x, speed_frames, rounds)
    elif args.command == "joint":
        image = DOCS.parent / "joint_crop.png" if args.write_docs else None
        body = joint.report(args.clips, 1 if args.quick else args.positions, image)
    elif args.command == "render":
        body = render.report(args.rounds)
    elif args.command == "speed":
        if args.reference is not None and not (args.reference / "vs_slowdeblur" / "__init__.py").is_file():
            parser.error(f"--reference {args.reference} holds no vs_slowdeblur package; give a checkout's root")
        body = speed.report(args.frames, args.rounds, args.reference, args.gpu, args.budget_s)
    else:
        image = DOCS.parent / "deblur_crop.png" if args.write_docs else None
        body = deblur.report(args.clips, 1 if args.quick else args.positions, 0 if args.quick else 5, image)
    command = " ".join(["python -m vs_slowdeblur.bench", *argv])
    header = (f"Machine: {machine()}.  \nCommand: `{command}` ({datetime.date.today().isoformat()}).")
    section = f"{header}\n\n{body}"
    print(section)
    if args.write_docs:
        write_docs(section, name="gpu" if getattr(args, "gpu", False) else args.command)
        print(f"updated {DOCS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
