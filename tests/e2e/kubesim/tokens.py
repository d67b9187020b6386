# SPDX-License-Identifier: MIT
"""Service-account tokens as the API server issues them for a pod's
projected volume (bound tokens, RS256), and their verification for
TokenReview. Signing reuses the Vault simulator's JWT minter, which shapes
tokens exactly like the kubelet's; verification is the API server's."""
import base64
import json
import os
import sys
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "vaultsim"))
import simlib  # noqa: E402

ISSUER = simlib.DEFAULT_ISSUER


def _unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    """Signs and verifies bound service-account tokens."""

    def __init__(self):
        self.minter = simlib.JwtMinter("RS256", issuer=ISSUER)

    def public_pem(self):
        return self.minter.public_pem

    def issue(self, namespace, sa, pod_name, pod_uid, expiration=3607, audiences=None):
        return self.minter.mint(namespace, sa, aud=audiences, ttl=expiration, pod=pod_name,
                                pod_uid=pod_uid, node="kubesim-node")

    def verify(self, token, now=None):
        """Returns the claims of a valid, unexpired token signed by us, else None."""
        try:
            head, body, sig = token.split(".")
            self.minter.key.public_key().verify(_unb64url(sig), (head + "." + body).encode(),
                                                padding.PKCS1v15(), hashes.SHA256())
            claims = json.loads(_unb64url(body))
        except (ValueError, InvalidSignature):
            return None
        now = now if now is not None else time.time()
        if claims.get("iss") != ISSUER:
            return None
        if claims.get("exp", 0) < now or claims.get("nbf", 0) > now + 60:
            return None
        return claims
