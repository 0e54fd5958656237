// The thread pool: every task runs exactly once, on a valid thread index,
// whatever the pool size; errors come back to the caller; nested runs stay
// inline; the pool survives many runs with idle gaps (spinning, yielding and
// sleeping workers). Built a second time under ThreadSanitizer (ctest
// pool_under_tsan), so the races these tests could hide are checked too.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <thread>
#include <vector>

#include "parallel/cpu_cores.h"
#include "parallel/thread_pool.h"

using namespace quantlab;

TEST_CASE("task_range splits 0..n into ordered, aligned, covering ranges", "[pool]") {
    for (int64_t n : {0, 1, 5, 6, 7, 100, 1001}) {
        for (int64_t tasks : {1, 2, 3, 4, 7, 16}) {
            for (int64_t align : {1, 3, 6}) {
                int64_t at = 0;
                for (int64_t t = 0; t < tasks; ++t) {
                    const TaskRange r = task_range(n, tasks, t, align);
                    INFO("n " << n << " tasks " << tasks << " align " << align << " task " << t);
                    CHECK(r.begin == at);
                    CHECK(r.end >= r.begin);
                    CHECK((r.begin % align == 0 || r.begin == n));
                    at = r.end;
                }
                CHECK(at == n);
            }
        }
    }
    // As even as the alignment allows: 12 rows in tiles of 3 over 2 tasks.
    CHECK(task_range(12, 2, 0, 3).end == 6);
    CHECK(task_range(13, 2, 0, 3).end == 6);
}

TEST_CASE("every task runs exactly once, on a thread index inside the pool", "[pool]") {
    for (int threads = 1; threads <= 4; ++threads) {
        ThreadPool pool(threads);
        REQUIRE(pool.size() == (threads_supported() ? threads : 1));
        for (int64_t n : {0, 1, 2, 3, 7, 64, 1000}) {
            std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
            std::atomic<bool> bad_thread{false};
            pool.run(n, [&](int64_t task, int thread) {
                if (thread < 0 || thread >= pool.size()) bad_thread = true;
                hits[size_t(task)].fetch_add(1);
            });
            INFO(threads << " threads, " << n << " tasks");
            CHECK_FALSE(bad_thread.load());
            int wrong = 0;
            for (auto& h : hits) wrong += h.load() != 1;
            CHECK(wrong == 0);
        }
    }
}

TEST_CASE("grouped runs give every task once and start each thread in its own group", "[pool]") {
    for (int threads = 1; threads <= 4; ++threads) {
        ThreadPool pool(threads);
        const std::vector<std::vector<int64_t>> layouts = {
            {0, 5, 9, 9, 20}, {3, 3, 3}, {0, 1, 2, 3, 4}, {0, 1000}, {7, 40, 41}, {0}, {}};
        for (const auto& begin : layouts) {
            const int64_t first = begin.empty() ? 0 : begin.front(), last = begin.empty() ? 0 : begin.back();
            std::vector<std::atomic<int>> hits(size_t(last + 1));
            std::vector<std::atomic<int64_t>> first_task(size_t(pool.size()));
            for (auto& f : first_task) f.store(-1);
            std::atomic<bool> bad_thread{false};
            pool.run_grouped(begin, [&](int64_t task, int thread) {
                if (thread < 0 || thread >= pool.size()) {
                    bad_thread = true;
                    return;
                }
                int64_t none = -1;
                first_task[size_t(thread)].compare_exchange_strong(none, task);
                hits[size_t(task)].fetch_add(1);
            });
            INFO(threads << " threads, groups from " << first << " to " << last);
            CHECK_FALSE(bad_thread.load());
            int wrong = 0;
            for (int64_t t = 0; t <= last; ++t) wrong += hits[size_t(t)].load() != (t >= first && t < last ? 1 : 0);
            CHECK(wrong == 0);
            // One thread starts at group 0 and takes the tasks in order.
            if (pool.size() == 1 && last > first) CHECK(first_task[0].load() == first);
        }
    }
}

TEST_CASE("a grouped run hands a late thread's group to the others", "[pool]") {
    if (!threads_supported()) return;
    ThreadPool pool(2);
    // Group 1's home thread (1) is held in its first task until every other
    // task has run: the caller must take all of group 1's remaining tasks.
    std::atomic<int> done{0};
    std::atomic<bool> held{false};
    std::vector<int> by_thread(10, -1);
    pool.run_grouped({0, 5, 10}, [&](int64_t task, int thread) {
        by_thread[size_t(task)] = thread;
        if (thread == 1 && !held.exchange(true)) {
            while (done.load() < 9) std::this_thread::yield();
        }
        done.fetch_add(1);
    });
    CHECK(done.load() == 10);
    // Thread 1 ran at most the one task it was held in, from its own group
    // (or none, if it came after the caller had taken them all).
    int by_one = 0;
    for (int64_t t = 0; t < 10; ++t) {
        if (by_thread[size_t(t)] == 1) {
            ++by_one;
            CHECK(t >= 5);
        }
    }
    CHECK(by_one <= 1);
    for (int t : by_thread) CHECK((t == 0 || t == 1));
}

TEST_CASE("a pool is reused across many runs, with idle gaps that put workers to sleep", "[pool]") {
    ThreadPool pool(3);
    std::vector<int64_t> out(256);
    int64_t total = 0;
    for (int rep = 0; rep < 2000; ++rep) {
        if (rep % 500 == 499) std::this_thread::sleep_for(std::chrono::milliseconds(5));  // workers sleep
        const int64_t n = 1 + rep % 17;
        pool.run(n, [&](int64_t task, int) { out[size_t(task)] = task * rep; });
        for (int64_t t = 0; t < n; ++t) total += out[size_t(t)] == t * rep;
    }
    int64_t want = 0;
    for (int rep = 0; rep < 2000; ++rep) want += 1 + rep % 17;
    CHECK(total == want);
}

TEST_CASE("per-thread scratch and a fixed split give the same sum for any thread count", "[pool]") {
    // The pattern every parallel loop of the engine follows: fixed ranges,
    // partial results per range, combined in range order afterwards.
    std::vector<float> x(100003);
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(float(i)) * 1e3f;
    auto sum_with = [&](int threads) {
        ThreadPool pool(threads);
        constexpr int64_t kParts = 37;
        std::vector<float> part(kParts);
        pool.run(kParts, [&](int64_t task, int) {
            const TaskRange r = task_range(int64_t(x.size()), kParts, task);
            float s = 0;
            for (int64_t i = r.begin; i < r.end; ++i) s += x[size_t(i)];
            part[size_t(task)] = s;
        });
        float s = 0;
        for (float p : part) s += p;
        return s;
    };
    const float one = sum_with(1);
    for (int threads = 2; threads <= 4; ++threads) CHECK(sum_with(threads) == one);
}

TEST_CASE("the first exception of a task reaches the caller and the pool stays usable", "[pool]") {
    ThreadPool pool(4);
    std::atomic<int> ran{0};
    REQUIRE_THROWS_AS(pool.run(100,
                               [&](int64_t task, int) {
                                   ran.fetch_add(1);
                                   if (task == 10) throw std::runtime_error("task 10 failed");
                               }),
                      std::runtime_error);
    CHECK(ran.load() <= 100);
    std::atomic<int> after{0};
    pool.run(50, [&](int64_t, int) { after.fetch_add(1); });
    CHECK(after.load() == 50);
}

TEST_CASE("a run inside a task runs inline on that task's thread", "[pool]") {
    ThreadPool pool(3);
    std::atomic<int> mismatched{0}, inner_tasks{0};
    pool.run(6, [&](int64_t, int outer) {
        const std::thread::id me = std::this_thread::get_id();
        pool.run(5, [&](int64_t, int inner) {
            inner_tasks.fetch_add(1);
            if (inner != outer || std::this_thread::get_id() != me) mismatched.fetch_add(1);
        });
    });
    CHECK(inner_tasks.load() == 30);
    CHECK(mismatched.load() == 0);
}

TEST_CASE("a started job runs on the workers while the caller is away and finish completes it", "[pool]") {
    for (int threads = 1; threads <= 4; ++threads) {
        ThreadPool pool(threads);
        for (int rep = 0; rep < 20; ++rep) {
            std::vector<std::atomic<int>> hits(97);
            std::atomic<int> before_finish{0};
            std::atomic<bool> finishing{false};
            const auto job = pool.start(97, [&](int64_t task, int thread) {
                if (thread < 0 || thread >= pool.size()) throw std::runtime_error("thread index outside the pool");
                if (!finishing.load()) before_finish.fetch_add(1);
                hits[size_t(task)].fetch_add(1);
            });
            if (pool.size() > 1 && rep == 0) {
                // The workers take tasks with the caller outside the pool.
                const auto t0 = std::chrono::steady_clock::now();
                while (before_finish.load() == 0 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10)) {
                    std::this_thread::yield();
                }
                CHECK(before_finish.load() > 0);
            }
            finishing = true;
            pool.finish(job);
            if (pool.size() == 1) CHECK(before_finish.load() == 0);  // one thread: all in finish()
            for (auto& h : hits) REQUIRE(h.load() == 1);
            pool.finish(job);  // finished already: returns
        }
    }
}

TEST_CASE("a run or start while a job is started completes that job first and keeps its error for its finish", "[pool]") {
    for (int threads = 1; threads <= 3; ++threads) {
        ThreadPool pool(threads);
        std::atomic<int> started_tasks{0};
        const auto first = pool.start(40, [&](int64_t, int) { started_tasks.fetch_add(1); });
        std::atomic<int> seen_at_run{-1};
        pool.run(10, [&](int64_t task, int) {
            if (task == 0) seen_at_run = started_tasks.load();
        });
        CHECK(seen_at_run.load() == 40);
        pool.finish(first);

        const auto failing = pool.start(40, [&](int64_t task, int) {
            if (task == 7) throw std::runtime_error("task 7 of the started job");
        });
        std::atomic<int> ran{0};
        pool.run(10, [&](int64_t, int) { ran.fetch_add(1); });  // the started job's error is not this run's
        CHECK(ran.load() == 10);
        // Another caller's job started in between neither takes nor hides the error.
        std::atomic<int> other{0};
        const auto others = pool.start(30, [&](int64_t, int) { other.fetch_add(1); });
        const auto later = pool.start(30, [&](int64_t, int) { other.fetch_add(1); });  // completes `others`
        CHECK(other.load() >= 30);
        pool.finish(others);
        REQUIRE_THROWS_WITH(pool.finish(failing), "task 7 of the started job");
        pool.finish(failing);  // the error is reported once
        pool.finish(later);
        CHECK(other.load() == 60);
    }
}

TEST_CASE("a run inside a started job's task runs that loop, not the job again", "[pool]") {
    for (int threads = 1; threads <= 3; ++threads) {
        ThreadPool pool(threads);
        std::atomic<int> outer{0}, inner{0};
        const auto job = pool.start(6, [&](int64_t, int) {
            outer.fetch_add(1);
            pool.run(4, [&](int64_t, int) { inner.fetch_add(1); });
        });
        pool.finish(job);
        CHECK(outer.load() == 6);
        CHECK(inner.load() == 24);
    }
}

TEST_CASE("a pool destroyed with a started job completes it first", "[pool]") {
    std::vector<int> out(64, 0);
    {
        ThreadPool pool(3);
        pool.start(64, [&](int64_t task, int) { out[size_t(task)] = int(task) + 1; });
    }
    for (size_t i = 0; i < out.size(); ++i) REQUIRE(out[i] == int(i) + 1);
}

TEST_CASE("two pools driven from two threads at once do not interfere", "[pool]") {
    auto drive = [](int64_t seed, int64_t* result) {
        ThreadPool pool(2);
        std::vector<int64_t> v(64);
        int64_t s = 0;
        for (int rep = 0; rep < 300; ++rep) {
            pool.run(64, [&](int64_t t, int) { v[size_t(t)] = t * seed + rep; });
            for (int64_t e : v) s += e;
        }
        *result = s;
    };
    int64_t a = 0, b = 0, a1 = 0;
    if (threads_supported()) {
        std::thread ta(drive, 3, &a), tb(drive, 5, &b);
        ta.join();
        tb.join();
    } else {
        drive(3, &a);
        drive(5, &b);
    }
    drive(3, &a1);
    CHECK(a == a1);
    CHECK(b != a);
}

TEST_CASE("the default thread count is the physical core count", "[pool]") {
    CHECK(physical_core_count() >= 1);
    CHECK(resolve_thread_count(0) == physical_core_count());
    CHECK(resolve_thread_count(3) == (threads_supported() ? 3 : 1));
    if (!threads_supported()) CHECK(physical_core_count() == 1);
}

TEST_CASE("a worker limit caps the workers all pools hold together, and the default thread count can be set", "[pool]") {
    if (!threads_supported()) return;
    set_worker_thread_limit(2);
    {
        ThreadPool a(3);  // claims both workers
        ThreadPool b(3);  // none left: runs on its caller
        CHECK(a.size() == 3);
        CHECK(b.size() == 1);
        std::vector<int> seen(8, 0);
        b.run(8, [&](int64_t t, int thread) { seen[size_t(t)] = thread + 1; });
        CHECK(seen == std::vector<int>(8, 1));
    }
    {
        ThreadPool c(2), d(2);  // the workers came back when a and b ended
        CHECK(c.size() == 2);
        CHECK(d.size() == 2);
    }
    set_worker_thread_limit(-1);
    set_default_thread_count(5);
    CHECK(resolve_thread_count(0) == 5);
    CHECK(resolve_thread_count(2) == 2);
    set_default_thread_count(0);
    CHECK(resolve_thread_count(0) == physical_core_count());
}

TEST_CASE("a shared pool serves every caller of its size under a worker limit, and is new once released", "[pool]") {
    if (!threads_supported()) return;
    set_worker_thread_limit(2);  // as a wasm module with three threads
    {
        const auto a = shared_thread_pool(3), b = shared_thread_pool(3);
        CHECK(a == b);  // one pool: a second would find no worker left
        CHECK(b->size() == 3);
        const auto one = shared_thread_pool(1);
        CHECK(one != a);
        CHECK(one->size() == 1);
        std::vector<int> seen(8, 0);
        b->run(8, [&](int64_t t, int thread) { seen[size_t(t)] = thread + 1; });
        for (int s : seen) CHECK(s >= 1);
    }
    {
        const ThreadPool other(3);  // while no one holds the shared pool, its workers are free
        CHECK(other.size() == 3);
    }
    set_worker_thread_limit(-1);
    set_default_thread_count(2);
    const auto d = shared_thread_pool(0), e = shared_thread_pool(2);  // 0: the default count
    CHECK(d == e);
    CHECK(d->size() == 2);
    set_default_thread_count(0);
}
