#!/usr/bin/env bash
# What the benchmark needs beyond scripts/setup: FluidSynth and a General MIDI
# soundfont (Debian/Ubuntu packages, installed with apt-get when missing), and
# music21 for the scores. Idempotent: does nothing when all is there.
#
#     bench/setup.sh && .venv/bin/python -m bench.run --suite piano --pieces 5
set -euo pipefail
cd "$(dirname "$0")/.."

soundfont=/usr/share/sounds/sf2/FluidR3_GM.sf2
missing=()
command -v fluidsynth >/dev/null || missing+=(fluidsynth)
[ -f "$soundfont" ] || [ -n "${RESCORED_SOUNDFONT:-}" ] || missing+=(fluid-soundfont-gm)

if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || {
    echo "Install ${missing[*]} with your package manager (or set RESCORED_SOUNDFONT to a General MIDI .sf2)." >&2
    exit 1
  }
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "Installing ${missing[*]}…"
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

[ -x .venv/bin/python ] || { echo "Run scripts/setup first (it creates .venv)." >&2; exit 1; }
# music21 brings its corpus of scores; it does not depend on torch, so the
# pinned CPU torch stays as it is.
.venv/bin/python -c 'import music21' 2>/dev/null || .venv/bin/pip install -q "music21>=9.1"

fluidsynth --version | head -1
echo "Soundfont: ${RESCORED_SOUNDFONT:-$soundfont}"
.venv/bin/python -c 'import music21, mir_eval; print(f"music21 {music21.__version__}, mir_eval {mir_eval.__version__}")'
