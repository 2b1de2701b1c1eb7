"""Talking to the Hugging Face Hub: what a failed connection is, and the error ``push`` raises for it.

Light on purpose (no ``datasets`` or ``huggingface_hub`` import): the CLI imports :class:`HubError` at start-up.
"""

from __future__ import annotations

import socket

__all__ = ["HubError", "unreachable"]

#: Exception classes (by name, anywhere in an error's class hierarchy) that mean the Hub was never reached:
#: httpx's and requests' transport errors, huggingface_hub's offline mode.
_NETWORK_CLASSES = {"TransportError", "ConnectionError", "ConnectTimeout", "OfflineModeIsEnabled"}


class HubError(RuntimeError):
    """The Hub could not be reached (a fault, not bad input): says what was kept and what to rerun."""


def unreachable(err: BaseException) -> BaseException | None:
    """The network error behind ``err`` (itself, or what it was raised from), else None."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        names = {cls.__name__ for cls in type(current).__mro__}
        if names & _NETWORK_CLASSES or isinstance(current, (ConnectionError, TimeoutError, socket.gaierror)):
            return current
        current = current.__cause__ or current.__context__
    return None
