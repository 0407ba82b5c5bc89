"""The deblurring training data: exact synthetic blur and the training loop's bookkeeping."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
import torch

from vs_slowdeblur.models.registry import builtin_weights_path
from vs_slowdeblur.train.deblur import TrainConfig, change_length, learning_rate, recorded_lengths, train
from vs_slowdeblur.train.evaluate import load_weights
from vs_slowdeblur.train.motion import (
    MotionExample,
    RealShot,
    parse_recipes,
    real_example,
    real_shot,
    real_shots,
    recolour,
    sharp_motion,
    synthetic_example,
    told_exposure,
)
from vs_slowdeblur.train.real import SUBFRAMES
from vs_slowdeblur.train.synthetic import (
    PhotoSource,
    Shake,
    Trajectory,
    exposure_times,
    random_trajectory,
    sampling_grid,
)


def test_exposure_times_are_centred_on_each_frame() -> None:
    times = exposure_times(1, 0.5, 4)
    assert times.shape == (3, 4)
    np.testing.assert_allclose(times.mean(1).numpy(), [-1, 0, 1], atol=1e-6)
    assert float(times[1].max() - times[1].min()) == 0.5 * 3 / 4


def test_a_still_trajectory_samples_the_centre_and_motion_moves_it() -> None:
    image = torch.arange(64 * 64, dtype=torch.float32).view(1, 1, 64, 64) / 4096
    still = Trajectory((0.0, 0.0), (0.0, 0.0), 0.0, 0.0)
    grid = sampling_grid(still, torch.tensor([0.0, 1.0]), 32, 64)
    view = torch.nn.functional.grid_sample(image.expand(2, -1, -1, -1), grid, align_corners=False)
    np.testing.assert_allclose(view[0, 0].numpy(), image[0, 0, 16:48, 16:48].numpy(), atol=1e-6)
    moving = Trajectory((3.0, 0.0), (0.0, 0.0), 0.0, 0.0)  # 3 pixels per frame to the right
    grid = sampling_grid(moving, torch.tensor([1.0]), 32, 64)
    view = torch.nn.functional.grid_sample(image, grid, align_corners=False)
    np.testing.assert_allclose(view[0, 0].numpy(), image[0, 0, 16:48, 19:51].numpy(), atol=1e-5)


def test_a_shaking_trajectory_moves_by_the_sine_of_its_phase() -> None:
    image = torch.arange(64 * 64, dtype=torch.float32).view(1, 1, 64, 64) / 4096
    shaking = Trajectory((0.0, 0.0), (0.0, 0.0), 0.0, 0.0, Shake((3.0, 0.0), 0.25, (0.0, 0.0)))
    grid = sampling_grid(shaking, torch.tensor([0.0, 1.0, 2.0]), 32, 64)  # sin(0), sin(π/2), sin(π)
    view = torch.nn.functional.grid_sample(image.expand(3, -1, -1, -1), grid, align_corners=False)
    for k, shift in enumerate((0, 3, 0)):
        np.testing.assert_allclose(view[k, 0].numpy(), image[0, 0, 16:48, 16 + shift:48 + shift].numpy(), atol=1e-5)


def test_the_speed_bound_covers_every_pixel_of_random_shaking_trajectories() -> None:
    """Sub-frame counts are chosen from ``speed_bound``: no pixel of the patch may move faster."""
    rng = np.random.default_rng(3)
    times = torch.linspace(-2, 2, 801)
    for _ in range(40):
        trajectory = random_trajectory(rng, 24.0, max_shake=3.0)
        grid = sampling_grid(trajectory, times, 48, 2)  # source_size 2: grid units are pixels
        speed = (grid[1:] - grid[:-1]).norm(dim=-1).amax() / float(times[1] - times[0])
        assert float(speed) <= trajectory.speed_bound(48) * 1.001, trajectory


def test_learning_rate_warms_up_then_decays_to_the_floor() -> None:
    config = TrainConfig(steps=1000)
    assert learning_rate(config, 0) < learning_rate(config, 199) <= config.learning_rate
    assert abs(learning_rate(config, 1000) - config.final_learning_rate) < 1e-12


def test_a_replay_follows_the_recorded_run_length_changes() -> None:
    history: list[dict] = [{"step": 250, "loss": 0.1}]
    config = change_length(TrainConfig(steps=4000), 3000, 300, history)
    config = change_length(config, 5000, 2000, history)
    start, changes = recorded_lengths({"config": {**vars(config)}, "history": history})
    assert start == TrainConfig(steps=4000) and changes == {300: 3000, 2000: 5000}


def test_the_shipped_weights_metadata_replays_to_its_own_length() -> None:
    metadata = json.loads(builtin_weights_path().with_suffix(".json").read_text())
    start, changes = recorded_lengths(metadata)
    final = changes[max(changes)] if changes else start.steps
    assert final == metadata["steps"] == metadata["config"]["steps"]
    length = start.steps
    for step in sorted(changes):  # each recorded change happened while the run in force was still going
        assert step < length, (step, length)
        length = changes[step]


def test_compare_reads_shipped_weights_and_training_checkpoints(tmp_path: Path) -> None:
    shipped = torch.load(builtin_weights_path(), weights_only=True)
    checkpoint = tmp_path / "checkpoint.pt"
    torch.save({"model": shipped, "optimiser": {}, "step": 1234}, checkpoint)
    from_checkpoint, step = load_weights(checkpoint)
    from_shipped, no_step = load_weights(builtin_weights_path())
    assert step == 1234 and no_step is None
    assert all(torch.equal(from_checkpoint[k], from_shipped[k]) for k in shipped)


def _example(exposure: float) -> MotionExample:
    zeros = torch.zeros(2, 4, 4)
    return MotionExample(torch.zeros(3, 4, 4), torch.zeros(3, 4, 4), zeros, zeros, exposure)


def test_overstated_exposures_lie_between_the_truth_and_one_and_the_default_draws_as_before() -> None:
    told = [told_exposure(_example(0.125), np.random.default_rng([5, i]), overstated_odds=1.0) for i in range(50)]
    assert all(0.125 <= t <= 1.0 for t in told) and max(told) > 0.5
    for i in range(20):  # odds 0: the same told value and the same stream position as the older formula
        rng, older = np.random.default_rng([6, i]), np.random.default_rng([6, i])
        expected = 0.5 if older.random() < 0.8 else float(older.uniform(0.3, 1.0))
        assert told_exposure(_example(0.5), rng) == expected and rng.random() == older.random()


def _ramp_shot(size: int = 64) -> RealShot:
    """One keyframe whose pixels and motion rise along x: the value of a crop tells where and at what scale it was
    taken. Motion: forward 4 px, backward 2 px per keyframe interval in x."""
    ramp = np.broadcast_to(np.arange(size, dtype=np.uint8)[None, :, None] * 4, (size, size, 3))
    motion = np.zeros((1, 4, size, size), np.float16)
    motion[0, 0], motion[0, 2] = 4.0, 2.0
    return RealShot(ramp[None].copy(), ramp[None].copy(), motion, 0.75)


def test_rescaled_real_crops_shrink_the_picture_and_its_motion_and_the_default_draws_as_before() -> None:
    shot = _ramp_shot()
    for i in range(20):
        example = real_example([shot], np.random.default_rng([7, i]), 16, rescale_odds=1.0)
        scale = float(example.forward[0].mean()) / 4  # motion is scaled with the picture
        assert 0.4 - 1e-4 <= scale <= 1.0 + 1e-4
        assert torch.allclose(example.backward[0], torch.full((16, 16), 2 * scale))
        step = float((example.sharp[0, :, -1] - example.sharp[0, :, 0]).mean()) * 255 / 15
        assert step == pytest.approx(4 / scale, rel=0.15)  # the ramp's slope grows as the crop shrinks
    for i in range(10):  # odds 0: the crop as before rescaling existed, at full scale, same random stream
        rng, older = np.random.default_rng([8, i]), np.random.default_rng([8, i])
        example = real_example([shot], rng, 16)
        older.integers(1), older.integers(1), older.random()
        top, left = int(older.integers(64 - 16 + 1)), int(older.integers(64 - 16 + 1))
        assert torch.equal(example.sharp[0], torch.from_numpy(shot.sharp[0, top:top + 16, left:left + 16, 0] / 255)
                           .float())
        assert torch.equal(example.forward[0], torch.full((16, 16), 4.0))


def test_told_sharp_motion_is_estimated_on_the_real_frames_and_blurry_motion_on_the_keyframes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Dense frame i is flat: red 4i (which frame it is), green 255 on odd i and 0 on even ones. The fake
    estimator returns the green of its two frames as the flow. Real frames are the even ones, so motion on the
    real frames reads 0 and motion on blurry keyframes (means over odd and even sub-frames) reads about half."""
    index = np.arange(64)
    segment = np.zeros((64, 8, 8, 3), np.uint8)
    segment[..., 0] = (index * 4)[:, None, None]
    segment[..., 1] = np.where(index % 2, 255, 0)[:, None, None]

    def estimate(frame0: torch.Tensor, frame1: torch.Tensor) -> torch.Tensor:
        greens = [float(f[0, 1].mean()) for f in (frame0, frame1)]
        return torch.tensor([0.0, 0.0, greens[0], greens[1]]).view(1, 4, 1, 1).expand(1, 4, 8, 8)

    shot = real_shot(segment, 2, 0.75, estimate)
    sharp = sharp_motion(segment, 2, 0.75, estimate)
    assert sharp.shape == shot.motion.shape and len(shot.sharp) > 2
    assert [int(frame[0, 0, 0]) % (4 * SUBFRAMES) for frame in shot.sharp] == [0] * len(shot.sharp)  # real frames
    assert (sharp == 0).all()
    assert ((shot.motion > 0.3) & (shot.motion < 0.7)).all()

    # through the training cache: written once, then served without estimating again, the same arrays
    monkeypatch.setenv("VS_SLOWDEBLUR_CACHE", str(tmp_path))
    (tmp_path / "train").mkdir()
    for told, motion in (("blurry", shot.motion), ("sharp", sharp)):
        first = real_shots([segment], ["test-0-15"], estimate, ((2, 0.75),), told)
        again = real_shots([segment], ["test-0-15"], lambda *frames: pytest.fail("not cached"), ((2, 0.75),), told)
        for cached_shot in first + again:
            assert np.array_equal(cached_shot.blurry, shot.blurry) and np.array_equal(cached_shot.motion, motion)
    assert sorted(f.name for f in (tmp_path / "train").iterdir()) == ["motion-test-0-15-k2-d0.75-s2.npz",
                                                                     "sharp-motion-test-0-15-k2-d0.75-s2.npz"]


def test_synthetic_examples_told_exact_motion_get_the_true_velocity_on_both_sides() -> None:
    source = PhotoSource([], [np.random.default_rng(3).integers(0, 256, (160, 160, 3), dtype=np.uint8)])
    for seed in range(4):
        exact = synthetic_example(source, np.random.default_rng(seed), 24, exact_motion=True)
        degraded = synthetic_example(source, np.random.default_rng(seed), 24)
        assert torch.equal(exact.forward, exact.backward)
        assert torch.equal(exact.sharp, degraded.sharp)  # same scene and trajectory, only the told motion differs
        assert not torch.equal(exact.forward, degraded.forward)


def test_extra_real_recipes_parse_into_keep_every_and_duty() -> None:
    assert parse_recipes("") == () and parse_recipes("4:0.125, 2:0.25") == ((4, 0.125), (2, 0.25))


def test_a_run_from_other_weights_refuses_a_file_with_another_hash(tmp_path: Path) -> None:
    weights = tmp_path / "start.pt"
    weights.write_bytes(b"not the recorded weights")
    config = TrainConfig(model="motion-deblur", init_sha256="0" * 64)
    with pytest.raises(SystemExit, match="sha256 0000"):
        train(config, tmp_path / "run", tmp_path / "out.pt", init=weights)


def test_the_exposure_loss_is_zero_for_the_truth_and_one_per_octave_off() -> None:
    """The exposure estimator's loss (train --model exposure): |log2 error| of the crop mean plus of the pixels."""
    from vs_slowdeblur.train.exposure import log2_error

    truth = torch.tensor([0.125, 0.5])
    inputs = (torch.zeros(2, 3, 16, 16), torch.full((2, 2, 16, 16), 8.0), torch.zeros(2, 1, 16, 16))

    def estimator(factor: float):
        return lambda *args: (truth[:, None, None].expand(2, 4, 4) * factor, torch.ones(2, 4, 4))

    assert float(log2_error(estimator(1.0), inputs, truth)) == pytest.approx(0, abs=1e-6)
    assert float(log2_error(estimator(2.0), inputs, truth)) == pytest.approx(2)


def test_the_exposure_estimator_untrained_weighs_only_moving_pixels() -> None:
    from vs_slowdeblur.models.exposurenet import ExposureNet

    net = ExposureNet()
    frame, still = torch.rand(1, 3, 32, 32), torch.zeros(1, 2, 32, 32)
    assert torch.isnan(net.estimate(frame, still, still[:, :1])).all()
    exposure, weight = net(frame, torch.full((1, 2, 32, 32), 6.0), still[:, :1])
    assert exposure.shape == weight.shape == (1, 8, 8) and bool((weight > 0).all())
    assert bool(((exposure > 0) & (exposure <= 1)).all())


def test_the_exposure_experiment_needs_an_export_path(capsys: pytest.CaptureFixture[str]) -> None:
    """Its weights must not land in the package, where no registry entry checks them."""
    from vs_slowdeblur.train.__main__ import main

    with pytest.raises(SystemExit) as stopped:
        main(["deblur", "--model", "exposure", "--steps", "1"])
    assert stopped.value.code == 2 and "--export FILE" in capsys.readouterr().err


@pytest.mark.parametrize("model", ["exposure", "window-deblur"])
def test_told_motion_is_refused_for_the_models_that_do_not_use_it(model: str,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from vs_slowdeblur.train.__main__ import main

    with pytest.raises(SystemExit) as stopped:
        main(["deblur", "--model", model, "--told-motion", "sharp", "--steps", "1", "--export", "/nonexistent.pt"])
    assert stopped.value.code == 2 and "--told-motion sharp trains motion-deblur only" in capsys.readouterr().err


def test_extra_footage_adds_only_clips_never_validated_or_benchmarked_and_is_off_by_default() -> None:
    from vs_slowdeblur.samples import SAMPLE_NAMES
    from vs_slowdeblur.train import splits

    assert splits.motion_train_ranges() == splits.MOTION_TRAIN and not TrainConfig().extra_footage
    extra = splits.motion_train_ranges(extra_footage=True)
    added = set(extra) - set(splits.MOTION_TRAIN)
    assert added == set(splits.EXTRA_MOTION_TRAIN) and added <= set(SAMPLE_NAMES)
    assert not added & (set(splits.VALIDATION) | set(splits.BENCHMARK))


@pytest.mark.parametrize("option", [["--more-footage", "cockatoo"], ["--recolour-odds", "0.5"]])
def test_motion_deblur_data_options_are_refused_for_window_deblur(option: list[str],
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from vs_slowdeblur.train.__main__ import main

    with pytest.raises(SystemExit) as stopped:
        main(["deblur", "--model", "window-deblur", *option, "--steps", "1", "--export", "/nonexistent.pt"])
    assert stopped.value.code == 2 and f"{option[0]} trains motion-deblur only" in capsys.readouterr().err


def test_more_footage_keeps_away_from_benchmarked_frames_and_is_off_by_default() -> None:
    from vs_slowdeblur.samples import SAMPLE_NAMES
    from vs_slowdeblur.train import splits

    assert not TrainConfig().more_footage and splits.more_motion_ranges("") == {}
    film, more_film, cockatoo = (splits.MORE_MOTION_TRAIN[name] for name in ("bbb-film", "bbb-film-more", "cockatoo"))
    assert splits.more_motion_ranges("bbb-film, cockatoo") == {"bbb-film": film, "cockatoo": cockatoo}
    assert splits.more_motion_ranges("bbb-film,bbb-film-more") == {"bbb-film": film + more_film}
    assert splits.more_motion_ranges("bbb-film-more") == {"bbb-film": more_film}
    assert splits.more_motion_ranges("bbb-film,bbb-film") == {"bbb-film": film}
    clips = {splits.MORE_FOOTAGE_SAMPLE.get(name, name) for name in splits.MORE_MOTION_TRAIN}
    assert clips == {"bbb-film", "cockatoo"} and clips <= set(SAMPLE_NAMES)
    assert not clips & (set(splits.VALIDATION) | set(splits.BENCHMARK) | set(splits.TRAIN))
    first_benchmarked, last_benchmarked = splits.BBB_FILM_BENCHMARKED
    shots = sorted(film + more_film)
    for first, last in shots:
        assert first <= last and (last < first_benchmarked or first > last_benchmarked)
    assert all(last < next_first for (_, last), (next_first, _) in pairwise(shots))  # no frame twice


def test_recolouring_changes_the_frame_and_its_target_alike() -> None:
    """A blurry frame equal to its target stays equal to it; every recoloured pixel stays in [0, 1]; the motion and
    exposure are untouched; and the photographic negative turns up."""
    pixels = torch.from_numpy(np.random.default_rng(4).random((3, 8, 8), dtype=np.float32))
    example = MotionExample(pixels.clone(), pixels.clone(), torch.ones(2, 8, 8), torch.zeros(2, 8, 8), 0.5)
    negatives = 0
    for seed in range(40):
        changed = recolour(example, np.random.default_rng(seed))
        assert torch.equal(changed.blurry, changed.sharp) and not torch.equal(changed.sharp, pixels)
        assert float(changed.sharp.min()) >= 0 and float(changed.sharp.max()) <= 1
        assert changed.forward is example.forward and changed.exposure == 0.5
        negatives += float(torch.corrcoef(torch.stack([changed.sharp.flatten(), pixels.flatten()]))[0, 1]) < 0
    assert 2 <= negatives <= 20


def test_unknown_more_footage_is_refused_with_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    from vs_slowdeblur.train.__main__ import main

    with pytest.raises(SystemExit) as stopped:
        main(["deblur", "--model", "motion-deblur", "--more-footage", "bbb-film,foreman", "--steps", "1",
              "--export", "/nonexistent.pt"])
    assert stopped.value.code == 2
    assert "--more-footage: more footage must be among ['bbb-film', 'bbb-film-more', 'cockatoo'], got 'foreman'" in \
        capsys.readouterr().err


def test_the_loss_leaves_out_the_crop_margin() -> None:
    """An output wrong only in the 8-pixel border costs nothing with --loss-margin 8, and does without."""
    from vs_slowdeblur.train.deblur import restoration_loss

    targets = torch.rand(2, 3, 32, 32)
    wrong_edges = targets.clone()
    wrong_edges[..., :8, :] += 0.5
    wrong_edges[..., :, -8:] -= 0.5
    model = lambda *inputs: wrong_edges  # noqa: E731
    floor = float(restoration_loss(lambda *inputs: targets, (), targets, TrainConfig()))
    assert float(restoration_loss(model, (), targets, TrainConfig(loss_margin=8))) == pytest.approx(floor)
    assert float(restoration_loss(model, (), targets, TrainConfig())) > floor + 0.1


@pytest.mark.parametrize(("arguments", "message"), [
    (["--loss-margin", "48"], "--loss-margin must be 0 or more and leave part of the 96-pixel crop, got 48"),
    (["--loss-margin", "-1"], "--loss-margin must be 0 or more and leave part of the 96-pixel crop, got -1"),
    (["--loss-margin", "8", "--model", "exposure"], "--model exposure has its own, leave it out"),
])
def test_the_margin_option_is_checked(arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    from vs_slowdeblur.train.__main__ import main

    with pytest.raises(SystemExit) as stopped:
        main(["deblur", *arguments, "--steps", "1", "--export", "/nonexistent.pt"])
    assert stopped.value.code == 2 and message in capsys.readouterr().err


def test_the_whole_frame_validation_scores_whole_keyframes_told_as_deblur_is() -> None:
    """Every second keyframe, whole (cropped to the input multiple), told its true exposure, and near-sharp input
    the default 3/4; an unchanged frame gains 0 dB and a black one loses."""
    from vs_slowdeblur.train.motion import whole_frame_gains

    rng = np.random.default_rng(5)
    sharp = rng.integers(0, 256, (4, 18, 22, 3), dtype=np.uint8)
    blurry = np.clip(sharp.astype(int) + rng.integers(-9, 10, sharp.shape), 0, 255).astype(np.uint8)
    motion = np.full((4, 4, 18, 22), 8.0, dtype=np.float16)
    shots = {"real strong": RealShot(blurry, sharp, motion, 0.5),
             "real near-sharp": RealShot(blurry, sharp, motion, 0.125)}
    told: list[tuple[tuple[int, ...], float]] = []

    def recording(frame: torch.Tensor, blur: torch.Tensor, disagreement: torch.Tensor) -> torch.Tensor:
        told.append((tuple(frame.shape), float(blur[0, 0, 0, 0])))
        return frame

    class Recording(torch.nn.Module):
        forward = staticmethod(recording)

    gains = whole_frame_gains(Recording(), shots)
    assert gains == {"real strong, whole keyframes": 0.0, "real near-sharp, whole keyframes, told 3/4": 0.0}
    assert told == [((1, 3, 16, 20), 4.0)] * 2 + [((1, 3, 16, 20), 6.0)] * 2

    class Black(torch.nn.Module):
        forward = staticmethod(lambda frame, blur, disagreement: torch.zeros_like(frame))

    assert all(gain < -10 for gain in whole_frame_gains(Black(), shots).values())
