#!/usr/bin/env bash
# Builds canbao (Release) and runs the main job on a demo: generates a
# roster for 贵池区 and assesses it, printing a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target canbao
B=build/release/canbao
mkdir -p out
$B policy check policies/2024/*.toml
$B gen --policy policies/2024/guichi.toml --persons 10000 --seed 7 --out out/demo-roster.csv
$B assess --policy policies/2024/guichi.toml --input out/demo-roster.csv --as-of 2023-11-01 --out out/demo-assessment.jsonl
echo "wrote out/demo-assessment.jsonl ($(wc -l < out/demo-assessment.jsonl) persons)"
head -n 1 out/demo-assessment.jsonl
