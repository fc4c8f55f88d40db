// task.hpp - a minimal task<T> for C++20 coroutines, the shape that coroutine
// libraries converge on: lazy start, the awaiting coroutine stored in the
// promise, and symmetric transfer both into a child and back out of it, so a
// chain of awaits neither grows the native stack nor bounces through a loop.
// Each coroutine frame is one operator new (g++ does not elide them), unless
// PEER_RECYCLE_FRAMES is defined: then promise_type's operator new/delete
// take frames from per-size free lists, what a tuned coroutine library does
// and C++20 at its best (bench/peers/README.md: built that way with clang++
// as the "cpp20" row; the g++ malloc-per-frame build is "cpp20-gcc-malloc").
#ifndef PEER_TASK_HPP
#define PEER_TASK_HPP

#include <coroutine>
#include <cstddef>
#include <exception>
#include <new>
#include <utility>

#include "../common/fifo.hpp"

// The scheduler loop: a FIFO of suspended coroutines. Single-threaded.
struct scheduler {
  fifo<std::coroutine_handle<>> q;
  void push(std::coroutine_handle<> h) { q.push(h); }
  void run() {
    while (!q.empty()) q.pop().resume();
  }
};
inline scheduler g_sched;

// co_await yield_now{}: go to the back of the run queue; the loop resumes us.
struct yield_now {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) const { g_sched.push(h); }
  void await_resume() const noexcept {}
};

#ifdef PEER_RECYCLE_FRAMES
// Freed frames, one singly linked list per 16-byte size class up to 4 KiB;
// larger frames go to operator new. Single-threaded like the scheduler. A
// miss is one ::operator new, so the peer's allocs_per_call still counts the
// real allocations.
struct frame_pool {
  static constexpr std::size_t kClasses = 256, kGrain = 16;
  struct node { node *next; };
  node *free_[kClasses] = {};
  static std::size_t cls(std::size_t n) { return (n + kGrain - 1) / kGrain; }
  void *get(std::size_t n) {
    std::size_t c = cls(n);
    if (c < kClasses && free_[c]) {
      node *f = free_[c];
      free_[c] = f->next;
      return f;
    }
    return ::operator new(c < kClasses ? c * kGrain : n);
  }
  // Gives every cached frame back to the heap, so that a memory reading
  // (bytes per parked task) sees the frames a run really needs, not a pool
  // warmed by an earlier run.
  void trim() {
    for (node *&head : free_)
      while (node *f = head) {
        head = f->next;
        ::operator delete(f);
      }
  }
  void put(void *p, std::size_t n) {
    std::size_t c = cls(n);
    if (c >= kClasses) return ::operator delete(p);
    node *f = static_cast<node *>(p);
    f->next = free_[c];
    free_[c] = f;
  }
};
inline frame_pool g_frames;
inline void frames_trim() { g_frames.trim(); }
#else
inline void frames_trim() {}
#endif

template <class T> class task {
public:
  struct promise_type;
  using handle = std::coroutine_handle<promise_type>;

  struct promise_type {
    T value{};
    std::exception_ptr error;
    std::coroutine_handle<> waiter; // who co_awaits us; null for a root task

    task get_return_object() { return task(handle::from_promise(*this)); }
    std::suspend_always initial_suspend() noexcept { return {}; } // lazy
    struct final_awaiter {
      bool await_ready() const noexcept { return false; }
      // Jump straight back into the waiter (a tail call, no stack growth);
      // a root task returns to whoever resumed it, usually the loop.
      std::coroutine_handle<> await_suspend(handle h) const noexcept {
        std::coroutine_handle<> w = h.promise().waiter;
        return w ? w : std::noop_coroutine();
      }
      void await_resume() const noexcept {}
    };
    final_awaiter final_suspend() noexcept { return {}; }
    void return_value(T v) { value = std::move(v); }
    void unhandled_exception() { error = std::current_exception(); }
#ifdef PEER_RECYCLE_FRAMES
    static void *operator new(std::size_t n) { return g_frames.get(n); }
    static void operator delete(void *p, std::size_t n) noexcept { g_frames.put(p, n); }
#endif
  };

  task() = default;
  task(task &&o) noexcept : h_(std::exchange(o.h_, {})) {}
  task &operator=(task &&o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  ~task() {
    if (h_) h_.destroy();
  }

  // Awaiting a task starts it and transfers control straight into it.
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
    h_.promise().waiter = caller;
    return h_;
  }
  T await_resume() { return result(); }

  handle get() const { return h_; }
  // A failed child rethrows in its awaiter, one level at a time: that is how
  // an exception crosses a chain of C++20 coroutines.
  T result() {
    if (h_.promise().error) std::rethrow_exception(h_.promise().error);
    return std::move(h_.promise().value);
  }

private:
  explicit task(handle h) : h_(h) {}
  handle h_{};
};

#endif
