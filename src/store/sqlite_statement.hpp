// Small RAII helpers over SQLite's C API, shared by the run store and the trial store: a prepared
// statement that binds and reads by position, and a BEGIN IMMEDIATE transaction rolled back unless
// committed. Failures throw StoreError naming the database file.
#pragma once

#include <fmt/format.h>
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>

#include "descent/core/error.hpp"

namespace descent::store::sqlite {

// One prepared statement; binds by position from 1, steps, finalizes on scope exit.
class Statement {
public:
  Statement(sqlite3* db, const char* sql, const std::filesystem::path& path) : db_(db), path_(path) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) fail("prepare");
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::int64_t value) { return check(sqlite3_bind_int64(stmt_, index, value)); }
  Statement& bind(int index, double value) { return check(sqlite3_bind_double(stmt_, index, value)); }
  Statement& bind(int index, const std::string& value) {
    return check(sqlite3_bind_text(stmt_, index, value.c_str(), static_cast<int>(value.size()), SQLITE_TRANSIENT));
  }
  Statement& bind_null(int index) { return check(sqlite3_bind_null(stmt_, index)); }

  // True while a row is available.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail("step");
  }
  void run() {
    while (step()) {
    }
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
  double real(int column) const { return sqlite3_column_double(stmt_, column); }
  bool is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  std::string text(int column) const {
    const auto* data = sqlite3_column_text(stmt_, column);
    return data ? reinterpret_cast<const char*>(data) : "";
  }

private:
  Statement& check(int rc) {
    if (rc != SQLITE_OK) fail("bind");
    return *this;
  }
  [[noreturn]] void fail(const char* what) const {
    throw StoreError(fmt::format("{}: SQLite {} failed: {}", path_.string(), what, sqlite3_errmsg(db_)));
  }

  sqlite3* db_;
  const std::filesystem::path& path_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back if the scope is left by an exception.
class Transaction {
public:
  Transaction(sqlite3* db, const std::filesystem::path& path) : db_(db), path_(path) { exec("BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (!committed_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    exec("COMMIT");
    committed_ = true;
  }

private:
  void exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
      throw StoreError(fmt::format("{}: {} failed: {}", path_.string(), sql, sqlite3_errmsg(db_)));
    }
  }
  sqlite3* db_;
  const std::filesystem::path& path_;
  bool committed_ = false;
};

// Refuses a database holding tables descent did not create (someone else's SQLite file given as
// --store), before anything is written to it: descent's schema used to be added to it first.
inline void require_only_descent_tables(sqlite3* db, const std::filesystem::path& path) {
  static const std::set<std::string> known = {"schema_version", "studies",     "runs",         "metrics",
                                              "run_summaries",  "leases",       "tune_studies", "trials",       "trial_params",
                                              "trial_intermediate_values"};
  Statement tables(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name", path);
  while (tables.step()) {
    const std::string name = tables.text(0);
    if (!known.count(name)) {
      throw StoreError(fmt::format("{}: not a descent store: it holds a table '{}' that descent did not create (left untouched)",
                                   path.string(), name));
    }
  }
}

}  // namespace descent::store::sqlite
