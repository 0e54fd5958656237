// quantlab stories --split train|eval --words N [--seed S] [-o FILE]: the first
// whole stories of one split of generate_story_corpus(seed, ...) holding at
// least N words, separated by blank lines. The training split never holds a
// story of the held-out split (the generator skips them), so its start is a
// calibration text disjoint from models/heldout.txt by construction.
#include "cli/stories_command.h"

#include <cstdio>
#include <string>

#include "cli/cli_args.h"
#include "cli/file_io.h"
#include "train/story_corpus.h"

namespace quantlab::cli {

int run_stories(int argc, char** argv) {
    const Args args(argc, argv, 2);
    const std::string split = args.get_or("--split", "train");
    if (split != "train" && split != "eval") throw Error(ErrorCode::InvalidArgument, "--split must be train or eval");
    const long long words = args.get_int("--words", 4000);
    if (words <= 0) throw Error(ErrorCode::InvalidArgument, "--words must be positive");
    const uint64_t seed = uint64_t(args.get_int("--seed", 1));
    // The held-out split of the built-in model's run: 50,000 words (models/TRAINING.md).
    const size_t eval_words = size_t(args.get_int("--eval-words", 50000));
    const StoryCorpus c = generate_story_corpus(seed, split == "train" ? size_t(words) : 1, eval_words);
    const auto& docs = split == "train" ? c.train : c.eval;
    std::string text;
    size_t n = 0, count = 0;
    for (const auto& d : docs) {
        if (n >= size_t(words)) break;
        text += (text.empty() ? "" : "\n\n") + d;
        n += count_words(d);
        ++count;
    }
    text += "\n";
    if (args.has("-o")) {
        write_file_atomic(args.get("-o"), text.data(), text.size());
        std::printf("%zu stories, %zu words written to %s\n", count, n, args.get("-o").c_str());
    } else {
        std::fwrite(text.data(), 1, text.size(), stdout);
    }
    return 0;
}

}  // namespace quantlab::cli
