"""What can be wrong with a document the ENTSO-E API sent, as the core's source errors.

Each class is a subclass of the core error the services already handle, so a fetch that
meets one fails the chunk the right way: a body cut short is worth another try, a document
of a kind we cannot read is not.
"""

from __future__ import annotations

from entsoe_core.errors import PermanentSourceError, TransientSourceError

__all__ = ["BodyTooLarge", "MalformedDocument", "UnsafeDocument", "UnsupportedDocument"]


class MalformedDocument(TransientSourceError):
    """The body is not well-formed XML, or is cut short; the next attempt may be whole."""


class UnsupportedDocument(PermanentSourceError):
    """A well-formed document of a kind (root element, curve type) this parser does not read."""


class UnsafeDocument(PermanentSourceError):
    """A body that declares a DTD or entities; refused before anything is expanded."""


class BodyTooLarge(PermanentSourceError):
    """A body (or a member of a ZIP body) larger than the configured cap."""
