"""``python -m vs_slowdeblur.train deblur [--model NAME] [--steps N] [--workdir DIR] [--export FILE]
[--replay JSON]``: train a built-in deblurring model (resumes from ``--workdir`` when a checkpoint is there)
and write its weights + metadata. ``--replay`` retrains a run from its metadata file: its configuration and its
run-length changes.
``python -m vs_slowdeblur.train compare WEIGHTS...``: their gain on real strong blur (``evaluate.py``)."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import torch

from ..models.registry import builtin_weights_path
from ..paths import cache_dir
from ..wheelfetch import sha256_of
from . import splits
from .deblur import RECIPES, TrainConfig, recorded_lengths, train
from .evaluate import compare


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vs_slowdeblur.train")
    commands = parser.add_subparsers(dest="command", required=True)
    deblur = commands.add_parser("deblur", help="train the built-in deblurring model")
    defaults = TrainConfig()
    deblur.add_argument("--model", choices=sorted(RECIPES), default="motion-deblur",
                        help="which network to train (default: motion-deblur, the one deblur uses)")
    deblur.add_argument("--steps", type=int, default=defaults.steps)
    deblur.add_argument("--batch", type=int, default=defaults.batch)
    deblur.add_argument("--seed", type=int, default=defaults.seed)
    deblur.add_argument("--threads", type=int, default=defaults.threads)
    deblur.add_argument("--synthetic-share", type=float, default=defaults.synthetic_share,
                        help="fraction of each batch made of exact synthetic blur (the rest: real shots)")
    deblur.add_argument("--synthetic-layers", type=int, default=defaults.synthetic_layers,
                        help="most cut-out layers moving on their own in a synthetic example")
    deblur.add_argument("--synthetic-shake", type=float, default=defaults.synthetic_shake,
                        help="largest camera-shake amplitude in synthetic examples (pixels); 0: none")
    deblur.add_argument("--low-duty-odds", type=float, default=defaults.low_duty_odds,
                        help="motion-deblur: share of synthetic examples with a short exposure (0.05–0.3)")
    deblur.add_argument("--overstated-odds", type=float, default=defaults.overstated_odds,
                        help="motion-deblur: share of examples told more exposure than they had")
    deblur.add_argument("--extra-real-recipes", default=defaults.extra_real_recipes, metavar="K:DUTY,...",
                        help="motion-deblur: real shots blurred with these (keep_every, duty) too")
    deblur.add_argument("--real-rescale-odds", type=float, default=defaults.real_rescale_odds,
                        help="motion-deblur: share of real crops taken at a random smaller scale (0.4–1)")
    deblur.add_argument("--extra-footage", action="store_true",
                        help="motion-deblur: also train on opencv-doc's pedestrians clip (splits.EXTRA_MOTION_TRAIN)")
    deblur.add_argument("--more-footage", default=defaults.more_footage, metavar="SET,...",
                        help="motion-deblur: also train on these sets of shots: bbb-film (eight fast shots of the "
                             "Big Buck Bunny film), bbb-film-more (sixteen more), cockatoo (imageio's handheld "
                             "clip); see splits.MORE_MOTION_TRAIN")
    deblur.add_argument("--told-motion", choices=("blurry", "sharp"), default=defaults.told_motion,
                        help="motion-deblur: train told the motion estimated on the blurry keyframes (as at run "
                             "time; default) or on the real sharp frames, and synthetic examples their exact motion")
    deblur.add_argument("--recolour-odds", type=float, default=defaults.recolour_odds,
                        help="motion-deblur: share of examples given a random colour change (saturation, "
                             "contrast, negative, channel gains)")
    deblur.add_argument("--loss-margin", type=int, default=defaults.loss_margin, metavar="PIXELS",
                        help="leave this many pixels at each crop edge out of the loss: they give context only, "
                             "since near an edge the blur reaches past the crop (default 0)")
    deblur.add_argument("--init", type=Path, metavar="WEIGHTS",
                        help="start from these weights (e.g. the shipped motion-deblur.pt; its .json beside it "
                             "is kept as the parent run, so --replay remakes both)")
    deblur.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    deblur.add_argument("--patch", type=int, default=defaults.patch, help="training crop size (pixels)")
    deblur.add_argument("--workdir", type=Path,
                        help="checkpoint folder, resumed when present (default: <cache>/train/<model>-run)")
    deblur.add_argument("--export", type=Path,
                        help="where the final weights go (default: the package's built-in <model>.pt)")
    deblur.add_argument("--replay", type=Path, metavar="JSON",
                        help="retrain the run a weights metadata file describes (e.g. the shipped "
                             "window-deblur.json); --steps/--batch/--seed are then taken from it")
    comparing = commands.add_parser("compare", help="gain of weights files on real strong blur")
    comparing.add_argument("weights", type=Path, nargs="+", help="window-deblur.pt or a checkpoint.pt")
    comparing.add_argument("--split", choices=("validation", "train"), default="validation")
    comparing.add_argument("--windows", type=int, default=60)
    args = parser.parse_args(argv)
    if args.command == "compare":
        torch.set_num_threads(2)
        print(f"| weights | step | gain over blurry input, {args.split} shots (dB) | windows improved |\n"
              "|---|---|---|---|")
        for result in compare(args.weights, args.split, args.windows):
            print(f"| {result.name} | {result.step if result.step is not None else 'final'} | "
                  f"{result.mean_gain_db:+.2f} ± {result.standard_error_db:.2f} | {result.win_rate:.0%} |")
        return 0
    if args.replay:
        recorded = json.loads(args.replay.read_text())
        config, length_changes = recorded_lengths(recorded)
        config = dataclasses.replace(config, threads=args.threads)
        init, parent = None, recorded.get("parent")
    else:
        init = args.init
        parent = json.loads(init.with_suffix(".json").read_text()) if init is not None else None
        config, length_changes = dataclasses.replace(
            defaults, model=args.model, steps=args.steps, batch=args.batch, patch=args.patch, seed=args.seed,
            threads=args.threads, synthetic_share=args.synthetic_share, synthetic_layers=args.synthetic_layers,
            synthetic_shake=args.synthetic_shake, low_duty_odds=args.low_duty_odds,
            overstated_odds=args.overstated_odds, learning_rate=args.learning_rate,
            extra_real_recipes=args.extra_real_recipes, real_rescale_odds=args.real_rescale_odds,
            extra_footage=args.extra_footage, told_motion=args.told_motion, recolour_odds=args.recolour_odds,
            more_footage=args.more_footage, loss_margin=args.loss_margin,
            init_sha256=sha256_of(init) if init is not None else ""), {}
    motion_deblur_only = ((f"--told-motion {config.told_motion}", config.told_motion != "blurry"),
                          ("--more-footage", config.more_footage), ("--recolour-odds", config.recolour_odds))
    for option, used in motion_deblur_only:
        if used and config.model != "motion-deblur":
            parser.error(f"{option} trains motion-deblur only; leave it out for --model {config.model}")
    if config.loss_margin and config.model == "exposure":
        parser.error("--loss-margin shapes a restoration loss; --model exposure has its own, leave it out")
    if not 0 <= 2 * config.loss_margin < config.patch:
        parser.error(f"--loss-margin must be 0 or more and leave part of the {config.patch}-pixel crop, got "
                     f"{config.loss_margin}")
    try:
        splits.more_motion_ranges(config.more_footage)
    except ValueError as exc:
        parser.error(f"--more-footage: {exc}")
    if config.model == "exposure" and args.export is None:
        parser.error("--model exposure trains an experiment that deblur does not use yet (docs/BENCHMARKS.md); "
                     "give --export FILE for its weights")
    workdir = args.workdir or cache_dir() / "train" / f"{config.model}-run"
    if args.replay and parent is not None:
        init = replay_parent(parent, workdir / "parent", args.threads)
    export = args.export or builtin_weights_path(config.model)
    metadata = train(config, workdir, export, length_changes, init, parent)
    print(f"wrote {export} (sha256 {metadata['sha256']}) and {export.with_suffix('.json')}")
    return 0


def replay_parent(parent: dict, workdir: Path, threads: int) -> Path:
    """The weights the recorded run started from, remade by replaying ``parent`` (its metadata) in ``workdir``
    unless an earlier replay left them there."""
    recorded = workdir / "parent.json"
    weights = recorded.with_suffix(".pt")
    if not weights.exists():
        workdir.mkdir(parents=True, exist_ok=True)
        recorded.write_text(json.dumps(parent))
        main(["deblur", "--replay", str(recorded), "--workdir", str(workdir), "--export", str(weights),
              "--threads", str(threads)])
    return weights


if __name__ == "__main__":
    raise SystemExit(main())
