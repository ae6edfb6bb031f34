#pragma once

#include <map>
#include <string>

#include "common/time.hpp"

namespace hf::ticker {

// The server-side `search` filters (TSL) of one poll. Each is ANDed with the selector's
// `labels.<key>='<value>'` terms (sorted by key, quotes doubled). Deleting resources are not
// excluded: they need events too, to be finalized.

// Resources whose Reconciled condition is False.
std::string NotReconciledSearch(const std::map<std::string, std::string>& selector);

// Reconciled resources whose Reconciled.last_updated_time is before `cutoff` (now − max_age).
std::string StaleSearch(const std::map<std::string, std::string>& selector, Time cutoff);

// "labels.a='x' and labels.b='y'", or "" for an empty selector.
std::string SelectorSearch(const std::map<std::string, std::string>& selector);

}  // namespace hf::ticker
