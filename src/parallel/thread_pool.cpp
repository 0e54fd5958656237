#include "parallel/thread_pool.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <system_error>
#include <utility>

#include "parallel/cpu_cores.h"

namespace quantlab {

namespace {

#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
constexpr bool kThreads = false;
#else
constexpr bool kThreads = true;
#endif

std::atomic<int> worker_limit{-1};
std::atomic<int> workers_held{0};

// Claims up to `wanted` workers from the limit; returns how many it got.
int claim_workers(int wanted) {
    int held = workers_held.load();
    for (;;) {
        const int limit = worker_limit.load();
        const int got = limit < 0 ? wanted : std::max(0, std::min(wanted, limit - held));
        if (workers_held.compare_exchange_weak(held, held + got)) return got;
    }
}

// The pool (if any) whose task the current thread is running, and its index
// there: a run() from inside a task runs inline.
thread_local const ThreadPool* tls_pool = nullptr;
thread_local int tls_thread = 0;

struct InsidePool {
    const ThreadPool* saved_pool;
    int saved_thread;
    InsidePool(const ThreadPool* p, int thread) : saved_pool(tls_pool), saved_thread(tls_thread) {
        tls_pool = p;
        tls_thread = thread;
    }
    ~InsidePool() {
        tls_pool = saved_pool;
        tls_thread = saved_thread;
    }
};

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

// Busy-waits for ready(): pause-spins for the first microseconds (the gap
// between two loops of a forward pass), then yields the core to anyone who
// wants it; gives up (false) after about a millisecond so an idle pool sleeps.
template <class Ready>
bool spin_until(Ready ready) {
    using clock = std::chrono::steady_clock;
    constexpr auto kSpin = std::chrono::microseconds(50), kYield = std::chrono::microseconds(1000);
    const auto t0 = clock::now();
    for (uint32_t i = 1;; ++i) {
        if (ready()) return true;
        if ((i & 63) == 0) {
            const auto waited = clock::now() - t0;
            if (waited > kYield) return false;
            if (waited > kSpin) {
                std::this_thread::yield();
                continue;
            }
        }
        cpu_relax();
    }
}

}  // namespace

bool threads_supported() { return kThreads; }

void set_worker_thread_limit(int n) { worker_limit.store(n < 0 ? -1 : n); }

TaskRange task_range(int64_t n, int64_t n_tasks, int64_t task, int64_t align) {
    if (align < 1) align = 1;
    if (n_tasks < 1) n_tasks = 1;
    const int64_t units = (n + align - 1) / align;
    const auto at = [&](int64_t k) { return std::min(n, units * k / n_tasks * align); };
    return {at(task), at(task + 1)};
}

ThreadPool::ThreadPool(int n_threads) : n_threads_(kThreads ? std::max(1, n_threads) : 1) {
    const int claimed = n_threads_ > 1 ? claim_workers(n_threads_ - 1) : 0;
    n_threads_ = claimed + 1;
    threads_.reserve(size_t(claimed));
    for (int i = 1; i < n_threads_; ++i) {
        try {
            threads_.emplace_back([this, i] { worker(i); });
        } catch (const std::system_error&) {
            n_threads_ = i;  // run with the threads the system gave us
            break;
        }
    }
    workers_held.fetch_sub(claimed - int(threads_.size()));
}

ThreadPool::~ThreadPool() {
    complete_pending();  // a started job's fn may hold what its tasks write to
    stop_.store(true);
    {
        std::lock_guard<std::mutex> lock(mu_);
        wake_cv_.notify_all();
    }
    for (auto& t : threads_) t.join();
    workers_held.fetch_sub(int(threads_.size()));
}

void ThreadPool::drain(int thread) {
    const int64_t n = n_tasks_;
    for (;;) {
        const int64_t task = next_.fetch_add(1, std::memory_order_relaxed);
        if (task >= n) return;
        if (!failed_.load(std::memory_order_relaxed)) {
            try {
                (*fn_)(task, thread);
            } catch (...) {
                std::lock_guard<std::mutex> lock(mu_);
                if (!error_) error_ = std::current_exception();
                failed_.store(true, std::memory_order_relaxed);
            }
        }
        // Publishes the task's writes; the caller may be asleep waiting for the last one.
        if (done_.fetch_add(1) + 1 == n && caller_asleep_.load()) {
            std::lock_guard<std::mutex> lock(mu_);
            done_cv_.notify_all();
        }
    }
}

void ThreadPool::leave() {
    if (inside_.fetch_sub(1) == 1 && caller_asleep_.load()) {
        std::lock_guard<std::mutex> lock(mu_);
        done_cv_.notify_all();
    }
}

void ThreadPool::worker(int index) {
    const InsidePool mark(this, index);
    uint64_t seen = 0;  // the last job this worker entered or passed over
    const auto job_waiting = [&] {
        const uint64_t s = state_.load();
        return stop_.load() || ((s & 1) != 0 && (s >> 1) != seen);
    };
    for (;;) {
        if (!spin_until(job_waiting)) {
            std::unique_lock<std::mutex> lock(mu_);
            sleepers_.fetch_add(1);
            while (!job_waiting()) wake_cv_.wait(lock);
            sleepers_.fetch_sub(1);
        }
        if (stop_.load()) return;
        const uint64_t s = state_.load();
        if ((s & 1) == 0) continue;  // closed again before we looked
        seen = s >> 1;
        // Enter, then check the job is still open: either run() sees us
        // inside (and waits for us before it touches the job again) or we
        // see it closed (and stay out).
        inside_.fetch_add(1);
        if (state_.load() == s) drain(index);
        leave();
    }
}

void ThreadPool::wait_tasks_done(int64_t n_tasks) {
    const auto all_done = [&] { return done_.load() == n_tasks && inside_.load() == 0; };
    if (spin_until(all_done)) return;
    std::unique_lock<std::mutex> lock(mu_);
    caller_asleep_.store(true);
    while (!all_done()) done_cv_.wait(lock);
    caller_asleep_.store(false);
}

void ThreadPool::open_job(int64_t n_tasks, const TaskFn* fn) {
    // The pool is closed and empty here: set the job up, then open it.
    fn_ = fn;
    n_tasks_ = n_tasks;
    next_.store(0, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    failed_.store(false, std::memory_order_relaxed);
    error_ = nullptr;
    const uint64_t job = (state_.load() >> 1) + 1;
    state_.store(2 * job + 1);
    if (sleepers_.load() > 0) {
        std::lock_guard<std::mutex> lock(mu_);
        wake_cv_.notify_all();
    }
}

std::exception_ptr ThreadPool::close_job() {
    const int64_t n_tasks = n_tasks_;
    {
        const InsidePool mark(this, 0);
        drain(0);
    }
    // Close the job, then wait for its last tasks and for every worker that
    // entered it to leave; workers that never came are not waited for.
    const auto tasks_done = [&] { return done_.load() == n_tasks; };
    if (!spin_until(tasks_done)) wait_tasks_done(n_tasks);
    state_.store(state_.load() & ~uint64_t(1));
    wait_tasks_done(n_tasks);
    fn_ = nullptr;
    if (!failed_.load()) return nullptr;
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
}

void ThreadPool::run(int64_t n_tasks, const TaskFn& fn) {
    if (n_tasks <= 0) return;
    if (tls_pool == nullptr) complete_pending();  // (from inside a task, it is that task's job)
    if (threads_.empty() || n_tasks == 1 || tls_pool != nullptr) {
        // Inline: one thread, one task, or a run() from inside a task (which
        // keeps its thread index when it is this pool's).
        const int thread = tls_pool == this ? tls_thread : 0;
        for (int64_t t = 0; t < n_tasks; ++t) fn(t, thread);
        return;
    }
    open_job(n_tasks, &fn);
    if (std::exception_ptr e = close_job()) std::rethrow_exception(e);
}

std::shared_ptr<ThreadPool::Started> ThreadPool::start(int64_t n_tasks, TaskFn fn) {
    complete_pending();
    auto job = std::make_shared<Started>();
    if (n_tasks <= 0) return job;
    pending_fn_ = std::move(fn);
    pending_tasks_ = n_tasks;
    pending_job_ = job;
    if (threads_.empty() || tls_pool != nullptr) {
        pending_ = Pending::Inline;
        return job;
    }
    open_job(n_tasks, &pending_fn_);
    pending_ = Pending::Open;
    return job;
}

void ThreadPool::complete_pending() {
    if (pending_ == Pending::None) return;
    // Nothing is pending any more once this starts: a run() inside one of
    // the job's own tasks must not come back here.
    const Pending how = std::exchange(pending_, Pending::None);
    const std::shared_ptr<Started> job = std::move(pending_job_);
    std::exception_ptr error;
    if (how == Pending::Open) {
        error = close_job();  // the workers call pending_fn_ until it returns
    } else {
        const int thread = tls_pool == this ? tls_thread : 0;
        try {
            for (int64_t t = 0; t < pending_tasks_; ++t) pending_fn_(t, thread);
        } catch (...) {
            error = std::current_exception();
        }
    }
    pending_fn_ = nullptr;
    job->error = error;
}

void ThreadPool::finish(const std::shared_ptr<Started>& job) {
    if (!job) return;
    if (job == pending_job_) complete_pending();
    if (std::exception_ptr e = std::exchange(job->error, nullptr)) std::rethrow_exception(e);
}

void ThreadPool::run_grouped(const std::vector<int64_t>& group_begin, const TaskFn& fn) {
    if (group_begin.size() < 2) return;
    const size_t groups = group_begin.size() - 1;
    const int64_t total = group_begin.back() - group_begin.front();
    if (total <= 0) return;
    // Tasks handed out so far, per group. run() makes `total` calls and each
    // claims one task: a call that found every group empty would mean the
    // other total - 1 calls had claimed all `total` tasks.
    std::vector<std::atomic<int64_t>> claimed(groups);
    for (auto& c : claimed) c.store(0, std::memory_order_relaxed);
    run(total, [&](int64_t, int thread) {
        for (size_t k = 0; k < groups; ++k) {
            const size_t g = (size_t(thread) + k) % groups;
            const int64_t task = group_begin[g] + claimed[g].fetch_add(1, std::memory_order_relaxed);
            if (task < group_begin[g + 1]) return fn(task, thread);
        }
    });
}

namespace {
std::mutex shared_pools_mu;
std::map<int, std::weak_ptr<ThreadPool>> shared_pools;  // entries only while their pool lives
}  // namespace

std::shared_ptr<ThreadPool> shared_thread_pool(int n_threads) {
    const int n = resolve_thread_count(n_threads);
    std::lock_guard<std::mutex> lock(shared_pools_mu);
    if (auto it = shared_pools.find(n); it != shared_pools.end()) {
        if (auto pool = it->second.lock()) return pool;
    }
    // The last holder removes the entry, so nothing outlives the pool (the
    // JS tests count a module's heap bytes around every call).
    std::shared_ptr<ThreadPool> pool(new ThreadPool(n), [n](ThreadPool* p) {
        {
            std::lock_guard<std::mutex> l(shared_pools_mu);
            const auto it = shared_pools.find(n);
            if (it != shared_pools.end() && it->second.expired()) shared_pools.erase(it);
        }
        delete p;
    });
    shared_pools[n] = pool;
    return pool;
}

}  // namespace quantlab
