"""Schemathesis hooks for .ci/run: a schema-valid request must pass the server's validation.

positive_data_acceptance accepts 422 because domain rules (which no schema can express) answer it
(ci/schemathesis.toml); this check narrows that back: a positive case refused with the problem
code `validation_failed` means the document is looser than the server.
"""

import schemathesis


@schemathesis.check
def valid_data_passes_validation(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    try:
        body = response.json()
    except Exception:
        return None
    if isinstance(body, dict) and body.get("code") == "validation_failed":
        raise AssertionError(
            "A request valid per the document was refused as validation_failed: "
            + "; ".join(f"{e.get('field')}: {e.get('message')}" for e in body.get("errors", []))
        )
    return None
