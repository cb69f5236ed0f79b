"""Security headers added to every response of the dashboard."""

from __future__ import annotations

# No inline script anywhere: scripts come only from our own static files (CSP Level 3).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# Powerful browser features the dashboard never uses, denied to it and to anything framed in it
# (W3C Permissions Policy). Only features Chromium knows: an unknown one ("interest-cohort",
# retired; "ambient-light-sensor" and "bluetooth" in Chromium 156) is logged as a console error
# on every page.
DENIED_FEATURES = (
    "accelerometer",
    "autoplay",
    "browsing-topics",
    "camera",
    "display-capture",
    "encrypted-media",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "local-fonts",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in DENIED_FEATURES)

SECURITY_HEADERS: dict[str, str] = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": PERMISSIONS_POLICY,
}


def add_security_headers(headers: dict[str, str]) -> None:
    """Set the security headers in a lower-case header dict, keeping any already there."""
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
