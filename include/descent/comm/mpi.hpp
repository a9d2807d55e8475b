// MPI for data-parallel runs, without mpi.h in this header. An MpiSession in main() initializes
// MPI when the program was launched by mpirun (OpenMPI's or a PMI launcher's environment says so),
// installs the MPI transport as comm::world(), and finalizes MPI at exit.
#pragma once

#include <memory>

#include "descent/comm/transport.hpp"

namespace descent::comm {

// True when this process was started by mpirun/mpiexec (even with -np 1).
bool launched_by_mpi();

class MpiSession {
public:
  MpiSession(int& argc, char**& argv);  // no-op unless launched_by_mpi()
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  bool active() const { return transport_ != nullptr; }
  // Ends every process of the job (after an error on one rank, the others would wait forever).
  static void abort_all(int exit_code);

private:
  std::unique_ptr<Transport> transport_;
};

}  // namespace descent::comm
