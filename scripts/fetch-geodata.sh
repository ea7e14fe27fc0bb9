#!/usr/bin/env bash
# Installs the IP-to-country database (too big to commit) into data/geo/ip/, which git ignores.
# Source: the npm package @ip-location-db/geo-whois-asn-country-mmdb (package CC0-1.0; the RIR data in it is
# CC BY 4.0 by the NRO: attribute "nro.net"). See data/geo/README.md.
# Idempotent: does nothing when the pinned version is already there. Needs npm and the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."

package="@ip-location-db/geo-whois-asn-country-mmdb"
version="2.3.2026061719"
target="data/geo/ip"
stamp="$target/VERSION"

if [[ -f "$target/geo-whois-asn-country.mmdb" && -f "$stamp" && "$(cat "$stamp")" == "$package@$version" ]]; then
  echo "fetch-geodata: $package@$version already in $target"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$package@$version" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work"
mkdir -p "$target"
for file in geo-whois-asn-country.mmdb NRO_LICENSE README.md; do
  cp "$work/package/$file" "$target/$file"
done
echo "$package@$version" > "$stamp"
echo "fetch-geodata: installed $package@$version into $target"
