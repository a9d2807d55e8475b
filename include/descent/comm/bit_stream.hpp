// Bit-exact wire format for compressed gradients. A message is a sequence of fixed-width fields
// packed least-significant bit first; its size in bits is what a worker is charged for sending.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace descent::comm {

// Bits needed to write any integer in [0, count): ceil(log2(count)), 0 for count <= 1.
inline int bits_for(std::uint64_t count) {
  int bits = 0;
  while (bits < 64 && (std::uint64_t{1} << bits) < count) ++bits;
  return bits;
}

class BitWriter {
public:
  // Appends the low `width` bits of `value` (width 0..64).
  void write(std::uint64_t value, int width) {
    for (int written = 0; written < width;) {
      if (used_ == 0) bytes_.push_back(0);
      const int room = 8 - used_;
      const int take = std::min(room, width - written);
      const std::uint64_t chunk = (value >> written) & ((std::uint64_t{1} << take) - 1);
      bytes_.back() = static_cast<std::uint8_t>(bytes_.back() | (chunk << used_));
      used_ = (used_ + take) % 8;
      written += take;
      bits_ += static_cast<std::uint64_t>(take);
    }
  }
  void write_float(float value) {
    std::uint32_t raw;
    std::memcpy(&raw, &value, sizeof raw);
    write(raw, 32);
  }
  void write_double(double value) {
    std::uint64_t raw;
    std::memcpy(&raw, &value, sizeof raw);
    write(raw, 64);
  }
  template <typename T>
  void write_value(T value) {
    if constexpr (sizeof(T) == 4) write_float(value); else write_double(value);
  }

  std::uint64_t bits() const { return bits_; }
  const std::vector<std::uint8_t>& bytes() const { return bytes_; }
  std::vector<std::uint8_t> take() { return std::move(bytes_); }

private:
  std::vector<std::uint8_t> bytes_;
  int used_ = 0;  // bits used in the last byte
  std::uint64_t bits_ = 0;
};

class BitReader {
public:
  BitReader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  explicit BitReader(const std::vector<std::uint8_t>& bytes) : BitReader(bytes.data(), bytes.size()) {}

  std::uint64_t read(int width) {
    std::uint64_t value = 0;
    for (int read = 0; read < width;) {
      const std::size_t byte = position_ / 8;
      if (byte >= size_) throw std::runtime_error("compressed message ends early");
      const int offset = static_cast<int>(position_ % 8);
      const int take = std::min(8 - offset, width - read);
      const std::uint64_t chunk = (data_[byte] >> offset) & ((1u << take) - 1);
      value |= chunk << read;
      read += take;
      position_ += static_cast<std::uint64_t>(take);
    }
    return value;
  }
  float read_float() {
    const auto raw = static_cast<std::uint32_t>(read(32));
    float value;
    std::memcpy(&value, &raw, sizeof value);
    return value;
  }
  double read_double() {
    const std::uint64_t raw = read(64);
    double value;
    std::memcpy(&value, &raw, sizeof value);
    return value;
  }
  template <typename T>
  T read_value() {
    if constexpr (sizeof(T) == 4) return read_float(); else return read_double();
  }
  std::uint64_t position() const { return position_; }

private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::uint64_t position_ = 0;
};

}  // namespace descent::comm
