"""Low-level probe statistics: a second set of image statistics, computed here and
nowhere else, for known-answer units that the bland-image control has not seen.

The control (:mod:`.lowlevel`) regresses units on its own basis; a control that passes
only units built from that basis is calibrated on itself. These statistics come from
other colour spaces and other transforms (CIELAB, HSV, the Fourier spectrum, the
lightness histogram), so a unit built from them is low-level but not, by construction,
a function of the control's features. :mod:`.lowlevel` does not import this module,
and this module imports nothing of the control.

Statistics, per image, on [0, 1] RGB (sRGB, D65):
- ``lightness``, ``lightness_spread``: mean and SD of CIELAB L*;
- ``chroma``: mean CIELAB chroma, sqrt(a*^2 + b*^2);
- ``saturation``: mean HSV saturation;
- ``hue_cos``, ``hue_sin``: the saturation-weighted mean of cos and sin of the HSV
  hue angle (0 at red, pi/2 between yellow and green);
- ``spectral_slope``: the slope of log power against log spatial frequency of L*,
  radially averaged over the middle of the spectrum;
- ``orientation``: horizontal minus vertical spectral energy of L*, over their sum;
- ``entropy``: Shannon entropy (bits) of the 32-bin L* histogram.
"""

from __future__ import annotations

import numpy as np

PROBES = ("lightness", "lightness_spread", "chroma", "saturation", "hue_cos", "hue_sin",
          "spectral_slope", "orientation", "entropy")


def _lab(x: np.ndarray) -> np.ndarray:
    """sRGB [0, 1] (... x 3) to CIELAB (D65)."""
    lin = np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                  [0.0193339, 0.1191920, 0.9503041]])
    xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], -1)


def _hsv(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """HSV hue angle (radians) and saturation of sRGB [0, 1] (... x 3)."""
    high, low = x.max(-1), x.min(-1)
    span = high - low
    safe = np.where(span > 0, span, 1)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    hue = np.where(high == r, ((g - b) / safe) % 6,
                   np.where(high == g, (b - r) / safe + 2, (r - g) / safe + 4))
    return hue * np.pi / 3, np.where(high > 0, span / np.where(high > 0, high, 1), 0)


def _spectrum(lightness: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slope of the radially averaged log power over log frequency, and the
    horizontal-minus-vertical energy contrast, of each (H x W) image."""
    n, h, w = lightness.shape
    power = np.abs(np.fft.fft2(lightness - lightness.mean((1, 2), keepdims=True))) ** 2
    fy, fx = np.meshgrid(np.fft.fftfreq(h), np.fft.fftfreq(w), indexing="ij")
    radius = np.hypot(fy, fx)
    bands = np.geomspace(2 / min(h, w), 0.5, 9)
    mids, logs = [], []
    for lo, hi in zip(bands[:-1], bands[1:]):
        ring = (radius >= lo) & (radius < hi)
        mids.append(np.log(np.sqrt(lo * hi)))
        logs.append(np.log(power[:, ring].mean(1) + 1e-12))
    x, y = np.array(mids), np.stack(logs, 1)
    slope = ((x - x.mean()) * (y - y.mean(1, keepdims=True))).sum(1) / ((x - x.mean()) ** 2).sum()
    angle = np.abs(np.arctan2(fy, fx))
    # energy along the horizontal frequency axis is vertical structure, and vice versa
    horizontal = power[:, (np.abs(np.sin(angle)) > 0.92) & (radius > 0)].sum(1)
    vertical = power[:, (np.abs(np.cos(angle)) > 0.92) & (radius > 0)].sum(1)
    return slope, (horizontal - vertical) / (horizontal + vertical + 1e-12)


def probe_statistics(images: np.ndarray, bins: int = 32) -> np.ndarray:
    """(images x 9) probe statistics (see the module docstring) of uint8 N x H x W x 3
    images."""
    x = np.asarray(images, np.float32) / 255
    lab = _lab(x)
    light = lab[..., 0]
    hue, sat = _hsv(x)
    slope, orient = _spectrum(light)
    hist = np.stack([np.histogram(im, bins, (0, 100))[0] for im in light]) / light[0].size
    entropy = -(np.where(hist > 0, hist * np.log2(np.where(hist > 0, hist, 1)), 0)).sum(1)
    weight = sat.sum((1, 2)).clip(1e-12)
    return np.stack([light.mean((1, 2)), light.std((1, 2)),
                     np.hypot(lab[..., 1], lab[..., 2]).mean((1, 2)), sat.mean((1, 2)),
                     (sat * np.cos(hue)).sum((1, 2)) / weight,
                     (sat * np.sin(hue)).sum((1, 2)) / weight, slope, orient, entropy], 1)
