"""What a Wildberries API token says about itself: expiry, categories (scopes), read-only and sandbox flags.

A WB token is a JWT (ozon-wildberries.md "Hosts, auth and common behaviour"; 01-general links "Как устроен
токен"): its public payload carries ``exp`` (Unix seconds), ``oid`` (the seller id), ``t`` (test/sandbox
token) and ``s``, a bit mask of the token's API categories. The signature is WB's business; we only read the
payload, never verify or log it.

Bit positions of ``s`` are not in the OpenAPI files; they come from several independent client libraries
[community]: 1 content, 2 analytics, 3 prices and discounts, 4 marketplace, 5 statistics, 6 promotion,
7 questions and reviews, 8 recommendations, 9 buyer chat, 10 supplies, 11 returns, 12 documents, 30
read-only. No source names the bit of the Finance category [UNCERTAIN]; bits with no known name are kept
as ``bit<N>`` so that monitoring shows them rather than guessing.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

CATEGORY_BITS: dict[int, str] = {
    1: "content",
    2: "analytics",
    3: "prices",
    4: "marketplace",
    5: "statistics",
    6: "promotion",
    7: "questions_and_reviews",
    8: "recommendations",
    9: "buyer_chat",
    10: "supplies",
    11: "returns",
    12: "documents",
}
READ_ONLY_BIT = 30


@dataclass(frozen=True)
class TokenInfo:
    """The public claims of a WB token that monitoring needs."""

    expires_at: datetime | None
    categories: tuple[str, ...]
    read_only: bool
    sandbox: bool
    seller_id: int | None

    @property
    def scopes(self) -> tuple[str, ...]:
        """What ``ops.account_credentials.scopes`` records: the categories, then the read-only/sandbox flags."""
        flags = (("read_only",) if self.read_only else ()) + (("sandbox",) if self.sandbox else ())
        return self.categories + flags


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def categories_of(mask: int) -> tuple[str, ...]:
    """Category names of the bits set in ``s`` (unknown bits as ``bit<N>``; the read-only bit excluded)."""
    return tuple(
        CATEGORY_BITS.get(bit, f"bit{bit}")
        for bit in range(mask.bit_length())
        if mask >> bit & 1 and bit != READ_ONLY_BIT
    )


def decode_token(token: str) -> TokenInfo | None:
    """The token's claims, or None when it is not a JWT (an old-style key, a typo)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload: Any = json.loads(_b64url(parts[1]))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(payload, dict):
        return None
    exp = payload.get("exp")
    mask = payload.get("s")
    mask = mask if isinstance(mask, int) and mask >= 0 else 0
    oid = payload.get("oid")
    return TokenInfo(
        expires_at=datetime.fromtimestamp(exp, UTC) if isinstance(exp, int | float) else None,
        categories=categories_of(mask),
        read_only=bool(mask >> READ_ONLY_BIT & 1),
        sandbox=bool(payload.get("t")),
        seller_id=oid if isinstance(oid, int) else None,
    )


def token_details(token: str) -> TokenInfo | None:
    """The hook ``sellerflow.orchestration.marketplaces.read_token`` calls: expiry and scopes from the token."""
    return decode_token(token)
