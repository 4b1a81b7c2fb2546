#!/usr/bin/env bash
# Vendor the subset of the npm package @gouvfr/dsfr that DossierSCO serves
# into static/dsfr/.
#
# Usage: tools/vendor-dsfr.sh [VERSION]        (default: 1.15.3)
#
# - Uses `npm pack` (downloads the tarball, runs no package script: the
#   package's preinstall hook refuses a plain `npm install`).
# - Copies, keeping upstream's dist/ layout so the CSS's relative url(...)
#   references resolve unchanged (files are byte-identical to upstream):
#     dist/dsfr.min.css, dist/dsfr.module.min.js, dist/dsfr.nomodule.min.js,
#     dist/utility/icons/icons.min.css, every file referenced by url(...) in
#     those two CSS files (SVG icons and .woff2 fonts; the .woff fallbacks
#     listed after each .woff2 are dropped), dist/favicon/*, LICENSE.md.
# - Regenerates static/dsfr/README.md, static/dsfr/MANIFEST.txt (sha256 of
#   every vendored file, `sha256sum -c` format) and static/dsfr/.gitattributes.
# - Idempotent: static/dsfr/ is rebuilt from scratch on every run; two runs
#   with the same version produce byte-identical trees.
#
# Needs: bash, npm (and so node), tar, sha256sum, find, sort.
set -euo pipefail

VERSION="${1:-1.15.3}"
PKG="@gouvfr/dsfr"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/static/dsfr"

# Files taken as-is from the package (paths relative to the package root).
CSS_FILES=(dist/dsfr.min.css dist/utility/icons/icons.min.css)
JS_FILES=(dist/dsfr.module.min.js dist/dsfr.nomodule.min.js)
FAVICON_DIR=dist/favicon
LICENSE_FILE=LICENSE.md

export LC_ALL=C

for tool in npm node tar sha256sum; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found" >&2; exit 1; }
done

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "==> npm pack $PKG@$VERSION"
(cd "$WORK" && npm pack --silent --json "$PKG@$VERSION" >pack.json)
TARBALL="$(cd "$WORK" && ls ./*.tgz)"
INTEGRITY="$(node -e 'const p=require(process.argv[1]);console.log(p[0].integrity)' "$WORK/pack.json")"
SHASUM="$(node -e 'const p=require(process.argv[1]);console.log(p[0].shasum)' "$WORK/pack.json")"
mkdir "$WORK/pkg"
tar -xzf "$WORK/$TARBALL" -C "$WORK/pkg" --no-same-owner --no-same-permissions
SRC="$WORK/pkg/package"

GOT_VERSION="$(node -e 'console.log(require(process.argv[1]).version)' "$SRC/package.json")"
LICENSE_ID="$(node -e 'console.log(require(process.argv[1]).license)' "$SRC/package.json")"
if [ "$GOT_VERSION" != "$VERSION" ]; then
  echo "error: tarball holds version $GOT_VERSION, expected $VERSION" >&2
  exit 1
fi

# Every url(...) in the shipped CSS, resolved to a path relative to the
# package root. Prints "KEEP path", "DROP path" (a .woff fallback whose .woff2
# sibling is also referenced) or "MISSING path"; data: URIs are ignored.
resolve_urls() {
  node - "$SRC" "$@" <<'EOF'
const fs = require('fs');
const path = require('path');
const [root, ...cssFiles] = process.argv.slice(2);
const refs = new Set();
for (const css of cssFiles) {
  const text = fs.readFileSync(path.join(root, css), 'utf8');
  if (/@import/.test(text)) { console.error(`error: @import in ${css}`); process.exit(1); }
  const re = /url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))\s*\)/g;
  let m;
  while ((m = re.exec(text))) {
    const u = m[1] ?? m[2] ?? m[3];
    if (/^data:/i.test(u)) continue;
    if (/^[a-z]+:|^\/\//i.test(u)) { console.error(`error: absolute url ${u} in ${css}`); process.exit(1); }
    const p = path.posix.normalize(path.posix.join(path.posix.dirname(css), u.split(/[?#]/)[0]));
    if (p.startsWith('..')) { console.error(`error: ${u} in ${css} escapes the package`); process.exit(1); }
    refs.add(p);
  }
}
for (const p of [...refs].sort()) {
  const exists = fs.existsSync(path.join(root, p));
  if (p.endsWith('.woff') && refs.has(p + '2')) console.log(`DROP ${p}`);
  else console.log(`${exists ? 'KEEP' : 'MISSING'} ${p}`);
}
EOF
}

mapfile -t URL_LINES < <(resolve_urls "${CSS_FILES[@]}")
MISSING=()
DROPPED=()
REFERENCED=()
for line in "${URL_LINES[@]}"; do
  case "$line" in
    "KEEP "*) REFERENCED+=("${line#KEEP }") ;;
    "DROP "*) DROPPED+=("${line#DROP }") ;;
    "MISSING "*) MISSING+=("${line#MISSING }") ;;
  esac
done
if [ "${#MISSING[@]}" -gt 0 ]; then
  echo "error: files referenced by the CSS but absent from the package:" >&2
  printf '  %s\n' "${MISSING[@]}" >&2
  exit 1
fi

# Favicon files, plus a check that the manifest's icons are among them.
mapfile -t FAVICONS < <(cd "$SRC" && find "$FAVICON_DIR" -type f | sort)
node - "$SRC/$FAVICON_DIR/manifest.webmanifest" <<'EOF'
const fs = require('fs'), path = require('path');
const f = process.argv[2];
for (const icon of JSON.parse(fs.readFileSync(f, 'utf8')).icons || []) {
  if (!fs.existsSync(path.join(path.dirname(f), icon.src))) {
    console.error(`error: manifest icon ${icon.src} missing`); process.exit(1);
  }
}
EOF

SELECTION=("$LICENSE_FILE" "${CSS_FILES[@]}" "${JS_FILES[@]}" "${FAVICONS[@]}" "${REFERENCED[@]}")

# Build into a staging directory, then swap it in.
OUT="$WORK/out"
mkdir -p "$OUT"
for f in "${SELECTION[@]}"; do
  [ -f "$SRC/$f" ] || { echo "error: $f not in package" >&2; exit 1; }
  mkdir -p "$OUT/$(dirname "$f")"
  cp "$SRC/$f" "$OUT/$f"
  chmod 0644 "$OUT/$f"
done

(cd "$OUT" && find . -type f | sed 's|^\./||' | sort | xargs -d '\n' sha256sum) >"$WORK/MANIFEST.txt"

size_of() { # total bytes of the files under the given paths (relative to $OUT)
  (cd "$OUT" && find "$@" -type f -printf '%s\n') | awk '{s+=$1} END {print s+0}'
}
count_of() { (cd "$OUT" && find "$@" -type f | wc -l | tr -d ' '); }
human() { awk -v b="$1" 'BEGIN { if (b >= 1048576) printf "%.2f MiB", b/1048576; else printf "%.1f KiB", b/1024 }'; }
fsize() { stat -c %s "$OUT/$1"; }

N_ICONS="$(count_of dist/icons)"
N_FONTS="$(count_of dist/fonts)"
S_ICONS="$(size_of dist/icons)"
S_FONTS="$(size_of dist/fonts)"
S_FAVICON="$(size_of dist/favicon)"
TOTAL="$(size_of .)"
N_TOTAL="$(count_of .)"
FONT_LIST="$(cd "$OUT/dist/fonts" && ls | sed 's/^/  - `/; s/$/`/')"
FAVICON_LIST="$(cd "$OUT/dist/favicon" && ls | sed 's/^/`/; s/$/`/' | paste -sd, - | sed 's/,/, /g')"
DROPPED_LIST="$(printf '%s\n' "${DROPPED[@]}" | sed 's|^dist/fonts/||' | paste -sd, - | sed 's/,/, /g')"

cat >"$WORK/README.md" <<EOF
# Vendored DSFR (Système de Design de l'État)

Generated by \`tools/vendor-dsfr.sh $VERSION\`: do not edit by hand.

- Package: \`$PKG\` version **$VERSION** (npm tarball sha1 \`$SHASUM\`,
  integrity \`$INTEGRITY\`).
- Licence: \`$LICENSE_ID\` (Licence Ouverte / Open Licence 2.0), see
  [LICENSE.md](LICENSE.md). Its preamble restricts use of the DSFR to French
  State administrations (visual identity of the State, .gouv.fr domains).
- Every file below is byte-identical to the package and keeps its path
  relative to the package root, so the relative \`url(...)\` references in
  the CSS resolve unchanged. \`MANIFEST.txt\` lists each vendored file with
  its sha256 (\`cd static/dsfr && sha256sum -c MANIFEST.txt\`).

## What was copied, and why

| Path | Files | Bytes | Why |
| --- | --- | --- | --- |
| \`dist/dsfr.min.css\` | 1 | $(fsize dist/dsfr.min.css) | The complete DSFR stylesheet (core, all components, legacy fallbacks, print rules). |
| \`dist/utility/icons/icons.min.css\` | 1 | $(fsize dist/utility/icons/icons.min.css) | The \`fr-icon-*\` classes. \`dsfr.min.css\` defines none of them (only the icons its components draw themselves), so \`fr-icon-lock-line\`, \`fr-icon-account-circle-line\`, \`fr-icon-logout-box-r-line\`, etc. need this file. |
| \`dist/dsfr.module.min.js\` | 1 | $(fsize dist/dsfr.module.min.js) | Component behaviour (menus, modals, disclosure...) for modern browsers. |
| \`dist/dsfr.nomodule.min.js\` | 1 | $(fsize dist/dsfr.nomodule.min.js) | The same for browsers without ES modules. |
| \`dist/icons/**/*.svg\` | $N_ICONS | $S_ICONS | Exactly the SVGs referenced by \`url(...)\` in the two CSS files above. |
| \`dist/fonts/*.woff2\` | $N_FONTS | $S_FONTS | Marianne (light, regular, medium, bold, each with italic) and Spectral (regular, extra-bold): every \`.woff2\` the CSS references. |
| \`dist/favicon/*\` | $(count_of dist/favicon) | $S_FAVICON | $FAVICON_LIST (the manifest references the two android-chrome PNGs). |
| \`LICENSE.md\` | 1 | $(fsize LICENSE.md) | Upstream licence. |

Fonts:
$FONT_LIST

Total: **$N_TOTAL files, $TOTAL bytes ($(human "$TOTAL"))**, not counting this
README, \`MANIFEST.txt\` and \`.gitattributes\`.

Left out on purpose: the \`.woff\` fonts ($DROPPED_LIST). Each
\`@font-face\` lists the \`.woff2\` first and the \`.woff\` only as a fallback
for browsers without WOFF2 support; those browsers would get a 404 and fall
back to a system font. Also left out: the source maps (the JS files end with a
\`sourceMappingURL\` comment, so browser dev tools may request a missing
\`.map\`), the per-component and per-icon-family CSS, the artwork and
pictograms, the non-minified files, \`src/\`, \`example/\` and \`doc/\`.

## Using it

If \`static/\` is served at \`/static\`:

\`\`\`html
<link rel="stylesheet" href="/static/dsfr/dist/dsfr.min.css">
<link rel="stylesheet" href="/static/dsfr/dist/utility/icons/icons.min.css">
<link rel="apple-touch-icon" href="/static/dsfr/dist/favicon/apple-touch-icon.png">
<link rel="icon" href="/static/dsfr/dist/favicon/favicon.svg" type="image/svg+xml">
<link rel="shortcut icon" href="/static/dsfr/dist/favicon/favicon.ico" type="image/x-icon">
<link rel="manifest" href="/static/dsfr/dist/favicon/manifest.webmanifest" crossorigin="use-credentials">
<!-- at the end of <body> -->
<script type="module" src="/static/dsfr/dist/dsfr.module.min.js"></script>
<script nomodule src="/static/dsfr/dist/dsfr.nomodule.min.js"></script>
\`\`\`

## Updating

\`\`\`sh
tools/vendor-dsfr.sh 1.x.y   # default: $VERSION
\`\`\`

The script runs \`npm pack\` in a temporary directory (no package script is
run), rebuilds \`static/dsfr/\` from scratch with the same selection, fails if
a file referenced by the CSS is missing from the package, regenerates this
README and \`MANIFEST.txt\`, and prints the sizes. Review the diff, then
update the pinned version wherever the application refers to it.
EOF

printf '%s\n' '# Vendored upstream files: keep them byte-identical (MANIFEST.txt holds their sha256).' \
  '* -text linguist-vendored' >"$WORK/gitattributes"

# Swap in the new tree.
rm -rf "$DEST"
mkdir -p "$(dirname "$DEST")"
mv "$OUT" "$DEST"
cp "$WORK/README.md" "$DEST/README.md"
cp "$WORK/MANIFEST.txt" "$DEST/MANIFEST.txt"
cp "$WORK/gitattributes" "$DEST/.gitattributes"
chmod 0644 "$DEST/README.md" "$DEST/MANIFEST.txt" "$DEST/.gitattributes"
find "$DEST" -type d -exec chmod 0755 {} +

(cd "$DEST" && sha256sum --quiet -c MANIFEST.txt)

OUT="$DEST"   # size helpers now read the installed tree
echo "==> $PKG@$VERSION vendored into ${DEST#"$ROOT"/}"
printf '  %-38s %10s\n' \
  dist/dsfr.min.css "$(fsize dist/dsfr.min.css)" \
  dist/utility/icons/icons.min.css "$(fsize dist/utility/icons/icons.min.css)" \
  dist/dsfr.module.min.js "$(fsize dist/dsfr.module.min.js)" \
  dist/dsfr.nomodule.min.js "$(fsize dist/dsfr.nomodule.min.js)" \
  "dist/icons/ ($N_ICONS svg)" "$S_ICONS" \
  "dist/fonts/ ($N_FONTS woff2)" "$S_FONTS" \
  "dist/favicon/ ($(count_of dist/favicon) files)" "$S_FAVICON" \
  LICENSE.md "$(fsize LICENSE.md)"
printf '  %-38s %10s  (%s)\n' "total ($N_TOTAL vendored files)" "$TOTAL" "$(human "$TOTAL")"
printf '  %-38s %10s\n' "static/dsfr/ on disk incl. README etc." "$(find "$DEST" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')"
if [ "${#DROPPED[@]}" -gt 0 ]; then
  echo "  dropped ${#DROPPED[@]} .woff fallbacks referenced after their .woff2"
fi
