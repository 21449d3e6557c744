"""
The LMS endpoints a micro-frontend's authentication calls, as the demo serves them.

Facts followed (openedx/openedx-platform, edx-drf-extensions):
- ``POST /login_refresh`` (openedx/core/djangoapps/user_authn/views/login.py ``login_refresh``):
  CSRF-exempt, POST only; 401 ``"Unauthorized"`` without a session; otherwise a JWT for the
  session's user, split into two cookies (openedx/core/djangoapps/user_authn/cookies.py
  ``_set_jwt_cookies``): ``edx-jwt-cookie-header-payload`` (header and payload, readable by the
  page) and ``edx-jwt-cookie-signature`` (HttpOnly), both for ``JWT_IN_COOKIE_EXPIRATION``
  seconds, and a JSON body with ``success``, ``user_id`` and when they expire.
- The JWT is asymmetric (``use_asymmetric_key=True``): signed with ``JWT_PRIVATE_SIGNING_JWK``
  and ``JWT_SIGNING_ALGORITHM``; its claims are those of the LMS's JWTs (oauth_dispatch/jwt.py):
  ``preferred_username``, ``user_id``, ``email``, ``administrator``, ``scopes``, ``version``...
- ``GET /csrf/api/v1/token`` is edx-drf-extensions' own ``csrf`` app, mounted in demo/urls.py.
- edx-drf-extensions' ``JwtAuthCookieMiddleware`` puts the two cookies together again for
  ``JwtAuthentication`` when the request says ``USE-JWT-COOKIE`` (demo/settings.py).

The demo has no OAuth applications: the JWT is made here, not from an access token.
"""

import json
import time

import jwt
from django.conf import settings
from django.http import JsonResponse
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from edx_rest_framework_extensions.auth.jwt import cookies as jwt_cookies


def create_jwt(user, expires_in):
    """Return an asymmetric JWT for ``user`` with the LMS's claims, valid for ``expires_in`` seconds."""
    auth = settings.JWT_AUTH
    now = int(time.time())
    payload = {
        "iss": auth["JWT_ISSUER"],
        "aud": auth["JWT_AUDIENCE"],
        "iat": now,
        "exp": now + expires_in,
        "sub": str(user.pk),
        "preferred_username": user.username,
        "user_id": user.pk,
        "email": user.email,
        "email_verified": True,
        "name": user.get_full_name(),
        "administrator": user.is_staff,
        "superuser": user.is_superuser,
        "scopes": ["user_id", "email", "profile"],
        "version": auth["JWT_SUPPORTED_VERSION"],
        "filters": [],
        "is_restricted": False,
        "grant_type": "password",
    }
    key = jwt.PyJWK.from_json(auth["JWT_PRIVATE_SIGNING_JWK"])
    return jwt.encode(
        payload, key=key.key, algorithm=auth["JWT_SIGNING_ALGORITHM"], headers={"kid": key.key_id}
    )


@csrf_exempt
@require_http_methods(["POST"])
def login_refresh(request):
    """Set the split JWT cookies of the session's user; 401 without a session."""
    if not request.user.is_authenticated:
        return JsonResponse("Unauthorized", status=401, safe=False)
    expires_in = settings.JWT_AUTH["JWT_IN_COOKIE_EXPIRATION"]
    header, payload, signature = create_jwt(request.user, expires_in).split(".")
    now = time.time()
    expires = http_date(now + expires_in)
    response = JsonResponse({})
    response.content = json.dumps(
        {
            "success": True,
            "user_id": request.user.pk,
            "response_epoch_seconds": now,
            "response_http_date": http_date(now),
            "expires": expires,
            "expires_epoch_seconds": int(now + expires_in),
        }
    )
    cookie = {
        "path": "/",
        "max_age": expires_in,
        "expires": expires,
        "secure": request.is_secure(),
        "samesite": "Lax",
    }
    response.set_cookie(
        jwt_cookies.jwt_cookie_header_payload_name(), f"{header}.{payload}", httponly=False, **cookie
    )
    response.set_cookie(jwt_cookies.jwt_cookie_signature_name(), signature, httponly=True, **cookie)
    return response
