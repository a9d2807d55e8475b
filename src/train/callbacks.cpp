#include "descent/train/callbacks.hpp"

namespace descent::train {

std::atomic<bool>& interrupt_flag() {
  static std::atomic<bool> flag{false};
  return flag;
}

}  // namespace descent::train
