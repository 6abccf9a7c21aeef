#!/opt/venv/bin/python
"""Container health check: GET one URL, exit 0 on HTTP 2xx, 1 otherwise.

The URL is the first argument, else ``HEALTHCHECK_URL``. The slim image has no curl;
Python's standard library is enough and adds nothing to the image.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:3000/health/live"


def check(url: str, timeout: float = 4.0) -> tuple[bool, str]:
    """Whether ``url`` answers 2xx, and a one-line reason."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= response.status < 300, f"{url}: HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return False, f"{url}: HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, f"{url}: {reason}"


def main(argv: list[str]) -> int:
    url = argv[0] if argv else os.environ.get("HEALTHCHECK_URL", DEFAULT_URL)
    ok, message = check(url)
    print(message, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
