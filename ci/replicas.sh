#!/usr/bin/env bash
# Two replicas on one PostgreSQL behind HAProxy, one of them killed mid-way through an order loop.
#
#   1. a fresh PostgreSQL database; replica A starts with `serve --demo` (it migrates and seeds),
#      then replica B on the same database (the demo data is already there, so it seeds nothing);
#      both share JWT_SECRET, so a token from one is valid on the other;
#   2. HAProxy (Debian package) in front: round robin, health check on /health/ready;
#   3. the walkthrough of docs/walkthrough.md through the proxy (examples/walkthrough.sh);
#   4. a webhook for order-created to a local receiver, a new customer, then ORDERS orders through
#      the proxy from 4 concurrent clients, each order with its own Idempotency-Key, retried with
#      the same key on a connection error or a 502/503/504 — and replica A is killed with SIGKILL
#      half-way through, with orders in flight;
#   5. checks with psql, for that customer: orders = subscriptions = audit records of order
#      creation = order-created events, each order exactly once, and every event delivered to the
#      webhook (waited for, bounded).
#
#   ci/replicas.sh            (PGHOST/PGPORT default 127.0.0.1:5432, user postgres, trust auth)
#
# Needs the debug binary (built here if missing), curl, python3, psql. Budget: about 2 minutes; up to 4 when the killed replica held deliveries (their 120 s lease runs out first).
set -euo pipefail
cd "$(dirname "$0")/.."
HAPROXY_VERSION='2.6.*'
ORDERS=${REPLICA_ORDERS:-300}
WORKERS=4
PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432}
BIN=${CARGO_TARGET_DIR:-target}/debug/partner-center
WORK=$(mktemp -d)
DB="pc_replicas_$(date +%s)_$$"
STARTED=$SECONDS

section() { printf '\n--- %s (%ss)\n' "$*" "$((SECONDS - STARTED))"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sql() { psql -h "$PGHOST" -p "$PGPORT" -U postgres -d "$DB" -v ON_ERROR_STOP=1 -qAtc "$1"; }
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

section "HAProxy $HAPROXY_VERSION (Debian package)"
if ! command -v haproxy >/dev/null; then
  apt-get update -qq && apt-get install -y -qq "haproxy=$HAPROXY_VERSION" >/dev/null
fi
haproxy -v | sed -n 1p
[ -x "$BIN" ] || cargo build -q --bin partner-center

section "two replicas on the fresh database $DB"
psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $DB"
PORT_A=$(free_port) PORT_B=$(free_port) PROXY_PORT=$(free_port)
PROXY=http://127.0.0.1:$PROXY_PORT
export DATABASE_URL="postgres://postgres@$PGHOST:$PGPORT/$DB"
export JWT_SECRET="replicas-ci-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
export PUBLIC_BASE_URL=$PROXY REQUEST_RATE_LIMIT_PER_MINUTE=0 TOKEN_RATE_LIMIT_PER_MINUTE=100000 \
  SIGN_IN_ADDRESS_LIMIT_PER_MINUTE=1000000 SIGN_IN_ADDRESS_TOTAL_PER_MINUTE=1000000 \
  WEBHOOK_POLL_INTERVAL_MS=100 RUST_LOG=warn
start_replica() { # NAME PORT
  BIND_ADDR=127.0.0.1:$2 "$BIN" serve --demo > "$WORK/$1.log" 2>&1 &
  PIDS+=($!)
  eval "PID_$1=$!"
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$2/health/ready" >/dev/null && return; sleep 0.1; done
  tail -n 30 "$WORK/$1.log"; echo "replica $1 did not start"; exit 1
}
start_replica A "$PORT_A"   # migrates and seeds the demo data
start_replica B "$PORT_B"   # finds it seeded
echo "replica A: pid $PID_A on :$PORT_A; replica B: pid $PID_B on :$PORT_B"

cat > "$WORK/haproxy.cfg" <<EOF
global
  maxconn 256
defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  retries 3
  option redispatch
frontend api
  bind 127.0.0.1:$PROXY_PORT
  default_backend replicas
backend replicas
  balance roundrobin
  option httpchk GET /health/ready
  default-server inter 250ms fall 2 rise 2
  server a 127.0.0.1:$PORT_A check
  server b 127.0.0.1:$PORT_B check
EOF
haproxy -c -q -f "$WORK/haproxy.cfg"
haproxy -f "$WORK/haproxy.cfg" -db > "$WORK/haproxy.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 50); do curl -sf "$PROXY/health/ready" >/dev/null && break; sleep 0.1; done
curl -sf "$PROXY/health/ready" >/dev/null || { cat "$WORK/haproxy.log"; echo "HAProxy did not start"; exit 1; }
echo "proxy on $PROXY"

section "walkthrough through the proxy"
examples/walkthrough.sh "$PROXY"

section "webhook receiver, customer, token"
RECEIVER_PORT=$(free_port)
python3 - "$RECEIVER_PORT" "$WORK/received" > "$WORK/receiver.log" 2>&1 <<'PY' &
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
out = open(sys.argv[2], "a", buffering=1)
class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", "0")))
        out.write(self.headers.get("webhook-id", "-") + "\n")
        self.send_response(204)
        self.end_headers()
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver).serve_forever()
PY
PIDS+=($!)
J='Content-Type: application/json'
jget() { python3 -c 'import json,sys
d=json.load(sys.stdin)
for k in sys.argv[1:]: d=d[int(k) if k.isdigit() else k]
print(d)' "$@"; }
TOKEN=$(curl -sf "$PROXY/v1/auth/token" -d grant_type=password \
  --data-urlencode username=global.admin@contoso-distribution.example \
  --data-urlencode 'password=Demo-Passw0rd!' | jget access_token)
H="Authorization: Bearer $TOKEN"
WEBHOOK=$(curl -sf "$PROXY/v1/webhooks" -H "$H" -H "$J" \
  -d "{\"url\":\"http://127.0.0.1:$RECEIVER_PORT/hook\",\"events\":[\"order-created\"],\"description\":\"replicas CI\"}" \
  | jget webhook id)
CUSTOMER=$(curl -sf "$PROXY/v1/customers" -H "$H" -H "$J" -d '{"companyName":"Replica Check Ltd",
  "domain":"replica-check.example","billingProfile":{"email":"billing@replica-check.example","culture":"en-US",
  "address":{"addressLine1":"1 Main St","city":"Redmond","state":"WA","postalCode":"98052","country":"US"}}}' \
  | jget customer id)
echo "webhook $WEBHOOK -> 127.0.0.1:$RECEIVER_PORT; customer $CUSTOMER"

section "$ORDERS orders through the proxy by $WORKERS clients; replica A (pid $PID_A) gets SIGKILL after $((ORDERS / 2))"
BODY='{"lineItems":[{"offerId":"019a8f3c-2003-7fe3-afb2-c3ea93596000","quantity":5,"billingCycle":"annual","termDuration":"P1Y"}]}'
RUN=$(date +%s%N)
# One client: orders W, W+WORKERS, …; one outcome line per order in $WORK/outcomes.W
# (created | replayed | unavailable | abandoned), one line per retry in $WORK/retries.W.
order_client() {
  local w=$1 i key deadline code done held
  for ((i = w; i <= ORDERS; i += WORKERS)); do
    key="replicas-$RUN-$i" deadline=$((SECONDS + 45)) done="" held=""
    while [ -z "$done" ]; do
      code=$(curl -s -o "$WORK/answer.$w" -D "$WORK/headers.$w" -w '%{http_code}' --max-time 10 \
        -X POST "$PROXY/v1/customers/$CUSTOMER/orders" -H "$H" -H "$J" -H "Idempotency-Key: $key" \
        -d "$BODY") || code=000
      case $code in
        201)
          if grep -qi '^idempotent-replayed: true' "$WORK/headers.$w"; then done=replayed; else done=created; fi ;;
        409)
          if grep -q idempotency_response_unavailable "$WORK/answer.$w"; then
            done=unavailable  # the replica died between the commit and storing the answer
          elif grep -q idempotency_request_in_progress "$WORK/answer.$w"; then
            # Claimed by the dead replica and never committed: wait (35 s at most) for the
            # claim to lapse, then give the order up — it does not exist, which the counts check.
            held=${held:-$SECONDS}
            if [ $((SECONDS - held)) -ge 35 ]; then done=abandoned; else sleep 0.5; fi
          else
            echo "order $i: unexpected 409: $(cat "$WORK/answer.$w")"; return 1
          fi ;;
        000 | 502 | 503 | 504)
          echo "$i $code" >> "$WORK/retries.$w"
          [ "$SECONDS" -lt "$deadline" ] || { echo "order $i: no answer within 45 s"; return 1; }
          sleep 0.1 ;;
        *)
          echo "order $i: unexpected $code: $(cat "$WORK/answer.$w")"; return 1 ;;
      esac
    done
    echo "$done" >> "$WORK/outcomes.$w"
  done
}
CLIENTS=()
for ((w = 1; w <= WORKERS; w++)); do
  : > "$WORK/outcomes.$w"; : > "$WORK/retries.$w"
  order_client "$w" &
  CLIENTS+=($!)
done
# The kill lands while every client has an order in flight.
limit=$((SECONDS + 60))
until [ "$(cat "$WORK"/outcomes.* | wc -l)" -ge $((ORDERS / 2)) ]; do
  [ "$SECONDS" -lt "$limit" ] || { echo "FAIL: half the orders did not complete within 60 s"; exit 1; }
  sleep 0.05
done
kill -KILL "$PID_A"
echo "replica A killed after $(cat "$WORK"/outcomes.* | wc -l) orders"
for pid in "${CLIENTS[@]}"; do wait "$pid" || { echo "FAIL: an order client failed"; exit 1; }; done
count() { cat "$WORK"/outcomes.* | grep -cx "$1" || true; }
created=$(count created) replayed=$(count replayed) unavailable=$(count unavailable) abandoned=$(count abandoned)
retries=$(cat "$WORK"/retries.* | wc -l)
echo "orders: $created created, $replayed replayed after a lost answer, $unavailable committed without a stored answer, $abandoned abandoned (claimed by the dead replica, never committed); $retries retries after a connection error or 5xx from the proxy"
kill -0 "$PID_A" 2>/dev/null && { echo "replica A is still alive"; exit 1; }

section "checks with psql"
ORDER_COUNT=$(sql "SELECT count(*) FROM orders WHERE customer_id = '$CUSTOMER'")
SUBSCRIPTIONS=$(sql "SELECT count(*) FROM subscriptions WHERE customer_id = '$CUSTOMER'")
AUDITED=$(sql "SELECT count(*) FROM audit_records WHERE operation_type = 'create_order' AND customer_id = '$CUSTOMER'")
EVENTS=$(sql "SELECT count(*) FROM webhook_events e JOIN orders o ON strpos(e.payload, o.id) > 0
  WHERE e.event_type = 'order-created' AND o.customer_id = '$CUSTOMER'")
ORDERS_WITH_ONE_EVENT=$(sql "SELECT count(*) FROM (SELECT o.id FROM orders o JOIN webhook_events e
  ON strpos(e.payload, o.id) > 0 AND e.event_type = 'order-created'
  WHERE o.customer_id = '$CUSTOMER' GROUP BY o.id HAVING count(*) = 1) x")
AUDITED_ONCE=$(sql "SELECT count(*) FROM (SELECT resource_id FROM audit_records
  WHERE operation_type = 'create_order' AND customer_id = '$CUSTOMER' GROUP BY resource_id HAVING count(*) = 1) x")
expected=$((created + replayed + unavailable))
echo "answered as created: $expected; orders: $ORDER_COUNT; subscriptions: $SUBSCRIPTIONS; audit records: $AUDITED (each order once: $AUDITED_ONCE); order-created events: $EVENTS (each order once: $ORDERS_WITH_ONE_EVENT)"
fail=""
for n in "$ORDER_COUNT" "$SUBSCRIPTIONS" "$AUDITED" "$AUDITED_ONCE" "$EVENTS" "$ORDERS_WITH_ONE_EVENT"; do
  [ "$n" -eq "$expected" ] || fail=1
done
[ "$expected" -ge $((ORDERS - abandoned)) ] || fail=1
[ -z "$fail" ] || { echo "FAIL: the counts differ"; exit 1; }

delivered_sql="SELECT count(*) FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
  JOIN orders o ON strpos(e.payload, o.id) > 0
  WHERE d.webhook_id = '$WEBHOOK' AND d.status = 'delivered' AND o.customer_id = '$CUSTOMER'"
# A delivery the killed replica had claimed is sent again once its lease (120 s,
# webhooks::delivery::LEASE_SECONDS) has run out: wait up to 150 s.
for _ in $(seq 1 300); do
  DELIVERED=$(sql "$delivered_sql")
  [ "$DELIVERED" -ge "$EVENTS" ] && break
  sleep 0.5
done
RECEIVED=$(sort -u "$WORK/received" | wc -l)
echo "delivered: $DELIVERED of $EVENTS events (the receiver saw $RECEIVED distinct webhook ids)"
[ "$DELIVERED" -eq "$EVENTS" ] || { echo "FAIL: not every event was delivered within 150 s"; tail -n 20 "$WORK/B.log"; exit 1; }
[ "$RECEIVED" -ge "$EVENTS" ] || { echo "FAIL: the receiver saw fewer deliveries than recorded"; exit 1; }
section "replicas: all checks passed"
