from django import forms
from django.conf import settings


class UploadForm(forms.Form):
    audio = forms.FileField(
        label="Recording",
        help_text="",
        error_messages={"required": "Please choose a recording to upload.", "empty": "That file is empty."},
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(f".{e}" for e in settings.ALLOWED_AUDIO_EXTENSIONS)}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audio"].help_text = (
            f"{', '.join(settings.ALLOWED_AUDIO_EXTENSIONS).upper()} · up to {settings.MAX_UPLOAD_MB} MB "
            f"and {settings.MAX_AUDIO_MINUTES:g} minutes. Solo piano works best for now."
        )
