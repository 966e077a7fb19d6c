"""The integrator's main story through a client generated from the OpenAPI document.

sign in -> offers -> customer -> cart -> review -> checkout -> support-contact candidates -> audit
-> the order's billing line items downloaded as CSV (`Accept: text/csv`, header row checked)
-> the provider's billing periods and a statement of the demo month downloaded as CSV (its lines
   add up to its total),
against `serve --demo`, asserting that list items come back as the named models (not anonymous
`Page...ItemsItem` classes); the access token verifies with PyJWT against the key set the server
publishes (RFC 8414 metadata -> jwks_uri); then what a client must survive: the token endpoint's 429 (read as
the documented OAuth error), a subscription status this client version does not know, and the
webhook event payloads typed from the document. Run by ci/integrators.sh with the generated package `pc_client` on
PYTHONPATH:  python3 ci/client_scenario.py http://127.0.0.1:8080
"""

import json
import sys
import urllib.request
import uuid
from datetime import datetime, timezone

import jwt

from pc_client import AuthenticatedClient, Client
from pc_client.api.audit import list_audit_records
from pc_client.api.billing import list_billing_periods, list_statements
from pc_client.api.auth import create_token
from pc_client.api.webhooks import list_webhook_events
from pc_client.api.carts_and_orders import create_cart, create_cart_checkout, create_order, get_cart
from pc_client.api.catalog import list_offers
from pc_client.api.customers import create_customer
from pc_client.api.subscriptions import get_subscription
from pc_client.api.support_contact import list_support_contact_candidates
from pc_client.api.test_clocks import create_test_clock, create_test_clock_advance
from pc_client.models import (
    AdvanceTestClock,
    Address,
    AuditRecord,
    BillingCycle,
    BillingPeriod,
    BillingProfile,
    Cart,
    CreateCustomer,
    CreatedCustomer,
    LineItemInput,
    LineItems,
    OAuthError,
    Offer,
    PlacedOrder,
    Statement,
    Subscription,
    SupportContact,
    TermDuration,
    TestClock,
    CreateTestClock,
    TokenRequest,
    TokenResponse,
    WebhookEventPayload,
)


def expect(value, cls, what):
    if not isinstance(value, cls):
        sys.exit(f"{what}: expected {cls.__name__}, got {value!r}")
    return value


def verify_with_published_keys(base, access_token):
    """Verifies the token as another service would: the metadata names the key set, the header's
    kid picks the key, PyJWT checks signature, audience and issuer."""
    metadata = anonymous_json(f"{base}/.well-known/oauth-authorization-server")
    key = jwt.PyJWKClient(metadata["jwks_uri"]).get_signing_key_from_jwt(access_token)
    claims = jwt.decode(
        access_token, key.key, algorithms=["EdDSA", "RS256"], audience="partner-center-api",
        issuer=metadata["issuer"],
    )
    return jwt.get_unverified_header(access_token)["alg"], claims["sub"]


def anonymous_json(url):
    with urllib.request.urlopen(url) as res:
        return json.load(res)


def sign_in(base, anonymous, username):
    token = expect(
        create_token.sync(
            client=anonymous,
            body=TokenRequest(grant_type="password", username=username, password="Demo-Passw0rd!"),
        ),
        TokenResponse,
        f"sign in as {username}",
    )
    return AuthenticatedClient(base_url=base, token=token.access_token)


def main(base):
    anonymous = Client(base_url=base)
    client = sign_in(base, anonymous, "sales.agent@contoso-distribution.example")
    alg, subject = verify_with_published_keys(base, client.token)
    if alg != "EdDSA":
        sys.exit(f"expected an EdDSA token (JWT_SIGNING_KEY_FILE), got {alg}")

    offers = list_offers.sync(client=client, q="microsoft 365 business")
    standard = next(o for o in offers.items if expect(o, Offer, "offer item").name.endswith("Standard"))

    suffix = uuid.uuid4().hex[:8]
    created = expect(
        create_customer.sync(
            client=client,
            body=CreateCustomer(
                company_name=f"Scenario {suffix}",
                domain=f"scenario-{suffix}.example",
                billing_profile=BillingProfile(
                    email=f"billing@scenario-{suffix}.example",
                    culture="en-US",
                    address=Address(
                        address_line_1="1 Main St", city="Redmond", postal_code="98052", country="US"
                    ),
                ),
                indirect_reseller_id=None,
            ),
        ),
        CreatedCustomer,
        "create customer",
    )
    customer_id = created.customer.id

    cart = expect(
        create_cart.sync(
            customer_id=customer_id,
            client=client,
            body=LineItems(
                line_items=[
                    LineItemInput(offer_id=standard.id, quantity=10, billing_cycle=BillingCycle.MONTHLY)
                ]
            ),
        ),
        Cart,
        "create cart",
    )
    review = get_cart.sync_detailed(customer_id=customer_id, cart_id=cart.id, client=client)
    expect(review.parsed, Cart, "review cart")
    etag = review.headers["etag"]

    placed = expect(
        create_cart_checkout.sync(
            customer_id=customer_id,
            cart_id=cart.id,
            client=client,
            if_match=etag,
            idempotency_key=f"checkout-{cart.id}",
        ),
        PlacedOrder,
        "checkout",
    )
    subscription = placed.subscriptions[0]

    candidates = list_support_contact_candidates.sync(
        customer_id=customer_id, subscription_id=subscription.id, client=client
    )
    for c in candidates.items:
        expect(c, SupportContact, "support contact candidate")
    if not candidates.items:
        sys.exit("no support contact candidates")

    csv_rows = line_items_csv(client, subscription.id)

    audit = list_audit_records.sync(client=client, customer_id=customer_id)
    for r in audit.items:
        expect(r, AuditRecord, "audit record")
    if not audit.items:
        sys.exit("no audit records for the new customer")

    # A status added in a later server version reads as a string, not a crash.
    future = Subscription.from_dict({**subscription.to_dict(), "status": "pending_transfer"})
    if future.status != "pending_transfer":
        sys.exit(f"unknown subscription status read as {future.status!r}")

    admin = sign_in(base, anonymous, "global.admin@contoso-distribution.example")
    events = list_webhook_events.sync(client=admin)
    for e in events.items:
        expect(e.example_payload, WebhookEventPayload, f"example payload of {e.name}")

    statement_lines = statement_csv(admin)

    throttled = throttle(anonymous)

    renewed = renew_on_a_test_clock(base, standard.id, suffix)

    print(
        f"client scenario: customer {customer_id}, order {placed.order.id}, "
        f"{len(candidates.items)} support-contact candidates, {len(audit.items)} audit records, "
        f"{csv_rows} billing line(s) as CSV, "
        f"statement {statement_lines[0]} downloaded as CSV ({statement_lines[1]} lines adding up to "
        f"its total), "
        f"{len(events.items)} typed event payloads, 429 after {throttled} failed sign-ins, "
        f"{alg} token of {subject} verified against the published JWKS, "
        f"subscription {renewed.id} renewed on a test clock (term from {renewed.term_start_date})"
    )


LINE_ITEM_COLUMNS = (
    "id,createdAt,billingPeriod,chargeType,customerId,resellerId,subscriptionId,offerId,"
    "termDuration,billingCycle,quantity,chargeStartDate,chargeEndDate,days,cycleDays,currency,"
    "costUnitPriceMinor,costTotalMinor,resellerUnitPriceMinor,resellerTotalMinor,"
    "customerUnitPriceMinor,customerTotalMinor,marginMinor"
)


def line_items_csv(client, subscription_id):
    """Downloads the subscription's billing line items as CSV through the client's own HTTP
    session (its base URL and bearer token): the header row names the documented columns and the
    order's purchase is one `new` line. Returns the number of data rows."""
    res = client.get_httpx_client().get(
        "/v1/billing/line-items",
        params={"subscriptionId": str(subscription_id)},
        headers={"Accept": "text/csv"},
    )
    if res.status_code != 200 or not res.headers.get("content-type", "").startswith("text/csv"):
        sys.exit(f"line items as CSV: {res.status_code} {res.headers.get('content-type')}")
    rows = [r.split(",") for r in res.text.splitlines()]
    if ",".join(rows[0]) != LINE_ITEM_COLUMNS:
        sys.exit(f"line items CSV header: {rows[0]}")
    columns = rows[0]
    data = [dict(zip(columns, r)) for r in rows[1:]]
    if [d["chargeType"] for d in data] != ["new"] or data[0]["subscriptionId"] != str(subscription_id):
        sys.exit(f"line items CSV rows: {data}")
    return len(data)


STATEMENT_LINE_COLUMNS = (
    "statementId,statementNumber,period,id,createdAt,chargeType,customerId,resellerId,"
    "subscriptionId,offerId,termDuration,billingCycle,quantity,chargeStartDate,chargeEndDate,"
    "days,cycleDays,currency,unitPriceMinor,totalMinor"
)


def statement_csv(admin):
    """As the provider's global admin: the billing periods list as models, the first statement
    the provider issued (the demo month's) downloads as CSV through the client's HTTP session,
    with the documented columns, one row per line, and totals that add up to the statement's.
    Returns (statement number, lines)."""
    periods = list_billing_periods.sync(client=admin)
    for p in periods.items:
        expect(p, BillingPeriod, "billing period")
    if not periods.items or periods.items[0].status != "open":
        sys.exit(f"billing periods: {[p.to_dict() for p in periods.items]}")
    statements = list_statements.sync(client=admin)
    if not statements.items:
        sys.exit("no statements: serve --demo issues the demo month's")
    statement = expect(statements.items[0], Statement, "statement")
    res = admin.get_httpx_client().get(
        f"/v1/statements/{statement.id}/lines", headers={"Accept": "text/csv"}
    )
    if res.status_code != 200 or not res.headers.get("content-type", "").startswith("text/csv"):
        sys.exit(f"statement lines as CSV: {res.status_code} {res.headers.get('content-type')}")
    rows = [r.split(",") for r in res.text.splitlines()]
    if ",".join(rows[0]) != STATEMENT_LINE_COLUMNS:
        sys.exit(f"statement CSV header: {rows[0]}")
    data = [dict(zip(rows[0], r)) for r in rows[1:]]
    total = sum(int(d["totalMinor"]) for d in data)
    if len(data) != statement.line_count or total != statement.total.amount_minor:
        sys.exit(
            f"statement {statement.id}: {len(data)} CSV lines summing to {total}, "
            f"statement says {statement.line_count} lines, total {statement.total.amount_minor}"
        )
    if any(d["statementId"] != str(statement.id) for d in data):
        sys.exit(f"statement CSV rows name another statement: {data}")
    return statement.number, len(data)


def renew_on_a_test_clock(base, offer_id, suffix):
    """As the provider's admin agent: a customer on a test clock buys a month-long term; the
    clock advances past its end and the subscription has renewed."""
    token = expect(
        create_token.sync(
            client=Client(base_url=base),
            body=TokenRequest(
                grant_type="password",
                username="admin.agent@contoso-distribution.example",
                password="Demo-Passw0rd!",
            ),
        ),
        TokenResponse,
        "sign in (admin agent)",
    )
    client = AuthenticatedClient(base_url=base, token=token.access_token)
    clock = expect(
        create_test_clock.sync(
            client=client,
            body=CreateTestClock(name=f"scenario {suffix}", frozen_time=datetime(2027, 1, 1, 9, tzinfo=timezone.utc)),
        ),
        TestClock,
        "create test clock",
    )
    created = expect(
        create_customer.sync(
            client=client,
            body=CreateCustomer(
                company_name=f"Clocked {suffix}",
                domain=f"clocked-{suffix}.example",
                billing_profile=BillingProfile(
                    email=f"billing@clocked-{suffix}.example",
                    culture="en-US",
                    address=Address(
                        address_line_1="1 Main St", city="Redmond", postal_code="98052", country="US"
                    ),
                ),
                indirect_reseller_id=None,
                test_clock_id=clock.id,
            ),
        ),
        CreatedCustomer,
        "create customer on the clock",
    )
    customer_id = created.customer.id
    placed = expect(
        create_order.sync(
            customer_id=customer_id,
            client=client,
            body=LineItems(
                line_items=[
                    LineItemInput(
                        offer_id=offer_id,
                        quantity=5,
                        billing_cycle=BillingCycle.MONTHLY,
                        term_duration=TermDuration.P1M,
                    )
                ]
            ),
        ),
        PlacedOrder,
        "order on the clock",
    )
    first = placed.subscriptions[0]
    advanced = expect(
        create_test_clock_advance.sync(
            clock_id=clock.id,
            client=client,
            body=AdvanceTestClock(frozen_time=datetime(2027, 2, 2, tzinfo=timezone.utc)),
        ),
        TestClock,
        "advance the clock",
    )
    if str(advanced.status) not in ("ready", "TestClockStatus.READY"):
        sys.exit(f"advance: clock is {advanced.status}")
    renewed = expect(
        get_subscription.sync(customer_id=customer_id, subscription_id=first.id, client=client),
        Subscription,
        "read the renewed subscription",
    )
    if renewed.term_start_date <= first.term_start_date or str(renewed.status) not in ("active", "SubscriptionStatus.ACTIVE"):
        sys.exit(f"not renewed: {renewed.term_start_date} {renewed.status}")
    return renewed


def throttle(anonymous):
    """Fails sign-in for one user name until the token endpoint answers 429 (the server runs with a
    small TOKEN_RATE_LIMIT_PER_MINUTE); the 429 must parse as the documented OAuth error."""
    for attempt in range(1, 50):
        res = create_token.sync_detailed(
            client=anonymous,
            body=TokenRequest(
                grant_type="password", username="nobody@throttle.example", password="wrong"
            ),
        )
        if res.status_code == 429:
            expect(res.parsed, OAuthError, "429 from the token endpoint")
            if "retry-after" not in res.headers:
                sys.exit("429 without Retry-After")
            return attempt
        expect(res.parsed, OAuthError, f"refused sign-in {attempt}")
    sys.exit("the token endpoint never answered 429")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080")
