// task.hpp - a minimal task<T> for C++20 coroutines, the shape that coroutine
// libraries converge on: lazy start, the awaiting coroutine stored in the
// promise, and symmetric transfer both into a child and back out of it, so a
// chain of awaits neither grows the native stack nor bounces through a loop.
// Each coroutine frame is one operator new (g++ does not elide them).
#ifndef PEER_TASK_HPP
#define PEER_TASK_HPP

#include <coroutine>
#include <exception>
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
