// A fixed set of worker threads running one parallel loop at a time. Tasks
// are claimed dynamically (the machine is shared, so a static split would wait
// for the slowest core), which is safe for determinism because every task
// writes its own outputs and reduces in a fixed order: results never depend on
// which thread ran a task, nor on how many threads there are.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace quantlab {

class ThreadPool {
public:
    // n_threads <= 1 runs every loop on the calling thread (no threads are
    // started, so this also works where threads are unavailable, e.g. wasm).
    explicit ThreadPool(int n_threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return n_threads_; }

    // Calls fn(task, thread) for task in [0, n_tasks) and returns when all are
    // done. thread in [0, size()) names per-thread scratch. Exceptions thrown by
    // fn are rethrown here (the first one).
    void run(int64_t n_tasks, const std::function<void(int64_t task, int thread)>& fn);

private:
    void worker(int index);
    void drain(int thread);

    int n_threads_;
    std::vector<std::thread> threads_;
    std::mutex mu_;
    std::condition_variable start_cv_, done_cv_;
    uint64_t generation_ = 0;
    int busy_ = 0;
    bool stop_ = false;
    const std::function<void(int64_t, int)>* fn_ = nullptr;
    int64_t n_tasks_ = 0;
    std::atomic<int64_t> next_{0};
    std::exception_ptr error_;
};

}  // namespace quantlab
