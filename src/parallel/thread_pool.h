// The one thread pool of quantlab: a fixed set of worker threads, created
// once by whoever owns the pool (a LlamaContext, a QuantizeSession, the
// trainer) and reused for every parallel loop, so no loop starts a thread.
//
// run(n_tasks, fn) calls fn(task, thread) once for every task in
// [0, n_tasks). Tasks are claimed dynamically, so on a shared machine a
// thread that the OS parks does not hold the others up, and the caller
// never waits for a worker that has not started yet: it runs the tasks
// itself. Results stay independent of the thread count because callers
// split work at fixed boundaries (task_range) and every task writes its
// own outputs; reductions happen afterwards, in task order. `thread` (in
// [0, size())) only names per-thread scratch space.
//
// Idle workers spin briefly (the gaps between the loops of one forward pass
// are microseconds), then yield, then sleep on a condition variable.
// A run() from inside a task runs inline on that thread, so nesting neither
// deadlocks nor oversubscribes. Without thread support (a plain wasm build)
// every pool has size 1 and runs on the caller; the same code compiles with
// emscripten -pthread, where std::thread maps onto Web Workers.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace quantlab {

// True when this build can start threads (native, or wasm with -pthread).
bool threads_supported();

// The most worker threads all pools together may hold (n < 0: no limit, the
// default). A pool that would exceed it starts fewer workers, as when the
// system refuses a thread. The wasm loader sets it to the Web Workers it
// started: a browser cannot start one while a wasm call waits for it, and a
// pthread_create that fails for want of a worker loses its stack (emscripten
// 3.1.6).
void set_worker_thread_limit(int n);

// Task `task` of `n_tasks` covers [begin, end) of [0, n): contiguous, in
// order, boundaries at multiples of `align` (except n itself), sizes as even
// as that allows. Empty ranges happen when n_tasks exceeds n / align.
struct TaskRange {
    int64_t begin, end;
};
TaskRange task_range(int64_t n, int64_t n_tasks, int64_t task, int64_t align = 1);

class ThreadPool {
public:
    using TaskFn = std::function<void(int64_t task, int thread)>;

    // n_threads counts the calling thread: n_threads - 1 workers are started.
    // n_threads <= 1, or no thread support, runs every loop on the caller.
    explicit ThreadPool(int n_threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return n_threads_; }

    // Calls fn(task, thread) for every task in [0, n_tasks) and returns when
    // all are done. The first exception a task throws is rethrown here (the
    // tasks not yet started then do not run). One run() at a time per pool.
    void run(int64_t n_tasks, const TaskFn& fn);

    // run() in two halves, so the caller can do other work (its own I/O)
    // while the workers compute: start() opens the job to the workers and
    // returns at once; finish(job) has the caller take the tasks that are
    // left, waits for the rest and rethrows the job's first exception. fn is
    // copied. A pool of one thread runs every task in finish(). One job is
    // started at a time: a run(), run_grouped() or start() before finish()
    // first completes the started job (keeping its exception for its
    // finish()), so someone else's loop in between is safe, only later.
    // The destructor completes it too.
    struct Started {
        std::exception_ptr error;  // the job's, until its finish() rethrows it
    };
    std::shared_ptr<Started> start(int64_t n_tasks, TaskFn fn);
    void finish(const std::shared_ptr<Started>& job);

    // run() over tasks in groups, each group with a home thread: group g,
    // tasks [group_begin[g], group_begin[g + 1]) in order, is where thread g
    // starts, so a thread that comes back to the same group in the next run
    // finds the rows it wrote still in its core's cache (a cache line written
    // on one core and next written on another first travels between them).
    // A thread whose group is done goes on to the next groups' tasks, so
    // nobody waits while work is left. Every task runs exactly once.
    // group_begin is non-decreasing; tasks are numbered from group_begin[0].
    void run_grouped(const std::vector<int64_t>& group_begin, const TaskFn& fn);

private:
    void worker(int index);
    void drain(int thread);
    void wait_tasks_done(int64_t n_tasks);
    void leave();
    void open_job(int64_t n_tasks, const TaskFn* fn);
    std::exception_ptr close_job();  // the caller drains, waits, closes
    void complete_pending();          // run the started job to its end, keep its error

    // The start()ed job: None, Open (workers may be on it) or Inline (runs in finish()).
    enum class Pending { None, Open, Inline };
    Pending pending_ = Pending::None;
    TaskFn pending_fn_;
    int64_t pending_tasks_ = 0;
    std::shared_ptr<Started> pending_job_;

    int n_threads_;
    std::vector<std::thread> threads_;

    // The job: written by run() while the pool is closed and no worker is
    // inside, read by workers only between enter and leave.
    const TaskFn* fn_ = nullptr;
    int64_t n_tasks_ = 0;
    std::atomic<int64_t> next_{0};   // next task to claim
    std::atomic<int64_t> done_{0};   // tasks finished (or skipped after an error)
    std::atomic<bool> failed_{false};
    std::exception_ptr error_;       // under mu_

    // state_ = 2 * job number + 1 while the job is open to workers, + 0 once closed.
    std::atomic<uint64_t> state_{0};
    std::atomic<int> inside_{0};     // workers between enter and leave
    std::atomic<int> sleepers_{0};   // workers asleep on wake_cv_
    std::atomic<bool> caller_asleep_{false};
    std::atomic<bool> stop_{false};
    std::mutex mu_;
    std::condition_variable wake_cv_, done_cv_;
};

// The live pool of n_threads threads (resolve_thread_count(n_threads), so 0
// means the default), shared by every caller that asks for that count while
// any of them holds it; a new one once none does. For callers whose loops
// never overlap, such as a wasm module, whose calls all come from one JS
// thread: there every model, quantization and benchmark of a module runs on
// one pool, where separate pools would each claim Web Workers and all but
// the first would find none left and run on one thread.
std::shared_ptr<ThreadPool> shared_thread_pool(int n_threads);

}  // namespace quantlab
