#pragma once

namespace quantlab::cli {

// quantlab sensitivity -m M.gguf -f calib.txt [--types ...] [--exact|--proxy]:
// the damage of quantizing each tensor alone, per candidate format.
int run_sensitivity(int argc, char** argv);

}  // namespace quantlab::cli
