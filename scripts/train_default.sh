#!/usr/bin/env bash
# Retrain the shipped default model from scratch with one command:
#   bash scripts/train_default.sh [DWM_DIR] [RUN_DIR]
# Trains the `cpu` preset with look augmentation (--augment) on the dwm dances (a few kept out
# for validation), scores the held-out dances, and copies the weights into the package. Writes
# nothing into the package unless the held-out no-audio F1 beats both hoof-flux and chance (it
# does not beat the `peaks` floor: see the model card).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-../shared/data/dwm}
RUN=${2:-runs/default}
MUDAR=${MUDAR:-.venv/bin/mudar}
PY=${PY:-.venv/bin/python}

"$MUDAR" train --data "$DATA" --preset cpu --augment --out "$RUN"
FEATURES="$RUN/features"  # prepared by the run, unless DATA was a prepared feature folder
[ -d "$FEATURES" ] || FEATURES="$DATA"
"$MUDAR" eval --data "$FEATURES" --checkpoint "$RUN/model.pt" --held-out \
    --methods mudar,mudar-noaudio,hoof-flux --json > "$RUN/eval-held-out.json"
"$PY" - "$RUN" <<'PY'
import json, shutil, sys
from pathlib import Path
run = Path(sys.argv[1])
r = json.loads((run / "eval-held-out.json").read_text())["rhythm"]
f = {m: r[m]["f1"] for m in r}
print("held-out F1:", f)
if f["mudar-noaudio"] > max(f["hoof-flux"], f["chance"]):
    dest = Path("src/mudar/checkpoints/mudar-cpu.pt")
    dest.parent.mkdir(exist_ok=True)
    shutil.copy(run / "model.pt", dest)
    print("shipped", dest)
else:
    print("not shipped: mudar-noaudio does not beat hoof-flux and chance on held-out dances")
PY
