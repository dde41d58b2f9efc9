#!/usr/bin/env bash
# Builds canbao (Release) and its web UI, then runs the main job: the server
# on a demo SQLite database (贵池区, ~5,000 generated residents, demo accounts
# printed at start) at http://127.0.0.1:8080/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target canbao
(cd web && npm ci --no-audit --no-fund && npm run build)
mkdir -p out
exec build/release/canbao serve --demo --db out/demo.db --web web/dist --port "${PORT:-8080}"
