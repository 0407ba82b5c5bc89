"""YUV → RGB on the device, so a GPU path can upload 8-bit 4:2:0 planes (1.5 bytes a pixel) instead of float
RGB (12 bytes a pixel) and convert there. Plain torch: the same code is its own CPU twin.

Matches VapourSynth's ``resize.Bilinear(format=vs.RGBS, matrix_in=…, range_in=…)``: chroma is upsampled
bilinearly from its sited positions (edges clamped), then the matrix is applied; the output is not clipped.
"""

from __future__ import annotations

import torch

__all__ = ["CHROMA_OFFSETS", "MATRIX_BT601", "MATRIX_BT709", "upsample_chroma", "yuv_to_rgb"]

# ITU-T H.273 matrix codes (the values of VapourSynth's ``_Matrix`` prop) → (Kr, Kb).
MATRIX_BT709 = 1
MATRIX_BT601 = 6  # 170M; 5 (470BG) has the same coefficients
_KR_KB = {1: (0.2126, 0.0722), 5: (0.299, 0.114), 6: (0.299, 0.114)}

# ``_ChromaLocation`` codes → whether chroma sits on the first luma column / row (True) or between two (False).
CHROMA_OFFSETS = {0: (True, False), 1: (False, False), 2: (True, True), 3: (False, True)}  # left, center, ...


def _upsample_axis(plane: torch.Tensor, dim: int, factor: int, cosited: bool) -> torch.Tensor:
    """Linear interpolation along ``dim`` to ``factor`` times the samples; clamped at the edges."""
    if factor == 1:
        return plane
    source = plane.shape[dim]
    offset = 0.0 if cosited else (factor - 1) / 2  # luma pixels from luma sample 0 to chroma sample 0
    position = (torch.arange(source * factor, device=plane.device, dtype=torch.float32) - offset) / factor
    low = position.floor()
    frac = (position - low).to(plane.dtype)
    low = low.long()
    first = plane.index_select(dim, low.clamp(0, source - 1))
    second = plane.index_select(dim, (low + 1).clamp(0, source - 1))
    shape = [1] * plane.dim()
    shape[dim] = -1
    frac = frac.view(shape)
    return first + (second - first) * frac


def upsample_chroma(plane: torch.Tensor, ss_w: int, ss_h: int, chroma_location: int = 0) -> torch.Tensor:
    """A (..., h, w) chroma plane upsampled by 2**ss_h vertically and 2**ss_w horizontally (bilinear)."""
    cosited_x, cosited_y = CHROMA_OFFSETS[chroma_location]
    plane = _upsample_axis(plane, plane.dim() - 1, 1 << ss_w, cosited_x)
    return _upsample_axis(plane, plane.dim() - 2, 1 << ss_h, cosited_y)


def yuv_to_rgb(y: torch.Tensor, u: torch.Tensor, v: torch.Tensor, *, matrix: int = MATRIX_BT709,
               full_range: bool = False, bits: int = 8, chroma_location: int = 0) -> torch.Tensor:
    """Integer (or float code value) Y, U, V planes → (B, 3, H, W) float32 gamma-encoded RGB, nominally 0..1.

    y: (H, W) or (B, H, W); u, v: the same with H, W divided by the subsampling (1 or 2 per axis).
    ``matrix``: H.273 code (1 = BT.709, 5/6 = BT.601); ``bits``: bit depth of the codes (8–16).
    Example: ``rgb = yuv_to_rgb(y8.cuda(), u8.cuda(), v8.cuda(), matrix=1)``.
    """
    if matrix not in _KR_KB:
        raise ValueError(f"matrix must be one of {sorted(_KR_KB)} (H.273 codes), got {matrix}")
    if chroma_location not in CHROMA_OFFSETS:
        raise ValueError(f"chroma_location must be one of {sorted(CHROMA_OFFSETS)}, got {chroma_location}")
    luma = y.float() if y.dim() == 3 else y.float().unsqueeze(0)
    chroma = torch.stack([u.float(), v.float()], dim=-3)
    if chroma.dim() == 3:
        chroma = chroma.unsqueeze(0)  # (B, 2, h, w)
    ss_h = (luma.shape[-2] // chroma.shape[-2]).bit_length() - 1
    ss_w = (luma.shape[-1] // chroma.shape[-1]).bit_length() - 1
    scale = float(1 << (bits - 8))
    if full_range:
        peak = float((1 << bits) - 1)
        luma = luma / peak
        chroma = (chroma - float(1 << (bits - 1))) / peak
    else:
        luma = (luma - 16 * scale) / (219 * scale)
        chroma = (chroma - 128 * scale) / (224 * scale)
    chroma = upsample_chroma(chroma, ss_w, ss_h, chroma_location)[..., : luma.shape[-2], : luma.shape[-1]]
    kr, kb = _KR_KB[matrix]
    kg = 1 - kr - kb
    cb, cr = chroma[:, 0], chroma[:, 1]
    red = luma + 2 * (1 - kr) * cr
    blue = luma + 2 * (1 - kb) * cb
    green = (luma - kr * red - kb * blue) / kg
    return torch.stack([red, green, blue], dim=1)
