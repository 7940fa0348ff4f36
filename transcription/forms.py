from django import forms
from django.conf import settings

from ml.pipeline import INSTRUMENT_NAMES, INSTRUMENTS


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
        widget=forms.URLInput(attrs={"placeholder": "https://www.youtube.com/watch?v=…"}),
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

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("audio") and not cleaned.get("url", "").strip() and "audio" not in self.errors:
            raise forms.ValidationError("Please choose a recording to upload or paste a YouTube link.")
        if cleaned.get("audio") and cleaned.get("url", "").strip():
            raise forms.ValidationError("Please give either a recording or a link, not both.")
        return cleaned
