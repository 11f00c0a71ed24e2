#!/usr/bin/env bash
# Build the onedir bundle into packaging/dist/qenex (work files in packaging/build).
# Usage: packaging/build.sh            (uses .venv/bin/python, or $PYTHON)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$HERE")"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"

"$PYTHON" -c "import PyInstaller" 2>/dev/null || "$PYTHON" -m pip install "pyinstaller>=6"
"$PYTHON" -m PyInstaller --noconfirm --clean \
    --distpath "$HERE/dist" --workpath "$HERE/build" \
    "$HERE/qenex.spec"
echo "built: $HERE/dist/qenex/qenex"
