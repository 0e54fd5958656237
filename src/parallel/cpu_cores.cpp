#include "parallel/cpu_cores.h"

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "parallel/thread_pool.h"

#if defined(__linux__) && !defined(__EMSCRIPTEN__)
#include <sched.h>

#include <fstream>
#endif

namespace quantlab {

namespace {

int logical_cpus() {
    const unsigned n = std::thread::hardware_concurrency();
    return n > 0 ? int(n) : 1;
}

#if defined(__linux__) && !defined(__EMSCRIPTEN__)
// -1 when the topology cannot be read.
int linux_physical_cores() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    std::set<std::pair<long, long>> cores;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
        if (!CPU_ISSET(cpu, &set)) continue;
        const std::string dir = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
        long core = -1, package = -1;
        std::ifstream(dir + "core_id") >> core;
        std::ifstream(dir + "physical_package_id") >> package;
        if (core < 0) return -1;
        cores.emplace(package, core);
    }
    return cores.empty() ? -1 : int(cores.size());
}
#endif

std::atomic<int> default_threads{0};  // 0: physical_core_count()

}  // namespace

void set_default_thread_count(int n) { default_threads.store(n > 0 ? n : 0); }

int physical_core_count() {
    if (!threads_supported()) return 1;
    static const int n = [] {
#if defined(__linux__) && !defined(__EMSCRIPTEN__)
        const int cores = linux_physical_cores();
        if (cores > 0) return cores;
#endif
        return logical_cpus();
    }();
    return n;
}

int resolve_thread_count(int threads) {
    if (!threads_supported()) return 1;
    if (threads > 0) return threads;
    const int chosen = default_threads.load();
    return chosen > 0 ? chosen : physical_core_count();
}

}  // namespace quantlab
