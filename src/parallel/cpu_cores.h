// How many threads quantlab uses when nobody says: one per physical core
// this process may run on (hyper-threads share a core's SIMD units, so a
// second thread per core makes int8 matmuls slower, as llama.cpp finds).
#pragma once

namespace quantlab {

// Physical cores in this process's CPU affinity mask (Linux: distinct
// core_id / physical_package_id pairs in sysfs); elsewhere, or when that
// cannot be read, std::thread::hardware_concurrency(). At least 1; exactly
// 1 in builds without threads.
int physical_core_count();

// threads <= 0 means "the default": physical_core_count(). Otherwise
// threads, capped at 1 in builds without threads.
int resolve_thread_count(int threads);

// Replaces the default above for this process (n <= 0 restores it). The
// wasm loader sets it to the threads it started Web Workers for: a browser
// module cannot start more later, and navigator.hardwareConcurrency is not
// there in Node.
void set_default_thread_count(int n);

}  // namespace quantlab
