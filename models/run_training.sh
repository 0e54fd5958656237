#!/bin/sh
# The exact command that trained models/quantlab-stories-4M.gguf (see TRAINING.md).
cd "$(dirname "$0")/.." || exit 1
exec nice -n 5 models/quantlab-train-bin train \
  --corpus-words 12000000 --eval-words 50000 --seed 1 --vocab 1024 \
  --n-embd 256 --n-ff 768 --n-layer 4 --n-head 8 --n-head-kv 4 --ctx 256 \
  --batch 16 --minutes 60 --lr 2e-3 --warmup 100 --threads 2 \
  --eval-every 50 --eval-seqs 32 \
  --checkpoint models/checkpoints --checkpoint-every 100 \
  --log models/train_loss.csv \
  --out models/quantlab-stories-4M.gguf --name quantlab-stories-4M
