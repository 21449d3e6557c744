"""How the OpenAPI schema describes the platform's JWT authentication (drf-spectacular knows DRF's own)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class JwtAuthenticationScheme(OpenApiAuthenticationExtension):
    """edx-drf-extensions' ``JwtAuthentication``: ``Authorization: JWT <token>``, or the JWT cookie."""

    target_class = "edx_rest_framework_extensions.auth.jwt.authentication.JwtAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, _auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A JWT the LMS issued, as `JWT <token>`; the micro-frontends send the platform's "
            "JWT cookie instead, with the header `USE-JWT-COOKIE: true` and a CSRF token on writes.",
        }
