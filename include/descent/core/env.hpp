// Facts about the process and machine that runs descent: provenance for the store and reports,
// and the one owner of threads (see ../shared/perf-notes.md on OpenMP/OpenBLAS oversubscription).
#pragma once

#include <filesystem>
#include <string>

namespace descent::env {

std::string hostname();
std::string compiler();
// UTC time as ISO 8601, e.g. 2026-11-28T14:22:19Z.
std::string utc_now();

// Pins OpenBLAS's own thread pool to one thread when OpenBLAS is loaded, so that the OpenMP
// threads descent and LibTorch use are the only ones.
void pin_blas_threads_to_one();
// Sets OpenBLAS's own thread pool to `threads` when OpenBLAS is loaded (no effect otherwise).
void set_blas_threads(int threads);

// Writes `content` to `path` atomically: a temporary file in the same folder, flushed, then
// renamed over the target. A crash leaves either the old file or the new one, never half.
void write_file_atomically(const std::filesystem::path& path, const std::string& content);

// Creates `dir` if needed and proves it writable by creating and removing a temporary file in it;
// throws an Error naming `dir` and the reason otherwise. For folders a long job writes at its end.
void require_writable_directory(const std::filesystem::path& dir);

// Removes the temporaries a killed write_file_atomically left in `dir` (NAME.tmp-XXXXXX) that are
// older than `min_age_seconds`, so that a live writer's file is never touched. Returns how many.
int remove_stale_temporaries(const std::filesystem::path& dir, double min_age_seconds = 60.0);

}  // namespace descent::env
