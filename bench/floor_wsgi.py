"""The first floor: a plain WSGI application that returns a fixed JSON body.

It measures gunicorn, the socket and the load generator and nothing else, so the
shop's requests per second can be read against the most the server could do.
"""

BODY = b'{"status": "ok", "floor": "wsgi"}'
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    """Answer every request with 200 and the fixed body."""
    start_response("200 OK", HEADERS)
    return [BODY]
