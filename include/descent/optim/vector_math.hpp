// exp(-a) for a >= 0 (callers pass a magnitude) in plain arithmetic, so that loops calling it vectorize (a call to libm's exp
// stops the vectorizer; glibc's vector exp needs -ffast-math). Cody-Waite reduction
// a = n ln 2 + r, |r| <= ln 2 / 2, then exp(r) by the Cephes library's approximations: a degree-5
// polynomial for float (expf) and a Pade form for double (exp); 2^n is built in the exponent bits.
// Round to nearest is the magic-constant trick (add 1.5 * 2^(mantissa bits), read n from the low
// bits), which needs no float-to-integer conversion and so vectorizes at every width.
// Accuracy: within 2 ulp of std::exp while the result is a normal number (tests/test_vector_math.cpp
// measures it). a is clamped where 2^n would leave the normal range, so results there are 0 or a
// subnormal; +inf gives 0, and so does NaN (callers' other terms carry a NaN on). The clamp
// compares a's bits as integers (for a >= 0 their order is the numbers' order): GCC turns a float
// min or select here into a branch, and a loop with a branch does not vectorize.
#pragma once

#include <bit>
#include <cstdint>
#include <type_traits>

namespace descent::optim {

[[gnu::always_inline]] inline float negative_exp(float a) {
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23
  // At a = 88, n = -127: a zero exponent field, exp = 0.
  const auto bits = std::bit_cast<std::uint32_t>(a), limit = std::bit_cast<std::uint32_t>(88.0f);
  const float x = -std::bit_cast<float>(bits < limit ? bits : limit);
  const float shifted = x * 1.44269504088896341f + kMagic;
  const float n = shifted - kMagic;
  const auto exponent = std::bit_cast<std::uint32_t>(shifted) - std::bit_cast<std::uint32_t>(kMagic);  // n, two's complement
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * (r * r) + r + 1.0f;
  return y * std::bit_cast<float>((exponent + 127u) << 23);
}

[[gnu::always_inline]] inline double negative_exp(double a) {
  constexpr double kMagic = 6755399441055744.0;  // 1.5 * 2^52
  // At a = 709, n = -1023: a zero exponent field, exp = 0.
  const auto bits = std::bit_cast<std::int64_t>(a), limit = std::bit_cast<std::int64_t>(709.0);
  const double x = -std::bit_cast<double>(bits < limit ? bits : limit);
  const double shifted = x * 1.4426950408889634073599 + kMagic;
  const double n = shifted - kMagic;
  const auto exponent = std::bit_cast<std::uint64_t>(shifted) - std::bit_cast<std::uint64_t>(kMagic);
  double r = x - n * 6.93145751953125e-1;
  r = r - n * 1.42860682030941723212e-6;
  const double rr = r * r;
  const double px = r * ((1.26177193074810590878e-4 * rr + 3.02994407707441961300e-2) * rr + 9.99999999999999999910e-1);
  const double q = ((3.00198505138664455042e-6 * rr + 2.52448340349684104192e-3) * rr + 2.27265548208155028766e-1) * rr + 2.00000000000000000009e0;
  const double y = 1.0 + 2.0 * (px / (q - px));
  return y * std::bit_cast<double>((exponent + 1023u) << 52);
}

}  // namespace descent::optim
