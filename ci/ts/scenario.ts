// The integrator's story through a TypeScript client generated from the OpenAPI document
// (openapi-typescript types + openapi-fetch), run by ci/integrators.sh after `tsc --noEmit`:
// sign in, list offers, create a customer; the token endpoint's 429 read as its documented
// OAuth error; a subscription status this client does not know; a webhook payload typed from the
// document's `webhooks` section.
//   node out/scenario.js http://127.0.0.1:8080

import createClient from "openapi-fetch";
import type { components, paths, webhooks } from "./schema.js";

type Schemas = components["schemas"];
type SubscriptionUpdated =
  webhooks["subscription-updated"]["post"]["requestBody"]["content"]["application/json"];

const base = process.argv[2] ?? "http://127.0.0.1:8080";
const api = createClient<paths>({ baseUrl: base });
const form = (body: Record<string, string>) => new URLSearchParams(body).toString();
const formHeaders = { "Content-Type": "application/x-www-form-urlencoded" };

function fail(message: string): never {
  console.error(`TypeScript client scenario: ${message}`);
  process.exit(1);
}

async function signIn(username: string): Promise<string> {
  const body: Schemas["TokenRequest"] = { grant_type: "password", username, password: "Demo-Passw0rd!" };
  const { data, error } = await api.POST("/v1/auth/token", {
    body,
    bodySerializer: (b) => form(b as Record<string, string>),
    headers: formHeaders,
  });
  if (!data) fail(`sign in as ${username}: ${JSON.stringify(error)}`);
  return data.access_token;
}

async function main() {
  const token = await signIn("sales.agent@contoso-distribution.example");
  const auth = { Authorization: `Bearer ${token}` };

  const offers = await api.GET("/v1/offers", { params: { query: { q: "microsoft 365 business" } }, headers: auth });
  const standard = offers.data?.items.find((o: Schemas["Offer"]) => o.name.endsWith("Standard"));
  if (!standard) fail(`no Standard offer: ${JSON.stringify(offers.error)}`);

  const suffix = Math.random().toString(16).slice(2, 10);
  const created = await api.POST("/v1/customers", {
    headers: auth,
    body: {
      companyName: `TS scenario ${suffix}`,
      domain: `ts-${suffix}.example`,
      billingProfile: {
        email: `billing@ts-${suffix}.example`,
        culture: "en-US",
        address: { addressLine1: "1 Main St", city: "Redmond", postalCode: "98052", country: "US" },
      },
    },
  });
  if (!created.data) fail(`create customer: ${JSON.stringify(created.error)}`);

  // A status added in a later server version is a string to this client, not a type error.
  const future: Schemas["SubscriptionStatus"] = "pending_transfer";
  const later = JSON.parse(JSON.stringify({ status: future })) as { status: Schemas["SubscriptionStatus"] };
  if (later.status !== "pending_transfer") fail("unknown status lost");

  // Webhook payloads are typed from the document.
  const adminAuth = { Authorization: `Bearer ${await signIn("global.admin@contoso-distribution.example")}` };
  const events = await api.GET("/v1/webhook-events", { headers: adminAuth });
  const example = events.data?.items.find((e: Schemas["WebhookEventType"]) => e.name === "subscription-updated");
  if (!example) fail(`no subscription-updated event type: ${JSON.stringify(events.error)}`);
  const payload = example.examplePayload as SubscriptionUpdated;
  if (payload.type !== "subscription-updated" || !payload.data.resource.id) {
    fail(`example payload: ${JSON.stringify(payload)}`);
  }

  // Failed sign-ins until the token endpoint answers 429, read as the documented OAuth error.
  let throttled = 0;
  for (let attempt = 1; attempt < 50 && !throttled; attempt++) {
    const { error, response } = await api.POST("/v1/auth/token", {
      body: { grant_type: "password", username: "nobody-ts@throttle.example", password: "wrong" },
      bodySerializer: (b) => form(b as Record<string, string>),
      headers: formHeaders,
    });
    const oauth: Schemas["OAuthError"] | undefined = error;
    if (typeof oauth?.error !== "string") fail(`refusal ${attempt} is not an OAuth error: ${JSON.stringify(error)}`);
    if (response.status === 429) {
      if (!response.headers.get("retry-after")) fail("429 without Retry-After");
      throttled = attempt;
    }
  }
  if (!throttled) fail("the token endpoint never answered 429");

  console.log(
    `TypeScript client scenario: customer ${created.data.customer.id}, offer ${standard.id}, ` +
      `typed ${payload.type} payload, 429 after ${throttled} failed sign-ins`,
  );
}

main().catch((e) => fail(String(e)));
