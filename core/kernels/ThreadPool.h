// A tiny fixed pool of worker threads that splits one loop at a time across cores.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace nc::core::kernels {

// Why our own pool: Eigen parallelises a GEMM only through OpenMP, which (a) would share one
// OpenMP runtime with oneDNN in this process and (b) splits a single GEMM by blocks, which scales
// poorly for the skinny products of a convolution tile. Our kernels instead split independent
// work (output tiles, channel planes, rows, heads) and run single-threaded Eigen inside each part,
// so two threads do nearly twice the work with no shared writes.
//
// The calling thread always takes part as worker 0, so a pool of n threads owns n−1 std::threads.
// Workers spin briefly after a loop (the next layer usually follows within microseconds) and then
// sleep on a condition variable. One loop at a time: parallelFor is not re-entrant and must be
// called from one thread at a time (the thread that owns the backend).
class ThreadPool {
public:
    explicit ThreadPool(int threads = 1);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int threadCount() const { return static_cast<int>(m_workers.size()) + 1; }

    // Body of a parallel loop: handles task indices [begin, end) on worker `worker`
    // (0 ≤ worker < participating threads; use it to index per-thread scratch).
    using RangeFn = std::function<void(int64_t begin, int64_t end, int worker)>;

    // Static schedule: [0, count) is cut into `threads` contiguous, nearly equal ranges. Best for
    // uniform work (elementwise, rows). `threads` is clamped to [1, threadCount()].
    void parallelFor(int64_t count, int threads, const RangeFn& fn);
    // Dynamic schedule: workers take one index at a time from a shared counter, so unequal tasks
    // (convolution tiles at the image border, a last partial tile) balance themselves.
    void parallelTasks(int64_t count, int threads, const RangeFn& fn);

private:
    void workerLoop(int index);
    void dispatch(int threads, const std::function<void(int)>& body);

    std::vector<std::thread> m_workers;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_done;
    std::atomic<uint64_t> m_generation{0};
    std::atomic<int> m_pending{0};
    std::atomic<bool> m_stop{false};
    const std::function<void(int)>* m_job = nullptr;
    int m_jobThreads = 0;
};

} // namespace nc::core::kernels
