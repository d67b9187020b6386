# SPDX-License-Identifier: MIT
"""Kubernetes resource quantities as exact fractions, for the API server's
"requests must not exceed limits" check. Parsing only; vaultlet's own C
normalizer is tested against the real Go code elsewhere."""
import re
from fractions import Fraction

_Q = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
                r"(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$")
_DEC = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BIN = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}


def parse(text):
    """Fraction value of a quantity string, or None when it is not one."""
    if not isinstance(text, str):
        return None
    m = _Q.match(text)
    if not m:
        return None
    num, sfx = Fraction(m.group(1)), m.group(2) or ""
    if sfx in _BIN:
        return num * 2 ** _BIN[sfx]
    if sfx in _DEC:
        return num * Fraction(10) ** _DEC[sfx]
    return num * Fraction(10) ** int(sfx[1:])
