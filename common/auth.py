"""Authentication for pages that API clients fetch too (media files): a session, or DRF's
`Authorization: Token <key>`, the same token the REST API takes."""
from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed


def login_or_token_required(view):
    """login_required that also takes an API token. Without credentials: the redirect to the login
    page, as login_required gives; with a token that is wrong or inactive: 401, as the API gives."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated and get_authorization_header(request):
            authenticator = TokenAuthentication()
            try:
                found = authenticator.authenticate(request)
            except AuthenticationFailed as exc:
                response = JsonResponse({"detail": str(exc.detail)}, status=401)
                response["WWW-Authenticate"] = authenticator.authenticate_header(request)
                return response
            if found is not None:
                request.user = found[0]
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper
