"""The clip a render encodes: the input (a video file through BestSource, or a .vpy script's output 0), the
operator, and a conversion to a format vspipe's y4m carries (integer GRAY or YUV, 8–16 bits)."""

from __future__ import annotations

import runpy
from pathlib import Path

import vapoursynth as vs

from ..filters import deblur, extract, interpolate, slowmo
from .job import Job

Y4M_FALLBACK = vs.YUV444P16  # for RGB and float clips: y4m has no RGB, and 16-bit 4:4:4 loses next to nothing


def open_input(job: Job) -> vs.VideoNode:
    """The source clip: a video file's first video track, or the clip a .vpy script sets as output 0."""
    if not job.is_script:
        return vs.core.bs.VideoSource(str(Path(job.input).resolve()))
    vs.clear_outputs()
    runpy.run_path(str(Path(job.input).resolve()), run_name="__vapoursynth__")
    outputs = vs.get_outputs()
    if 0 not in outputs:
        raise ValueError(f"INPUT script {job.input} sets no output 0; end it with clip.set_output()")
    output = outputs[0]
    clip = output.clip if isinstance(output, vs.VideoOutputTuple) else output
    if not isinstance(clip, vs.VideoNode):
        raise ValueError(f"INPUT script {job.input}'s output 0 is not a video clip")
    return clip


def apply_operator(job: Job, clip: vs.VideoNode) -> vs.VideoNode:
    """``job.op`` on the source clip with its options (a script's output is taken as it is)."""
    keywords = {"preset": job.preset, **job.options}
    if job.op == "deblur":
        return deblur(clip, **keywords)
    if job.op == "extract":
        return extract(clip, job.count(), **keywords)
    if job.op == "interpolate":
        return interpolate(clip, **job.rate(), **keywords)
    if job.op == "slowmo":
        return slowmo(clip, **job.rate(), **keywords)
    return clip


def y4m_ready(clip: vs.VideoNode) -> vs.VideoNode:
    """``clip`` itself when y4m carries its format, else converted to ``Y4M_FALLBACK`` (BT.709 for RGB)."""
    fmt = clip.format
    if fmt.color_family in (vs.GRAY, vs.YUV) and fmt.sample_type == vs.INTEGER:
        return clip
    matrix = {"matrix": vs.MATRIX_BT709} if fmt.color_family == vs.RGB else {}
    return clip.resize.Point(format=Y4M_FALLBACK, **matrix)


def render_clip(job: Job) -> vs.VideoNode:
    """The clip every chunk encodes a range of."""
    return y4m_ready(apply_operator(job, open_input(job)))


def vspipe_output(job_path: str) -> None:
    """The body of each chunk's vspipe script: the job's clip as output 0, on ``job.threads`` threads."""
    job = Job.load(Path(job_path))
    vs.core.num_threads = job.threads
    render_clip(job).set_output()
