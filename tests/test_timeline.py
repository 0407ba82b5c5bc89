from fractions import Fraction

import pytest
import vapoursynth as vs

from vs_slowdeblur.engine import timeline as timeline_module
from vs_slowdeblur.engine.timeline import Timeline


@pytest.mark.parametrize(
    ("factor", "n", "expected_length"),
    [(Fraction(2), 10, 20), (Fraction(4), 3, 12), (Fraction(5, 2), 10, 25), (Fraction(5, 2), 3, 8)],
)
def test_output_length_keeps_duration(factor: Fraction, n: int, expected_length: int) -> None:
    assert Timeline(factor, n).output_length == expected_length


def test_source_positions_of_integer_factor() -> None:
    timeline = Timeline(Fraction(4), 5)
    assert [timeline.source_position(m) for m in range(5)] == [
        (0, 0), (0, Fraction(1, 4)), (0, Fraction(1, 2)), (0, Fraction(3, 4)), (1, 0)]
    assert timeline.is_last_of_source(3) and not timeline.is_last_of_source(2)


def test_source_positions_of_fractional_factor() -> None:
    timeline = Timeline(Fraction(5, 2), 4)  # 24000/1001 → 60000/1001
    positions = [timeline.source_position(m) for m in range(6)]
    assert positions == [(0, 0), (0, Fraction(2, 5)), (0, Fraction(4, 5)), (1, Fraction(1, 5)),
                         (1, Fraction(3, 5)), (2, 0)]


def _numbered(length: int) -> vs.VideoNode:
    """A tiny clip whose frame n carries prop N = n."""
    blank = vs.core.std.BlankClip(width=8, height=8, length=length)

    def number(n: int, f: vs.VideoFrame) -> vs.VideoFrame:
        out = f.copy()
        out.props["N"] = n
        return out

    return blank.std.ModifyFrame(blank, number)


@pytest.mark.parametrize("factor", [Fraction(2), Fraction(3), Fraction(5, 2), Fraction(7, 3), Fraction(6, 5),
                                    Fraction(2400, 1001), Fraction(100101, 50000), Fraction(233333, 100000)])
@pytest.mark.parametrize("length", [1, 2, 7])
@pytest.mark.parametrize("max_cycle_outputs", [timeline_module.MAX_CYCLE_OUTPUTS, 1], ids=["as shipped", "one by one"])
def test_remap_shows_the_source_frame_of_each_output_frame(factor: Fraction, length: int, max_cycle_outputs: int,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Both ways of remapping (one SelectEvery, or frames picked one by one for ratios with a long cycle such
    as 100101/50000: 60 fps from a 1000000/33367 fps clip) show the same source frames."""
    monkeypatch.setattr(timeline_module, "MAX_CYCLE_OUTPUTS", max_cycle_outputs)
    timeline = Timeline(factor, length)
    remapped = timeline.remap(_numbered(length))
    assert remapped.num_frames == timeline.output_length
    assert [f.props["N"] for f in remapped.frames()] == [timeline.source_position(m)[0]
                                                         for m in range(timeline.output_length)]


def test_remap_of_a_long_clip_at_a_fractional_factor() -> None:
    """25 → 60000/1001 fps: 2400 output frames per 1001 source frames. Building the map must not make a clip
    2400 times as long as the source (VapourSynth refuses clips over 2**31 − 1 frames)."""
    timeline = Timeline(Fraction(2400, 1001), 1_000_000)
    remapped = timeline.remap(_numbered(1_000_000))
    assert remapped.num_frames == timeline.output_length == 2_397_603
    for m in (0, 1_234_567, 2_397_602):
        assert remapped.get_frame(m).props["N"] == timeline.source_position(m)[0]
