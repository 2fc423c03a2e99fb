"""Ids shaped like the real service's: a prefix, an underscore and 21 letters or digits.

Not secrets (the ephemeral keys use ``secrets``); a plain PRNG keeps id making cheap under load.
"""

from __future__ import annotations

import random
import string

_ALPHABET = string.ascii_letters + string.digits
_random = random.Random()


def new_id(prefix: str) -> str:
    return prefix + "_" + "".join(_random.choices(_ALPHABET, k=21))
