#include "descent/data/npy.hpp"

#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

#include "descent/core/error.hpp"
#include "descent/data/zip.hpp"

namespace descent::data {
namespace {

// The header is a Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class HeaderParser {
public:
  HeaderParser(std::string_view text, const std::string& name) : text_(text), name_(name) {}

  void parse(std::string& descr, bool& fortran_order, std::vector<std::int64_t>& shape) {
    bool has_descr = false, has_order = false, has_shape = false;
    expect('{');
    while (skip_spaces(), peek() != '}') {
      const std::string key = quoted();
      expect(':');
      if (key == "descr") {
        descr = quoted(), has_descr = true;
      } else if (key == "fortran_order") {
        fortran_order = boolean(), has_order = true;
      } else if (key == "shape") {
        shape = tuple(), has_shape = true;
      } else {
        fail(fmt::format("unknown header key '{}'", key));
      }
      skip_spaces();
      if (peek() == ',') ++at_;
    }
    if (!has_descr || !has_order || !has_shape) fail("the header lacks 'descr', 'fortran_order' or 'shape'");
  }

private:
  char peek() {
    if (at_ >= text_.size()) fail("the header ends early");
    return text_[at_];
  }
  void skip_spaces() {
    while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\n')) ++at_;
  }
  void expect(char c) {
    skip_spaces();
    if (peek() != c) fail(fmt::format("expected '{}' in the header at byte {}", c, at_));
    ++at_;
  }
  std::string quoted() {
    skip_spaces();
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail(fmt::format("expected a quoted string in the header at byte {}", at_));
    const std::size_t end = text_.find(quote, ++at_);
    if (end == std::string_view::npos) fail("an unterminated string in the header");
    const std::string value(text_.substr(at_, end - at_));
    at_ = end + 1;
    return value;
  }
  bool boolean() {
    skip_spaces();
    for (const auto& [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
      if (text_.substr(at_, std::strlen(word)) == word) {
        at_ += std::strlen(word);
        return value;
      }
    }
    fail("fortran_order is neither True nor False");
  }
  std::vector<std::int64_t> tuple() {
    std::vector<std::int64_t> values;
    expect('(');
    while (skip_spaces(), peek() != ')') {
      std::int64_t value = 0;
      if (peek() < '0' || peek() > '9') fail(fmt::format("a shape entry is not a non-negative integer (byte {})", at_));
      while (peek() >= '0' && peek() <= '9') {
        const int digit = text_[at_++] - '0';
        if (value > (std::numeric_limits<std::int64_t>::max() - digit) / 10) fail("a shape entry overflows");
        value = value * 10 + digit;
      }
      values.push_back(value);
      skip_spaces();
      if (peek() == ',') ++at_;
      else if (peek() != ')') fail("the shape is not a tuple of integers");
    }
    ++at_;
    return values;
  }
  [[noreturn]] void fail(const std::string& fault) const { throw DataError(fmt::format("{}: not a usable .npy array: {}", name_, fault)); }

  std::string_view text_;
  const std::string& name_;
  std::size_t at_ = 0;
};

struct TypeInfo {
  NpyType type;
  std::size_t size;
};

TypeInfo type_of(const std::string& descr, const std::string& name) {
  if (descr == "<f4") return {NpyType::float32, 4};
  if (descr == "<f8") return {NpyType::float64, 8};
  if (descr == "|u1" || descr == "<u1") return {NpyType::uint8, 1};
  if (descr == "<i8") return {NpyType::int64, 8};
  throw DataError(fmt::format("{}: element type '{}' is not one of float32 '<f4', float64 '<f8', uint8 '|u1', int64 '<i8' "
                              "(little-endian)", name, descr));
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(fmt::format("{}: {}", path.string(), std::filesystem::exists(path) ? "cannot be read" : "file not found"));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

template <class From, class To>
std::vector<To> convert(const std::string& data, std::int64_t count) {
  std::vector<To> out(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < out.size(); ++i) {
    From value;
    std::memcpy(&value, data.data() + i * sizeof(From), sizeof(From));
    out[i] = static_cast<To>(value);
  }
  return out;
}

}  // namespace

std::int64_t NpyArray::count() const {
  std::int64_t n = 1;
  for (const std::int64_t d : shape) n *= d;  // bounded when parsed
  return n;
}

std::vector<float> NpyArray::to_float() const {
  switch (type) {
    case NpyType::float32: return convert<float, float>(data, count());
    case NpyType::float64: return convert<double, float>(data, count());
    case NpyType::uint8: return convert<std::uint8_t, float>(data, count());
    case NpyType::int64: return convert<std::int64_t, float>(data, count());
  }
  return {};
}

std::vector<std::int64_t> NpyArray::to_int64() const {
  if (type == NpyType::uint8) return convert<std::uint8_t, std::int64_t>(data, count());
  if (type == NpyType::int64) return convert<std::int64_t, std::int64_t>(data, count());
  throw std::logic_error("to_int64 of a floating-point array");
}

NpyArray parse_npy(std::string_view bytes, const std::string& name) {
  constexpr std::string_view kMagic = "\x93NUMPY";
  auto fail = [&](const std::string& fault) { return DataError(fmt::format("{}: not a usable .npy array: {}", name, fault)); };
  if (bytes.size() < 10 || bytes.substr(0, kMagic.size()) != kMagic) throw fail("no .npy magic (\\x93NUMPY)");
  const int major = static_cast<std::uint8_t>(bytes[6]);
  if (major < 1 || major > 3) throw fail(fmt::format("format version {} (descent reads 1 to 3)", major));
  std::size_t header_length = static_cast<std::uint8_t>(bytes[8]) | static_cast<std::size_t>(static_cast<std::uint8_t>(bytes[9])) << 8;
  std::size_t header_start = 10;
  if (major >= 2) {
    if (bytes.size() < 12) throw fail("the header length is cut short");
    header_length |= static_cast<std::size_t>(static_cast<std::uint8_t>(bytes[10])) << 16 |
                     static_cast<std::size_t>(static_cast<std::uint8_t>(bytes[11])) << 24;
    header_start = 12;
  }
  if (header_length > bytes.size() - header_start) throw fail("the header runs past the end of the file");
  NpyArray array;
  std::string descr;
  bool fortran_order = false;
  HeaderParser(bytes.substr(header_start, header_length), name).parse(descr, fortran_order, array.shape);
  if (fortran_order) throw fail("Fortran order; descent reads C order (numpy.ascontiguousarray before saving)");
  const TypeInfo info = type_of(descr, name);
  array.type = info.type;
  // The element count, checked for overflow, against the bytes that follow the header.
  const std::size_t available = bytes.size() - header_start - header_length;
  std::size_t count = 1;
  for (const std::int64_t d : array.shape) {
    if (d != 0 && count > available / info.size / static_cast<std::size_t>(d)) {
      throw fail(fmt::format("the shape declares more elements than the {} bytes of data hold", available));
    }
    count *= static_cast<std::size_t>(d);
  }
  if (count * info.size != available) {
    throw fail(fmt::format("the shape declares {} bytes of data, the file has {}", count * info.size, available));
  }
  array.data.assign(bytes.substr(header_start + header_length));
  return array;
}

NpyArray read_npy(const std::filesystem::path& path) { return parse_npy(read_file(path), path.string()); }

std::map<std::string, NpyArray> read_npz(const std::filesystem::path& path) {
  const std::string bytes = read_file(path);
  std::map<std::string, NpyArray> arrays;
  for (const ZipEntry& entry : zip_entries(bytes, path.string())) {
    std::string member = entry.name;
    if (member.size() > 4 && member.ends_with(".npy")) member.resize(member.size() - 4);
    const std::string label = fmt::format("{}:{}", path.string(), member);
    arrays[member] = parse_npy(zip_extract(bytes, entry, path.string()), label);
  }
  return arrays;
}

}  // namespace descent::data
