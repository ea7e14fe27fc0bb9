#!/usr/bin/env bash
# The README's quickstart, run for real: it takes the session block of README.md (between the "quickstart:begin"
# and "quickstart:end" markers) and runs it word for word against a real server started from a built `needle`, then
# checks what it read back. CI runs it (.ci/run), so the README cannot drift from what works.
#
#   bash scripts/quickstart.sh           # needle from `dotnet publish src/Needle.Cli -c Release -o DIR`
#   bash scripts/quickstart.sh --tool    # needle as a .NET tool: dotnet pack, then dotnet tool install --tool-path DIR
#
# Needs the .NET SDK, curl and jq. Exits non-zero on any failure; removes everything it made (server, folders).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
mode=${1:-publish}
case "$mode" in publish|--publish) mode=publish ;; --tool) mode=tool ;; *) echo "usage: $0 [--tool]" >&2; exit 2 ;; esac
for tool in curl jq dotnet; do
  command -v "$tool" >/dev/null || { echo "quickstart: error: $tool is not installed" >&2; exit 1; }
done

work=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  [[ -n "${session_ran:-}" ]] && rm -f "$repo/known.csv"
}
trap cleanup EXIT
fail() { echo "quickstart: FAILED: $*" >&2; [[ -f "$work/serve.err" ]] && { echo "--- server log (last 30 lines)" >&2; tail -n 30 "$work/serve.err" >&2; }; exit 1; }

# 1. The binary, built once (the README says how to get it).
if [[ $mode == tool ]]; then
  echo "quickstart: packing the needle tool and installing it into a temporary tool path"
  dotnet pack src/Needle.Cli -c Release -o "$work/artifacts" --nologo -v quiet >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; fail "dotnet pack"; }
  dotnet tool install --tool-path "$work/bin" --add-source "$work/artifacts" Needle >"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; fail "dotnet tool install"; }
else
  echo "quickstart: publishing needle into a temporary folder"
  dotnet publish src/Needle.Cli -c Release -o "$work/bin" --nologo -v quiet >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; fail "dotnet publish"; }
fi
export PATH="$work/bin:$PATH"
[[ "$(command -v needle)" == "$work/bin/needle" ]] || fail "needle is not the one just built"
needle --version >/dev/null || fail "needle --version"
# The boundary data ships beside the binary (and in the tool package): a position is placed without the repository.
(cd "$work" && needle geo lookup 45.764,4.8357) | grep -q "^45.764,4.8357: FR France" || fail "needle geo lookup found no boundary data"

# 2. The server, on a free loopback port, from a folder of its own (needle.db and its key file go there).
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 5080)
mkdir -p "$work/server"
(cd "$work/server" && exec needle serve --urls "http://127.0.0.1:$port") >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
for _ in $(seq 1 120); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" && break
  kill -0 "$server_pid" 2>/dev/null || fail "the server stopped"
  sleep 0.5
done
curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" || fail "the server did not answer within 60 s"
ADMIN=$(grep -o 'ndl_[A-Za-z0-9_-]*' "$work/serve.out" | head -n 1)
[[ -n "$ADMIN" ]] || fail "the server printed no admin key"
URL="http://127.0.0.1:$port"
grep -q "Cache-Control" "$work/serve.err" && fail "the server logged a Cache-Control warning"

# 3. The README's session, word for word, from the repository's root.
session=$(awk '/<!-- quickstart:begin -->/ { on = 1; next } /<!-- quickstart:end -->/ { on = 0 } on && !/^```/' README.md)
[[ -n "$session" ]] || fail "no quickstart block in README.md"
echo "quickstart: running the README's session"
set -x
session_ran=1
eval "$session"
set +x

# 4. What the session read back: the report was processed and its re-encoded copy matched the known list.
[[ "$REPORT_ID" =~ ^[0-9a-f-]{36}$ ]] || fail "REPORT_ID is '$REPORT_ID'"
report=$(curl -sf -H "Authorization: Bearer $REVIEWER" "$URL/api/v1/reports/$REPORT_ID") || fail "GET the report"
[[ $(jq -r .status <<<"$report") == processed ]] || fail "the report is not processed: $report"
[[ $(jq -r .matchedFileCount <<<"$report") == 1 ]] || fail "the report has no matched file: $report"
label=$(jq -r '.files[0].matches[0].label' <<<"$report")
[[ $(jq -r '.files[0].matches[0].list' <<<"$report") == known && $label == p08_video_frame.png ]] || fail "the match is not p08 in 'known': $report"
[[ $(wc -l < known.csv) -ge 45 ]] || fail "known.csv is short"
rm -f known.csv
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $REVIEWER" "$URL/api/v1/reports/REPORT_ID")
[[ $code == 400 ]] || fail "a malformed report id answered $code, not 400"
grep -q "Cache-Control" "$work/serve.err" && fail "the server logged a Cache-Control warning"

echo "quickstart: passed ($mode): report $REPORT_ID processed, its copy matched $label in list 'known'"
