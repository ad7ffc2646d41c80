#include "events.hpp"

#include <fmt/format.h>

#include "text.hpp"

namespace kvmem::cli {

namespace {

bool has_other(const change& e) {
  return e.other && (e.op == change_op::rename_out || e.op == change_op::rename_in);
}

// A value's bytes travel with set events and with values moved in; other
// events have none, so their VALUE field is absent rather than empty.
bool has_value(const change& e) {
  return e.op == change_op::set || (e.op == change_op::rename_in && e.what == kind::value);
}

const char* json_bool(bool b) {
  return b ? "true" : "false";
}

} // namespace

void print_event(const change& e, event_form f, std::FILE* out) {
  std::string line;
  auto it = std::back_inserter(line);
  if (f.version)
    fmt::format_to(it, "{}\t", e.version);
  fmt::format_to(it, "{}\t{}\t{}", e.op, e.what, escape(e.path.to_string()));
  if (has_other(e))
    fmt::format_to(it, "\t{}", escape(e.other->to_string()));
  if (f.values && has_value(e))
    fmt::format_to(it, "\t{}", escape(e.value.view()));
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), out);
}

std::string event_json(const change& e, event_form f) {
  std::string s = "{";
  auto it = std::back_inserter(s);
  if (f.version)
    fmt::format_to(it, "\"version\":{},", e.version);
  fmt::format_to(it, "\"op\":\"{}\",\"kind\":\"{}\",{}", e.op, e.what,
                 json_bytes_field("key", e.path.to_string()));
  if (has_other(e))
    fmt::format_to(it, ",{}", json_bytes_field("other", e.other->to_string()));
  if (f.values && has_value(e))
    fmt::format_to(it, ",{}", json_bytes_field("value", e.value.view()));
  s += '}';
  return s;
}

namespace {

// A diff (change_list) or a delivery's events (event_list).
template <class Events>
void print_json_array(const Events& events, event_form f, std::FILE* out) {
  std::fputc('[', out);
  bool first = true;
  for (auto& e : events) {
    if (!first)
      std::fputc(',', out);
    auto s = event_json(e, f);
    std::fwrite(s.data(), 1, s.size(), out);
    first = false;
  }
  std::fputc(']', out);
}

} // namespace

void print_diff(const change_list& d, bool json, event_form f, std::FILE* out) {
  if (json) {
    print_json_array(d, f, out);
    std::fputc('\n', out);
    return;
  }
  for (auto& e : d)
    print_event(e, f, out);
}

void print_watch_start(const key& prefix, version_t v, bool json, std::FILE* out) {
  if (json)
    fmt::print(out, "{{\"type\":\"start\",{},\"version\":{}}}\n",
               json_bytes_field("prefix", prefix.to_string()), v);
  else
    fmt::print(out, "watching {} after version {}\n", escape(prefix.to_string()), v);
}

void print_delivery(const changes& c, bool resumed, bool json, event_form f, std::FILE* out) {
  if (json) {
    fmt::print(out, "{{\"type\":\"changes\",\"from\":{},\"to\":{},\"coalesced\":{},\"resync\":{},"
                    "\"events\":",
               c.from, c.to, json_bool(c.coalesced), json_bool(c.resync));
    print_json_array(c.events, f, out);
    std::fputs("}\n", out);
    return;
  }
  if (c.resync)
    fmt::print(out,
               "resync at version {}: the requested start {} is no longer retained; the changes "
               "up to {} are not listed, the events after it follow\n",
               c.to, c.from, c.to);
  else if (c.coalesced)
    fmt::print(out, "coalesced: the changes after version {} up to {} as one diff ({})\n", c.from, c.to,
               resumed ? "resuming from a retained version" : "this watcher fell behind");
  for (auto& e : c.events)
    print_event(e, f, out);
}

} // namespace kvmem::cli
