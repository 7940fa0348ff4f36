"""Server time per score edit on a 5-minute piano score (about 3000 notes).

    .venv/bin/python -m bench.editor_edit [--edits 60] [--bars 150]

Builds a real score the way a job does (engrave a two-hand piano transcription),
stores it under a throwaway user, then times edit requests through Django's test
client against the configured database (DATABASE_URL; SQLite under var/ by
default): form validation, the row lock, the edit, the new revision (packed doc),
the score row update and the ABC answer with its id map, i.e. everything the
server does for one keystroke. Undo and redo are timed the same way. The target
is at most 50 ms per edit. Wall time on a shared machine includes waiting for a
core; the CPU column (this process's CPU time per request, the database server's
excluded) is what the request costs on an idle core. Everything it creates is
deleted at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rescored_site.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from editor.models import Revision  # noqa: E402
from ml.notation.engrave import engrave  # noqa: E402
from ml.notes import Note, Track, Transcription  # noqa: E402
from transcription.models import Job, Score  # noqa: E402

TEMPO = 120.0


def piano_piece(bars: int, seed: int = 7) -> Transcription:
    """Two hands at 120 bpm: eighth-note melody with some chords over a bass in quarters."""
    rng = random.Random(seed)
    notes, beat = [], 60.0 / TEMPO
    for bar in range(bars):
        for eighth in range(8):
            start = (bar * 4 + eighth / 2) * beat
            pitch = rng.choice([60, 62, 64, 65, 67, 69, 71, 72, 74, 76])
            notes.append(Note(pitch, start, start + beat / 2 * 0.9, 80))
            if eighth % 4 == 0:
                notes.append(Note(pitch + 4, start, start + beat / 2 * 0.9, 70))
        for quarter in range(4):
            start = (bar * 4 + quarter) * beat
            root = rng.choice([36, 41, 43, 45])
            notes.extend(Note(p, start, start + beat * 0.95, 70) for p in (root, root + 7))
    return Transcription(tracks=[Track("Piano", "piano", notes=notes)], duration=bars * 4 * beat)


def stage_times(score: Score) -> dict[str, float]:
    from editor.models import pack_doc
    from editor.piano_roll import piano_roll_data
    from editor.rendering import render_abc
    from ml.notation.abc import score_to_abc
    from ml.notation.edit import apply_edit
    from ml.notation.score import ScoreDoc

    doc = ScoreDoc.from_dict(score.doc)
    event = next(e for pm in doc.parts[0].measures for v in pm.voices for e in v.events if e.notes)
    render_abc(doc)  # warm the layout cache as the server's is

    def best(function) -> float:
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            function()
            runs.append(time.perf_counter() - started)
        return min(runs)

    return {
        "the edit itself (transpose one chord)": best(lambda: apply_edit(doc, "transpose", {"ids": [event.id], "semitones": 1})),
        "ScoreDoc.to_dict": best(doc.to_dict),
        "pack the revision (JSON + zlib)": best(lambda: pack_doc(doc.to_dict())),
        "ABC, writers' score_to_abc": best(lambda: score_to_abc(doc)),
        "ABC, editor (layout of unchanged bars reused)": best(lambda: render_abc(doc)),
        "piano-roll data (listening helper)": best(lambda: piano_roll_data(doc)),
        "parse a stored doc (cache miss only)": best(lambda: ScoreDoc.from_dict(score.doc)),
    }


CPU: dict[str, list[float]] = {}


def timed(client: Client, url: str, data: dict, label: str = "") -> tuple[float, dict]:
    started, cpu_started = time.perf_counter(), time.process_time()
    response = client.post(url, data, HTTP_HX_REQUEST="true")
    elapsed = time.perf_counter() - started
    CPU.setdefault(label, []).append(time.process_time() - cpu_started)
    assert response.status_code == 200, response.content[:500]
    text = response.content.decode()
    payload = json.loads(text[text.index(">") + 1 : text.rindex("</script>")])
    return elapsed, payload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=60)
    parser.add_argument("--bars", type=int, default=150, help="150 bars of 4/4 at 120 bpm = 5 minutes")
    args = parser.parse_args()

    transcription = piano_piece(args.bars)
    doc = engrave(transcription, title="Benchmark", tempo_bpm=TEMPO)
    note_count = sum(len(t.notes) for t in transcription.tracks)
    user = get_user_model().objects.create_user(f"bench-editor-{os.getpid()}", password=None)
    job = Job.objects.create(owner=user, title="Benchmark", status=Job.Status.DONE)
    score = Score(job=job, title="Benchmark", notes=transcription.to_dict(), doc=doc.to_dict())
    score.midi.save("score.mid", ContentFile(b"MThd"), save=False)
    score.save()
    try:
        client = Client()
        client.force_login(user)
        page_started = time.perf_counter()
        client.get(reverse("editor:score_detail", args=[score.id]))
        page_seconds = time.perf_counter() - page_started
        edit_url = reverse("editor:score_edit", args=[score.id])
        rng = random.Random(1)
        event_ids = [
            e.id for pm in doc.parts[0].measures for v in pm.voices for e in v.events if e.notes
        ]
        ops = [
            ("transpose", lambda: {"ids": [rng.choice(event_ids)], "semitones": rng.choice([1, -1])}),
            ("set_duration", lambda: {"ids": [rng.choice(event_ids)], "duration": "1/4"}),
            ("insert_note", lambda: {"part": "p1", "staff": 0, "measure": rng.randrange(args.bars),
                                     "offset": "1", "letter": "E", "duration": "1/2"}),
            ("set_articulation", lambda: {"ids": [rng.choice(event_ids)], "articulation": "staccato"}),
        ]
        revision, times = 0, {name: [] for name, _ in ops}
        for index in range(args.edits):
            name, params = ops[index % len(ops)]
            seconds, payload = timed(client, edit_url, {"op": name, "params": json.dumps(params()),
                                                        "revision": revision, "part": ""}, name)
            revision = payload["revision"]
            # Inserted notes overwrite others: pick only ids still in the score.
            live = {e[2] for e in payload["elements"] if e[2] and e[3]}
            event_ids = [i for i in event_ids if i in live] or sorted(live)
            times[name].append(seconds)
        undo_times, redo_times = [], []
        for _ in range(10):
            seconds, payload = timed(client, reverse("editor:score_undo", args=[score.id]), {"revision": revision}, "undo")
            revision = payload["revision"]
            undo_times.append(seconds)
        for _ in range(10):
            seconds, payload = timed(client, reverse("editor:score_redo", args=[score.id]), {"revision": revision}, "redo")
            revision = payload["revision"]
            redo_times.append(seconds)
        all_edits = [t for values in times.values() for t in values]
        stages = stage_times(Score.objects.get(id=score.id))
        packed = Revision.objects.filter(score=score).order_by("-number").first().doc_packed
        print(f"score: {args.bars} bars, {note_count} notes, {len(payload['abc'])} chars of ABC, "
              f"{len(json.dumps(score.doc)) // 1024} KB JSON, {len(packed) // 1024} KB per stored revision")
        print(f"first page load (parse, start history, render): {page_seconds * 1000:.0f} ms")
        print(f"{'request':<18}{'n':>4}{'min ms':>8}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}{'CPU median ms':>15}{'CPU min ms':>12}")
        rows = [*times.items(), ("undo", undo_times), ("redo", redo_times), ("all edits", all_edits)]
        CPU["all edits"] = [t for name, _ in ops for t in CPU[name]]
        for name, values in rows:
            ordered = sorted(values)
            p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
            print(f"{name:<18}{len(values):>4}{min(values) * 1000:>8.1f}{statistics.median(values) * 1000:>11.1f}{p95 * 1000:>9.1f}"
                  f"{max(values) * 1000:>9.1f}{statistics.median(CPU[name]) * 1000:>15.1f}{min(CPU[name]) * 1000:>12.1f}")
        print("where one edit's time goes (best of 5, in process):")
        for name, seconds in stages.items():
            print(f"  {name:<44}{seconds * 1000:>8.1f} ms")
    finally:
        job.delete()
        user.delete()


if __name__ == "__main__":
    main()
