// The output of watch and diff: change events (kvmem/change.hpp) for people
// (one escaped line each) and programs (JSON). docs/cli.md documents each
// form; tests/cli_test.sh checks them.
#pragma once

#include <cstdio>
#include <string>

#include <kvmem/change.hpp>
#include <kvmem/messages.hpp>

namespace kvmem::cli {

struct event_form {
  /// Each event's version first (watch). A diff's events all carry V2, so
  /// diff leaves it out.
  bool version = true;
  /// --values: the bytes of set events and of values moved in (rename_in).
  bool values = false;
};

/// One event as one line, fields separated by tabs, keys and values
/// escaped (text.hpp): [VERSION] OP KIND KEY, then OTHER for rename_out and
/// rename_in, then VALUE with --values for set and a value's rename_in.
void print_event(const change& e, event_form f, std::FILE* out);

/// One event as a JSON object: {"version":..,"op":..,"kind":..,"key":..,
/// "other":..,"value":..} with the same conditions, plus "key_hex",
/// "other_hex", "value_hex" for bytes that are not UTF-8.
std::string event_json(const change& e, event_form f);

/// diff's output: one line per event, or one JSON array on one line.
void print_diff(const change_list& d, bool json, event_form f, std::FILE* out);

/// watch's first line: the prefix and the version the feed starts after.
void print_watch_start(const key& prefix, version_t v, bool json, std::FILE* out);

/// One delivery of watch. JSON: one object on one line, {"type":"changes",
/// "from","to","coalesced","resync","events":[...]}. Human: a line of its
/// own for a resync or a coalesced delivery (`resumed`: the first delivery
/// after --from, which is coalesced by design, not because the watcher fell
/// behind), then one line per event.
void print_delivery(const changes& c, bool resumed, bool json, event_form f, std::FILE* out);

} // namespace kvmem::cli
