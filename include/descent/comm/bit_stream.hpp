// Bit-exact wire format for compressed gradients. A message is a sequence of fixed-width fields
// packed least-significant bit first; its size in bits is what a worker is charged for sending.
#pragma once

#include <bit>
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

static_assert(std::endian::native == std::endian::little, "the bit streams move whole words in little-endian order");

class BitWriter {
public:
  // Appends the low `width` bits of `value` (width 0..64). One word store per field: the field,
  // shifted past the bits already used in the last byte, is OR-ed into it and stored as 8 bytes,
  // and the vector is cut back to the bytes the field reaches.
  void write(std::uint64_t value, int width) {
    if (width > 56) {  // with up to 7 bits in use, a wider field would not fit one word
      write(value & 0xFFFFFFFFu, 32);
      write(value >> 32, width - 32);
      return;
    }
    if (width <= 0) return;
    value &= (std::uint64_t{1} << width) - 1;
    const std::size_t start = used_ == 0 ? bytes_.size() : bytes_.size() - 1;
    const std::uint64_t word = (used_ == 0 ? 0 : std::uint64_t{bytes_.back()}) | (value << used_);
    const int end_bit = used_ + width;
    bytes_.resize(start + 8);
    std::memcpy(bytes_.data() + start, &word, sizeof word);
    bytes_.resize(start + static_cast<std::size_t>((end_bit + 7) / 8));
    used_ = end_bit % 8;
    bits_ += static_cast<std::uint64_t>(width);
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
    const std::size_t first = position_ / 8;
    if (width <= 56 && first + 8 <= size_) {  // offset + width <= 63: the field lies in one word
      std::uint64_t word;
      std::memcpy(&word, data_ + first, sizeof word);
      const auto offset = static_cast<int>(position_ % 8);
      position_ += static_cast<std::uint64_t>(width);
      return width == 0 ? 0 : (word >> offset) & ((std::uint64_t{1} << width) - 1);
    }
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
