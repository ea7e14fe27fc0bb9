#!/usr/bin/env bash
# Installs the IP-to-country database (too big to commit) into data/geo/ip/, which git ignores.
# Source: the npm package @ip-location-db/geo-whois-asn-country-mmdb (package CC0-1.0; the RIR data in it is
# CC BY 4.0 by the NRO: attribute "nro.net"). See data/geo/README.md.
# Idempotent: does nothing when the pinned version is already there. Needs npm and the npm registry.
# The Geo and Server test builds run it themselves; two builds running it at once take turns (flock).
set -euo pipefail
cd "$(dirname "$0")/.."

package="@ip-location-db/geo-whois-asn-country-mmdb"
version="2.3.2026061719"
target="data/geo/ip"
stamp="$target/VERSION"

installed() {
  [[ -f "$target/geo-whois-asn-country.mmdb" && -f "$stamp" && "$(cat "$stamp")" == "$package@$version" ]]
}

if installed; then
  echo "fetch-geodata: $package@$version already in $target"
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "fetch-geodata: error: npm is not installed; it fetches the IP-to-country database ($package@$version)." >&2
  echo "fetch-geodata: install it (Debian: apt-get install -y nodejs npm) and build again, or run scripts/fetch-geodata.sh." >&2
  exit 1
fi

mkdir -p data/geo
exec 9>data/geo/.fetch-geodata.lock
if command -v flock >/dev/null 2>&1; then
  flock 9
fi
if installed; then   # another build installed it while this one waited
  echo "fetch-geodata: $package@$version already in $target"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! (cd "$work" && npm pack --loglevel=error "$package@$version" >"$work/npm.log" 2>&1); then
  echo "fetch-geodata: error: could not fetch $package@$version from the npm registry (no network, or the registry cannot be reached?)." >&2
  echo "fetch-geodata: npm said:" >&2
  sed 's/^/  /' "$work/npm.log" | tail -n 15 >&2
  echo "fetch-geodata: the Geo and Server tests need this database; run scripts/fetch-geodata.sh again once the registry answers." >&2
  exit 1
fi
tar -xzf "$work"/*.tgz -C "$work"
mkdir -p "$work/ip"
for file in geo-whois-asn-country.mmdb NRO_LICENSE README.md; do
  cp "$work/package/$file" "$work/ip/$file"
done
echo "$package@$version" > "$work/ip/VERSION"
rm -rf "$target"
mv "$work/ip" "$target"
echo "fetch-geodata: installed $package@$version into $target"
