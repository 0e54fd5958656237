#pragma once

namespace quantlab::cli {

// quantlab stories: the story generator's training or held-out split as text
// (the built-in model's data), e.g. a calibration text disjoint from the
// held-out one.
int run_stories(int argc, char** argv);

}  // namespace quantlab::cli
