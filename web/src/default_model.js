// The model that ships with quantlab (trained by `quantlab train`, see
// models/TRAINING.md) and its held-out text. Vite emits both as assets.
export const defaultModelUrl = new URL('../../models/quantlab-stories-4M.gguf', import.meta.url).href;
export const defaultTextUrl = new URL('../../models/heldout.txt', import.meta.url).href;
