"""Deterministic identifiers in the formats the real systems use.

Everything here draws from a ``random.Random`` passed in (never ``uuid4`` or the wall
clock), so the same seed gives the same ids.
"""

from __future__ import annotations

import base64
import json
import random
import uuid

_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)


def guid(rng: random.Random) -> str:
    """A version-4 looking GUID (1C Ref_Key style) drawn from ``rng``.

    Same bits as ``uuid.UUID(int=..., version=4)``, formatted without building the object.
    """
    n = rng.getrandbits(128)
    n = (n & ~(0xC000 << 48)) | (0x8000 << 48)  # RFC 4122 variant
    n = (n & ~(0xF000 << 64)) | (4 << 76)  # version 4
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def stable_guid(*parts: str) -> str:
    """A GUID fixed by its name (uuid5), for objects every app must derive identically."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "sellerflow:" + ":".join(parts)))


def inn10(prefix9: str) -> str:
    """A 10-digit legal-entity ИНН with a valid check digit."""
    digits = [int(ch) for ch in prefix9]
    check = sum(d * w for d, w in zip(digits, _INN10_WEIGHTS, strict=True)) % 11 % 10
    return prefix9 + str(check)


def ean13(rng: random.Random, prefix: str = "460") -> str:
    """An EAN-13 barcode with the Russian GS1 prefix and a valid check digit."""
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(12 - len(prefix)))
    total = sum(int(ch) * (3 if i % 2 else 1) for i, ch in enumerate(body))
    return body + str((10 - total % 10) % 10)


def data_version(rng: random.Random) -> str:
    """A 1C DataVersion string (base64 of 8 bytes, e.g. 'AAAAAgAAAAA=')."""
    return base64.b64encode(rng.getrandbits(64).to_bytes(8, "big")).decode()


def onec_number(seq: int) -> str:
    """A 1C document number with the УТ prefix: 'УТ-00012345'."""
    return f"УТ-{seq:08d}"


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def wildberries_token(rng: random.Random, seller_id: int, scopes_mask: int, expires_unix: int) -> str:
    """A JWT-shaped WB API token (header.payload.signature; the signature is random bytes)."""
    header = {"alg": "ES256", "kid": "20250520v1", "typ": "JWT"}
    payload = {
        "ent": 1,
        "exp": expires_unix,
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "iid": rng.randrange(10_000_000, 99_999_999),
        "oid": seller_id,
        "s": scopes_mask,
        "sid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "t": False,
        "uid": rng.randrange(10_000_000, 99_999_999),
    }
    parts = [
        _b64url(json.dumps(header, separators=(",", ":")).encode()),
        _b64url(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()),
        _b64url(rng.getrandbits(512).to_bytes(64, "big")),
    ]
    return ".".join(parts)


def yandex_market_api_key(rng: random.Random) -> str:
    """A Yandex Market Api-Key in the 'ACMA:<secret>:<checksum>' shape."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    secret = "".join(rng.choice(alphabet) for _ in range(40))
    return f"ACMA:{secret}:{rng.getrandbits(32):08x}"


def megamarket_token(rng: random.Random) -> str:
    """A Megamarket merchant token (upper-case GUID, as the cabinet shows it)."""
    return guid(rng).upper()
