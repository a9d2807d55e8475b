// Options structs describe their fields once, in a `describe(Options&, Fields&)` template beside
// the struct; the study layer instantiates it with a TOML reader, a JSON writer (the stored
// config, hence the run key) and a JSON reader (a stored run's config). So a field added to an
// options struct is read, stored and keyed the same way, and none can be forgotten in one of them.
//
// A Fields visitor offers (each with a key, a reference to the member, and a Field):
//   integer(key, value, min, max), real(key, value, min, max, min_exclusive), boolean(key, value),
//   text(key, value, choices), choice(key, value, EnumNames), integers(key, values, min, allow_empty),
//   positives(key, values), schedule(key, spec), section(key, optional<T>) (a sub-table with its own describe)
// Fields are visited in order, so a describe() may branch on a value it visited before (the
// reader has set it by then; the writers see the final value).
#pragma once

#include <utility>
#include <vector>

namespace descent {

struct Field {
  bool read = true;    // a key of the config file (false: stored only, kept for old run keys)
  bool stored = true;  // part of the stored config and the run key (false: how to run, not what)
};

// Optional fields whose absence must keep older run keys: stored only when set.
inline Field stored_if(bool set) { return {true, set}; }

// The config names of an enum's values. They enter run keys: never rename one.
template <class E>
using EnumNames = std::vector<std::pair<E, const char*>>;

}  // namespace descent
