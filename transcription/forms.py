from django import forms
from django.conf import settings

from ml import weights
from ml.pipeline import INSTRUMENT_NAMES, INSTRUMENTS


def separation_unavailable() -> str | None:
    """Why this server cannot separate, when its weights are missing and workers may
    not download them (web and workers read the same MODEL_DIR). A model the
    catalogue does not know is the worker's to judge."""
    if settings.SEPARATION_MODEL not in weights.CATALOGUE:
        return None
    return weights.unavailable_reason(
        settings.SEPARATION_MODEL, model_dir=settings.MODEL_DIR, download=settings.MODEL_DOWNLOAD
    )


class JobForm(forms.Form):
    audio = forms.FileField(
        label="Recording",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(f".{e}" for e in settings.ALLOWED_AUDIO_EXTENSIONS)}),
    )
    url = forms.CharField(
        label="…or a YouTube link",
        required=False,
        max_length=500,
        # Not type="url": browsers would refuse "youtu.be/…" pasted without https://, which we accept.
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "off", "spellcheck": "false",
                                      "placeholder": "https://www.youtube.com/watch?v=…"}),
    )
    separate = forms.BooleanField(
        label="Separate the instruments first",
        required=False,
        help_text="For band recordings. Leave it off for a solo instrument.",
    )
    instruments = forms.MultipleChoiceField(
        label="Instruments to transcribe",
        required=False,
        choices=[(name, INSTRUMENT_NAMES[name]) for name in INSTRUMENTS],
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: piano alone, or with separation, every instrument that is really there.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audio"].help_text = (
            f"{', '.join(settings.ALLOWED_AUDIO_EXTENSIONS).upper()} · up to {settings.MAX_UPLOAD_MB} MB "
            f"and {settings.MAX_AUDIO_MINUTES:g} minutes."
        )
        # Said before the upload, not after it: a job asking for separation here would only fail.
        self.separation_unavailable = separation_unavailable()
        if self.separation_unavailable:
            self.fields["separate"].help_text = (
                "Not available on this server yet: the separation model is not installed. "
                "A solo instrument transcribes without it."
            )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("audio") and not cleaned.get("url", "").strip() and "audio" not in self.errors:
            raise forms.ValidationError("Please choose a recording to upload or paste a YouTube link.")
        if cleaned.get("audio") and cleaned.get("url", "").strip():
            raise forms.ValidationError("Please give either a recording or a link, not both.")
        if cleaned.get("separate") and self.separation_unavailable:
            self.add_error("separate", (
                "This server cannot separate instruments yet. " + self.separation_unavailable
                + " Until then, untick separation to transcribe the whole recording."
            ))
        return cleaned


class HistoryFilterForm(forms.Form):
    q = forms.CharField(label="Search titles", required=False, max_length=200,
                        widget=forms.SearchInput(attrs={"placeholder": "Search by title…"}))
    status = forms.ChoiceField(label="Status", required=False)
    instrument = forms.ChoiceField(label="Instrument", required=False,
                                   choices=[("", "Any instrument")] + [(n, INSTRUMENT_NAMES[n]) for n in INSTRUMENTS])
    sort = forms.ChoiceField(label="Sort", required=False)

    def __init__(self, *args, **kwargs):
        from transcription.models import Job
        from transcription.selectors import HISTORY_SORTS

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", "Any status")] + list(Job.Status.choices)
        self.fields["sort"].choices = [(key, label) for key, (label, _) in HISTORY_SORTS.items()]

    def filters(self) -> dict:
        """The cleaned filters, with anything invalid dropped rather than refused."""
        if not self.is_valid():
            return {"query": "", "status": "", "instrument": "", "sort": "new"}
        data = self.cleaned_data
        return {"query": data["q"].strip(), "status": data["status"], "instrument": data["instrument"],
                "sort": data["sort"] or "new"}


class RenameForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200)
