// The baseline a CAF user would hand-write instead of a store: an actor
// wrapping a std::map, answering (put_atom, key, value) with true (T4's
// baseline, and ALLOC's).
#pragma once

#include <map>
#include <memory>
#include <string>

#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace bench {

using naive_actor =
    caf::typed_actor<caf::replies_to<caf::put_atom, std::string, std::string>::with<bool>>;

struct naive_state {
  std::map<std::string, std::string> m;
};

inline naive_actor::behavior_type naive_impl(naive_actor::stateful_pointer<naive_state> self,
                                             std::shared_ptr<std::map<std::string, std::string>> init) {
  self->state.m = std::move(*init);
  return {[=](caf::put_atom, const std::string& k, const std::string& v) {
    self->state.m[k] = v;
    return true;
  }};
}

} // namespace bench
