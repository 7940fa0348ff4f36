from django import forms
from django.contrib.auth.forms import UserCreationForm


class SignUpForm(UserCreationForm):
    """Username and password; the service creates the user (the form only validates)."""

    email = forms.EmailField(required=False, help_text="Optional; needed to reset a forgotten password.")

    class Meta(UserCreationForm.Meta):
        fields = ["username", "email"]


class ProfileForm(forms.Form):
    display_name = forms.CharField(label="Display name", max_length=80, required=False,
                                   help_text="Shown to your teacher or students instead of your username.")
    email = forms.EmailField(label="Email", required=False, help_text="Where password-reset mail goes.")
    is_teacher = forms.BooleanField(label="I teach", required=False,
                                    help_text="Create classes and share scores with your students.")
    is_student = forms.BooleanField(label="I learn", required=False,
                                    help_text="Join a teacher's class to see what they share.")


class ClassroomForm(forms.Form):
    name = forms.CharField(label="Class name", max_length=120)


class JoinForm(forms.Form):
    join_code = forms.CharField(label="Join code", max_length=16,
                                widget=forms.TextInput(attrs={"autocapitalize": "characters", "placeholder": "e.g. K7QH2MXR"}))


class ShareForm(forms.Form):
    classrooms = forms.MultipleChoiceField(label="Classes", required=False, widget=forms.CheckboxSelectMultiple)
    students = forms.MultipleChoiceField(label="Single students", required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, classrooms=(), students=(), **kwargs):
        from accounts.models import display_name

        super().__init__(*args, **kwargs)
        self.fields["classrooms"].choices = [(str(c.id), c.name) for c in classrooms]
        self.fields["students"].choices = [(str(s.id), display_name(s)) for s in students]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("classrooms") and not cleaned.get("students"):
            raise forms.ValidationError("Pick a class or a student to share with.")
        return cleaned


class ShareLinkForm(forms.Form):
    expires_in_days = forms.TypedChoiceField(
        label="Link works for", coerce=int, empty_value=None, required=False,
        choices=[("", "Until I revoke it"), ("1", "1 day"), ("7", "7 days"), ("30", "30 days")],
    )
