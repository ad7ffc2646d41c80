#include "kvmem/event_list.hpp"

#include <algorithm>
#include <stdexcept>

namespace kvmem {

event_list::event_list(change_list events) {
  if (!events.empty())
    one_ = std::make_shared<const change_list>(std::move(events));
}

event_list::event_list(std::shared_ptr<const change_list> shared) noexcept {
  if (shared && !shared->empty())
    one_ = std::move(shared);
}

event_list::event_list(std::vector<segment> parts) {
  std::erase_if(parts, [](const segment& s) { return !s.list || s.list->empty(); });
  if (parts.empty())
    return;
  if (parts.size() == 1 && parts[0].pick.empty()) {
    one_ = std::move(parts[0].list);
    return;
  }
  auto r = std::make_shared<rep>();
  r->ends.reserve(parts.size());
  for (auto& p : parts) {
    r->size += p.pick.empty() ? p.list->size() : p.pick.size();
    r->ends.push_back(r->size);
  }
  r->parts = std::move(parts);
  many_ = std::move(r);
}

std::size_t event_list::part_size(std::size_t s) const noexcept {
  if (one_)
    return one_->size();
  auto& p = many_->parts[s];
  return p.pick.empty() ? p.list->size() : p.pick.size();
}

const change& event_list::part_at(std::size_t s, std::size_t pos) const noexcept {
  if (one_)
    return (*one_)[pos];
  auto& p = many_->parts[s];
  return (*p.list)[p.pick.empty() ? pos : p.pick[pos]];
}

const change& event_list::operator[](std::size_t i) const {
  if (one_)
    return (*one_)[i];
  auto& e = many_->ends;
  auto s = static_cast<std::size_t>(std::upper_bound(e.begin(), e.end(), i) - e.begin());
  return part_at(s, i - (s == 0 ? 0 : e[s - 1]));
}

const change& event_list::at(std::size_t i) const {
  if (i >= size())
    throw std::out_of_range("kvmem::event_list::at");
  return (*this)[i];
}

change_list event_list::to_vector() const {
  change_list out;
  out.reserve(size());
  for (auto& e : *this)
    out.push_back(e);
  return out;
}

std::vector<const change_list*> event_list::shared_lists() const {
  std::vector<const change_list*> out;
  if (one_)
    out.push_back(one_.get());
  else if (many_)
    for (auto& p : many_->parts)
      out.push_back(p.list.get());
  return out;
}

const change& event_list::iterator::operator*() const { return l_->part_at(seg_, pos_); }

event_list::iterator& event_list::iterator::operator++() {
  if (++pos_ == l_->part_size(seg_)) {
    ++seg_;
    pos_ = 0;
  }
  return *this;
}

bool operator==(const event_list& a, const event_list& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

bool operator==(const event_list& a, const change_list& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

} // namespace kvmem
