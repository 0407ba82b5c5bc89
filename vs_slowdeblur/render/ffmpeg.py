"""ffmpeg: found on PATH, else the binary of the ``imageio-ffmpeg`` wheel (a dependency of this package).
Encoders of the chunks (FFV1, lossless) and of the final file, a frame count, and the join."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from .job import CODECS, DEFAULT_CRF, Job


class RenderError(Exception):
    """A render failed in a way the user can act on; the message is one line."""


def ffmpeg_path() -> str:
    """ffmpeg on PATH, else imageio-ffmpeg's bundled binary."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        raise RenderError("ffmpeg was not found: put it on PATH, or pip install imageio-ffmpeg") from None


def chunk_encoder(path: Path) -> list[str]:
    """ffmpeg reading y4m on stdin, writing FFV1 (lossless, every frame a keyframe so chunks join cleanly)."""
    return [ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-y", "-f", "yuv4mpegpipe", "-i", "pipe:0",
            "-c:v", "ffv1", "-level", "3", "-g", "1", "-slicecrc", "1", "-f", "matroska", str(path)]


def frame_count(path: Path) -> int:
    """Video frames in a file, counted by ffmpeg from its packets (no decode)."""
    result = subprocess.run([ffmpeg_path(), "-hide_banner", "-nostats", "-i", str(path), "-map", "0:v:0",
                             "-c", "copy", "-f", "null", "-"], capture_output=True, text=True, check=False)
    counts = re.findall(r"frame=\s*(\d+)", result.stderr)
    if result.returncode != 0 or not counts:
        return -1
    return int(counts[-1])


def video_codec_arguments(job: Job, pixel_format: str, notes: list[str]) -> list[str]:
    """The final encode's video arguments for x264, x265 or ProRes (FFV1 chunks are joined as they are); a
    pixel format the codec cannot take is converted (said in ``notes``)."""
    encoder, accepted, fallback, _ = CODECS[job.codec]
    target = pixel_format if pixel_format in accepted else fallback
    arguments = ["-c:v", encoder]
    if target != pixel_format:
        notes.append(f"{job.codec} cannot take {pixel_format}: converting to {target}")
        arguments += ["-pix_fmt", target]
    if job.codec == "prores":
        return [*arguments, "-profile:v", "3" if target.startswith("yuv422") else "4"]  # HQ 4:2:2, else 4444
    return [*arguments, "-crf", str(job.crf if job.crf is not None else DEFAULT_CRF[job.codec]), "-preset", "medium"]


def pixel_format_of(path: Path) -> str:
    result = subprocess.run([ffmpeg_path(), "-hide_banner", "-i", str(path)], capture_output=True, text=True,
                            check=False)
    match = re.search(r"Video: \w+[^,]*, (\w+)", result.stderr)
    return match.group(1) if match else "yuv420p"


def join(chunks: list[Path], output: Path, job: Job, audio_from: Path | None, notes: list[str]) -> None:
    """Concatenate the chunk files into ``output`` (FFV1 copied as it is, any other codec encoded once), with
    the audio of ``audio_from`` copied when given."""
    listing = output.with_name(output.name + ".chunks.txt")
    listing.write_text("".join(f"file '{path.resolve()}'\n" for path in chunks), encoding="utf-8")
    try:
        command = [ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0",
                   "-i", str(listing)]
        if audio_from is not None:
            command += ["-i", str(audio_from), "-map", "0:v:0", "-map", "1:a?", "-c:a", "copy"]
        video = ["-c:v", "copy"] if job.codec == "ffv1" else video_codec_arguments(job, pixel_format_of(chunks[0]),
                                                                                   notes)
        muxer = {".mkv": "matroska", ".mp4": "mp4", ".mov": "mov"}[output.suffix.lower()]
        result = subprocess.run([*command, *video, "-f", muxer, str(output)], capture_output=True, text=True,
                                check=False)
        if result.returncode != 0 and audio_from is not None:  # an audio codec the container does not take
            notes.append("the input's audio cannot be copied into this container: encoding it as AAC")
            result = subprocess.run([*command, *video, "-c:a", "aac", "-f", muxer, str(output)],
                                    capture_output=True, text=True, check=False)
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["no message"])[-1]
            raise RenderError(f"ffmpeg could not join the chunks into {output}: {last}")
    finally:
        listing.unlink(missing_ok=True)
