"""Schemathesis hooks for .ci/run: a schema-valid request must pass the server's validation.

positive_data_acceptance accepts 422 because domain rules (which no schema can express) answer it,
and 400 for the two refusals no schema can express (ci/schemathesis.toml); these checks narrow
that back: a positive case refused with the problem code `validation_failed`, or answered 400 for
any reason but a foreign cursor or an OAuth refusal of the token endpoints, means the document is
looser than the server.
"""

import schemathesis
from hypothesis.internal import lambda_sources as _lambda_sources

# Hypothesis names a filter's lambda by parsing its module's source; on CPython 3.11 parsing
# schemathesis's largest module can raise "SystemError: AST constructor recursion depth
# mismatch", which aborted a run (a Runtime Error on one operation, 0 failures). The name only
# appears in strategy reprs, so a lambda that cannot be described is called "lambda".
_describe_lambda = _lambda_sources.lambda_description


def _lambda_description(f):
    try:
        return _describe_lambda(f)
    except (SystemError, RecursionError, SyntaxError):
        return "lambda"


_lambda_sources.lambda_description = _lambda_description


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
        fields = [e.get("field", "") for e in body.get("errors", [])]
        if fields and all(_header_violates_schema(case, f) for f in fields):
            return None
        raise AssertionError(
            "A request valid per the document was refused as validation_failed: "
            + "; ".join(f"{e.get('field')}: {e.get('message')}" for e in body.get("errors", []))
        )
    return None


def _header_violates_schema(case, name):
    """Whether the header `name` that `case` sent breaks its declared `pattern` (then the request
    was not schema-valid, whatever the generator labelled it)."""
    import re

    value = (case.headers or {}).get(name)
    if value is None:
        return False
    for param in case.operation.definition.raw.get("parameters", []):
        if param.get("in") == "header" and param.get("name", "").lower() == name.lower():
            pattern = (param.get("schema") or {}).get("pattern")
            return bool(pattern) and re.search(pattern, value) is None
    return False


@schemathesis.check
def positive_400_is_only_a_foreign_cursor_or_an_oauth_refusal(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    try:
        body = response.json()
    except Exception:
        body = None
    if isinstance(body, dict):
        if body.get("code") == "invalid_cursor":
            return None
        oauth = case.operation.path in ("/v1/auth/token", "/v1/auth/revoke")
        if oauth and isinstance(body.get("error"), str):
            return None  # the OAuth refusals the document lists (a wrong password is one)
    raise AssertionError(f"A request valid per the document was answered 400: {response.text[:300]}")
