from django.contrib.auth import get_user_model
from django.db import transaction


@transaction.atomic
def user_sign_up(*, username: str, password: str, email: str = ""):
    return get_user_model().objects.create_user(username=username, password=password, email=email)
