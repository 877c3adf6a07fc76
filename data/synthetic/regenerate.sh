#!/usr/bin/env bash
# Regenerate the committed synthetic surveys, byte for byte (see PROVENANCE.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
analyse="${ANALYSE:-.venv/bin/analyse}"
"$analyse" simulate --design barometre-2025 --seed 2025 --out data/synthetic/synthetic_barometre_2025.csv
"$analyse" simulate --design census-epci --seed 2025 --out data/synthetic/synthetic_census_epci.csv
