#!/usr/bin/env bash
# Seeds the fuzz corpora (outside the repository) from the fixtures, a generated
# school and, when present, the shared samples.
# Usage: fuzz/seed_corpus.sh CORPUS_ROOT   (e.g. /work/fuzz-corpus)
set -euo pipefail
root=${1:?corpus root}
here=$(cd "$(dirname "$0")" && pwd)
fixtures="$here/../tests/fixtures"
samples=${DOSSIERSCO_SIECLE_SAMPLES:-$here/../../../../shared/siecle/samples}
for t in detect eleves responsables nomenclatures structures tableur; do mkdir -p "$root/$t"; done
cp "$fixtures"/*.xml "$root/detect/"
cp "$fixtures"/eleves*.xml "$fixtures"/truncated.xml "$fixtures"/*declared*.xml "$fixtures"/billion_laughs.xml "$root/eleves/"
cp "$fixtures"/responsables*.xml "$root/responsables/"
cp "$fixtures"/nomenclature*.xml "$root/nomenclatures/"
cp "$fixtures"/structures*.xml "$root/structures/"
if [ -d "$samples" ]; then
  cp "$samples"/eleves*.xml "$root/eleves/"
  cp "$samples"/responsables*.xml "$root/responsables/"
  cp "$samples"/nomenclature*.xml "$root/nomenclatures/"
  cp "$samples"/*.xls* "$root/tableur/"
  cp "$samples"/*.xls* "$root/detect/"
fi
