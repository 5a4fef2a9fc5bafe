// A tiny fixed pool of worker threads that splits one loop at a time across cores.
#include "ThreadPool.h"

#include <algorithm>
#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace nc::core::kernels {

namespace {

inline void cpuRelax()
{
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#else
    std::this_thread::yield();
#endif
}

// How long an idle worker (or the waiting caller) spins before sleeping. ~50 µs covers the gap
// between two layers of a benchmark loop without burning a core when the pool is idle.
constexpr auto kSpinTime = std::chrono::microseconds(50);

} // namespace

ThreadPool::ThreadPool(int threads)
{
    const int workers = std::max(threads, 1) - 1;
    m_workers.reserve(static_cast<std::size_t>(workers));
    for (int i = 0; i < workers; ++i)
        m_workers.emplace_back([this, i] { workerLoop(i + 1); });
}

ThreadPool::~ThreadPool()
{
    {
        std::lock_guard lock(m_mutex);
        m_stop.store(true);
        m_generation.fetch_add(1);
    }
    m_wake.notify_all();
    for (auto& t : m_workers)
        t.join();
}

void ThreadPool::workerLoop(int index)
{
    uint64_t seen = 0;
    for (;;) {
        uint64_t gen = m_generation.load(std::memory_order_acquire);
        if (gen == seen) {
            const auto until = std::chrono::steady_clock::now() + kSpinTime;
            while ((gen = m_generation.load(std::memory_order_acquire)) == seen &&
                   std::chrono::steady_clock::now() < until)
                cpuRelax();
            if (gen == seen) {
                std::unique_lock lock(m_mutex);
                m_wake.wait(lock, [&] { return m_generation.load(std::memory_order_acquire) != seen; });
                gen = m_generation.load(std::memory_order_acquire);
            }
        }
        seen = gen;
        if (m_stop.load())
            return;
        // Workers beyond the loop's thread count sit this one out but still report completion,
        // so the caller's count of pending workers is the same for every loop.
        if (index < m_jobThreads)
            (*m_job)(index);
        if (m_pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            std::lock_guard lock(m_mutex);
            m_done.notify_one();
        }
    }
}

void ThreadPool::dispatch(int threads, const std::function<void(int)>& body)
{
    if (threads <= 1 || m_workers.empty()) {
        body(0);
        return;
    }
    {
        std::lock_guard lock(m_mutex);
        m_job = &body;
        m_jobThreads = threads;
        m_pending.store(static_cast<int>(m_workers.size()), std::memory_order_relaxed);
        m_generation.fetch_add(1, std::memory_order_release);
    }
    m_wake.notify_all();
    body(0);
    const auto until = std::chrono::steady_clock::now() + kSpinTime;
    while (m_pending.load(std::memory_order_acquire) != 0 && std::chrono::steady_clock::now() < until)
        cpuRelax();
    if (m_pending.load(std::memory_order_acquire) != 0) {
        std::unique_lock lock(m_mutex);
        m_done.wait(lock, [&] { return m_pending.load(std::memory_order_acquire) == 0; });
    }
    m_job = nullptr;
}

void ThreadPool::parallelFor(int64_t count, int threads, const RangeFn& fn)
{
    if (count <= 0)
        return;
    const int n = static_cast<int>(std::clamp<int64_t>(std::min<int64_t>(threads, count), 1, threadCount()));
    if (n == 1) {
        fn(0, count, 0);
        return;
    }
    // Range i is [count·i/n, count·(i+1)/n): sizes differ by at most one.
    const std::function<void(int)> body = [&](int worker) {
        const int64_t begin = count * worker / n;
        const int64_t end = count * (worker + 1) / n;
        if (begin < end)
            fn(begin, end, worker);
    };
    dispatch(n, body);
}

void ThreadPool::parallelTasks(int64_t count, int threads, const RangeFn& fn)
{
    if (count <= 0)
        return;
    const int n = static_cast<int>(std::clamp<int64_t>(std::min<int64_t>(threads, count), 1, threadCount()));
    if (n == 1) {
        fn(0, count, 0);
        return;
    }
    std::atomic<int64_t> next{0};
    const std::function<void(int)> body = [&](int worker) {
        for (int64_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < count;)
            fn(i, i + 1, worker);
    };
    dispatch(n, body);
}

} // namespace nc::core::kernels
