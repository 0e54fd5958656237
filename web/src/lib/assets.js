// The model that ships with quantlab (trained by `quantlab train`, see
// models/TRAINING.md) and its held-out text. Vite emits both as assets of
// the static site, so the app works offline from any host.
export const builtinModelUrl = new URL('../../../models/quantlab-stories-4M.gguf', import.meta.url).href;
export const heldoutTextUrl = new URL('../../../models/heldout.txt', import.meta.url).href;
// Stories from the training stream, none of them in the held-out text
// (`quantlab stories --split train --words 4000`): mixed precision's calibration.
export const calibrationTextUrl = new URL('../../../models/calibration.txt', import.meta.url).href;
export const BUILTIN_MODEL_NAME = 'quantlab-stories-4M.gguf';
