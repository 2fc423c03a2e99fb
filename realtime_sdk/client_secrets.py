"""Ephemeral client secrets for browsers and phones (``create_client_secret``).

The request is made over HTTP, so it lives with the session's I/O; this module keeps the public names
where they have always been.
"""

from .session._client_secrets import ClientSecret, create_client_secret
from .session._translation import create_translation_client_secret

__all__ = ["ClientSecret", "create_client_secret", "create_translation_client_secret"]
