"""What the editor's requests carry, checked before any service runs."""
from __future__ import annotations

import json

from django import forms

from ml.notation.edit import OPS

MAX_PARAMS_BYTES = 512 * 1024  # a pasted fragment of a few hundred bars fits


class _StateForm(forms.Form):
    revision = forms.IntegerField(min_value=0, error_messages={"required": "The page did not say which version it shows; reload it."})
    part = forms.CharField(required=False, max_length=40)  # the tab shown: a part id, or empty for all parts


class HistoryStepForm(_StateForm):
    """Undo or redo: only the version the page shows."""


class EditForm(_StateForm):
    op = forms.ChoiceField(choices=[(name, name) for name in OPS])
    params = forms.CharField(required=False, max_length=MAX_PARAMS_BYTES)

    def clean_params(self) -> dict:
        raw = self.cleaned_data.get("params") or "{}"
        try:
            value = json.loads(raw)
        except ValueError:
            raise forms.ValidationError("The edit's details were not readable.") from None
        if not isinstance(value, dict):
            raise forms.ValidationError("The edit's details were not readable.")
        return value


class ClipboardForm(forms.Form):
    ids = forms.CharField(max_length=200_000)

    def clean_ids(self) -> list[str]:
        ids = [i for i in self.cleaned_data["ids"].split(",") if i]
        if not ids:
            raise forms.ValidationError("Select some notes to copy first.")
        return ids


def first_error(form: forms.Form) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return "The request was not understood."
