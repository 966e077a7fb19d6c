#!/usr/bin/env bash
# The benchmark (docs/performance.md): serves the real app and the floor server
# (examples/floor.rs) side by side on the same freshly seeded database, drives both with wrk
# (2 threads x 8 connections), runs pgbench tpcb-like as the anchor for orders, and prints one
# table: scenario, req/s, p50, p99, ratio to its anchor measured in the same run, server RSS.
#
#   bash bench/run.sh [--tiny] [sqlite] [postgres]
#
# Full mode: release build, 1,000,000 customers (+200,000 subscriptions on one customer, 5,000
# on another, 1,000,000 audit records), 10 s per scenario. --tiny (CI): debug build, 2,000
# customers, 1 s per scenario (about a minute for both databases), no timing assertion — it only proves the benchmark still runs.
# Needs wrk (apt-get install -y wrk), curl, and for PostgreSQL psql + pgbench and a server at
# BENCH_PG (default postgres://postgres@127.0.0.1:5432). Overrides: BENCH_DURATION (seconds),
# BENCH_CUSTOMERS, BENCH_DUE (subscriptions falling due at once in the lifecycle row).
set -euo pipefail
cd "$(dirname "$0")/.."

TINY=0
BACKENDS=()
for arg in "$@"; do
  case "$arg" in
    --tiny) TINY=1 ;;
    sqlite | postgres) BACKENDS+=("$arg") ;;
    *) echo "usage: bash bench/run.sh [--tiny] [sqlite] [postgres]" >&2; exit 2 ;;
  esac
done
[ ${#BACKENDS[@]} -gt 0 ] || BACKENDS=(sqlite postgres)

if [ "$TINY" = 1 ]; then
  CUSTOMERS=2000 DEEP_SUBS=2000 HEAVY_SUBS=500 AUDITS=2000 DURATION=1 PGSCALE=1 PROFILE=debug
  DUE=2000
else
  CUSTOMERS=1000000 DEEP_SUBS=200000 HEAVY_SUBS=5000 AUDITS=1000000 DURATION=10 PGSCALE=10
  DUE=100000
  PROFILE=release
fi
CUSTOMERS=${BENCH_CUSTOMERS:-$CUSTOMERS}
DUE=${BENCH_DUE:-$DUE}
DURATION=${BENCH_DURATION:-$DURATION}
PG_BASE=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
OFFER=019a8f3c-2005-7978-b017-5e3ff9918222 # Exchange Online (Plan 1): no per-customer limit
GA=global.admin@contoso-distribution.example
SIGN_IN="grant_type=password&username=global.admin%40contoso-distribution.example&password=Demo-Passw0rd%21"
GDAP_SIGN_IN="grant_type=password&username=helpdesk.agent%40northwind-it.example&password=Demo-Passw0rd%21"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is missing: apt-get install -y curl" >&2; exit 1; }

TARGET=${CARGO_TARGET_DIR:-target}
if [ "$PROFILE" = release ]; then
  cargo build -q --release --bin partner-center --example floor
else
  cargo build -q --bins --examples
fi
BIN="$TARGET/$PROFILE/partner-center"
FLOOR="$TARGET/$PROFILE/examples/floor"

WORK=$(mktemp -d)
PIDS=()
DATABASES=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for db in "${DATABASES[@]}"; do
    psql "$PG_BASE/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

RESULTS="$WORK/results.tsv"
: >"$RESULTS"

bid() { printf '00000000-0000-7000-%s-%012x' "$1" "$2"; }
cursor() { printf %s "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }
rss_mib() { awk '/^VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }
peak_mib() { awk '/^VmHWM/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }
wait_up() {
  for _ in $(seq 1 300); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.2
  done
  echo "server at $1 did not come up" >&2
  return 1
}

# wrk URL [connections] → sets RPS P50 P99 (ms) ERRORS; extra BENCH_* variables pass through.
measure() {
  local out
  out=$(wrk -t2 -c"${2:-8}" -d"${DURATION}s" --timeout 10s -s bench/wrk.lua "$1" | grep '^BENCH ')
  read -r _ n us p50 p99 ERRORS <<<"$out"
  RPS=$(awk -v n="$n" -v us="$us" 'BEGIN { printf "%.0f", n / (us / 1e6) }')
  P50=$(awk -v v="$p50" 'BEGIN { printf "%.2f", v / 1000 }')
  P99=$(awk -v v="$p99" 'BEGIN { printf "%.2f", v / 1000 }')
}

# row BACKEND SCENARIO RATIO ANCHOR RSS — appends the last measurement.
row() {
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$RPS" "$P50" "$P99" "$3" "$4" "$5" \
    "$ERRORS" >>"$RESULTS"
  printf '  %-44s %8s req/s  p50 %7s ms  p99 %8s ms  %s %s\n' "$2" "$RPS" "$P50" "$P99" "$3" "$4"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f×", (b > 0 ? a / b : 0) }'; }

bench_backend() {
  local backend=$1 url port=$((20000 + RANDOM % 20000))
  local app="http://127.0.0.1:$port" floor="http://127.0.0.1:$((port + 1))"
  case "$backend" in
    sqlite) url="$WORK/bench.db" ;;
    postgres)
      local db="pc_bench_$$_$RANDOM"
      psql "$PG_BASE/postgres" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $db"
      DATABASES+=("$db")
      url="$PG_BASE/$db"
      ;;
  esac
  echo "== $backend: seeding $CUSTOMERS customers"
  DATABASE_URL="$url" BIND_ADDR="127.0.0.1:$port" RUST_LOG=warn \
    JWT_SECRET=bench-secret-that-is-at-least-32-bytes-long \
    TOKEN_RATE_LIMIT_PER_MINUTE=100000 REQUEST_RATE_LIMIT_PER_MINUTE=0 \
    SIGN_IN_ADDRESS_LIMIT_PER_MINUTE=1000000 SIGN_IN_ADDRESS_TOTAL_PER_MINUTE=1000000 \
    "$BIN" serve --demo >"$WORK/$backend-server.log" 2>&1 &
  local server=$!
  PIDS+=("$server")
  wait_up "$app/health/live"
  local token provider
  token=$(curl -sf -d "$SIGN_IN" "$app/v1/auth/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
  [ -n "$token" ] || { echo "sign-in as $GA failed" >&2; return 1; }
  provider=$(curl -sf -H "Authorization: Bearer $token" "$app/v1/me" | sed -n 's/.*"tenantId":"\([^"]*\)".*/\1/p')
  sed -e "s/@CUSTOMERS@/$CUSTOMERS/g" -e "s/@PROVIDER@/$provider/g" -e "s/@OFFER@/$OFFER/g" \
    -e "s/@DEEP_SUBS@/$DEEP_SUBS/g" -e "s/@HEAVY_SUBS@/$HEAVY_SUBS/g" -e "s/@AUDITS@/$AUDITS/g" \
    "bench/seed.$backend.sql" >"$WORK/seed.sql"
  local t0=$SECONDS
  DATABASE_URL="$url" "$FLOOR" sql "$WORK/seed.sql"
  echo "   seeded in $((SECONDS - t0)) s"
  DATABASE_URL="$url" BIND_ADDR="127.0.0.1:$((port + 1))" "$FLOOR" serve \
    >"$WORK/$backend-floor.log" 2>&1 &
  local floor_pid=$!
  PIDS+=("$floor_pid")
  local one
  one=$(bid 8000 $((CUSTOMERS / 2)))
  wait_up "$floor/customers/$one"
  export BENCH_TOKEN=$token

  local floor_rps read_rps read_p99 page1 subs1 audit1 tps="" new_rps
  measure "$floor/customers/$one"
  floor_rps=$RPS
  row "$backend" "floor: one PK lookup (floor server)" "1.00×" "anchor" "$(rss_mib "$floor_pid")"
  measure "$app/v1/customers/$one"
  read_rps=$RPS read_p99=$P99
  row "$backend" "GET /v1/customers/{id}" "$(ratio "$RPS" "$floor_rps")" "of floor" "$(rss_mib "$server")"
  measure "$app/v1/me"
  row "$backend" "GET /v1/me" "$(ratio "$RPS" "$floor_rps")" "of floor" "$(rss_mib "$server")"
  # A customer's users read by the provider (DAP) and by a reseller's user that only holds a
  # GDAP grant (Directory Readers, through a security group) on that customer.
  local gdap_token gdap_user dap_users
  gdap_token=$(curl -sf -d "$GDAP_SIGN_IN" "$app/v1/auth/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
  gdap_user=$(curl -sf -H "Authorization: Bearer $gdap_token" "$app/v1/me" | sed -n 's/.*"id":"\([^"]*\)","actorKind".*/\1/p')
  [ -n "$gdap_user" ] || { echo "sign-in of the GDAP caller failed" >&2; return 1; }
  sed -e "s/@ONE@/$one/g" -e "s/@USER@/$gdap_user/g" bench/gdap.sql >"$WORK/gdap.sql"
  DATABASE_URL="$url" "$FLOOR" sql "$WORK/gdap.sql"
  measure "$app/v1/customers/$one/users"
  dap_users=$RPS
  row "$backend" "GET a customer's users, DAP caller" "1.00×" "anchor" "$(rss_mib "$server")"
  BENCH_TOKEN=$gdap_token measure "$app/v1/customers/$one/users"
  row "$backend" "GET a customer's users, GDAP-only caller" "$(ratio "$RPS" "$dap_users")" "of DAP caller" "$(rss_mib "$server")"
  measure "$app/v1/customers?limit=50"
  page1=$RPS
  row "$backend" "customer list, page 1" "1.00×" "anchor" "$(rss_mib "$server")"
  measure "$app/v1/customers?limit=50&cursor=$(cursor "$(bid 8000 $((CUSTOMERS * 9 / 10)))")"
  row "$backend" "customer list, depth $((CUSTOMERS * 9 / 10))" "$(ratio "$RPS" "$page1")" "of page 1" "$(rss_mib "$server")"
  local subs="$app/v1/customers/$(bid 8000 1)/subscriptions?limit=50"
  measure "$subs"
  subs1=$RPS
  row "$backend" "subscription list, page 1" "1.00×" "anchor" "$(rss_mib "$server")"
  measure "$subs&cursor=$(cursor "$(bid a000 $((DEEP_SUBS * 9 / 10)))")"
  row "$backend" "subscription list, depth $((DEEP_SUBS * 9 / 10))" "$(ratio "$RPS" "$subs1")" "of page 1" "$(rss_mib "$server")"
  measure "$app/v1/audit-records?limit=50"
  audit1=$RPS
  row "$backend" "audit records, page 1" "1.00×" "anchor" "$(rss_mib "$server")"
  measure "$app/v1/audit-records?limit=50&cursor=$(cursor "$(bid c000 $((AUDITS * 9 / 10)))")"
  row "$backend" "audit records, depth $((AUDITS * 9 / 10))" "$(ratio "$RPS" "$audit1")" "of page 1" "$(rss_mib "$server")"

  local pgb=""
  if [ "$backend" = postgres ]; then
    pgb=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | tail -n1 || true)
    [ -n "$pgb" ] || echo "   pgbench not found (it ships with the PostgreSQL server package): no anchor for orders"
  fi
  local pgdb=""
  pgbench_tps() {
    "$pgb" -c 8 -j 2 -T "$DURATION" -b tpcb-like "$PG_BASE/$pgdb" 2>/dev/null |
      awk '/^tps = / { printf "%.0f", $3; exit }'
  }
  if [ -n "$pgb" ]; then
    pgdb="pc_bench_pgbench_$$_$RANDOM"
    psql "$PG_BASE/postgres" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $pgdb"
    DATABASES+=("$pgdb")
    "$pgb" -q -i -s "$PGSCALE" "$PG_BASE/$pgdb" >/dev/null 2>&1
    tps=$(pgbench_tps)
  fi
  export BENCH_METHOD=POST
  export BENCH_BODY="{\"lineItems\":[{\"offerId\":\"$OFFER\",\"quantity\":1,\"billingCycle\":\"monthly\"}]}"
  for i in $(seq 1001 2000); do echo "/v1/customers/$(bid 8000 "$i")/orders"; done >"$WORK/spread"
  BENCH_PATHS="$WORK/spread" measure "$app/v1/customers"
  local spread_rps=$RPS spread_p50=$P50 spread_p99=$P99 spread_errors=$ERRORS
  if [ -n "$tps" ]; then
    # pgbench and the orders take turns (pgbench, orders, pgbench, orders, pgbench), and the
    # orders' mean is compared with pgbench's: this machine's disk (commit fsyncs) and CPU
    # drift by a quarter within minutes, more than one turn of either tells apart.
    local before=$tps between after
    between=$(pgbench_tps)
    between=${between:-$before}
    BENCH_PATHS="$WORK/spread" measure "$app/v1/customers"
    spread_rps=$(awk -v a="$spread_rps" -v b="$RPS" 'BEGIN { printf "%.0f", (a + b) / 2 }')
    spread_p50=$(awk -v a="$spread_p50" -v b="$P50" 'BEGIN { printf "%.2f", (a > b ? a : b) }')
    spread_p99=$(awk -v a="$spread_p99" -v b="$P99" 'BEGIN { printf "%.2f", (a > b ? a : b) }')
    spread_errors=$((spread_errors + ERRORS))
    after=$(pgbench_tps)
    after=${after:-$between}
    tps=$(awk -v a="$before" -v b="$between" -v c="$after" 'BEGIN { printf "%.0f", (a + b + c) / 3 }')
    RPS=$tps P50="—" P99="—" ERRORS=0
    row "$backend" "pgbench tpcb-like, 8 clients (mean of $before, $between, $after)" "1.00×" "anchor" "—"
  fi
  RPS=$spread_rps P50=$spread_p50 P99=$spread_p99 ERRORS=$spread_errors
  if [ -n "$tps" ]; then
    row "$backend" "POST orders, spread over 1,000 customers" "$(ratio "$RPS" "$tps")" "of pgbench" "$(rss_mib "$server")"
  else
    row "$backend" "POST orders, spread over 1,000 customers" "—" "(no pgbench)" "$(rss_mib "$server")"
  fi
  # The heavy customer runs between two new customers and is compared with their mean: orders
  # slow down a little with every run as the tables and the WAL grow, which would otherwise
  # count against whichever customer runs second.
  measure "$app/v1/customers/$(bid 8000 3)/orders"
  new_rps=$RPS
  row "$backend" "POST orders, one new customer (before)" "1.00×" "anchor" "$(rss_mib "$server")"
  measure "$app/v1/customers/$(bid 8000 2)/orders"
  local heavy_rps=$RPS heavy_p50=$P50 heavy_p99=$P99 heavy_errors=$ERRORS
  measure "$app/v1/customers/$(bid 8000 4)/orders"
  row "$backend" "POST orders, one new customer (after)" "1.00×" "anchor" "$(rss_mib "$server")"
  new_rps=$(awk -v a="$new_rps" -v b="$RPS" 'BEGIN { printf "%.0f", (a + b) / 2 }')
  RPS=$heavy_rps P50=$heavy_p50 P99=$heavy_p99 ERRORS=$heavy_errors
  row "$backend" "POST orders, one customer with $HEAVY_SUBS subs" "$(ratio "$RPS" "$new_rps")" "of new customers' mean" "$(rss_mib "$server")"
  unset BENCH_METHOD BENCH_BODY
  if [ "$backend" = postgres ]; then
    lifecycle "$url" "$provider" "$app/v1/customers/$one" "$spread_rps" "$read_p99" "$server"
    billing "$url" "$provider" "$app" "$server"
  fi

  # Reads while 16 clients sign in at once: the burst runs 2 s longer on both sides.
  measure "$app/v1/customers/$one"
  read_rps=$RPS read_p99=$P99
  row "$backend" "reads alone (GET /v1/customers/{id})" "1.00×" "anchor (p99)" "$(rss_mib "$server")"
  (
    export BENCH_METHOD=POST BENCH_BODY="$SIGN_IN" BENCH_TYPE=application/x-www-form-urlencoded
    BENCH_TOKEN="" DURATION=$((DURATION + 2)) measure "$app/v1/auth/token" 16
    printf '%s %s %s %s\n' "$RPS" "$P50" "$P99" "$ERRORS" >"$WORK/burst"
  ) &
  local burst=$!
  sleep 1
  measure "$app/v1/customers/$one"
  local during_rss
  during_rss=$(rss_mib "$server")
  row "$backend" "reads during a 16-client sign-in burst" \
    "$(awk -v a="$P99" -v b="$read_p99" 'BEGIN { printf "%.2f×", (b > 0 ? a / b : 0) }')" \
    "p99 of reads alone" "$during_rss"
  wait "$burst"
  read -r RPS P50 P99 ERRORS <"$WORK/burst"
  row "$backend" "sign-ins during the burst (POST /v1/auth/token)" "—" "" "$(rss_mib "$server")"
  echo "   server peak RSS $(peak_mib "$server") MiB"
  echo "$backend	peak	$(peak_mib "$server")" >"$WORK/$backend.peak"
  kill "$server" "$floor_pid" 2>/dev/null || true
  unset BENCH_TOKEN
}

# lifecycle URL PROVIDER READ_URL ORDERS_RPS READ_P99 SERVER — PostgreSQL: $DUE subscriptions fall
# due at the same instant; the server's lifecycle runner renews them while reads are measured.
# Rows: renewals per second (beside orders per second) and the reads' p99 while the runner works
# (against reads alone).
lifecycle() {
  local url=$1 provider=$2 read_url=$3 orders_rps=$4 server=$6
  psql "$url" -v ON_ERROR_STOP=1 -qc "INSERT INTO subscriptions (id, customer_id, offer_id,
      order_id, quantity, status, billing_cycle, auto_renew, friendly_name, billing_partner_id,
      partner_id_on_record, support_contact_partner_id, version, created_at, updated_at,
      term_duration, term_start_date, next_transition, next_transition_at)
    SELECT '00000000-0000-7000-d000-' || lpad(to_hex(i), 12, '0'),
      '00000000-0000-7000-8000-' || lpad(to_hex(1 + i % $CUSTOMERS), 12, '0'), '$OFFER', NULL, 1,
      'active', 'monthly', TRUE, 'Due', '$provider', NULL, '$provider', 1,
      now() AT TIME ZONE 'UTC' - INTERVAL '1 month', now() AT TIME ZONE 'UTC',
      'P1M', now() AT TIME ZONE 'UTC' - INTERVAL '1 month', 'term_end',
      now() AT TIME ZONE 'UTC' - INTERVAL '1 second'
    FROM generate_series(1, $DUE) AS i"
  local t0 renewed=0 took
  t0=$(date +%s.%N)
  measure "$read_url"
  local during_p99=$P99 during_rps=$RPS during_p50=$P50
  for _ in $(seq 1 3600); do
    renewed=$(psql "$url" -tAc "SELECT count(*) FROM subscription_transitions WHERE transition = 'term_end'")
    [ "$renewed" -ge "$DUE" ] && break
    sleep 0.5
  done
  took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
  RPS=$(awk -v n="$renewed" -v s="$took" 'BEGIN { printf "%.0f", n / s }') P50="—" P99="—" ERRORS=0
  row postgres "lifecycle: $renewed renewals (all due at once), per s" "$(ratio "$RPS" "$orders_rps")" "of orders spread" "$(rss_mib "$server")"
  # Reads alone again, now the runner is idle: the anchor of the same moment of the run.
  measure "$read_url"
  local alone_p99=$P99
  RPS=$during_rps P50=$during_p50 P99=$during_p99
  row postgres "reads while the runner renews (p99)" \
    "$(awk -v p="$during_p99" -v r="$alone_p99" 'BEGIN { printf "%.2f×", (r > 0 ? p / r : 0) }')" \
    "p99 of reads right after, runner idle" "$(rss_mib "$server")"
}

# billing URL PROVIDER APP SERVER — PostgreSQL: 5 billing line items per subscription of the
# customer with $DEEP_SUBS subscriptions (1,000,000 lines at full size) are written with SQL in
# the current month (a month that has not ended, so the server's runner does not close it); then
# 1. the CSV export of every line (`GET /v1/billing/line-items`, `Accept: text/csv`, streamed) is
#    timed against `psql \copy` of the same rows and columns, and the server's resident memory is
#    sampled every 0.1 s while it streams;
# 2. closing the month (`partner-center billing close-period`, which times the library call: the
#    statements of every real-time customer with lines this month, numbered, audited) is timed
#    against one `INSERT … SELECT … GROUP BY` that sums the same lines per statement.
billing() {
  local url=$1 provider=$2 app=$3 server=$4
  local lines=$((DEEP_SUBS * 5))
  psql "$url" -v ON_ERROR_STOP=1 -qc "INSERT INTO billing_line_items (id, provider_id,
      customer_id, reseller_id, subscription_id, offer_id, term_duration, billing_cycle,
      charge_type, quantity, charge_start_date, charge_end_date, days, cycle_days,
      billing_period, currency, cost_unit_minor, cost_total_minor, reseller_unit_minor,
      reseller_total_minor, customer_unit_minor, customer_total_minor, reseller_price_list_id,
      customer_price_list_id, created_at)
    SELECT '00000000-0000-7000-e000-' || lpad(to_hex(i), 12, '0'), '$provider',
      '00000000-0000-7000-8000-000000000001',
      NULL, '00000000-0000-7000-a000-' || lpad(to_hex(1 + i % $DEEP_SUBS), 12, '0'), '$OFFER',
      'P1M', 'monthly', CASE WHEN i % 5 = 0 THEN 'new' ELSE 'addQuantity' END, 1 + i % 7,
      m::date + (i % 28), (m + INTERVAL '1 month')::date - 1, 28 - i % 28, 30, to_char(m, 'YYYY-MM'),
      'USD', 400, (1 + i % 7) * 400, NULL, NULL, 448, (1 + i % 7) * 448, NULL, NULL,
      m + (i % 28) * INTERVAL '1 day'
    FROM generate_series(1, $lines) AS i,
      (SELECT date_trunc('month', now() AT TIME ZONE 'UTC') AS m) AS period"
  psql "$url" -qc "VACUUM ANALYZE billing_line_items" >/dev/null
  local t0 took copy_took max_rss=0 sampler
  t0=$(date +%s.%N)
  local columns="id, created_at, billing_period, charge_type, customer_id, reseller_id,
    subscription_id, offer_id, term_duration, billing_cycle, quantity, charge_start_date,
    charge_end_date, days, cycle_days, currency, cost_unit_minor, cost_total_minor,
    reseller_unit_minor, reseller_total_minor, customer_unit_minor, customer_total_minor,
    customer_total_minor - coalesce(reseller_total_minor, cost_total_minor)"
  # \copy takes the rest of its line: the command is one line.
  psql "$url" -v ON_ERROR_STOP=1 -qc "$(printf '%s' "\\copy (SELECT $columns FROM billing_line_items
    WHERE provider_id = '$provider' ORDER BY id) TO '/dev/null' CSV HEADER" | tr '\n' ' ')"
  copy_took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
  RPS=$(awk -v n="$lines" -v s="$copy_took" 'BEGIN { printf "%.0f", n / s }') P50="—" P99="—" ERRORS=0
  local copy_rate=$RPS
  row postgres "psql \\copy of $lines billing lines to CSV, lines/s" "1.00×" "anchor" "—"
  ( while :; do rss_mib "$server"; echo; sleep 0.1; done ) >"$WORK/csv-rss" 2>/dev/null &
  sampler=$!
  t0=$(date +%s.%N)
  local got
  got=$(curl -sf -H "Authorization: Bearer $BENCH_TOKEN" -H 'Accept: text/csv' \
    "$app/v1/billing/line-items" | wc -l)
  took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
  kill "$sampler" 2>/dev/null || true
  max_rss=$(sort -n "$WORK/csv-rss" | tail -n1)
  # The demo's own lines come first; the header is one more line.
  [ "$got" -gt "$lines" ] || { echo "CSV export returned $got lines, expected more than $lines" >&2; return 1; }
  RPS=$(awk -v n="$((got - 1))" -v s="$took" 'BEGIN { printf "%.0f", n / s }')
  row postgres "CSV export of the billing lines (streamed), lines/s" "$(ratio "$RPS" "$copy_rate")" "of psql \\copy" "$max_rss (max)"

  local month anchor_ms close_ms out
  month=$(date -u +%Y-%m)
  psql "$url" -v ON_ERROR_STOP=1 -qc "CREATE UNLOGGED TABLE bench_sums (issuer_id TEXT,
    reseller_id TEXT, customer_id TEXT, currency TEXT, cost BIGINT, reseller BIGINT,
    customer BIGINT, n BIGINT)"
  anchor_ms=$(psql "$url" -v ON_ERROR_STOP=1 -c '\timing on' -c "INSERT INTO bench_sums
    SELECT provider_id, reseller_id, customer_id, currency, SUM(cost_total_minor),
      SUM(reseller_total_minor), SUM(customer_total_minor), COUNT(*)
    FROM billing_line_items WHERE billing_period = '$month' AND customer_id NOT IN
      (SELECT id FROM customers WHERE test_clock_id IS NOT NULL)
    GROUP BY provider_id, reseller_id, customer_id, currency" |
    sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
  local statements
  statements=$(psql "$url" -tAc "SELECT count(*) FROM bench_sums")
  RPS=$(awk -v ms="$anchor_ms" 'BEGIN { printf "%.0f", 1000 / ms }') P50="$anchor_ms" P99="—" ERRORS=0
  row postgres "INSERT … SELECT summing this month's lines ($statements groups), ms in p50" "1.00×" "anchor" "—"
  out=$(DATABASE_URL="$url" JWT_SECRET=bench-secret-that-is-at-least-32-bytes-long RUST_LOG=warn \
    "$BIN" billing close-period "$month")
  echo "   $out"
  close_ms=$(printf '%s' "$out" | sed -n 's/.* in \([0-9.]*\) ms$/\1/p')
  [ -n "$close_ms" ] || { echo "billing close-period did not close $month" >&2; return 1; }
  RPS=$(awk -v ms="$close_ms" 'BEGIN { printf "%.0f", 1000 / ms }') P50="$close_ms" P99="—" ERRORS=0
  row postgres "close the month: statements of the same lines, ms in p50" \
    "$(awk -v a="$close_ms" -v b="$anchor_ms" 'BEGIN { printf "%.2f×", a / b }')" "time of the INSERT … SELECT" "—"
}

echo "partner-center benchmark: $PROFILE build, $CUSTOMERS customers, ${DURATION}s per scenario, wrk -t2 -c8"
for backend in "${BACKENDS[@]}"; do bench_backend "$backend"; done

echo
echo "Machine: $(nproc) cores, $(awk '/^model name/ { sub(/.*: /, ""); print; exit }' /proc/cpuinfo), $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo); $(date -u +%Y-%m-%d)"
echo "Ratios compare measurements of the same run; absolute numbers move with other load on the machine."
echo
echo "| backend | scenario | req/s | p50 ms | p99 ms | ratio | to | RSS MiB | errors |"
echo "|---|---|---:|---:|---:|---:|---|---:|---:|"
awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }' "$RESULTS"
for backend in "${BACKENDS[@]}"; do
  [ -f "$WORK/$backend.peak" ] && awk -F'\t' '{ printf "%s server peak RSS: %s MiB\n", $1, $3 }' "$WORK/$backend.peak"
done
