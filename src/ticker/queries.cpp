#include "ticker/queries.hpp"

namespace hf::ticker {
namespace {

std::string Quote(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string WithSelector(std::string filter, const std::map<std::string, std::string>& selector) {
  const std::string labels = SelectorSearch(selector);
  return labels.empty() ? filter : filter + " and " + labels;
}

}  // namespace

std::string SelectorSearch(const std::map<std::string, std::string>& selector) {
  std::string out;
  for (const auto& [key, value] : selector) {  // std::map: sorted by key
    if (!out.empty()) out += " and ";
    out += "labels." + key + "=" + Quote(value);
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
          Quote(FormatTime(cutoff)),
      selector);
}

}  // namespace hf::ticker
