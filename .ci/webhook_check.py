"""CI check of webhook delivery (product.md §11) against a running `partner-center serve --demo`.

A receiver on 127.0.0.1 verifies every delivery with the Python `standardwebhooks` package (the
reference verifier, not our code); the check registers a webhook as the demo provider's global
admin, creates customers, and waits until every customer-created event arrived verified. It
prints the latency from the change's commit (`data.changedAt`) to the receiver, p50/p99/max,
and fails if any delivery does not verify, is missing, or p99 exceeds 2 s.

Usage: python webhook_check.py BASE_URL [N]   (BASE_URL may be a comma-separated list of
replicas: changes are made round-robin, and each event must arrive exactly once.)
"""

import json
import sys
import threading
import time
import urllib.parse
import urllib.request
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

BASES = [b.rstrip("/") for b in sys.argv[1].split(",")]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 20
USER = "global.admin@contoso-distribution.example"
PASSWORD = "Demo-Passw0rd!"

received = []  # (arrival time, verified payload)
failures = []
secret_box = {}


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        arrived = time.time()
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            payload = Webhook(secret_box["secret"]).verify(body, headers)
            received.append((arrived, payload, headers["webhook-id"]))
            self.send_response(204)
        except Exception as e:  # noqa: BLE001 - any verification failure fails the check
            failures.append(f"{headers.get('webhook-id')}: {e!r}")
            self.send_response(400)
        self.end_headers()

    def log_message(self, *args):
        pass


def call(method, path, token=None, body=None, form=None, base=None):
    data, headers = None, {}
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["content-type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["content-type"] = "application/json"
    if token:
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request((base or BASES[0]) + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=30) as res:
        return json.loads(res.read() or b"null")


def wait_ready():
    deadline = time.time() + 30
    for base in BASES:
        while True:
            try:
                urllib.request.urlopen(base + "/health/ready", timeout=2)
                break
            except OSError:
                if time.time() > deadline:
                    sys.exit(f"FAIL: {base} did not become ready")
                time.sleep(0.3)


def main():
    wait_ready()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    token = call("POST", "/v1/auth/token", form={
        "grant_type": "password", "username": USER, "password": PASSWORD})["access_token"]
    created = call("POST", "/v1/webhooks", token,
                   {"url": url, "events": ["customer-created"], "description": "CI"})
    secret_box["secret"] = created["secret"]
    stamp = int(time.time())
    for i in range(N):
        call("POST", "/v1/customers", token, {
            "companyName": f"CI Webhook {i}", "domain": f"ci{stamp}-{i}.example",
            "billingProfile": {"email": "billing@example.com", "culture": "en-US", "address": {
                "addressLine1": "1 Main St", "city": "Redmond", "state": "WA",
                "postalCode": "98052", "country": "US"}}}, base=BASES[i % len(BASES)])
        time.sleep(0.05)
    deadline = time.time() + 30
    while len(received) < N and not failures and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(1)  # anything sent twice would arrive now
    server.shutdown()
    if failures:
        sys.exit(f"FAIL: deliveries that do not verify: {failures}")
    if len(received) != N or len({i for _, _, i in received}) != N:
        sys.exit(f"FAIL: {len(received)} deliveries arrived for {N} events")
    lat = sorted(
        arrived - datetime.fromisoformat(p["data"]["changedAt"].replace("Z", "+00:00")).timestamp()
        for arrived, p, _ in received)
    p50, p99 = lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(f"{N} deliveries verified with standardwebhooks; commit-to-receiver latency "
          f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {lat[-1] * 1000:.0f} ms")
    if p99 > 2.0:
        sys.exit("FAIL: p99 above 2 s")


if __name__ == "__main__":
    main()
