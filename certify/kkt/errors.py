"""The search's one failure type (UNTRUSTED)."""


class SearchFailure(Exception):
    """One step of the search found nothing for this seed; the message says why (the search tries the next)."""
