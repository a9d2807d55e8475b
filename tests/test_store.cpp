// The SQLite run store: schema, run lifecycle, resume semantics, integrity.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "descent/core/env.hpp"
#include "descent/core/error.hpp"
#include "descent/store/lease_keeper.hpp"
#include "descent/store/store.hpp"
#include "helpers.hpp"

namespace descent::store {
namespace {

const Provenance kProvenance{"host", "rev", "0.1.0"};

// A write killed between mkstemp and rename leaves NAME.tmp-XXXXXX; the next study removes the
// old ones (never a live writer's: those are younger than a minute).
TEST(AtomicWrites, StaleTemporariesAreRemovedAndFreshOnesKept) {
  testing::TempDir dir;
  env::write_file_atomically(dir / "report.html", "kept");
  for (const char* name : {"run.pt.tmp-a1B2c3", "report.html.tmp-XyZ987", "fresh.pt.tmp-QwErTy", "notes.tmp-short", "run.pt"}) {
    testing::write_file(dir / name, "x");
  }
  const auto old = std::filesystem::file_time_type::clock::now() - std::chrono::hours(1);
  for (const char* name : {"run.pt.tmp-a1B2c3", "report.html.tmp-XyZ987", "notes.tmp-short", "run.pt"}) {
    std::filesystem::last_write_time(dir / name, old);
  }
  EXPECT_EQ(env::remove_stale_temporaries(dir.path()), 2);
  EXPECT_FALSE(std::filesystem::exists(dir / "run.pt.tmp-a1B2c3"));
  EXPECT_FALSE(std::filesystem::exists(dir / "report.html.tmp-XyZ987"));
  for (const char* kept : {"fresh.pt.tmp-QwErTy", "notes.tmp-short", "run.pt", "report.html"}) {
    EXPECT_TRUE(std::filesystem::exists(dir / kept)) << kept;
  }
  EXPECT_EQ(env::remove_stale_temporaries(dir / "missing"), 0);
}

TEST(Store, RunLifecycleAndReadBack) {
  testing::TempDir dir;
  Store store(dir / "nested/runs.db");
  const auto study = store.upsert_study("s", R"({"a":1})");
  EXPECT_EQ(store.upsert_study("s", R"({"a":2})"), study);
  EXPECT_EQ(store.find_study("s")->config_json, R"({"a":2})");

  const auto run = store.begin_run(study, "key1", "adam", 3, "{}", kProvenance);
  EXPECT_EQ(store.find_run(study, "key1")->status, RunStatus::running);
  store.finish_run(run, RunStatus::finished, std::nullopt, {{1, "loss", 0.5}, {2, "loss", 0.25}, {2, "lr", 0.1}},
                   {{"final_test_accuracy", 0.9}});
  const auto record = store.find_run(study, "key1");
  EXPECT_EQ(record->status, RunStatus::finished);
  EXPECT_EQ(record->seed, 3u);
  EXPECT_EQ(record->label, "adam");
  EXPECT_EQ(record->host, "host");
  EXPECT_FALSE(record->finished_at.empty());
  const auto metrics = store.metrics(run);
  ASSERT_EQ(metrics.size(), 3u);
  EXPECT_EQ(metrics[0].name, "loss");
  EXPECT_DOUBLE_EQ(metrics[1].value, 0.25);
  EXPECT_DOUBLE_EQ(store.summary(run).at("final_test_accuracy"), 0.9);
  EXPECT_EQ(store.integrity_check(), "ok");
}

TEST(Store, RestartingAnUnfinishedRunReplacesItAndItsData) {
  testing::TempDir dir;
  Store store(dir / "runs.db");
  const auto study = store.upsert_study("s", "{}");
  const auto first = store.begin_run(study, "k", "sgd", 0, "{}", kProvenance);
  const auto second = store.begin_run(study, "k", "sgd", 0, "{}", kProvenance);
  EXPECT_NE(first, second);
  EXPECT_EQ(store.runs(study).size(), 1u);
  store.finish_run(second, RunStatus::diverged, 17, {{5, "train_loss", 3.0}}, {});
  EXPECT_EQ(*store.find_run(study, "k")->diverged_step, 17);
}

// Leases: of two processes (two connections, two owners) one gets a run; a live lease keeps it, an
// expired one gives it up, and the owner whose lease was taken writes nothing at its end.
TEST(Store, LeasesGiveEachRunToOneOwner) {
  testing::TempDir dir;
  Store a(dir / "runs.db"), b(dir / "runs.db");
  const auto study = a.upsert_study("s", "{}");
  const Lease first{"host:1:a", 60.0}, second{"host:2:b", 60.0};
  const auto claimed = a.claim_run(study, "k", "sgd", 0, "{}", kProvenance, first);
  ASSERT_TRUE(claimed);
  EXPECT_FALSE(b.claim_run(study, "k", "sgd", 0, "{}", kProvenance, second)) << "a live lease is taken";
  EXPECT_TRUE(a.renew_lease(*claimed, first.owner));
  EXPECT_FALSE(b.renew_lease(*claimed, second.owner)) << "only the owner beats";
  // The owner stopped beating: with a zero-second lease its claim has expired, and b restarts the run.
  const auto taken = b.claim_run(study, "k", "sgd", 0, "{}", kProvenance, {second.owner, 0.0});
  ASSERT_TRUE(taken);
  EXPECT_NE(*taken, *claimed);
  EXPECT_FALSE(a.renew_lease(*claimed, first.owner));
  EXPECT_FALSE(a.finish_run(*claimed, RunStatus::finished, std::nullopt, {{1, "loss", 9.0}}, {}, "", first.owner));
  EXPECT_TRUE(b.finish_run(*taken, RunStatus::finished, std::nullopt, {{1, "loss", 0.5}}, {}, "", second.owner));
  ASSERT_EQ(a.runs(study).size(), 1u);
  EXPECT_EQ(a.metrics(*taken).front().value, 0.5);
  // A finished run is nobody's to claim, and a failed one is anybody's.
  EXPECT_FALSE(a.claim_run(study, "k", "sgd", 0, "{}", kProvenance, first));
  const auto failed = a.claim_run(study, "f", "sgd", 0, "{}", kProvenance, first);
  a.mark_failed(*failed, "boom");
  EXPECT_TRUE(b.claim_run(study, "f", "sgd", 0, "{}", kProvenance, second));
  // A live-looking lease of a process on this host that no longer exists (killed) is dead at once.
  const Lease killed{env::hostname() + ":999999999:c", 60.0};
  ASSERT_TRUE(a.claim_run(study, "g", "sgd", 0, "{}", kProvenance, killed));
  EXPECT_TRUE(b.claim_run(study, "g", "sgd", 0, "{}", kProvenance, second));
  EXPECT_EQ(a.integrity_check(), "ok");
}

// The heartbeat thread keeps a claim alive for as long as it runs, on its own connection, while
// this thread uses the store too (ThreadSanitizer runs this test: make tsan); once it stops, the
// claim expires and another owner takes the run.
TEST(Store, ALeaseKeeperKeepsTheClaimUntilItStops) {
  testing::TempDir dir;
  Store a(dir / "runs.db"), b(dir / "runs.db");
  const auto study = a.upsert_study("s", "{}");
  const Lease owner{"host:1:a", 60.0}, rival{"host:2:b", 0.25};
  const auto claimed = a.claim_run(study, "k", "sgd", 0, "{}", kProvenance, owner);
  ASSERT_TRUE(claimed);
  {
    LeaseKeeper keeper(dir / "runs.db", *claimed, owner.owner, 0.02);
    for (int i = 0; i < 10; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(60));  // 0.6 s in all: the lease's 0.25 s, renewed
      EXPECT_FALSE(b.claim_run(study, "k", "sgd", 0, "{}", kProvenance, rival)) << "beat " << i;
      a.upsert_study("s", "{\"beat\": " + std::to_string(i) + "}");  // the main connection keeps writing
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_TRUE(b.claim_run(study, "k", "sgd", 0, "{}", kProvenance, rival)) << "the stopped keeper's claim expired";
  EXPECT_EQ(a.integrity_check(), "ok");
}

// `descent report` opens the store read-only: it reads everything, writes nothing, and refuses
// what is not a descent store instead of creating one.
TEST(Store, ReadOnlyOpenReadsAndNeverWrites) {
  testing::TempDir dir;
  {
    Store store(dir / "runs.db");
    const auto study = store.upsert_study("s", "{}");
    store.finish_run(store.begin_run(study, "k", "sgd", 0, "{}", kProvenance), RunStatus::finished, std::nullopt, {{1, "loss", 0.5}}, {});
  }
  const auto bytes_before = std::filesystem::file_size(dir / "runs.db");
  const auto time_before = std::filesystem::last_write_time(dir / "runs.db");
  {
    Store reader(dir / "runs.db", Access::read_only);
    const auto study = reader.find_study("s");
    ASSERT_TRUE(study);
    ASSERT_EQ(reader.runs(study->id).size(), 1u);
    EXPECT_EQ(reader.metrics(reader.runs(study->id).front().id).front().value, 0.5);
    EXPECT_THROW(reader.upsert_study("t", "{}"), StoreError);
  }
  EXPECT_EQ(std::filesystem::file_size(dir / "runs.db"), bytes_before);
  EXPECT_EQ(std::filesystem::last_write_time(dir / "runs.db"), time_before);
  EXPECT_THROW(Store(dir / "missing.db", Access::read_only), StoreError);
  EXPECT_FALSE(std::filesystem::exists(dir / "missing.db"));
}

TEST(Store, PersistsAcrossReopenInWalMode) {
  testing::TempDir dir;
  {
    Store store(dir / "runs.db");
    const auto study = store.upsert_study("s", "{}");
    store.finish_run(store.begin_run(study, "k", "sgd", 0, "{}", kProvenance), RunStatus::finished, std::nullopt, {}, {});
  }
  Store reopened(dir / "runs.db");
  EXPECT_EQ(reopened.runs(reopened.find_study("s")->id).size(), 1u);
  sqlite3* db = nullptr;
  sqlite3_open((dir / "runs.db").c_str(), &db);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST(Store, NotADatabaseIsAClearError) {
  testing::TempDir dir;
  testing::write_file(dir / "junk.db", std::string(4096, 'x'));
  try {
    Store store(dir / "junk.db");
    FAIL();
  } catch (const StoreError& error) {
    EXPECT_NE(std::string(error.what()).find("junk.db"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace descent::store
