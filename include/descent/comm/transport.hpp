// The processes of a data-parallel run and the collective operations gradient exchange needs.
// LocalTransport is a single process (the N-worker simulator runs all workers in it); the MPI
// transport (comm/mpi.hpp) spans `mpirun -np N` processes. Code above this interface does not know
// which one it has, so the simulator and MPI run the same code path.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "descent/comm/feedback.hpp"

namespace descent::comm {

class Transport {
public:
  virtual ~Transport() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Each process passes its workers' messages (the same count on every process); every process
  // gets all of them, ordered by process and then by worker.
  virtual std::vector<Message> allgather(std::vector<Message> local) = 0;
  virtual void allreduce_sum(std::span<float> values) = 0;
  virtual void allreduce_sum(std::span<double> values) = 0;
  // Every process gets root's text.
  virtual void broadcast(std::string& text, int root) = 0;
  // Every process gets each process's value, in rank order.
  virtual std::vector<std::uint64_t> allgather_value(std::uint64_t value) = 0;
};

class LocalTransport final : public Transport {
public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::vector<Message> allgather(std::vector<Message> local) override { return local; }
  void allreduce_sum(std::span<float>) override {}
  void allreduce_sum(std::span<double>) override {}
  void broadcast(std::string&, int) override {}
  std::vector<std::uint64_t> allgather_value(std::uint64_t value) override { return {value}; }
};

// The transport of this process: MPI's when the program was started by mpirun (and
// comm::MpiSession is alive), a LocalTransport otherwise.
Transport& world();
void set_world(Transport* transport);  // nullptr restores the local one

}  // namespace descent::comm
