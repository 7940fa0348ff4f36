"""The drum templates: one spectro-temporal patch per drum class, learned from isolated hits.

A template is the mean, over many kits, of the mel spectrogram patch around a
single hit (``TEMPLATE_FRAMES`` frames from ``TEMPLATE_LEAD`` before the onset),
each hit's patch scaled to sum 1 first so loud and soft hits count alike. The
hits are rendered from two General MIDI soundfonts that Debian ships,
TimGM6mb and the csound GM bank, seven kits each (standard, room, power,
electronic, TR-808, jazz, brush). FluidR3 and the AVL acoustic kits are kept
out on purpose: ``bench/drums_eval.py`` scores on them, so they must be kits
the templates never saw.

``templates.npz`` ships beside this module, pinned by sha256. Rebuild it with

    .venv/bin/python -m ml.drums.templates

(needs ``apt-get install fluidsynth timgm6mb-soundfont csound-soundfont``), then
paste the printed checksum into ``TEMPLATES_SHA256``.
"""
from __future__ import annotations

import hashlib
import importlib.resources
import io
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ml.drums import constants as c
from ml.drums.spectrogram import mel_spectrogram
from ml.errors import ModelUnavailableError

TEMPLATES_FILE = "templates.npz"
TEMPLATES_SHA256 = "f4800e79f3be4d9805f3e7c9fb44971b62d55d525c3a4f23983d12e035f620c5"
# The geometry a template file is only valid for; load() compares it.
_GEOMETRY = {
    "sample_rate": c.SAMPLE_RATE, "n_fft": c.N_FFT, "hop": c.HOP, "n_bands": c.N_BANDS,
    "f_min": c.F_MIN, "f_max": c.F_MAX, "template_frames": c.TEMPLATE_FRAMES, "template_lead": c.TEMPLATE_LEAD,
}
# Training material: (soundfont file name, kit programs). See the module docstring.
TRAINING_KITS = (0, 8, 16, 24, 25, 32, 40)
TRAINING_SOUNDFONTS = ("TimGM6mb.sf2", "sf_GMbank.sf2")
_TRAINING_VELOCITIES = (60, 100)
_GAIN_VELOCITY = 100  # gains are the mean hit magnitude at this velocity
_HIT_SPACING_SECONDS = 2.5  # longer than any training sample rings audibly


@dataclass(frozen=True, slots=True)
class DrumTemplates:
    classes: tuple[str, ...]  # names, in the order of the last axis of ``patches``
    patches: np.ndarray  # (TEMPLATE_FRAMES, N_BANDS, classes), each class summing to 1
    # Total spectrogram magnitude of a typical hit of each class (velocity 100).
    # Dividing activations by it makes classes comparable: a soft hi-hat and a
    # soft kick both come out near the same number, though the kick is far louder.
    gains: np.ndarray  # (classes,)


_loaded: DrumTemplates | None = None
_lock = threading.Lock()


def load() -> DrumTemplates:
    """The shipped templates, read and checked once per process."""
    global _loaded
    with _lock:
        if _loaded is None:
            resource = importlib.resources.files("ml.drums") / TEMPLATES_FILE
            try:
                data = resource.read_bytes()
            except FileNotFoundError as error:
                raise ModelUnavailableError() from error
            _loaded = parse(data, expected_sha256=TEMPLATES_SHA256)
        return _loaded


def parse(data: bytes, *, expected_sha256: str | None) -> DrumTemplates:
    """Templates from the bytes of a template file; checks checksum, geometry and shapes."""
    digest = hashlib.sha256(data).hexdigest()
    if expected_sha256 is not None and digest != expected_sha256:
        raise ModelUnavailableError() from ValueError(f"{TEMPLATES_FILE}: sha256 {digest}, expected {expected_sha256}")
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        geometry = {key: archive[key].item() for key in _GEOMETRY}
        classes = tuple(str(name) for name in archive["classes"])
        patches = archive["patches"].astype(np.float64)
        gains = archive["gains"].astype(np.float64)
    if geometry != _GEOMETRY or classes != c.CLASSES or patches.shape != (c.TEMPLATE_FRAMES, c.N_BANDS, len(classes)):
        raise ModelUnavailableError() from ValueError(f"{TEMPLATES_FILE} was built for {geometry}, {classes}")
    patches.setflags(write=False)
    gains.setflags(write=False)
    return DrumTemplates(classes=classes, patches=patches, gains=gains)


def hit_patch(spectrogram: np.ndarray, onset_seconds: float) -> np.ndarray:
    """(TEMPLATE_FRAMES, N_BANDS) patch of ``spectrogram`` for a hit at ``onset_seconds``."""
    first = round(onset_seconds / c.FRAME_SECONDS) - c.TEMPLATE_LEAD
    return spectrogram[:, first : first + c.TEMPLATE_FRAMES].T


def build(*, soundfont_dir: Path) -> DrumTemplates:
    """Learn templates from isolated hits rendered with fluidsynth (see the module docstring)."""
    from ml.drums import fluidsynth

    sums = np.zeros((c.TEMPLATE_FRAMES, c.N_BANDS, len(c.CLASSES)))
    counts = np.zeros(len(c.CLASSES))
    magnitudes: list[list[float]] = [[] for _ in c.CLASSES]
    for soundfont in TRAINING_SOUNDFONTS:
        for kit in TRAINING_KITS:
            hits = [
                (k, fluidsynth.Hit(time=0.5 + index * _HIT_SPACING_SECONDS, pitch=pitch, velocity=velocity))
                for index, (k, pitch, velocity) in enumerate(
                    (k, pitch, velocity)
                    for k, name in enumerate(c.CLASSES)
                    for pitch in c.CLASS_GM_PITCHES[name]
                    for velocity in _TRAINING_VELOCITIES
                )
            ]
            audio = fluidsynth.render([hit for _, hit in hits], soundfont=soundfont_dir / soundfont, kit=kit)
            spectrogram = mel_spectrogram(audio)
            for k, hit in hits:
                patch = hit_patch(spectrogram, hit.time)
                total = patch.sum()
                if total <= 0:  # a kit without this sound
                    continue
                sums[:, :, k] += patch / total
                counts[k] += 1
                if hit.velocity == _GAIN_VELOCITY:
                    magnitudes[k].append(total)
    patches = sums / counts
    patches /= patches.sum(axis=(0, 1), keepdims=True)
    gains = np.array([np.mean(m) for m in magnitudes])
    return DrumTemplates(classes=c.CLASSES, patches=patches, gains=gains / gains.mean())


def save(templates: DrumTemplates, path: Path) -> str:
    """Write ``templates`` to ``path``; returns the file's sha256."""
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        classes=np.array(templates.classes),
        patches=templates.patches.astype(np.float32),
        gains=templates.gains.astype(np.float32),
        **{key: np.array(value) for key, value in _GEOMETRY.items()},
    )
    data = buffer.getvalue()
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def main() -> None:
    import argparse

    from ml.drums import fluidsynth

    parser = argparse.ArgumentParser(description="Rebuild ml/drums/templates.npz from GM soundfonts.")
    parser.add_argument("--soundfont-dir", type=Path, default=fluidsynth.SOUNDFONT_DIR)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name(TEMPLATES_FILE))
    args = parser.parse_args()
    digest = save(build(soundfont_dir=args.soundfont_dir), args.out)
    print(f"wrote {args.out}\nTEMPLATES_SHA256 = \"{digest}\"")


if __name__ == "__main__":
    main()
