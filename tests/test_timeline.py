from fractions import Fraction

import pytest

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
