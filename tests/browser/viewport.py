"""The window size every browser test uses: a common laptop screen.

Kept apart from ``helpers`` so the conftest loads without Playwright installed.
"""

VIEWPORT = {"width": 1366, "height": 900}
