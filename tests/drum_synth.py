"""Synthesized drum kit: test audio whose every hit is known, no soundfont needed.

Each drum is a few lines of the classic analogue recipes (the ones drum
machines use), enough to carry what a transcriber must hear:

- kick: a sine whose pitch falls fast from ~150 to ~50 Hz, plus a beater click;
- snare: two damped body modes (~190 and ~330 Hz) plus a band-passed noise burst (the wires);
- hi-hat: high-passed noise; closed (and pedal) dies in ~30 ms, open rings for ~0.4 s;
- toms: the kick's glide, higher and longer, with a membrane's overtones and a stick click;
- crash: broadband noise from 600 Hz up, ringing for over a second;
- ride: inharmonic metallic partials (the "ping") over a quiet noise wash.

Amplitude follows velocity as (v/127)**2, as General MIDI synthesizers roughly
do. Deterministic: all noise comes from one seeded generator.
"""
from __future__ import annotations

import numpy as np
from scipy import signal

from ml.notes import Note

SAMPLE_RATE = 44100
_PEAK = 0.8

KICK, SNARE, CRASH, RIDE = 36, 38, 49, 51
HH_CLOSED, HH_PEDAL, HH_OPEN = 42, 44, 46
TOM_LOW, TOM_MID, TOM_HIGH = 45, 47, 50
_TOM_HZ = {TOM_LOW: (105.0, 88.0), TOM_MID: (150.0, 126.0), TOM_HIGH: (205.0, 172.0)}  # (start, settled)


def render(notes: list[Note], *, sample_rate: int = SAMPLE_RATE, seed: int = 0) -> np.ndarray:
    """Mono float32 audio of drum ``notes`` (GM pitches), peak-normalised to 0.8, with 1.5 s of tail."""
    rng = np.random.default_rng(seed)
    end = max((n.onset for n in notes), default=0.0) + 1.5
    audio = np.zeros(int(np.ceil(end * sample_rate)))
    for note in sorted(notes, key=lambda n: (n.onset, n.pitch)):
        sound = hit(note.pitch, velocity=note.velocity, sample_rate=sample_rate, rng=rng)
        start = int(round(note.onset * sample_rate))
        audio[start : start + sound.size] += sound[: audio.size - start]
    peak = np.abs(audio).max()
    if peak > 0:
        audio *= _PEAK / peak
    return audio.astype(np.float32)


def hit(pitch: int, *, velocity: int, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """One drum stroke of GM key ``pitch``."""
    gain = (velocity / 127) ** 2
    if pitch == KICK:
        return gain * _pitched_drum(150.0, 50.0, sweep=0.03, decay=0.25, noise=0.08, sample_rate=sample_rate, rng=rng)
    if pitch in _TOM_HZ:
        start, settled = _TOM_HZ[pitch]
        body = _pitched_drum(
            start, settled, sweep=0.05, decay=0.4, noise=0.3, sample_rate=sample_rate, rng=rng,
            modes=len(_MEMBRANE_MODES),
        )
        return gain * 1.2 * body
    if pitch == SNARE:
        return gain * _snare(sample_rate=sample_rate, rng=rng)
    if pitch in (HH_CLOSED, HH_PEDAL, HH_OPEN):
        decay = {HH_CLOSED: 0.03, HH_PEDAL: 0.02, HH_OPEN: 0.4}[pitch]
        level = 0.2 if pitch == HH_PEDAL else 0.35  # the foot closes the cymbals softly
        cymbals = _noise(0.03 + 6 * decay, decay=decay, band=(7000.0, None), sample_rate=sample_rate, rng=rng)
        return gain * level * cymbals
    if pitch == CRASH:
        return gain * 0.7 * _noise(3.0, decay=1.0, band=(600.0, None), sample_rate=sample_rate, rng=rng)
    if pitch == RIDE:
        return gain * 0.4 * _ride(sample_rate=sample_rate, rng=rng)
    raise ValueError(f"no synthesized sound for GM drum key {pitch}")


def _time(seconds: float, sample_rate: int) -> np.ndarray:
    return np.arange(int(seconds * sample_rate)) / sample_rate


# Overtones of a struck circular membrane (Bessel-function zeros over the first):
# (frequency ratio, level, decay relative to the fundamental's).
_MEMBRANE_MODES = ((1.0, 1.0, 1.0), (1.59, 0.35, 0.6), (2.14, 0.2, 0.45), (2.65, 0.1, 0.35))


def _pitched_drum(
    start_hz: float, settled_hz: float, *, sweep: float, decay: float, noise: float, sample_rate: int,
    rng: np.random.Generator, modes: int = 1,
) -> np.ndarray:
    """A membrane: modes gliding from start_hz to settled_hz (time constant ``sweep``), decaying,
    with a stick or beater click."""
    t = _time(6 * decay, sample_rate)
    frequency = settled_hz + (start_hz - settled_hz) * np.exp(-t / sweep)
    phase = 2 * np.pi * np.cumsum(frequency) / sample_rate
    body = sum(
        level * np.sin(ratio * phase) * np.exp(-t / (decay * life)) for ratio, level, life in _MEMBRANE_MODES[:modes]
    )
    body *= np.minimum(t / 0.001, 1.0)  # 1 ms attack, no click from a jump
    click = _noise(0.01, decay=0.002, band=(1500.0, 6000.0), sample_rate=sample_rate, rng=rng)
    body[: click.size] += noise / max(np.abs(click).max(), 1e-9) * click
    return body


def _snare(*, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    t = _time(0.6, sample_rate)
    body = (np.sin(2 * np.pi * 190 * t) + 0.6 * np.sin(2 * np.pi * 330 * t)) * np.exp(-t / 0.06)
    wires = _noise(0.6, decay=0.12, band=(1000.0, 10000.0), sample_rate=sample_rate, rng=rng)
    return 0.5 * body + 1.2 * wires / max(np.abs(wires).max(), 1e-9)


def _ride(*, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    t = _time(2.0, sample_rate)
    partials = [(2950.0, 1.0), (3610.0, 0.7), (4870.0, 0.6), (6320.0, 0.5), (8100.0, 0.3)]
    ping = sum(a * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)) for f, a in partials) * np.exp(-t / 0.6)
    wash = _noise(2.0, decay=0.4, band=(5000.0, None), sample_rate=sample_rate, rng=rng)
    return ping / 2.5 + 0.6 * wash / max(np.abs(wash).max(), 1e-9)


def _noise(
    seconds: float, *, decay: float, band: tuple[float, float | None], sample_rate: int, rng: np.random.Generator
) -> np.ndarray:
    """White noise through a 4th-order Butterworth band (high-pass when the top is None), decaying exponentially."""
    t = _time(seconds, sample_rate)
    low, high = band
    nyquist = sample_rate / 2
    if high is None:
        sos = signal.butter(4, low / nyquist, btype="highpass", output="sos")
    else:
        sos = signal.butter(4, [low / nyquist, min(high / nyquist, 0.99)], btype="bandpass", output="sos")
    filtered = signal.sosfilt(sos, rng.standard_normal(t.size))
    return filtered / max(np.abs(filtered).max(), 1e-9) * np.exp(-t / decay)


def groove(*, bars: int, bpm: float, start: float = 0.5) -> list[Note]:
    """A rock groove with fills and crashes, every class of the kit in it.

    Per bar of 4/4: closed hi-hat eighths (an open one on the last off-beat), kick
    on 1 and 3 and the "and" of 3, snare on 2 and 4 with a quiet ghost note before
    4. Every fourth bar is a fill down the toms; a crash marks the next bar's
    downbeat. Bars 5..8 swap the hi-hat for the ride.
    """
    beat = 60.0 / bpm
    rows: list[tuple[float, int, int]] = []
    for bar in range(bars):
        at = bar * 4
        if bar % 4 == 3:  # fill: snare, then high, mid, low toms in sixteenths
            rows += [(at, KICK, 110), (at, SNARE, 110), (at + 1, SNARE, 95)]
            toms = (TOM_HIGH, TOM_HIGH, TOM_MID, TOM_MID, TOM_LOW, TOM_LOW, TOM_LOW, TOM_LOW)
            rows += [(at + 2 + i / 4, tom, 105) for i, tom in enumerate(toms)]
            continue
        cymbal = RIDE if (bar // 4) % 2 == 1 else HH_CLOSED
        for eighth in range(8):
            if bar % 4 == 0 and eighth == 0 and bar > 0:
                rows.append((at, CRASH, 120))
                continue
            key = HH_OPEN if (cymbal == HH_CLOSED and eighth == 7) else cymbal
            rows.append((at + eighth / 2, key, 95 if eighth % 2 == 0 else 75))
        rows += [(at, KICK, 115), (at + 2, KICK, 110), (at + 2.5, KICK, 100)]
        rows += [(at + 1, SNARE, 115), (at + 3, SNARE, 115), (at + 2.75, SNARE, 40)]
    return sorted(
        (Note(pitch=key, onset=start + position * beat, offset=start + position * beat + 0.1, velocity=velocity)
         for position, key, velocity in rows),
        key=lambda n: (n.onset, n.pitch),
    )
