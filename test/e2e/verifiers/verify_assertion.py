"""An origin's verifier with PyJWT (Debian's python3-jwt), independent of the gateway's jose.

Reads {"jwks_url", "issuer", "audience", "tokens": [...], "later_seconds"} as JSON on stdin,
fetches the JWKS from the live gateway, and prints one JSON line per token:
{"ok": true, "claims": {...}} or {"ok": false, "error": "<exception class>"}.
"later_seconds" verifies as if that much later: PyJWT reads its clock as
`datetime.now(tz=timezone.utc)` in jwt.api_jwt, so that name is given a shifted clock.
"""
import datetime as _datetime
import json
import sys

import jwt
import jwt.api_jwt

request = json.load(sys.stdin)
_later = _datetime.timedelta(seconds=request.get("later_seconds", 0))


class _ShiftedClock(_datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return _datetime.datetime.now(tz) + _later


jwt.api_jwt.datetime = _ShiftedClock

client = jwt.PyJWKClient(request["jwks_url"])
for token in request["tokens"]:
    try:
        key = client.get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            key.key,
            algorithms=["ES256", "EdDSA"],
            audience=request["audience"],
            issuer=request["issuer"],
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
        print(json.dumps({"ok": True, "claims": claims}))
    except Exception as error:  # every refusal is reported, never raised
        print(json.dumps({"ok": False, "error": type(error).__name__}))
