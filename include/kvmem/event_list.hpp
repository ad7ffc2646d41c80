// kvmem::event_list — the events of one change-feed delivery (changes::events).
//
// The store describes each commit once, as one immutable, reference-counted
// change_list, and every subscriber the commit concerns receives that same
// list: an event_list is a sequence of such shared lists (one per commit it
// covers), each taken whole or, for a subscriber whose prefix is narrower
// than what the commit touched, through a list of the indexes that concern
// it. No key or value is copied per subscriber.
//
// It reads like a const std::vector<change>: size, operator[], at, front,
// back, iteration in order. Immutable once made; copying it is O(1) (a
// reference count), and any number of threads may read it at once. No CAF.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <vector>

#include "kvmem/change.hpp"

namespace kvmem {

class event_list {
public:
  /// A part of an event_list: the events of `list` at the indexes `pick`
  /// (ascending), or all of them if `pick` is empty.
  struct segment {
    std::shared_ptr<const change_list> list;
    std::vector<std::uint32_t> pick;
  };

  /// No events. Does not allocate.
  event_list() noexcept = default;
  /// A list of its own (a diff, a delivery read from the network): moved
  /// into one shared list. Allocates once (unless `events` is empty).
  event_list(change_list events); // NOLINT(google-explicit-constructor): a list is a list
  event_list(std::initializer_list<change> events) : event_list(change_list(events)) {}
  /// All of one shared list. O(1), does not allocate.
  explicit event_list(std::shared_ptr<const change_list> shared) noexcept;
  /// The given parts, in order (empty parts dropped). Allocates once.
  explicit event_list(std::vector<segment> parts);

  std::size_t size() const noexcept { return one_ ? one_->size() : many_ ? many_->size : 0; }
  bool empty() const noexcept { return size() == 0; }
  /// The i-th event (i < size()). O(1) for a list of one part, O(log parts)
  /// otherwise; at() checks the bound (std::out_of_range).
  const change& operator[](std::size_t i) const;
  const change& at(std::size_t i) const;
  const change& front() const { return (*this)[0]; }
  const change& back() const { return (*this)[size() - 1]; }

  /// The events, copied into a vector of their own. O(size()), allocates.
  change_list to_vector() const;

  /// The shared lists this one reads from, in order (one per commit of a
  /// store's delivery): what lets a test see that two subscribers received
  /// the same list rather than copies. Valid while this event_list lives.
  std::vector<const change_list*> shared_lists() const;

  class iterator {
  public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = change;
    using difference_type = std::ptrdiff_t;
    using pointer = const change*;
    using reference = const change&;

    iterator() = default;
    reference operator*() const;
    pointer operator->() const { return &**this; }
    iterator& operator++();
    iterator operator++(int) {
      auto old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept {
      return a.seg_ == b.seg_ && a.pos_ == b.pos_;
    }

  private:
    friend class event_list;
    iterator(const event_list* l, std::size_t seg, std::size_t pos) : l_(l), seg_(seg), pos_(pos) {}
    const event_list* l_ = nullptr;
    std::size_t seg_ = 0, pos_ = 0;
  };
  iterator begin() const noexcept { return {this, 0, 0}; }
  iterator end() const noexcept { return {this, parts(), 0}; }

  friend bool operator==(const event_list& a, const event_list& b);
  friend bool operator==(const event_list& a, const change_list& b);

private:
  struct rep {
    std::vector<segment> parts;
    std::vector<std::size_t> ends; // events up to and including each part
    std::size_t size = 0;
  };
  std::size_t parts() const noexcept { return one_ ? 1 : many_ ? many_->parts.size() : 0; }
  std::size_t part_size(std::size_t s) const noexcept;
  const change& part_at(std::size_t s, std::size_t pos) const noexcept;

  std::shared_ptr<const change_list> one_; // all of one list (the common case)
  std::shared_ptr<const rep> many_;        // or parts
};

} // namespace kvmem
