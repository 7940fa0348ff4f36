import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from editor import services
from editor.exports import FORMATS, score_abc, score_export
from editor.forms import ClipboardForm, EditForm, HistoryStepForm, first_error
from editor.piano_roll import piano_roll_data
from editor.playback import ranged_file_response
from editor.rendering import render_abc
from editor.selectors import score_can_edit, score_get_for_editing, score_get_for_viewing
from ml.notation.edit import EditError, copy_fragment

STATE_PARTIAL = "editor/score_detail.html#editor-state"


def state_context(state: services.EditState, part: str, *, error: str = "", conflict: bool = False) -> dict:
    """The JSON the editor script renders from: ABC of the tab shown, clickable ids, history.
    Public: the share-link page (accounts) renders the same page from it."""
    part_ids = [part] if part and any(p.id == part for p in state.doc.parts) else None
    rendered = render_abc(state.doc, part_ids=part_ids)
    first = state.doc.measures[0]
    editor_state = {
            "abc": rendered.text,
            "elements": rendered.element_rows(),
            "tablature": rendered.tablature,
            "revision": state.revision,
            "canUndo": state.can_undo,
            "canRedo": state.can_redo,
            "selection": state.selection,
            "cursor": state.cursor,
            "message": error or state.message,
            "error": bool(error),
            "conflict": conflict,
            "partId": part_ids[0] if part_ids else "",
            "parts": [{"id": p.id, "name": p.name, "staves": len(p.staves), "drum": p.is_drum} for p in state.doc.parts],
            "measures": len(state.doc.measures),
            "lengths": [str(m.length) for m in state.doc.measures],
            # Per bar: key, mode, meter, the tempo in force and the chord symbols, for the Score menu.
            "bars": [[m.key_fifths, m.mode, m.time[0], m.time[1], tempo, [[str(c.offset), c.symbol] for c in m.chords]]
                     for m, tempo in zip(state.doc.measures, _tempi(state.doc), strict=True)],
            "key": first.key_fifths,
            "time": list(first.time),
            "tempo": state.doc.tempo_at(0),
            "roll": piano_roll_data(state.doc),  # every part's notes, for the piano-roll view
    }
    return {"editor_state": editor_state, "editor_state_json": _script_json(editor_state)}


_SCRIPT_ESCAPES = (("&", "\\u0026"), ("<", "\\u003C"), (">", "\\u003E"))


def _script_json(value) -> str:
    """JSON safe inside <script> (as Django's json_script escapes it), compact: the
    state of a long score is a few hundred KB and goes out with every edit."""
    text = json.dumps(value, separators=(",", ":"))
    for character, escape in _SCRIPT_ESCAPES:
        text = text.replace(character, escape)
    return mark_safe(text)  # noqa: S308 - every markup character is escaped above


def _tempi(doc) -> list[float]:
    tempi, current = [], doc.tempo_at(0)
    for measure in doc.measures:
        current = measure.tempo or current
        tempi.append(current)
    return tempi


def _render_state(request, state, part, *, error="", conflict=False, status=200):
    context = state_context(state, part, error=error, conflict=conflict)
    return render(request, STATE_PARTIAL, context, status=status)


# What a viewer's page fetches after it loads, once the caller has checked who may view
# `score`: the score views check the login, the share-link views (accounts) the token.


def score_state_response(request, score):
    """The editor state of the tab asked for (?part=), as the HTMX partial a tab switch swaps in."""
    return _render_state(request, services.score_edit_state(score_id=score.id), request.GET.get("part", ""))


def score_recording_response(request, score):
    """The job's original recording, honouring Range so the player can seek."""
    if not score.job.audio:
        raise Http404("This score has no recording")
    return ranged_file_response(request, score.job.audio)


def score_stem_response(request, score, instrument):
    """One separated instrument of the recording."""
    stem = score.job.stems.filter(instrument=instrument).first()
    if stem is None:
        raise Http404("No such stem")
    return ranged_file_response(request, stem.audio)


@login_required
@require_GET
def score_detail(request, score_id):
    """The score page: an editor for its owner, a read-only score for everyone else who may view it.
    With HTMX (a tab switch) only the editor state for that tab comes back."""
    score = score_get_for_viewing(user=request.user, score_id=score_id)
    if request.htmx:
        return score_state_response(request, score)
    part = request.GET.get("part", "")
    state = services.score_edit_state(score_id=score.id)
    context = {"score": score, "job": score.job, "can_edit": score_can_edit(user=request.user, score=score)}
    context.update(state_context(state, part))
    return render(request, "editor/score_detail.html", context)


def _change(request, score_id, form_class, change):
    """Validate, run one change of the score, and answer with the editor state: the
    new one, or the current one with the reason (409 when the page was stale)."""
    score = score_get_for_editing(user=request.user, score_id=score_id)
    form = form_class(request.POST)
    part = request.POST.get("part", "")
    if not form.is_valid():
        return _render_state(request, services.score_edit_state(score_id=score.id), part,
                             error=first_error(form), status=422)
    try:
        state = change(score.id, form.cleaned_data)
    except services.EditConflict as exc:
        return _render_state(request, services.score_edit_state(score_id=score.id), part, error=str(exc),
                             conflict=True, status=409)
    except services.ScoreEditError as exc:
        return _render_state(request, services.score_edit_state(score_id=score.id), part, error=str(exc), status=422)
    return _render_state(request, state, part)


@login_required
@require_POST
def score_edit(request, score_id):
    """One edit (HTMX POST): the changed ABC comes back, or a clear message and the score as it stands."""
    return _change(request, score_id, EditForm, lambda score_id, data: services.score_apply_edit(
        score_id=score_id, user=request.user, op=data["op"], params=data["params"], seen_revision=data["revision"]))


@login_required
@require_POST
def score_undo(request, score_id):
    return _change(request, score_id, HistoryStepForm, lambda score_id, data: services.score_undo(
        score_id=score_id, seen_revision=data["revision"]))


@login_required
@require_POST
def score_redo(request, score_id):
    return _change(request, score_id, HistoryStepForm, lambda score_id, data: services.score_redo(
        score_id=score_id, seen_revision=data["revision"]))


@login_required
@require_POST
def score_clipboard(request, score_id):
    """The selection as a clipboard fragment (JSON the page keeps, so it pastes into any tab or score)."""
    score = score_get_for_viewing(user=request.user, score_id=score_id)
    form = ClipboardForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": first_error(form)}, status=422)
    try:
        fragment = copy_fragment(services.score_edit_state(score_id=score.id).doc, form.cleaned_data["ids"])
    except EditError as exc:
        return JsonResponse({"error": str(exc)}, status=422)
    return JsonResponse({"fragment": fragment})


@login_required
@require_GET
def score_download(request, score_id, format):
    if format not in FORMATS:
        raise Http404("No such format")
    score = score_get_for_viewing(user=request.user, score_id=score_id)
    export = score_export(score=score, format=format)
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{score.title}.{export.extension}"'
    return response


@login_required
@require_GET
def score_recording(request, score_id):
    """The job's original recording, for the player beside the score (anyone who may view the score)."""
    return score_recording_response(request, score_get_for_viewing(user=request.user, score_id=score_id))


@login_required
@require_GET
def score_stem(request, score_id, instrument):
    """One separated instrument of the recording, for the player beside the score."""
    return score_stem_response(request, score_get_for_viewing(user=request.user, score_id=score_id), instrument)


@login_required
@require_GET
def score_print(request, score_id):
    """Just the engraved score, laid out for paper, with a button for the browser's print dialog."""
    score = score_get_for_viewing(user=request.user, score_id=score_id)
    return render(request, "editor/score_print.html", {"score": score, "abc": score_abc(score)})
