// IN lists in a few fixed shapes: a list of n values is padded to 1, 8, 64 or
// 256 (repeating the last value), so each statement text is prepared once per
// connection and reused, however many values a batch brings. Shared by the
// store's batch reads (persons_read) and the ledger writer's.
#pragma once
#include <algorithm>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/sql_store.h"

namespace canbao::store::detail {

constexpr size_t kMaxInList = 256;

// The padded size of a list of n ≤ kMaxInList values: 1, 8, 64 or 256.
inline size_t in_list_shape(size_t n) {
  for (size_t k : {size_t(1), size_t(8), size_t(64)})
    if (n <= k) return k;
  return kMaxInList;
}

// `head` + " IN (?, …)" with n placeholders + `tail` (start it with a space).
inline std::string in_list_sql(std::string_view head, size_t n, std::string_view tail = {}) {
  std::string sql(head);
  sql += " IN (";
  for (size_t k = 0; k < n; ++k) sql += k ? ", ?" : "?";
  sql += ")";
  sql += tail;
  return sql;
}

// Runs `sql_for(shape)` over `values` in lists of at most kMaxInList, each
// padded to its shape, with `extra` parameters after each list. A padded
// repeat answers the same rows again: callers that must not see them twice
// de-duplicate. `values` empty: no statement.
template <class T, class SqlFor>
void query_in_lists(SqlStore& s, SqlFor&& sql_for, std::span<const T> values, std::span<const Param> extra,
                    const RowFn& fn) {
  std::vector<Param> ps;
  for (size_t at = 0; at < values.size(); at += kMaxInList) {
    const size_t n = std::min(kMaxInList, values.size() - at), shape = in_list_shape(n);
    ps.clear();
    for (size_t k = 0; k < shape; ++k) ps.push_back(Param(values[at + std::min(k, n - 1)]));
    ps.insert(ps.end(), extra.begin(), extra.end());
    s.sql_query_span(sql_for(shape), ps, fn);
  }
}

}  // namespace canbao::store::detail
