#include "ticker/queries.hpp"

#include "search/search.hpp"

namespace hf::ticker {
namespace {

std::string WithSelector(std::string filter, const std::map<std::string, std::string>& selector) {
  const std::string labels = SelectorSearch(selector);
  return labels.empty() ? filter : filter + " and " + labels;
}

}  // namespace

std::string SelectorSearch(const std::map<std::string, std::string>& selector) {
  std::string out;
  for (const auto& [key, value] : selector) {  // std::map: sorted by key
    if (!out.empty()) out += " and ";
    out += "labels." + key + "=" + search::QuoteString(value);
  }
  return out;
}

std::string NotReconciledSearch(const std::map<std::string, std::string>& selector) {
  return WithSelector("status.conditions.Reconciled='False'", selector);
}

std::string StaleSearch(const std::map<std::string, std::string>& selector, Time cutoff) {
  return WithSelector(
      "status.conditions.Reconciled='True' and "
      "status.conditions.Reconciled.last_updated_time < " +
          search::QuoteString(FormatTime(cutoff)),
      selector);
}

}  // namespace hf::ticker
