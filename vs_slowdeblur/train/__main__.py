"""``python -m vs_slowdeblur.train deblur [--steps N] [--workdir DIR] [--export FILE] [--replay JSON]``: train
the built-in deblurring model (resumes from ``--workdir`` when a checkpoint is there) and write its weights +
metadata. ``--replay`` retrains a run from its metadata file: its configuration and its run-length changes."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from ..models.registry import builtin_weights_path
from ..paths import cache_dir
from .deblur import TrainConfig, recorded_lengths, train


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vs_slowdeblur.train")
    commands = parser.add_subparsers(dest="command", required=True)
    deblur = commands.add_parser("deblur", help="train the built-in deblurring model")
    defaults = TrainConfig()
    deblur.add_argument("--steps", type=int, default=defaults.steps)
    deblur.add_argument("--batch", type=int, default=defaults.batch)
    deblur.add_argument("--seed", type=int, default=defaults.seed)
    deblur.add_argument("--threads", type=int, default=defaults.threads)
    deblur.add_argument("--workdir", type=Path, default=cache_dir() / "train" / "deblur-run",
                        help="checkpoint folder (resumed when present)")
    deblur.add_argument("--export", type=Path, default=builtin_weights_path(),
                        help="where the final weights go (default: the package's built-in weights)")
    deblur.add_argument("--replay", type=Path, metavar="JSON",
                        help="retrain the run a weights metadata file describes (e.g. the shipped "
                             "window-deblur.json); --steps/--batch/--seed are then taken from it")
    args = parser.parse_args(argv)
    if args.replay:
        config, length_changes = recorded_lengths(json.loads(args.replay.read_text()))
        config = dataclasses.replace(config, threads=args.threads)
    else:
        config, length_changes = dataclasses.replace(
            defaults, steps=args.steps, batch=args.batch, seed=args.seed, threads=args.threads), {}
    metadata = train(config, args.workdir, args.export, length_changes)
    print(f"wrote {args.export} (sha256 {metadata['sha256']}) and {args.export.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
