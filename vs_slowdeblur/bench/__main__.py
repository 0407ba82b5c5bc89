"""``python -m vs_slowdeblur.bench interp``: print the interpolation benchmark as markdown on stdout
(progress on stderr); ``--write-docs`` also puts it into docs/BENCHMARKS.md."""

from __future__ import annotations

import argparse
import datetime
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from .common import CLIP_NAMES, machine
from .interp import report

DOCS = Path(__file__).resolve().parents[2] / "docs" / "BENCHMARKS.md"
BEGIN, END = "<!-- bench interp: begin -->", "<!-- bench interp: end -->"


def _clip_list(text: str) -> list[str]:
    names = [name for name in text.split(",") if name]
    unknown = sorted(set(names) - set(CLIP_NAMES))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown clip(s) {unknown}; choose from {list(CLIP_NAMES)}")
    return names


def write_docs(section: str, path: Path = DOCS) -> None:
    """Replace the text between the interpolation markers (appending them if missing)."""
    block = f"{BEGIN}\n{section.rstrip()}\n{END}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.DOTALL)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + f"\n\n{block}\n"
    path.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m vs_slowdeblur.bench", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    interp = commands.add_parser("interp", help="interpolation: quality at 2x/4x, one-pass vs exact, speed")
    interp.add_argument("--quick", action="store_true", help="fewer positions, frames and rounds (a few minutes)")
    interp.add_argument("--clips", type=_clip_list, default=list(CLIP_NAMES),
                        help=f"comma-separated, from {','.join(CLIP_NAMES)} (default: all)")
    interp.add_argument("--positions", type=int, help="test positions per clip and factor "
                                                      "(default 4 at 2x and 3 at 4x; --quick: 2 and 1)")
    interp.add_argument("--write-docs", action="store_true", help=f"update the interpolation section of {DOCS}")
    args = parser.parse_args(argv)

    positions_2x, positions_4x = (2, 1) if args.quick else (4, 3)
    if args.positions is not None:
        positions_2x = positions_4x = args.positions
    speed_frames, rounds = (12, 1) if args.quick else (40, 3)
    command = " ".join(["python -m vs_slowdeblur.bench", *argv])
    header = (f"Machine: {machine()}.  \nCommand: `{command}` ({datetime.date.today().isoformat()}).")
    section = f"{header}\n\n{report(args.clips, positions_2x, positions_4x, speed_frames, rounds)}"
    print(section)
    if args.write_docs:
        write_docs(section)
        print(f"updated {DOCS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
