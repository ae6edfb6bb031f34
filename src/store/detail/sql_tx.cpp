#include "store/detail/sql_tx.hpp"

#include <charconv>
#include <forward_list>
#include <map>
#include <nlohmann/json.hpp>
#include <span>

#include "common/json_writer.hpp"
#include "store/detail/dynamic_sql.hpp"
#include "store/detail/search_sql.hpp"

namespace hf::store::detail {
namespace {

using nlohmann::json;

// --- decoding cells ---

std::unexpected<Error> BadCell(std::string_view column, const Cell& cell) {
  return Fail(ErrorCode::kInternal, "database error",
              "unexpected value in column " + std::string(column) + ": '" +
                  std::string(cell.value_or("NULL")) + "'");
}

std::string_view Text(const Row& row, size_t i) { return row[i].value_or(std::string_view()); }

Result<int64_t> Int(const Row& row, size_t i) {
  const std::string_view s = Text(row, i);
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return BadCell("int", row[i]);
  return v;
}

Result<Time> TimeAt(const Row& row, size_t i) {
  auto t = ParseTime(Text(row, i));
  if (!t) return BadCell("time", row[i]);
  return *t;
}

Result<std::optional<int64_t>> OptInt(const Row& row, size_t i) {
  if (!row[i]) return std::nullopt;
  return Int(row, i);
}

Result<std::optional<Time>> OptTimeAt(const Row& row, size_t i) {
  if (!row[i]) return std::nullopt;
  return TimeAt(row, i);
}

Result<json> JsonAt(const Row& row, size_t i) {
  json j = json::parse(Text(row, i), nullptr, false);
  if (j.is_discarded()) return BadCell("json", row[i]);
  return j;
}

// One scalar of an inner array of a document column: a string's text, or an integer's digits.
struct ChildCell {
  std::string_view text;
  bool integer = false;
};

// A document column (an array of arrays of strings and integers, the format of labels_doc and
// conditions_doc in statements.hpp), read without building a json tree: a list page reads 200.
// Cells view the column's text, or `texts` for strings that had escapes.
struct ChildRows {
  std::vector<ChildCell> cells;
  std::vector<size_t> ends;  // where each inner array's cells end
  // Unescaped strings and formatted numbers (stable addresses; unlike a deque, allocates nothing
  // while empty, as it nearly always is).
  std::forward_list<std::string> texts;

  size_t size() const { return ends.size(); }
  std::span<const ChildCell> At(size_t k) const {
    const size_t begin = k == 0 ? 0 : ends[k - 1];
    return {cells.data() + begin, ends[k] - begin};
  }
};

// The reader for document columns with escapes (nlohmann's SAX interface).
class ChildRowsReader final : public nlohmann::json_sax<json> {
 public:
  ChildRows rows;

  bool start_array(std::size_t) override { return ++depth_ <= 2; }
  bool end_array() override {
    if (depth_-- == 2) rows.ends.push_back(rows.cells.size());
    return true;
  }
  bool string(string_t& value) override { return Cell(std::move(value), false); }
  bool number_integer(number_integer_t value) override { return Cell(std::to_string(value), true); }
  bool number_unsigned(number_unsigned_t value) override {
    return Cell(std::to_string(value), true);
  }
  bool null() override { return false; }
  bool boolean(bool) override { return false; }
  bool number_float(number_float_t, const string_t&) override { return false; }
  bool binary(binary_t&) override { return false; }
  bool start_object(std::size_t) override { return false; }
  bool key(string_t&) override { return false; }
  bool end_object() override { return false; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  bool Cell(std::string text, bool integer) {
    if (depth_ != 2) return false;
    rows.texts.push_front(std::move(text));
    rows.cells.push_back({rows.texts.front(), integer});
    return true;
  }
  int depth_ = 0;
};

// The common case of a document column, read at memchr speed and without copying: no backslash
// anywhere, so every string is the bytes between two quotes (the cells view `text`). nullopt
// when the text is anything else (an escape, a float, malformed), which the SAX reader then
// reads or refuses: nlohmann's lexer goes one byte at a time, and these columns were a quarter
// of a list's CPU.
std::optional<ChildRows> ReadPlainChildRows(std::string_view text) {
  if (text.find('\\') != std::string_view::npos) return std::nullopt;
  size_t i = 0;
  const auto skip_space = [&] {
    while (i < text.size() &&
           (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r')) {
      ++i;
    }
  };
  const auto take = [&](char c) {
    skip_space();
    if (i >= text.size() || text[i] != c) return false;
    ++i;
    return true;
  };
  ChildRows rows;
  rows.cells.reserve(text.size() / 16 + 4);  // a condition's 8 cells take about 200 bytes
  rows.ends.reserve(text.size() / 128 + 2);
  if (!take('[')) return std::nullopt;
  if (take(']')) return i == text.size() ? std::optional(std::move(rows)) : std::nullopt;
  do {
    if (!take('[')) return std::nullopt;
    do {
      skip_space();
      if (i < text.size() && text[i] == '"') {
        const size_t end = text.find('"', i + 1);
        if (end == std::string_view::npos) return std::nullopt;
        rows.cells.push_back({text.substr(i + 1, end - i - 1), false});
        i = end + 1;
      } else {
        const size_t start = i;
        if (i < text.size() && text[i] == '-') ++i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
        if (i == start || text[i - 1] == '-') return std::nullopt;
        rows.cells.push_back({text.substr(start, i - start), true});
      }
    } while (take(','));
    if (!take(']')) return std::nullopt;
    rows.ends.push_back(rows.cells.size());
  } while (take(','));
  if (!take(']')) return std::nullopt;
  skip_space();
  return i == text.size() ? std::optional(std::move(rows)) : std::nullopt;
}

// The document column at `i`; its cells may view the row's text, which must outlive them.
Result<ChildRows> ChildRowsAt(const Row& row, size_t i) {
  if (auto plain = ReadPlainChildRows(Text(row, i))) return std::move(*plain);
  ChildRowsReader reader;
  if (!json::sax_parse(Text(row, i), &reader)) return BadCell("children", row[i]);
  return std::move(reader.rows);
}

// The labels_doc and conditions_doc columns (at `i` and `i + 1`) into `r`.
Result<void> DecodeChildren(const Row& row, size_t i, model::Resource& r) {
  const ChildRows labels = HF_TRY(ChildRowsAt(row, i));
  for (size_t k = 0; k < labels.size(); ++k) {
    const auto l = labels.At(k);
    if (l.size() != 2 || l[0].integer || l[1].integer) return BadCell("labels", row[i]);
    r.labels.emplace(l[0].text, l[1].text);
  }
  const ChildRows conditions = HF_TRY(ChildRowsAt(row, i + 1));
  r.conditions.reserve(conditions.size());
  std::string_view last_text;  // a resource's condition times are mostly a few distinct ones
  Time last_time{};
  for (size_t k = 0; k < conditions.size(); ++k) {
    const auto c = conditions.At(k);
    if (c.size() != 8 || !c[4].integer) return BadCell("conditions", row[i + 1]);
    for (size_t n : {0, 1, 2, 3, 5, 6, 7}) {
      if (c[n].integer) return BadCell("conditions", row[i + 1]);
    }
    auto time_at = [&](size_t n) -> Result<Time> {
      if (!last_text.empty() && c[n].text == last_text) return last_time;
      auto t = ParseTime(c[n].text);
      if (!t) return BadCell("conditions", row[i + 1]);
      last_text = c[n].text;
      last_time = *t;
      return *t;
    };
    model::Condition& out = r.conditions.emplace_back();
    out.type = c[0].text;
    out.status = c[1].text;
    out.reason = c[2].text;
    out.message = c[3].text;
    const auto [end, ec] = std::from_chars(c[4].text.data(), c[4].text.data() + c[4].text.size(),
                                           out.observed_generation);
    if (ec != std::errc() || end != c[4].text.data() + c[4].text.size()) {
      return BadCell("conditions", row[i + 1]);
    }
    out.created_time = HF_TRY(time_at(5));
    out.last_updated_time = HF_TRY(time_at(6));
    out.last_transition_time = HF_TRY(time_at(7));
  }
  return Ok();
}

// A row of kResourceColumns.
Result<model::Resource> DecodeResource(const Row& row) {
  constexpr size_t kColumns = 18;
  if (row.size() < kColumns) return BadCell("resource", std::nullopt);
  model::Resource r;
  r.spec = HF_TRY(JsonAt(row, 4));
  r.generation = HF_TRY(Int(row, 5));
  r.event_sequence = HF_TRY(Int(row, 17));
  r.created_time = HF_TRY(TimeAt(row, 9));
  r.updated_time = HF_TRY(TimeAt(row, 10));
  r.deleted_time = HF_TRY(OptTimeAt(row, 11));
  HF_CHECK(DecodeChildren(row, 15, r));
  r.id = Text(row, 0);
  r.kind = Text(row, 1);
  r.name = Text(row, 2);
  r.href = Text(row, 3);
  if (row[6]) {
    r.owner = model::ObjectRef{std::string(Text(row, 6)), std::string(Text(row, 7)),
                               std::string(Text(row, 8))};
  }
  r.created_by = Text(row, 12);
  r.updated_by = Text(row, 13);
  if (row[14]) r.deleted_by = std::string(*row[14]);
  return r;
}

Result<model::AdapterStatus> DecodeAdapterStatus(const Row& row) {
  model::AdapterStatus s;
  s.resource_id = Text(row, 0);
  s.resource_type = Text(row, 1);
  s.adapter = Text(row, 2);
  s.observed_generation = HF_TRY(Int(row, 3));
  const json conditions = HF_TRY(JsonAt(row, 4));
  if (!conditions.is_array()) return BadCell("conditions", row[4]);
  for (const json& c : conditions) {
    if (!c.is_object()) return BadCell("conditions", row[4]);
    auto t = ParseTime(c.value("last_transition_time", ""));
    if (!t) return BadCell("conditions", row[4]);
    s.conditions.push_back({c.value("type", ""), c.value("status", ""), c.value("reason", ""),
                            c.value("message", ""), *t});
  }
  s.data = HF_TRY(JsonAt(row, 5));
  if (row[6]) s.metadata = HF_TRY(JsonAt(row, 6));
  s.created_time = HF_TRY(TimeAt(row, 7));
  s.last_report_time = HF_TRY(TimeAt(row, 8));
  return s;
}

Result<model::OutboxEvent> DecodeOutbox(const Row& row) {
  model::OutboxEvent e;
  e.id = HF_TRY(Int(row, 0));
  e.event_id = Text(row, 1);
  e.aggregate_type = Text(row, 2);
  e.aggregate_id = Text(row, 3);
  e.aggregate_generation = HF_TRY(Int(row, 4));
  e.event_type = Text(row, 5);
  e.reason = Text(row, 6);
  e.payload = Text(row, 7);
  e.created_time = HF_TRY(TimeAt(row, 8));
  e.published_time = HF_TRY(OptTimeAt(row, 9));
  e.attempts = static_cast<int>(HF_TRY(Int(row, 10)));
  e.next_attempt_time = HF_TRY(TimeAt(row, 11));
  e.last_error = Text(row, 12);
  e.aggregate_sequence = HF_TRY(OptInt(row, 13));
  return e;
}

template <typename T, typename Decode>
Result<std::vector<T>> DecodeAll(const Rows& rows, Decode decode) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (const Row row : rows) out.push_back(HF_TRY(decode(row)));
  return out;
}

// --- encoding parameters ---

SqlParam TimeParam(Time t) { return FormatTime(t); }
SqlParam OptTimeParam(const std::optional<Time>& t) {
  return t ? SqlParam(FormatTime(*t)) : SqlParam(nullptr);
}
SqlParam OptParam(const std::optional<std::string>& s) {
  return s ? SqlParam(*s) : SqlParam(nullptr);
}

// The labels_doc and conditions_doc of a resource (format in statements.hpp).
std::string LabelsDoc(const std::map<std::string, std::string>& labels) {
  std::string out;
  JsonWriter w(out);
  w.BeginArray();
  for (const auto& [key, value] : labels) {
    w.BeginArray();
    w.String(key);
    w.String(value);
    w.EndArray();
  }
  w.EndArray();
  return out;
}

std::string ConditionsDoc(const std::vector<model::Condition>& conditions) {
  std::string out;
  JsonWriter w(out);
  TimeText time;
  w.BeginArray();
  for (const auto& c : conditions) {
    w.BeginArray();
    w.String(c.type);
    w.String(c.status);
    w.String(c.reason);
    w.String(c.message);
    w.Int(c.observed_generation);
    w.String(FormatTime(c.created_time, time));
    w.String(FormatTime(c.last_updated_time, time));
    w.String(FormatTime(c.last_transition_time, time));
    w.EndArray();
  }
  w.EndArray();
  return out;
}

std::string AdapterConditionsJson(const std::vector<model::AdapterCondition>& conditions) {
  json out = json::array();
  for (const auto& c : conditions) {
    out.push_back({{"type", c.type},
                   {"status", c.status},
                   {"reason", c.reason},
                   {"message", c.message},
                   {"last_transition_time", FormatTime(c.last_transition_time)}});
  }
  return out.dump();
}

std::unexpected<Error> NotFound(const std::string& id) {
  return Fail(ErrorCode::kNotFound, "resource '" + id + "' not found");
}

// Lists whose total the store keeps on write (migrations/*/0004_resource_counts.sql): every
// resource of a kind, or those with one Reconciled status (the filter is then exactly
// `status.conditions.Reconciled='S'`). Returns whether `q` is one, and the status (nullopt: any).
bool HasMaintainedCount(const ResourceQuery& q, std::optional<std::string>& status) {
  if (q.owner_id) return false;
  if (!q.filter) return true;
  if (q.filter->kind != search::Filter::Kind::kTerm) return false;
  const auto* term = std::get_if<search::ConditionStatusTerm>(&q.filter->term);
  if (term == nullptr || term->type != model::condition_type::kReconciled) return false;
  status = term->status;
  return true;
}

// Deltas a count may sum before the count read folds them (PostgreSQL; SQLite has none).
constexpr int64_t kFoldCountDeltasAbove = 1000;

// The total of a list when its page tells it: a page that is neither full nor past the end.
std::optional<int64_t> TotalFromPage(int64_t offset, int64_t limit, size_t page_size) {
  const auto n = static_cast<int64_t>(page_size);
  if (n < limit && (n > 0 || offset == 0)) return offset + n;
  return std::nullopt;
}

Result<void> CheckPaging(int64_t offset, int64_t limit) {
  if (offset < 0 || limit < 0) {
    return Fail(ErrorCode::kInvalidArgument, "offset and limit must not be negative");
  }
  return Ok();
}

}  // namespace

Result<void> SqlTx::Commit() { return session_->Commit(outbox_appended_); }

// --- resources ---

Result<std::optional<model::Resource>> SqlTx::GetResource(const std::string& id, Lock lock) {
  const auto& statement = lock == Lock::kForUpdate ? st_.get_resource_for_update : st_.get_resource;
  auto items =
      HF_TRY(DecodeAll<model::Resource>(HF_TRY(session_->Exec(statement, {id})), DecodeResource));
  if (items.empty()) return std::nullopt;
  return std::move(items.front());
}

Result<std::vector<model::Resource>> SqlTx::GetResources(const std::vector<std::string>& ids) {
  if (ids.empty()) return std::vector<model::Resource>{};
  if (ids.size() == 1) {  // the common case, by a statement whose kept plan stays good
    auto one = HF_TRY(GetResource(ids.front(), Lock::kNone));
    if (!one) return std::vector<model::Resource>{};
    return std::vector<model::Resource>{std::move(*one)};
  }
  return DecodeAll<model::Resource>(HF_TRY(session_->Exec(st_.get_resources, {json(ids).dump()})),
                                    DecodeResource);
}

Result<void> SqlTx::InsertResource(const model::Resource& r) {
  HF_CHECK(session_->Queue(
      st_.insert_resource,
      {r.id, r.kind, r.name, r.href, r.spec.dump(), r.generation,
       OptParam(r.owner ? std::optional(r.owner->id) : std::nullopt),
       OptParam(r.owner ? std::optional(r.owner->kind) : std::nullopt),
       OptParam(r.owner ? std::optional(r.owner->href) : std::nullopt), TimeParam(r.created_time),
       TimeParam(r.updated_time), OptTimeParam(r.deleted_time), r.created_by, r.updated_by,
       OptParam(r.deleted_by), LabelsDoc(r.labels), ConditionsDoc(r.conditions)}));
  return Ok();
}

Result<void> SqlTx::UpdateResource(const model::Resource& r) {
  const Rows rows = HF_TRY(session_->Exec(
      st_.update_resource, {r.id, r.spec.dump(), r.generation, TimeParam(r.updated_time),
                            r.updated_by, OptTimeParam(r.deleted_time), OptParam(r.deleted_by),
                            LabelsDoc(r.labels), ConditionsDoc(r.conditions)}));
  if (rows.empty()) return NotFound(r.id);
  return Ok();
}

Result<void> SqlTx::ReplaceConditions(const std::string& id,
                                      const std::vector<model::Condition>& conditions) {
  HF_CHECK(session_->Queue(st_.replace_conditions, {id, ConditionsDoc(conditions)}));
  return Ok();
}

Result<void> SqlTx::DeleteResource(const std::string& id) {
  if (HF_TRY(session_->Exec(st_.delete_resource, {id})).empty()) return NotFound(id);
  return Ok();
}

Result<Page<model::Resource>> SqlTx::ListResources(const ResourceQuery& q) {
  HF_CHECK(CheckPaging(q.offset, q.limit));
  std::vector<SqlParam> params{q.kind};
  std::string where = "r.kind = " + st_.Placeholder(1);
  if (q.owner_id) {
    params.emplace_back(*q.owner_id);
    where += " AND r.owner_id = " + st_.Placeholder(params.size());
  }
  if (q.filter) {
    const SqlFragment filter = HF_TRY(SearchFilterSql(*q.filter, st_.dialect));
    where += " AND (" + HF_TRY(RenumberPlaceholders(filter, params.size() + 1, st_)) + ")";
    params.insert(params.end(), filter.params.begin(), filter.params.end());
  }
  const std::vector<SqlParam> filter_params = params;
  const std::string order = HF_TRY(ResourceOrderClause(q.order));
  std::string sql = std::string("SELECT ") + kResourceColumns + " FROM resources r WHERE " + where +
                    " ORDER BY " + order + " LIMIT " + st_.Placeholder(params.size() + 1) +
                    " OFFSET " + st_.Placeholder(params.size() + 2);
  params.emplace_back(q.limit);
  params.emplace_back(q.offset);
  Page<model::Resource> page;
  page.items = HF_TRY(
      DecodeAll<model::Resource>(HF_TRY(session_->ExecDynamic(sql, params)), DecodeResource));
  // Counted only when the page does not tell the total (the ticker's filtered lists usually do).
  if (auto total = TotalFromPage(q.offset, q.limit, page.items.size())) {
    page.total = *total;
  } else if (std::optional<std::string> status; HasMaintainedCount(q, status)) {
    const Rows count = HF_TRY(session_->Exec(st_.count_resources, {q.kind, OptParam(status)}));
    page.total = HF_TRY(Int(count.at(0), 0));
    if (HF_TRY(Int(count.at(0), 1)) > kFoldCountDeltasAbove) {
      HF_CHECK(session_->Exec(st_.fold_resource_counts, {}));
    }
  } else {
    const Rows count = HF_TRY(
        session_->ExecDynamic("SELECT COUNT(*) FROM resources r WHERE " + where, filter_params));
    page.total = HF_TRY(Int(count.at(0), 0));
  }
  return page;
}

Result<std::vector<model::Resource>> SqlTx::ListChildren(const std::string& owner_id, Lock lock) {
  const auto& statement = lock == Lock::kForUpdate ? st_.children_for_update : st_.children;
  return DecodeAll<model::Resource>(HF_TRY(session_->Exec(statement, {owner_id})), DecodeResource);
}

Result<bool> SqlTx::HasChildren(const std::string& owner_id) {
  return !HF_TRY(session_->Exec(st_.has_children, {owner_id})).empty();
}

// --- adapter statuses ---

Result<std::vector<model::AdapterStatus>> SqlTx::GetAdapterStatuses(
    const std::string& resource_id, const std::vector<std::string>& adapters) {
  if (adapters.empty()) return std::vector<model::AdapterStatus>{};
  return DecodeAll<model::AdapterStatus>(
      HF_TRY(session_->Exec(st_.adapter_statuses, {resource_id, json(adapters).dump()})),
      DecodeAdapterStatus);
}

Result<ResourceWithStatuses> SqlTx::GetResourceWithStatuses(
    const std::string& id, Lock lock, const std::vector<std::string>& adapters) {
  std::vector<SqlSession::Call> calls;
  calls.push_back(
      {lock == Lock::kForUpdate ? &st_.get_resource_for_update : &st_.get_resource, {id}});
  if (!adapters.empty()) calls.push_back({&st_.adapter_statuses, {id, json(adapters).dump()}});
  auto rows = HF_TRY(session_->ExecAll(std::move(calls)));
  ResourceWithStatuses out;
  auto resources = HF_TRY(DecodeAll<model::Resource>(std::move(rows.front()), DecodeResource));
  if (resources.empty()) return out;
  out.resource = std::move(resources.front());
  if (rows.size() > 1) {
    out.statuses =
        HF_TRY(DecodeAll<model::AdapterStatus>(std::move(rows.back()), DecodeAdapterStatus));
  }
  return out;
}

Result<Page<model::AdapterStatus>> SqlTx::ListAdapterStatuses(const std::string& resource_id,
                                                              int64_t offset, int64_t limit) {
  HF_CHECK(CheckPaging(offset, limit));
  Page<model::AdapterStatus> page;
  page.items = HF_TRY(DecodeAll<model::AdapterStatus>(
      HF_TRY(session_->Exec(st_.adapter_statuses_page, {resource_id, limit, offset})),
      DecodeAdapterStatus));
  if (auto total = TotalFromPage(offset, limit, page.items.size())) {
    page.total = *total;  // the usual case: one page holds a resource's statuses
  } else {
    page.total =
        HF_TRY(Int(HF_TRY(session_->Exec(st_.count_adapter_statuses, {resource_id})).at(0), 0));
  }
  return page;
}

Result<void> SqlTx::UpsertAdapterStatus(const model::AdapterStatus& s) {
  HF_CHECK(session_->Queue(st_.upsert_adapter_status,
                           {s.resource_id, s.resource_type, s.adapter, s.observed_generation,
                            AdapterConditionsJson(s.conditions), s.data.dump(),
                            s.metadata ? SqlParam(s.metadata->dump()) : SqlParam(nullptr),
                            TimeParam(s.created_time), TimeParam(s.last_report_time)}));
  return Ok();
}

// --- outbox ---

Result<void> SqlTx::AppendOutbox(const model::OutboxEvent& e) {
  HF_CHECK(session_->Queue(st_.append_outbox,
                           {e.event_id, e.aggregate_type, e.aggregate_id, e.aggregate_generation,
                            e.event_type, e.reason, e.payload, TimeParam(e.created_time),
                            int64_t{e.attempts}, TimeParam(e.next_attempt_time), e.last_error}));
  outbox_appended_ = true;
  return Ok();
}

Result<std::optional<model::OutboxEvent>> SqlTx::FindPendingOutbox(const std::string& aggregate_id,
                                                                   int64_t generation) {
  const Rows rows = HF_TRY(session_->Exec(st_.find_pending_outbox, {aggregate_id, generation}));
  if (rows.empty()) return std::nullopt;
  return DecodeOutbox(rows[0]);
}

Result<std::vector<model::OutboxEvent>> SqlTx::ClaimOutbox(int limit, Time now) {
  return DecodeAll<model::OutboxEvent>(
      HF_TRY(session_->Exec(st_.claim_outbox, {TimeParam(now), int64_t{limit}})), DecodeOutbox);
}

Result<void> SqlTx::MarkPublished(const std::vector<int64_t>& ids, Time when) {
  if (ids.empty()) return Ok();
  HF_CHECK(session_->Queue(st_.mark_published, {json(ids).dump(), TimeParam(when)}));
  return Ok();
}

Result<void> SqlTx::MarkFailed(int64_t id, const std::string& error, Time next_attempt) {
  HF_CHECK(session_->Queue(st_.mark_failed, {id, error, TimeParam(next_attempt)}));
  return Ok();
}

Result<int64_t> SqlTx::DeletePublishedBefore(Time cutoff, int limit) {
  const Rows rows =
      HF_TRY(session_->Exec(st_.delete_published_before, {TimeParam(cutoff), int64_t{limit}}));
  return static_cast<int64_t>(rows.size());
}

Result<Page<model::OutboxEvent>> SqlTx::ListOutbox(const OutboxQuery& q) {
  HF_CHECK(CheckPaging(q.offset, q.limit));
  const SqlParam published =
      q.published ? SqlParam(int64_t{*q.published ? 1 : 0}) : SqlParam(nullptr);
  const SqlParam after = q.after_id ? SqlParam(*q.after_id) : SqlParam(nullptr);
  Page<model::OutboxEvent> page;
  page.items = HF_TRY(DecodeAll<model::OutboxEvent>(
      HF_TRY(session_->Exec(st_.list_outbox, {OptParam(q.aggregate_id), published, after,
                                              OptParam(q.aggregate_type), q.limit, q.offset})),
      DecodeOutbox));
  if (!q.with_total) return page;
  page.total =
      HF_TRY(Int(HF_TRY(session_->Exec(st_.count_outbox, {OptParam(q.aggregate_id), published,
                                                          after, OptParam(q.aggregate_type)}))
                     .at(0),
                 0));
  return page;
}

Result<OutboxStats> SqlTx::GetOutboxStats() {
  const Rows rows = HF_TRY(session_->Exec(st_.outbox_stats, {}));
  OutboxStats stats;
  stats.pending = HF_TRY(Int(rows.at(0), 0));
  stats.oldest_pending_created = HF_TRY(OptTimeAt(rows.at(0), 1));
  stats.last_id = HF_TRY(Int(rows.at(0), 2));
  return stats;
}

Result<std::vector<ReconcileBacklog>> SqlTx::GetReconcileBacklog(Time stuck_before) {
  std::vector<ReconcileBacklog> out;
  for (const Row row : HF_TRY(session_->Exec(st_.reconcile_backlog, {TimeParam(stuck_before)}))) {
    ReconcileBacklog b;
    b.kind = Text(row, 0);
    b.pending = HF_TRY(Int(row, 1));
    b.stuck = HF_TRY(Int(row, 2));
    b.oldest = HF_TRY(OptTimeAt(row, 3));
    out.push_back(std::move(b));
  }
  return out;
}

Result<std::vector<ResourceCount>> SqlTx::CountResources() {
  std::vector<ResourceCount> out;
  for (const Row row : HF_TRY(session_->Exec(st_.resource_counts, {}))) {
    out.push_back({std::string(Text(row, 0)), std::string(Text(row, 1)), HF_TRY(Int(row, 2))});
  }
  return out;
}

}  // namespace hf::store::detail
