"""The benchmark anyone can rerun: rendered scores -> our transcription -> mir_eval scores.

    .venv/bin/python -m bench.run --suite piano [--pieces N] [--seconds 30] [--device cpu|cuda] [--out results.json]

Suites:

- ``piano``: every piece of ``bench.corpus.PIANO_PIECES`` rendered on a piano,
  through ``ml.pipeline.transcribe_file`` (Transkun 2.0).
- ``instruments``: each isolated stem of ``bench.corpus.ENSEMBLE_PIECES`` (bass,
  guitar, vocals, other) through ``ml.models.basic_pitch.transcribe`` for that
  instrument. Basic Pitch runs on onnxruntime's CPU provider whatever --device says.
- ``mix``: each mixture of ``ENSEMBLE_PIECES`` (four instruments and drums)
  through ``ml.pipeline.transcribe_recording`` with separation on, scored per
  instrument against the stems' notes. Also per piece: the separation stage's
  stems against the rendered ones (SDR, with the mixture's own SDR as the
  floor), and each instrument's model run on the whole mixture with no
  separation: the bare model on the same audio, which the pipeline must never
  score below. Where separation cannot run (no ``ml.separation``, or its
  weights are not in --model-dir: ``python manage.py fetch_models``) the suite
  prints "separation not available", the reason, and exits with status 2: no
  numbers.

Prints a table per piece and instrument, totals over all notes, and wall time,
real-time factor and peak memory per stage; writes the same as JSON (--out,
default var/bench/<suite>-<device>.json). Renders are cached in var/bench/.
Needs fluidsynth and a General MIDI soundfont: bench/setup.sh installs them.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import corpus, render
from bench.metrics import (
    ONSET_TOLERANCE, NoteCounts, StageTiming, count_by_instrument, count_matches, cpu_seconds, measure, peak_rss_mb,
    sdr,
)

SUITES = ("piano", "instruments", "mix")
EXIT_UNAVAILABLE = 2  # the suite cannot run here (missing stage or tool); no numbers were made
PIANO_TARGET_ONSET_F1 = 0.95  # product target on clean rendered piano
SEPARATION_UNAVAILABLE = "separation not available"
DEFAULT_MODEL_DIR = Path("var/models")  # the MODEL_DIR setting's default


@dataclass(slots=True)
class Row:
    piece: str
    instrument: str
    counts: NoteCounts
    audio_seconds: float
    transcribe_seconds: float  # the model stage alone, for the row's RTF


@dataclass(slots=True)
class StemScore:
    piece: str
    stem: str
    separated_sdr: float  # dB: the separation stage's stem against the rendered stem
    mixture_sdr: float  # dB: the whole mixture taken as that stem, where separation starts from


@dataclass(slots=True)
class Results:
    rows: list[Row] = field(default_factory=list)
    stages: list[StageTiming] = field(default_factory=list)
    rendered: int = 0  # pieces rendered in this run (the others came from the cache)
    # mix suite only
    separation: list[StemScore] = field(default_factory=list)
    bare_rows: list[Row] = field(default_factory=list)  # each instrument's model on the whole mixture


# --- Suites ---------------------------------------------------------------------------

class Marks:
    """A pipeline progress callback that notes when each stage label first appears,
    so one facade call yields a timing per stage."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names  # pipeline stage label -> our stage name
        self.marks: list[tuple[str, float, float]] = []  # (stage, wall clock, process CPU time)

    def __call__(self, stage: str, _fraction: float) -> None:
        if all(stage != seen for seen, _, _ in self.marks):
            self.marks.append((stage, time.perf_counter(), cpu_seconds()))

    def stages(self, whole: StageTiming) -> list[StageTiming]:
        """One timing per stage but the last ("Done"), with ``whole``'s audio length and memory."""
        return [
            StageTiming(
                self.names.get(stage, stage.lower()), whole.audio_seconds, next_wall - wall, next_cpu - cpu,
                whole.peak_rss_mb, whole.peak_cuda_mb,
            )
            for (stage, wall, cpu), (_, next_wall, next_cpu) in zip(self.marks, self.marks[1:])
        ]

    def __contains__(self, stage: str) -> bool:
        return any(stage == seen for seen, _, _ in self.marks)

    def seconds(self, stage: str) -> float:
        """Wall time of ``stage``: from its first report to the next stage's."""
        times = [wall for _, wall, _ in self.marks]
        index = [name for name, _, _ in self.marks].index(stage)
        return times[index + 1] - times[index]


def _pipeline_stage_names() -> dict[str, str]:
    from ml import pipeline

    names = {
        pipeline.STAGE_READING: "read audio", pipeline.STAGE_SPLITTING_VOCALS: "split vocals",
        pipeline.STAGE_SEPARATING: "separate", pipeline.STAGE_SAVING_STEMS: "save stems",
    }
    names.update({pipeline.transcribing_stage(i): f"transcribe {i}" for i in pipeline.INSTRUMENTS})
    return names


def run_piano(pieces: list[corpus.Piece], *, seconds: float, device: str, cache: Path) -> Results:
    import torch  # noqa: F401  (imported first so measure() can read CUDA memory)

    from ml import pipeline

    stage_names = _pipeline_stage_names()
    results = Results()
    for piece in pieces:
        rendition = _render(results, lambda: render.render_piano(piece, seconds=seconds, cache_dir=cache))
        if piece is pieces[0]:  # after the first render, so "load model" holds only the model
            with measure("load model", audio_seconds=0.0) as timing:
                pipeline.preload(device)
            results.stages.append(timing)

        marks = Marks(stage_names)
        with measure("pipeline (all stages)", audio_seconds=rendition.seconds) as timing:
            transcription = pipeline.transcribe_file(rendition.audio, device=device, progress=marks)
        results.stages += [timing, *marks.stages(timing)]

        (track,) = transcription.tracks
        counts = count_matches(rendition.reference.notes, track.notes)
        transcribe = marks.seconds(pipeline.STAGE_TRANSCRIBING)
        results.rows.append(Row(piece.key, "piano", counts, rendition.seconds, transcribe))
        _print_latest(results)
    return results


def run_instruments(pieces: list[corpus.Piece], *, seconds: float, cache: Path) -> Results:
    from ml.audio import load
    from ml.models import basic_pitch

    results = Results()
    for piece in pieces:
        ensemble = _render(results, lambda: render.render_ensemble(piece, seconds=seconds, cache_dir=cache))
        if piece is pieces[0]:
            with measure("load model", audio_seconds=0.0) as timing:
                basic_pitch.get_session()
            results.stages.append(timing)
        for role in corpus.PITCHED_ROLES:
            stem = ensemble.stems.get(role)
            if stem is None:
                continue
            with measure("read audio", audio_seconds=stem.seconds) as read:
                samples = load(stem.audio, sample_rate=basic_pitch.SAMPLE_RATE, mono=True)
            with measure(f"transcribe {role}", audio_seconds=stem.seconds) as transcribe:
                track = basic_pitch.transcribe(samples, instrument=role, sample_rate=basic_pitch.SAMPLE_RATE)
            results.stages += [read, transcribe]
            counts = count_matches(stem.reference.notes, track.notes)
            results.rows.append(Row(piece.key, role, counts, stem.seconds, transcribe.wall_seconds))
            _print_latest(results)
    return results


class SeparationUnavailable(Exception):
    pass


def run_mix(
    pieces: list[corpus.Piece], *, seconds: float, device: str, cache: Path, model_dir: Path, download: bool,
    vocals_first: bool = True, separation_model: str = "htdemucs_6s", bare_models_only: bool = False,
) -> Results:
    """Raises SeparationUnavailable, before any score is made, when separation cannot run here.

    ``bare_models_only``: no separation at all, only each instrument's model on the
    whole mixture (as the rows): the bar the separated pipeline must clear,
    measurable on any machine.
    """
    import torch  # noqa: F401

    from ml import pipeline
    from ml.audio import load
    from ml.errors import ModelUnavailableError

    problem = None if bare_models_only else separation_problem()
    if problem:
        raise SeparationUnavailable(problem)
    stage_names = _pipeline_stage_names()
    results = Results()
    for piece in pieces:
        ensemble = _render(results, lambda: render.render_ensemble(piece, seconds=seconds, cache_dir=cache))
        roles = tuple(role for role in corpus.PITCHED_ROLES if role in ensemble.stems)
        references = [ensemble.stems[role].reference for role in roles]
        if bare_models_only:
            bare = pipeline.PipelineOptions(instruments=roles, separate=False, device=device)
            marks = Marks(stage_names)
            with measure("pipeline (all stages)", audio_seconds=ensemble.mix.seconds) as timing:
                result = pipeline.transcribe_recording(ensemble.mix.audio, options=bare, progress=marks)
            results.stages += [timing, *marks.stages(timing)]
            for role, counts in count_by_instrument(references, result.transcription.tracks).items():
                results.rows.append(Row(piece.key, role, counts, ensemble.mix.seconds,
                                        marks.seconds(pipeline.transcribing_stage(role))))
                _print_latest(results)
            continue
        options = pipeline.PipelineOptions(
            instruments=roles, separate=True, device=device, model_dir=model_dir, download_weights=download,
            separation_model=separation_model,
            # The default vocals model runs first where its checkpoint is in model_dir.
            **({} if vocals_first else {"vocals_model": None}),
        )
        marks = Marks(stage_names)
        try:
            # The separation stage alone first, for its stems' SDR (untimed: the
            # timed pipeline call below separates again, as a job does).
            mixture = load(ensemble.mix.audio, sample_rate=pipeline.SAMPLE_RATE, mono=False)
            stems = pipeline.separate_recording(mixture, options=options, progress=lambda _stage, _fraction: None)
            with measure("pipeline (all stages)", audio_seconds=ensemble.mix.seconds) as timing:
                result = pipeline.transcribe_recording(ensemble.mix.audio, options=options, progress=marks)
        except ModelUnavailableError as error:  # e.g. weights not fetched; the message names the file
            if results.rows:
                raise
            raise SeparationUnavailable(f"{type(error).__name__}: {error}") from error
        results.stages += [timing, *marks.stages(timing)]
        for role, rendition in ensemble.stems.items():
            if role in stems:
                truth = load(rendition.audio, sample_rate=pipeline.SAMPLE_RATE, mono=False)
                results.separation.append(StemScore(piece.key, role, sdr(truth, stems[role]), sdr(truth, mixture)))
        del stems, mixture
        together = pipeline.transcribing_together_stage(roles)  # on a GPU the instruments run side by side
        for role, counts in count_by_instrument(references, result.transcription.tracks).items():
            stage = next((s for s in (pipeline.transcribing_stage(role), together) if s in marks), None)
            wall = marks.seconds(stage) if stage is not None else 0.0
            results.rows.append(Row(piece.key, role, counts, ensemble.mix.seconds, wall))
            _print_latest(results)
        # The bare models on the same audio: every instrument's model on the whole mixture.
        bare = pipeline.PipelineOptions(instruments=roles, separate=False, device=device)
        bare_tracks = pipeline.transcribe_recording(ensemble.mix.audio, options=bare).transcription.tracks
        for role, counts in count_by_instrument(references, bare_tracks).items():
            results.bare_rows.append(Row(piece.key, role, counts, ensemble.mix.seconds, 0.0))
    return results


def separation_summary(scores: list[StemScore]) -> dict[str, dict[str, float]]:
    """Per stem: mean SDR of the separated stems and of the mixture over the pieces, and the gain."""
    summary = {}
    for stem in dict.fromkeys(s.stem for s in scores):
        chosen = [s for s in scores if s.stem == stem]
        separated = sum(s.separated_sdr for s in chosen) / len(chosen)
        mixture = sum(s.mixture_sdr for s in chosen) / len(chosen)
        summary[stem] = {"pieces": len(chosen), "separated_sdr": separated, "mixture_sdr": mixture,
                         "gain_db": separated - mixture}
    return summary


def bare_model_comparison(results: Results) -> dict[str, dict[str, object]]:
    """Per instrument: onset F1 through the pipeline and from the bare model on the mixture."""
    piped, bare = totals(results.rows), totals(results.bare_rows)
    return {
        key: {"pipeline_onset_f1": piped[key][0].onset_f1, "bare_model_onset_f1": bare[key][0].onset_f1,
              "pipeline_not_below": piped[key][0].onset_f1 >= bare[key][0].onset_f1}
        for key in piped if key in bare
    }


def separation_problem() -> str | None:
    """Why the pipeline cannot separate here, or None when it has a separation stage to call."""
    try:
        from ml import separation
    except ImportError as error:
        return f"ml.separation cannot be imported ({error})"
    if not callable(getattr(separation, "separate", None)):
        return "ml.separation has no separate() for the pipeline to call"
    return None


def _render(results: Results, make: Callable[[], render.Rendition | render.Ensemble]):
    rendered = make()
    rendition = rendered.mix if isinstance(rendered, render.Ensemble) else rendered
    if rendition.render_seconds is not None:
        results.rendered += 1
        results.stages.append(StageTiming(
            "render (music21 + fluidsynth)", rendition.seconds, rendition.render_seconds, peak_rss_mb=peak_rss_mb()
        ))
    return rendered


# --- Reporting ------------------------------------------------------------------------

_HEADER = (
    f"{'piece':<26} {'instrument':<10} {'ref':>5} {'est':>5} {'onset P':>8} {'R':>6} {'F1':>6}"
    f" {'on+off F1':>9} {'lag ms':>7} {'audio s':>8} {'RTF':>6}"
)


def _format_row(label: str, instrument: str, counts: NoteCounts, audio: float, wall: float) -> str:
    lag = counts.median_onset_error
    return (
        f"{label:<26} {instrument:<10} {counts.reference:>5} {counts.estimated:>5}"
        f" {counts.onset_precision:>8.3f} {counts.onset_recall:>6.3f} {counts.onset_f1:>6.3f}"
        f" {counts.offset_f1:>9.3f} {'' if lag is None else f'{lag * 1000:+.1f}':>7}"
        f" {audio:>8.1f} {wall / audio if audio else 0:>6.3f}"
    )


def _print_latest(results: Results) -> None:
    """Print the newest row as it comes, under the header when it is the first."""
    if len(results.rows) == 1:
        print(_HEADER)
    row = results.rows[-1]
    print(_format_row(row.piece, row.instrument, row.counts, row.audio_seconds, row.transcribe_seconds), flush=True)


def totals(rows: list[Row]) -> dict[str, tuple[NoteCounts, float, float]]:
    """Per instrument and "all": (pooled counts, audio seconds, transcribe seconds)."""
    out: dict[str, tuple[NoteCounts, float, float]] = {}
    for key in [*dict.fromkeys(r.instrument for r in rows), "all"]:
        chosen = [r for r in rows if key in ("all", r.instrument)]
        counts = sum((r.counts for r in chosen), NoteCounts())
        out[key] = (counts, sum(r.audio_seconds for r in chosen), sum(r.transcribe_seconds for r in chosen))
    return out


def stage_summary(stages: list[StageTiming]) -> list[dict[str, object]]:
    summary = []
    for name in dict.fromkeys(s.stage for s in stages):
        chosen = [s for s in stages if s.stage == name]
        audio = sum(s.audio_seconds for s in chosen)
        wall = sum(s.wall_seconds for s in chosen)
        cuda = [s.peak_cuda_mb for s in chosen if s.peak_cuda_mb is not None]
        cpu = None if any(s.cpu_seconds is None for s in chosen) else sum(s.cpu_seconds for s in chosen)
        summary.append({
            "stage": name,
            "calls": len(chosen),
            "audio_seconds": audio,
            "wall_seconds": wall,
            "real_time_factor": wall / audio if audio else None,
            "cpu_seconds": cpu,
            "cpu_time_factor": cpu / audio if audio and cpu is not None else None,
            "peak_rss_mb": max(s.peak_rss_mb for s in chosen),
            "peak_cuda_mb": max(cuda) if cuda else None,
        })
    return summary


def print_summary(results: Results, *, suite: str) -> None:
    print()
    by_instrument = totals(results.rows)
    for key, (counts, audio, wall) in by_instrument.items():
        if key != "all" or len(by_instrument) > 2:
            print(_format_row(f"TOTAL {len({r.piece for r in results.rows})} pieces", key, counts, audio, wall))
    if suite == "piano":
        f1 = by_instrument["all"][0].onset_f1
        verdict = "met" if f1 >= PIANO_TARGET_ONSET_F1 else "NOT met"
        print(f"target onset F1 >= {PIANO_TARGET_ONSET_F1}: {verdict} ({f1:.3f})")
    if suite == "mix" and results.bare_rows:
        _print_mix_comparisons(results)
    print(f"\nonset tolerance {ONSET_TOLERANCE * 1000:.0f} ms; lag = median (estimated - reference) onset of matches;"
          " RTF = transcribe wall time / audio time")
    print(f"\n{'stage':<30} {'calls':>5} {'audio s':>8} {'wall s':>8} {'RTF':>7} {'CPU s':>8} {'CPU/audio':>9}"
          f" {'peak RSS MB':>12} {'peak CUDA MB':>13}")
    for s in stage_summary(results.stages):
        def fmt(value: object, spec: str) -> str:
            return "" if value is None else format(value, spec)

        print(f"{s['stage']:<30} {s['calls']:>5} {s['audio_seconds']:>8.1f} {s['wall_seconds']:>8.2f}"
              f" {fmt(s['real_time_factor'], '.3f'):>7} {fmt(s['cpu_seconds'], '.1f'):>8}"
              f" {fmt(s['cpu_time_factor'], '.3f'):>9} {s['peak_rss_mb']:>12.0f} {fmt(s['peak_cuda_mb'], '.0f'):>13}")
    print("RTF = wall time / audio time; CPU/audio = this process's CPU time (all threads) / audio time;")
    print("peak RSS is the process's peak so far (ru_maxrss), so later stages include earlier ones")


def _print_mix_comparisons(results: Results) -> None:
    print("\nseparation: SDR in dB against the rendered stems, mean over pieces"
          " (mixture = the whole mix taken as the stem; silence scores 0 dB)")
    print(f"{'stem':<10} {'pieces':>6} {'separated':>10} {'mixture':>8} {'gain':>7}")
    for stem, row in separation_summary(results.separation).items():
        print(f"{stem:<10} {row['pieces']:>6} {row['separated_sdr']:>10.2f} {row['mixture_sdr']:>8.2f}"
              f" {row['gain_db']:>+7.2f}")
    print("\nthe pipeline against the bare model on the same audio (onset F1; bare = each model on the whole mix)")
    print(f"{'instrument':<10} {'pipeline':>9} {'bare':>6}  target: never below")
    for key, row in bare_model_comparison(results).items():
        verdict = "met" if row["pipeline_not_below"] else "NOT met"
        print(f"{key:<10} {row['pipeline_onset_f1']:>9.3f} {row['bare_model_onset_f1']:>6.3f}  {verdict}")


def machine() -> dict[str, object]:
    """What the numbers were measured on."""
    info: dict[str, object] = {
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "ram_gb": _ram_gb(),
        "os": platform.platform(),
        "python": platform.python_version(),
    }
    torch = sys.modules.get("torch")
    if torch is not None:
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
    if "onnxruntime" in sys.modules:
        info["onnxruntime"] = sys.modules["onnxruntime"].__version__
    import music21

    info["music21"] = music21.__version__
    info["fluidsynth"] = _first_line(["fluidsynth", "--version"])
    info["soundfont"] = str(render.soundfont())
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / (1 << 20), 1)
    except OSError:
        pass
    return None


def _first_line(command: list[str]) -> str | None:
    try:
        output = subprocess.run(command, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return output.splitlines()[0].strip() if output else None


def _git_commit() -> str | None:
    commit = _first_line(["git", "rev-parse", "--short", "HEAD"])
    dirty = _first_line(["git", "status", "--porcelain", "--untracked-files=no"])
    return None if commit is None else commit + ("+dirty" if dirty else "")


def to_json(
    results: Results, *, suite: str, device: str, args: argparse.Namespace, wall: float, load_before: list[float]
) -> dict[str, object]:
    return {
        "suite": suite,
        "command": " ".join(shlex.quote(a) for a in ["python", "-m", "bench.run", *sys.argv[1:]]),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
        "device": device,
        "settings": {"pieces": args.pieces, "seconds": args.seconds, "onset_tolerance_s": ONSET_TOLERANCE},
        "machine": machine(),
        "run_wall_seconds": wall,
        # Wall times on a machine shared with other work grow with its load; CPU times do not.
        "load_average_before": load_before,
        "load_average_after": list(os.getloadavg()),
        "pieces_rendered_in_this_run": results.rendered,
        "rows": [
            {"piece": r.piece, "instrument": r.instrument, "audio_seconds": r.audio_seconds,
             "transcribe_seconds": r.transcribe_seconds, **r.counts.to_dict()}
            for r in results.rows
        ],
        "totals": {
            key: {"audio_seconds": audio, "transcribe_seconds": wall_s, **counts.to_dict()}
            for key, (counts, audio, wall_s) in totals(results.rows).items()
        },
        "stages": stage_summary(results.stages),
        **({} if not results.bare_rows else {
            "separation": {
                "per_piece": [
                    {"piece": x.piece, "stem": x.stem, "separated_sdr": x.separated_sdr, "mixture_sdr": x.mixture_sdr}
                    for x in results.separation
                ],
                "per_stem": separation_summary(results.separation),
            },
            "bare_model": {
                "rows": [{"piece": r.piece, "instrument": r.instrument, **r.counts.to_dict()} for r in results.bare_rows],
                "comparison": bare_model_comparison(results),
            },
        }),
    }


# --- Entry point ----------------------------------------------------------------------

def _resolve_device(requested: str | None) -> str:
    import torch

    if requested is None:
        from ml import registry

        return registry.default_device().type
    if requested == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA device is available here")
    return requested


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rescored benchmark: render -> transcribe -> mir_eval.")
    parser.add_argument("--suite", choices=SUITES, required=True)
    parser.add_argument("--pieces", type=int, default=None,
                        help="the first N pieces of the suite's fixed list (default: all)")
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="truncate each piece to this many seconds (default 30)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default=None,
                        help="piano model device (default: cuda when available, else cpu)")
    parser.add_argument("--out", type=Path, default=None, help="JSON results (default var/bench/<suite>-<device>.json)")
    parser.add_argument("--cache", type=Path, default=render.DEFAULT_CACHE, help="renders cache (default var/bench)")
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR,
                        help=f"mix suite: separation weights folder (default {DEFAULT_MODEL_DIR}, as MODEL_DIR)")
    parser.add_argument("--download-weights", action="store_true",
                        help="mix suite: download missing separation weights (default: use what is there)")
    parser.add_argument("--no-vocals-first", action="store_true",
                        help="mix suite: demucs alone even where the vocals model is in --model-dir "
                             "(run both ways to compare)")
    parser.add_argument("--separation-model", default="htdemucs_6s",
                        help="mix suite: the demucs model, by its name in ml.weights (default htdemucs_6s)")
    parser.add_argument("--bare-models-only", action="store_true",
                        help="mix suite: no separation, each instrument's model on the whole mix: the bar the "
                             "separated pipeline must clear (needs no separation weights)")
    args = parser.parse_args(argv)

    try:
        render.soundfont()
    except render.RenderError as error:
        print(error, file=sys.stderr)
        return EXIT_UNAVAILABLE

    began, load_before = time.perf_counter(), list(os.getloadavg())
    if args.suite == "piano":
        device = _resolve_device(args.device)
        results = run_piano(corpus.select(corpus.PIANO_PIECES, args.pieces), seconds=args.seconds, device=device,
                            cache=args.cache)
    elif args.suite == "instruments":
        device = "cpu"  # onnxruntime CPU provider
        results = run_instruments(corpus.select(corpus.ENSEMBLE_PIECES, args.pieces), seconds=args.seconds,
                                  cache=args.cache)
    else:
        device = _resolve_device(args.device)
        try:
            results = run_mix(corpus.select(corpus.ENSEMBLE_PIECES, args.pieces), seconds=args.seconds,
                              device=device, cache=args.cache, model_dir=args.model_dir,
                              download=args.download_weights, vocals_first=not args.no_vocals_first,
                              separation_model=args.separation_model, bare_models_only=args.bare_models_only)
        except SeparationUnavailable as reason:
            print(f"{SEPARATION_UNAVAILABLE}: {reason}", file=sys.stderr)
            return EXIT_UNAVAILABLE
    print_summary(results, suite=args.suite)
    wall = time.perf_counter() - began

    out = args.out or args.cache / f"{args.suite}-{device}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    report = to_json(results, suite=args.suite, device=device, args=args, wall=wall, load_before=load_before)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n{len(results.rows)} rows in {wall:.1f} s ({results.rendered} pieces rendered, the rest cached);"
          f" wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
