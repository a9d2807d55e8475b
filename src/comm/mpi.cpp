#include "descent/comm/mpi.hpp"

#include <mpi.h>

#include <cstdlib>
#include <numeric>
#include <stdexcept>

namespace descent::comm {
namespace {

void check(int status, const char* what) {
  if (status != MPI_SUCCESS) throw std::runtime_error(std::string("MPI ") + what + " failed");
}

class MpiTransport final : public Transport {
public:
  MpiTransport() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  std::vector<Message> allgather(std::vector<Message> local) override {
    // Sizes first (bytes and bits of each local message), then the payloads in one Allgatherv.
    std::vector<std::uint64_t> header;
    for (const auto& m : local) header.insert(header.end(), {m.bytes.size(), m.bits});
    std::vector<std::uint64_t> headers(header.size() * static_cast<std::size_t>(size_));
    check(MPI_Allgather(header.data(), static_cast<int>(header.size()), MPI_UINT64_T, headers.data(),
                        static_cast<int>(header.size()), MPI_UINT64_T, MPI_COMM_WORLD), "Allgather");
    std::vector<std::uint8_t> payload;
    for (const auto& m : local) payload.insert(payload.end(), m.bytes.begin(), m.bytes.end());
    std::vector<int> counts(static_cast<std::size_t>(size_)), offsets(static_cast<std::size_t>(size_));
    const std::size_t per_process = local.size();
    for (int p = 0; p < size_; ++p) {
      std::uint64_t bytes = 0;
      for (std::size_t w = 0; w < per_process; ++w) bytes += headers[2 * (static_cast<std::size_t>(p) * per_process + w)];
      counts[static_cast<std::size_t>(p)] = static_cast<int>(bytes);
    }
    std::exclusive_scan(counts.begin(), counts.end(), offsets.begin(), 0);
    std::vector<std::uint8_t> all(static_cast<std::size_t>(offsets.back() + counts.back()));
    check(MPI_Allgatherv(payload.data(), static_cast<int>(payload.size()), MPI_UINT8_T, all.data(), counts.data(),
                         offsets.data(), MPI_UINT8_T, MPI_COMM_WORLD), "Allgatherv");
    std::vector<Message> messages;
    std::size_t cursor = 0;
    for (std::size_t i = 0; i < headers.size() / 2; ++i) {
      const auto bytes = static_cast<std::size_t>(headers[2 * i]);
      Message m;
      m.bytes.assign(all.begin() + static_cast<std::ptrdiff_t>(cursor), all.begin() + static_cast<std::ptrdiff_t>(cursor + bytes));
      m.bits = headers[2 * i + 1];
      cursor += bytes;
      messages.push_back(std::move(m));
    }
    return messages;
  }

  void allreduce_sum(std::span<float> values) override {
    check(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD),
          "Allreduce");
  }
  void allreduce_sum(std::span<double> values) override {
    check(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD),
          "Allreduce");
  }
  void broadcast(std::string& text, int root) override {
    std::uint64_t length = text.size();
    check(MPI_Bcast(&length, 1, MPI_UINT64_T, root, MPI_COMM_WORLD), "Bcast");
    text.resize(static_cast<std::size_t>(length));
    check(MPI_Bcast(text.data(), static_cast<int>(length), MPI_CHAR, root, MPI_COMM_WORLD), "Bcast");
  }
  std::vector<std::uint64_t> allgather_value(std::uint64_t value) override {
    std::vector<std::uint64_t> values(static_cast<std::size_t>(size_));
    check(MPI_Allgather(&value, 1, MPI_UINT64_T, values.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD), "Allgather");
    return values;
  }

private:
  int rank_ = 0, size_ = 1;
};

}  // namespace

bool launched_by_mpi() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMI_SIZE") != nullptr ||
         std::getenv("PMIX_RANK") != nullptr;
}

MpiSession::MpiSession(int& argc, char**& argv) {
  if (!launched_by_mpi()) return;
  int provided = 0;
  // Only the main thread calls MPI; LibTorch's and descent's OpenMP threads never do.
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  transport_ = std::make_unique<MpiTransport>();
  set_world(transport_.get());
}

MpiSession::~MpiSession() {
  if (!transport_) return;
  set_world(nullptr);
  transport_.reset();
  MPI_Finalize();
}

void MpiSession::abort_all(int exit_code) {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Abort(MPI_COMM_WORLD, exit_code);
}

}  // namespace descent::comm
