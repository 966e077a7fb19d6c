#!/usr/bin/env bash
# Runs a walkthrough of docs/walkthrough.md (the ```sh blocks of one of its sections, as printed
# there; by default "Walkthrough") against a fresh `serve --demo`, and fails on any unexpected
# status: every curl call must answer 2xx, unless its line ends in a comment naming the status it
# shows (`# 403: ...`, `# 204`).
#
#   examples/walkthrough.sh [BASE_URL] [SECTION]   (default http://127.0.0.1:8080, Walkthrough)
#
# Needs bash, curl and python3, like the walkthrough.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:-http://127.0.0.1:8080}
SECTION=${2:-Walkthrough}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# The walkthrough's shell blocks, in order; a trailing `# NNN` comment becomes `expect NNN;`.
python3 - docs/walkthrough.md "$SECTION" > "$WORK/steps.sh" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
section = text.split("\n## " + sys.argv[2], 1)[1].split("\n## ", 1)[0]
for block in re.findall(r"```sh\n(.*?)```", section, re.S):
    for line in block.splitlines():
        m = re.search(r"#\s*([1-5][0-9]{2})\b", line)
        if m and not line.lstrip().startswith("#"):
            line = f"expect {m.group(1)}; {line}"
        print(line)
PY
sed -i "s|^B=http://127.0.0.1:8080;|B=$BASE;|" "$WORK/steps.sh"

export FAILURES="$WORK/failures" CALLS="$WORK/calls"
: > "$FAILURES"; : > "$CALLS"
EXPECTED=""
expect() { EXPECTED=$1; }
# curl as the walkthrough calls it, plus a header dump to check the status.
curl() {
  local want=${EXPECTED:-2xx} headers="$WORK/headers.$RANDOM" status
  EXPECTED=""
  command curl -D "$headers" "$@"
  status=$(tr -d '\r' < "$headers" | awk '/^HTTP\//{s=$2} END{print s}')
  rm -f "$headers"
  echo "$status $want curl $*" >> "$CALLS"
  if [[ $want == 2xx && $status != 2?? ]] || [[ $want != 2xx && $status != "$want" ]]; then
    echo "UNEXPECTED $status (wanted $want): curl $*" | tee -a "$FAILURES" >&2
  fi
}
export -f curl

# shellcheck disable=SC1091
source "$WORK/steps.sh" > "$WORK/out.log"

calls=$(wc -l < "$CALLS")
if [ -s "$FAILURES" ]; then
  echo "walkthrough ($SECTION): $calls calls, $(wc -l < "$FAILURES") unexpected:"
  cat "$FAILURES"
  exit 1
fi
echo "walkthrough ($SECTION): $calls calls, all with the expected status"
