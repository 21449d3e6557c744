"""The request the platform's report functions read their requester and client from."""

from django.http import HttpRequest

from periodic_instructor_reports import __version__, conf

USER_AGENT = f"periodic-instructor-reports/{__version__}"


def build_report_request(user):
    """
    Return a request made by ``user`` carrying the META keys the platform's ``submit_task`` reads.

    The platform stores ``request.user`` as the report's requester and reads ``REMOTE_ADDR``,
    ``SERVER_NAME`` and ``HTTP_USER_AGENT``; the user agent names this plugin so the platform's
    task records show where the request came from.
    """
    request = HttpRequest()
    request.user = user
    request.method = "POST"
    request.META.update({
        "REMOTE_ADDR": conf.get("REMOTE_ADDR"),
        "SERVER_NAME": conf.server_name(),
        "SERVER_PORT": "443",
        "HTTP_USER_AGENT": USER_AGENT,
    })
    return request
