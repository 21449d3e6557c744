"""Stand-in of ``openedx.core.djangoapps.theming.helpers`` for tests: the current request and its site."""
import crum


def get_current_request():
    """Return the request being served (django-crum's), or None outside a request."""
    return crum.get_current_request()


def get_current_site():
    """Return the current request's ``site`` (set by the sites middleware), or None."""
    request = get_current_request()
    if not request:
        return None
    return getattr(request, "site", None)
