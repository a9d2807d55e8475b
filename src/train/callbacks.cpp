#include "descent/train/callbacks.hpp"

#include <csignal>

namespace descent::train {

std::atomic<bool>& interrupt_flag() {
  static std::atomic<bool> flag{false};
  return flag;
}

std::atomic<int>& interrupt_signal() {
  static std::atomic<int> signal{SIGINT};
  return signal;
}

int interrupted_exit_code() { return 128 + interrupt_signal().load(); }

}  // namespace descent::train
