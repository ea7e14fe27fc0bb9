#!/bin/bash
# Cold start to /readyz and resident memory of `needle serve` over an N-entry list (half PDQ, half MD5, with labels,
# categories and metadata), without and with list snapshots. Usage: scripts/measure-list-start.sh N [WORK_DIR]
# Build first: dotnet build -c Release src/Needle.Cli. Needs python3, curl, bc. Deletes nothing outside WORK_DIR.
set -u
N=$1; D=${2:-/tmp/needle-list-start}; PORT=5391
# NEEDLE_DLL: another build's needle.dll (e.g. a baseline), measured the same way.
NEEDLE="dotnet ${NEEDLE_DLL:-$(cd "$(dirname "$0")/.." && pwd)/src/Needle.Cli/bin/Release/net10.0/needle.dll}"
gen() {
  python3 - "$1" <<'PY'
import sys, random
n = int(sys.argv[1]); rng = random.Random(7); out = sys.stdout
out.write('{"format":"needle-hashlist","version":1,"name":"bench","kind":"known"}\n')
i = item = 0
while i < n:
    label = 'NCMEC-%09d' % item; cat = str(item % 4 + 1)
    meta = '{"case":"C-%07d","received":"2025-%02d-%02dT10:00:00Z"}' % (item % 99991, item % 12 + 1, item % 28 + 1)
    for kind, bits in (('pdq', 256), ('md5', 128)):
        if i == n: break
        i += 1
        out.write('{"id":%d,"signalType":"%s","value":"%0*x","label":"%s","category":"%s","source":"programme-2025.csv","enabled":true,"metadata":%s}\n' % (i, kind, bits // 4, rng.getrandbits(bits), label, cat, meta))
    item += 1
PY
}
start() { # tag, --list-snapshots value
  local t0=$(date +%s.%N)
  $NEEDLE serve --db $D/needle.db --urls http://127.0.0.1:$PORT --workers 0 --list-snapshots "$2" > $D/$1.out 2> $D/$1.err &
  PID=$!
  until curl -sf -o /dev/null http://127.0.0.1:$PORT/readyz; do sleep 0.1; kill -0 $PID 2>/dev/null || { echo "$1: died"; tail $D/$1.err; exit 1; }; done
  READY=$(echo "$(date +%s.%N) - $t0" | bc); sleep 2
  RSS=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
  echo "$1: ready in $READY s; VmRSS $RSS kB"
}
stop() { kill -TERM $PID; wait $PID; }
if [ ! -f $D/needle.db ]; then
  mkdir -p $D; gen $N > $D/list.ndjson
  start empty off; echo $RSS > $D/empty.rss
  KEY=$(grep -o 'ndl_[A-Za-z0-9_-]*' $D/empty.out | head -1)
  T0=$(date +%s.%N); CPU0=$(awk '{print $14+$15}' /proc/$PID/stat)
  LOC=$(curl -sf -X POST -H "Authorization: Bearer $KEY" -T $D/list.ndjson -w '%{stderr}import answered (upload received) in %{time_total} s\n' "http://127.0.0.1:$PORT/api/v1/lists/bench/import?format=needle" -o /dev/null -D - | tr -d '\r' | awk 'tolower($1)=="location:" {print $2}') || echo "import failed"
  # A large import is answered at once with a job: wait for it before stopping the server.
  while [ -n "$LOC" ] && curl -sf -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT$LOC" | grep -qi '"state":"running"'; do sleep 0.2; done
  echo "import (upload + job, until committed): $(echo "$(date +%s.%N) - $T0" | bc) s wall, $(echo "scale=2; ($(awk '{print $14+$15}' /proc/$PID/stat) - $CPU0) / $(getconf CLK_TCK)" | bc) CPU s of the server"
  [ -n "$LOC" ] && curl -sf -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT$LOC" | head -c 300; echo
  stop; rm -f $D/list.ndjson
fi
EMPTY=$(cat $D/empty.rss)
start nosnap off; echo "  $(( (RSS - EMPTY) * 1024 / N )) B/entry over an empty server"; stop
rm -rf $D/snaps; start rebuild $D/snaps; stop   # writes the snapshot at its clean shutdown
start snap $D/snaps; echo "  $(( (RSS - EMPTY) * 1024 / N )) B/entry over an empty server"; grep -h "snapshot" $D/snap.err | head -3; stop
