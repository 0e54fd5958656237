// A tiny option parser for the quantlab CLI: --name value pairs and
// positional arguments, with errors that say which option is wrong.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/error.h"

namespace quantlab::cli {

// A whole string as a number; Error(InvalidArgument) naming the option otherwise.
inline double parse_double(const std::string& name, const std::string& v) {
    try {
        size_t used = 0;
        const double d = std::stod(v, &used);
        if (used != v.size()) throw std::invalid_argument(v);
        return d;
    } catch (const std::exception&) {
        throw Error(ErrorCode::InvalidArgument, "option " + name + " expects a number, got '" + v + "'");
    }
}

// A thread count (-t N, llama-quantize's positional nthreads): 0 means one
// per physical core; Error(InvalidArgument) naming what otherwise.
inline int parse_thread_count(const std::string& what, const std::string& v) {
    try {
        size_t used = 0;
        const long long t = std::stoll(v, &used);
        if (used != v.size() || t < 0 || t > 4096) throw std::invalid_argument(v);
        return int(t);
    } catch (const std::exception&) {
        throw Error(ErrorCode::InvalidArgument, what + " expects a thread count, got " + v + " (0: one per physical core)");
    }
}

class Args {
public:
    // flags: options that take no value.
    Args(int argc, char** argv, int first, const std::vector<std::string>& flags = {}) {
        for (int i = first; i < argc; ++i) {
            std::string a = argv[i];
            if (a.rfind("--", 0) == 0 || (a.size() == 2 && a[0] == '-')) {
                bool is_flag = false;
                for (const auto& f : flags) is_flag |= (f == a);
                if (is_flag) {
                    options_[a] = "";
                } else {
                    if (i + 1 >= argc) throw Error(ErrorCode::InvalidArgument, "option " + a + " needs a value");
                    options_[a] = argv[++i];
                }
            } else {
                positional_.push_back(a);
            }
        }
    }

    bool has(const std::string& name) const { return options_.count(name) != 0; }

    std::string get(const std::string& name) const {
        auto it = options_.find(name);
        if (it == options_.end()) throw Error(ErrorCode::InvalidArgument, "missing required option " + name);
        return it->second;
    }

    std::string get_or(const std::string& name, const std::string& fallback) const {
        auto it = options_.find(name);
        return it == options_.end() ? fallback : it->second;
    }

    long long get_int(const std::string& name, long long fallback) const {
        if (!has(name)) return fallback;
        const std::string v = get(name);
        try {
            size_t used = 0;
            long long r = std::stoll(v, &used);
            if (used != v.size()) throw std::invalid_argument(v);
            return r;
        } catch (const std::exception&) {
            throw Error(ErrorCode::InvalidArgument, "option " + name + " expects an integer, got '" + v + "'");
        }
    }

    const std::vector<std::string>& positional() const { return positional_; }

    // -t N (or --threads N): the threads a command computes with; 0 (also
    // when not given) means one per physical core.
    int threads() const {
        const std::string name = has("--threads") ? "--threads" : "-t";
        return has(name) ? parse_thread_count("option " + name, get(name)) : 0;
    }

private:
    std::map<std::string, std::string> options_;
    std::vector<std::string> positional_;
};

}  // namespace quantlab::cli
