#!/bin/sh
# Regenerates the raw bindings (java/src/main/java/dev/kinema/raw) from native/include/kinema.h.
# Uses a real jextract when one is found ($JEXTRACT_HOME/bin/jextract, else `jextract` on PATH);
# otherwise jextract/generate-raw.py, which emits the same shape for this header.
#   jextract/regenerate.sh           regenerate
#   jextract/regenerate.sh --check   fail if the committed files are out of date (generator only)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
header=native/include/kinema.h
args=jextract/kinema.args

jextract_bin=""
if [ -n "${JEXTRACT_HOME:-}" ] && [ -x "$JEXTRACT_HOME/bin/jextract" ]; then
  jextract_bin="$JEXTRACT_HOME/bin/jextract"
elif command -v jextract >/dev/null 2>&1; then
  jextract_bin=$(command -v jextract)
fi

if [ "${1:-}" = "--check" ]; then
  exec python3 jextract/generate-raw.py --check "$args" "$header"
fi

if [ -n "$jextract_bin" ]; then
  echo "regenerate.sh: using $jextract_bin"
  # jextract writes only what the header declares; clear the folder so removed declarations go.
  rm -f java/src/main/java/dev/kinema/raw/*.java
  "$jextract_bin" "@$args" "$header"
else
  echo "regenerate.sh: no jextract found, using jextract/generate-raw.py"
  python3 jextract/generate-raw.py "$args" "$header"
fi
