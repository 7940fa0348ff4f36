from django.contrib.auth.forms import UserCreationForm


class SignUpForm(UserCreationForm):
    """Username and password; the service creates the user (the form only validates)."""
