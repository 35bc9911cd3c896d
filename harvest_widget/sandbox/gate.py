"""Who is calling, and may they call now: credentials first, then the account's throttle."""

from __future__ import annotations

import base64
import binascii

from harvest_widget.sandbox.messages import Request, Response
from harvest_widget.sandbox.oauth import Authority
from harvest_widget.sandbox.throttle import Throttle
from harvest_widget.sandbox.world import SandboxUser, World


class Gate:
    def __init__(self, world: World, authority: Authority, throttle: Throttle) -> None:
        self._world = world
        self._authority = authority
        self.throttle = throttle

    def identify(self, request: Request) -> SandboxUser | None:
        """HTTP Basic (email:password), `Authorization: Bearer`, or `?access_token=`."""
        scheme, _, value = request.header("authorization").strip().partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return None
            email, sep, password = decoded.partition(":")
            return self._world.authenticate(email, password) if sep else None
        if scheme.lower() == "bearer":
            return self._authority.user_for_token(value.strip())
        token = request.query.get("access_token")
        return self._authority.user_for_token(token) if token else None

    def admit(
        self, request: Request, *, throttled_status: int = 503, counts: bool = True
    ) -> SandboxUser | Response:
        """The caller, or the response that refuses them (401, or throttled with Retry-After)."""
        user = self.identify(request)
        if user is None:
            return Response.text(401, "Authentication failed: check the email and password or token.")
        if counts:
            verdict = self.throttle.check(user.company.id)
            if not verdict.allowed:
                return Response.text(
                    throttled_status,
                    "Too many requests: the throttle is reset with each call, so wait before retrying.",
                    {"Retry-After": str(verdict.retry_after)},
                )
        return user
