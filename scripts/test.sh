#!/usr/bin/env bash
# The whole test suite, as the README says: `bash scripts/test.sh`.
#
# * SQLite tests always run. PostgreSQL tests run when REUNITE_TEST_POSTGRES_URL is set; if
#   it is not and a server answers on 127.0.0.1:5432, that one is used (database `test`,
#   user `postgres`, trust auth), otherwise those tests report that they were skipped.
# * Browser tests need Debian's chromium and chromium-driver; they are installed here when
#   missing and this runs as root with apt (otherwise install them yourself).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1 \
   || ! command -v pdftotext >/dev/null 2>&1 || [ ! -d /usr/share/fonts/opentype/noto ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium, chromium-driver, poppler-utils and fonts-noto-cjk for the browser and PDF tests" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver poppler-utils fonts-noto-cjk >/dev/null
  else
    echo "warning: chromium/chromedriver (or poppler-utils, fonts-noto-cjk) missing; browser and PDF tests will fail or check less" >&2
  fi
fi

if [ -z "${REUNITE_TEST_POSTGRES_URL:-}" ] && command -v pg_isready >/dev/null 2>&1 \
   && pg_isready -h 127.0.0.1 -p 5432 -q; then
  export REUNITE_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/test"
fi
echo "PostgreSQL tests: ${REUNITE_TEST_POSTGRES_URL:-skipped (REUNITE_TEST_POSTGRES_URL unset)}" >&2

exec cargo test --workspace "$@"
