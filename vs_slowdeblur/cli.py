"""Command line: ``python -m vs_slowdeblur {fetch,presets,models,demo,render}``. Messages go to stderr except
listings."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

from .errors import FetchError
from .models.registry import MODELS, fetch_weights, model_names
from .options import preset_names, preset_text, split_key_documentation
from .samples import SAMPLE_NAMES, fetch_samples, sample_path

DEMO_OUTPUT = Path("out") / "demo.y4m"
DEMO_SHEET = Path("out") / "contact_sheet.png"


def _fetch(names: list[str]) -> int:
    """Weights of the named models and the named sample clips ('samples': all of them)."""
    unknown = [name for name in names if name != "samples" and name not in MODELS and name not in SAMPLE_NAMES]
    if unknown:  # before any download
        print(f"unknown name {unknown[0]!r}; choose models {model_names()}, sample clips {list(SAMPLE_NAMES)} "
              f"or 'samples' (all clips)", file=sys.stderr)
        return 2
    for name in [name for name in names if name in MODELS] or ([] if names else model_names()):
        print(fetch_weights(name))
    clips = SAMPLE_NAMES if "samples" in names else [name for name in names if name in SAMPLE_NAMES]
    for path in fetch_samples(tuple(clips)) if clips else []:
        print(path)
    return 0


def _presets(names: list[str]) -> int:
    """Print the named presets (all by default), the key documentation they share once, first."""
    unknown = [name for name in names if name not in preset_names()]
    if unknown:
        print(f"unknown preset {unknown[0]!r}; shipped presets: {preset_names()}", file=sys.stderr)
        return 2
    texts = [(name, *split_key_documentation(preset_text(name))) for name in names or preset_names()]
    print(texts[0][1])
    for name, _, rest in texts:
        print(f"# --- {name}\n{rest}")
    return 0


def _models() -> int:
    for name, spec in sorted(MODELS.items()):
        weights = spec.weights
        source = "bundled in the package" if weights is None else f"{weights.requirement}:{weights.member}"
        print(f"{name}\t{spec.task}\t{source}\t{spec.licence}")
    return 0


def _demo() -> int:
    """Render the packaged demo.vpy (also examples/demo.vpy) with vspipe into out/demo.y4m under the current
    folder (progress on stderr) and write a contact sheet (blurry input | interpolate only | slowmo | real
    frame) to out/contact_sheet.png; print both paths."""
    sample_path("bikes")
    fetch_weights("rife-hdv3")
    fetch_weights("motion-deblur")
    DEMO_OUTPUT.parent.mkdir(exist_ok=True)
    vspipe = Path(sys.executable).with_name("vspipe")
    with resources.as_file(resources.files("vs_slowdeblur").joinpath("demo.vpy")) as script:
        command = [str(vspipe) if vspipe.exists() else "vspipe", "--progress", "--container", "y4m",
                   str(script), str(DEMO_OUTPUT)]
        print("rendering: " + " ".join(command), file=sys.stderr)
        result = subprocess.run(command, check=False, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    if result.returncode != 0:
        print(f"vspipe failed with exit code {result.returncode}", file=sys.stderr)
        return result.returncode
    print(f"writing the contact sheet {DEMO_SHEET}", file=sys.stderr)
    from .demo import contact_sheet

    print(DEMO_OUTPUT.resolve())
    print(contact_sheet(DEMO_SHEET).resolve())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vs_slowdeblur", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser("fetch", help=f"download weights ({', '.join(MODELS)}) and/or sample clips "
                                              f"({', '.join(SAMPLE_NAMES)}, or 'samples' for all)")
    fetch.add_argument("names", nargs="*")
    presets = commands.add_parser("presets", help="list and print the shipped presets")
    presets.add_argument("names", nargs="*")
    commands.add_parser("models", help="list the registered models")
    commands.add_parser("demo", help=f"render the demo script (examples/demo.vpy) to {DEMO_OUTPUT}")
    from .render import command as render_command

    render_command.add_arguments(commands.add_parser("render", help="a video file or .vpy script in, a finished "
                                                                    "video file out (FFV1, x264, x265, ProRes)"))
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            return _fetch(args.names)
        if args.command == "presets":
            return _presets(args.names)
        if args.command == "models":
            return _models()
        if args.command == "render":
            return render_command.run(args)
        return _demo()
    except FetchError as exc:
        print(f"vs_slowdeblur: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader stopped early (``... | head``): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's flush at exit goes nowhere
        return 0
