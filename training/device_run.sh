#!/usr/bin/env bash
# One training run on a lent GPU machine (see README "Retraining"): the classifier, then the
# summariser, each in its own process so one failing does not stop the other. Reads the pack
# from .pack/ (python -m training.pack) and writes the artifacts under $OUT.
# Knobs for a local smoke run: CLS_ARGS / SUM_ARGS are appended to each command.
set -u
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
OUT=${OUT:-runs/device}
mkdir -p "$OUT/classifier" "$OUT/summarizer"
python3 -c "import torch, transformers, peft, sys; print(sys.version.split()[0], torch.__version__, transformers.__version__, peft.__version__, torch.cuda.get_device_name() if torch.cuda.is_available() else 'cpu')"
python3 -m training.train_classifier --pack .pack --out "$OUT/classifier" \
    --epochs 10 --batch-size 32 --max-minutes 1.5 ${CLS_ARGS:-}
python3 -m training.train_summarizer --pack .pack --out "$OUT/summarizer" --ckpt /tmp/sum-ckpt.pt \
    --batch-size 128 --max-minutes 6.3 --eval-minutes 1 --eval-pairs 400 ${SUM_ARGS:-}
ls -la "$OUT"/*
