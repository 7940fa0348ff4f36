"""Authentication backends."""
from axes.backends import AxesStandaloneBackend


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for logins that come with a request.

    Only a request (the login page, the admin) can be throttled by address;
    `authenticate()` without one (management commands, the test client's
    `login()`) has nothing to count, so it goes on to the password backend.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
