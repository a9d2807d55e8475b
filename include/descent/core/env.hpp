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

// Writes `content` to `path` atomically: a temporary file in the same folder, flushed, then
// renamed over the target. A crash leaves either the old file or the new one, never half.
void write_file_atomically(const std::filesystem::path& path, const std::string& content);

}  // namespace descent::env
