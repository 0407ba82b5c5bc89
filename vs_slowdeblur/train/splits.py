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


def motion_train_ranges(extra_footage: bool = False) -> dict[str, tuple[tuple[int, int], ...]]:
    """The real shots motion-deblur trains on: ``MOTION_TRAIN``, plus ``EXTRA_MOTION_TRAIN`` when asked."""
    return {**MOTION_TRAIN, **(EXTRA_MOTION_TRAIN if extra_footage else {})}
