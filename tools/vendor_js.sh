#!/usr/bin/env bash
# Re-fetch the pinned JavaScript and map data that the report and the dashboard ship (no CDN at run time).
# Usage: tools/vendor_js.sh   (needs npm; writes src/talentflow/report/static/vendor/, nothing else)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=src/talentflow/report/static/vendor
# name@version  file-inside-the-package  vendored-name
PINS=(
  "vega@6.2.0 build/vega.min.js vega.min.js"
  "vega-lite@6.4.1 build/vega-lite.min.js vega-lite.min.js"
  "vega-embed@7.0.2 build/vega-embed.min.js vega-embed.min.js"
  "plotly.js-dist-min@3.1.0 plotly.min.js plotly.min.js"
  "htmx.org@2.0.4 dist/htmx.min.js htmx.min.js"
  "world-atlas@2.0.2 countries-110m.json countries-110m.json"
)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$OUT"
{
  echo "Third-party files vendored into talentflow's report and dashboard (fetched by tools/vendor_js.sh)."
  echo
} > "$work/LICENSES"
for pin in "${PINS[@]}"; do
  read -r spec file name <<<"$pin"
  (cd "$work" && npm pack --silent "$spec" >/dev/null)
  tgz=$(ls "$work"/*.tgz)
  mkdir -p "$work/pkg" && tar -xzf "$tgz" -C "$work/pkg"
  cp "$work/pkg/package/$file" "$OUT/$name"
  lic=$(node -e "console.log(require('$work/pkg/package/package.json').license || 'see package')")
  {
    echo "== $name  ($spec, licence: $lic)"
    for f in "$work"/pkg/package/LICEN[CS]E* "$work"/pkg/package/license*; do [ -f "$f" ] && cat "$f"; done
    echo
  } >> "$work/LICENSES"
  rm -rf "$work/pkg" "$tgz"
done
cp "$work/LICENSES" "$OUT/LICENSES.txt"
ls -l "$OUT"
