// Plain scalar reference loops, one per optimizer, written like the papers' equations (and
// torch's code where the optimizer comes from torch.optim). The fused chains must match them.
// Per-step constants are computed in double and rounded to T once, as the fused path does.
#pragma once

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "descent/core/param_spec.hpp"

namespace descent::testing {

template <class T>
struct ReferenceState {
  std::vector<std::vector<T>> slot;  // per-element state, in the fused chain's slot order
  double scalar = 0.0;               // AdaGrad-Norm's b^2
};

template <class T>
T sign(T x) {
  return static_cast<T>(x > 0) - static_cast<T>(x < 0);
}

// One step of optimizer `name` at 1-based step t with rate lr: updates p and state in place.
template <class T>
void reference_step(const std::string& name, const ParamValues& h, long t, double lr, std::vector<T>& p,
                    const std::vector<T>& g, ReferenceState<T>& st, std::optional<double> loss = std::nullopt) {
  const std::size_t n = p.size();
  auto c = [](double x) { return static_cast<T>(x); };
  auto hv = [&](const char* key) { return h.at(key); };
  // Raw pointers, so that the loops below compile to what a hand-written loop would be.
  T* __restrict P = p.data();
  const T* __restrict G = g.data();
  T* __restrict S0 = nullptr;
  T* __restrict S1 = nullptr;
  T* __restrict S2 = nullptr;
  auto ensure = [&](int slots, double init = 0.0) {
    if (st.slot.empty()) st.slot.assign(static_cast<std::size_t>(slots), std::vector<T>(n, c(init)));
    if (slots > 0) S0 = st.slot[0].data();
    if (slots > 1) S1 = st.slot[1].data();
    if (slots > 2) S2 = st.slot[2].data();
  };
  const T minus_lr = c(-lr);

  if (name == "sgd") {
    const T wd = c(hv("weight_decay")), mu = c(hv("momentum")), keep = c(1.0 - hv("dampening"));
    const bool nesterov = hv("nesterov") != 0.0, momentum = hv("momentum") != 0.0;
    ensure(momentum ? 1 : 0);
    for (std::size_t i = 0; i < n; ++i) {
      T d = G[i] + wd * P[i];
      if (momentum) {
        T& b = S0[i];
        b = t == 1 ? d : mu * b + keep * d;
        d = nesterov ? d + mu * b : b;
      }
      P[i] = P[i] + minus_lr * d;
    }
  } else if (name == "adagrad") {
    ensure(1, hv("initial_accumulator_value"));
    const T wd = c(hv("weight_decay")), eps = c(hv("eps"));
    const T decay = c(1.0 / (1.0 + static_cast<double>(t - 1) * hv("lr_decay")));
    for (std::size_t i = 0; i < n; ++i) {
      const T gi = G[i] + wd * P[i];
      T& s = S0[i];
      s = s + gi * gi;
      P[i] = P[i] + minus_lr * (decay * (gi / (std::sqrt(s) + eps)));
    }
  } else if (name == "adagrad_norm") {
    if (t == 1) st.scalar = hv("b0") * hv("b0");
    double squared = 0.0;
    for (std::size_t i = 0; i < n; ++i) squared += static_cast<double>(G[i]) * static_cast<double>(G[i]);
    st.scalar += squared;  // b_k^2 = b_{k-1}^2 + ||g_k||^2
    const T inverse_b = c(1.0 / std::sqrt(st.scalar));
    for (std::size_t i = 0; i < n; ++i) P[i] = P[i] + minus_lr * (inverse_b * G[i]);
  } else if (name == "adadelta") {
    ensure(2);
    const T rho = c(hv("rho")), one_minus_rho = c(1.0 - hv("rho")), eps = c(hv("eps")), wd = c(hv("weight_decay"));
    for (std::size_t i = 0; i < n; ++i) {
      const T gi = G[i] + wd * P[i];
      T &v = S0[i], &a = S1[i];
      v = rho * v + one_minus_rho * gi * gi;
      const T delta = std::sqrt(a + eps) / std::sqrt(v + eps) * gi;
      a = rho * a + one_minus_rho * delta * delta;
      P[i] = P[i] + minus_lr * delta;
    }
  } else if (name == "rmsprop") {
    const bool centered = hv("centered") != 0.0, momentum = hv("momentum") > 0.0;
    ensure(1 + centered + momentum);
    const T alpha = c(hv("alpha")), one_minus_alpha = c(1.0 - hv("alpha")), eps = c(hv("eps"));
    const T wd = c(hv("weight_decay")), mu = c(hv("momentum"));
    for (std::size_t i = 0; i < n; ++i) {
      const T gi = G[i] + wd * P[i];
      T& v = S0[i];
      v = alpha * v + one_minus_alpha * gi * gi;
      T avg = std::sqrt(v) + eps;
      if (centered) {
        T& mean = S1[i];
        mean = alpha * mean + one_minus_alpha * gi;
        avg = std::sqrt(v - mean * mean) + eps;
      }
      T step = gi / avg;
      if (momentum) {
        T& b = (centered ? S2 : S1)[i];
        b = mu * b + step;
        step = b;
      }
      P[i] = P[i] + minus_lr * step;
    }
  } else if (name == "adam" || name == "adamw" || name == "amsgrad") {
    const bool ams = name == "amsgrad" || hv("amsgrad") != 0.0;
    ensure(ams ? 3 : 2);
    const double bc1 = 1.0 - std::pow(hv("beta1"), static_cast<double>(t));
    const double bc2 = 1.0 - std::pow(hv("beta2"), static_cast<double>(t));
    const T b1 = c(hv("beta1")), b2 = c(hv("beta2")), one_minus_b1 = c(1.0 - hv("beta1")), one_minus_b2 = c(1.0 - hv("beta2"));
    const T eps = c(hv("eps")), wd = c(hv("weight_decay")), inverse_bc1 = c(1.0 / bc1), inverse_sqrt_bc2 = c(1.0 / std::sqrt(bc2));
    const bool decoupled = name == "adamw";
    for (std::size_t i = 0; i < n; ++i) {
      const T gi = decoupled ? G[i] : G[i] + wd * P[i];
      T &m = S0[i], &v = S1[i];
      m = b1 * m + one_minus_b1 * gi;
      v = b2 * v + one_minus_b2 * gi * gi;
      T second = v;
      if (ams) second = S2[i] = std::max(S2[i], v);
      T direction = inverse_bc1 * m / (std::sqrt(second) * inverse_sqrt_bc2 + eps);
      if (decoupled) direction = direction + wd * P[i];
      P[i] = P[i] + minus_lr * direction;
    }
  } else if (name == "diffgrad") {
    const bool published = hv("published") != 0.0;
    ensure(published ? 2 : 3);
    const double scale = std::sqrt(1.0 - std::pow(hv("beta2"), static_cast<double>(t))) /
                         (1.0 - std::pow(hv("beta1"), static_cast<double>(t)));
    const T b1 = c(hv("beta1")), b2 = c(hv("beta2")), one_minus_b1 = c(1.0 - hv("beta1")), one_minus_b2 = c(1.0 - hv("beta2"));
    const T eps = c(hv("eps")), wd = c(hv("weight_decay"));
    for (std::size_t i = 0; i < n; ++i) {
      const T gi = G[i] + wd * P[i];
      T &m = S0[i], &v = S1[i];
      m = b1 * m + one_minus_b1 * gi;
      v = b2 * v + one_minus_b2 * gi * gi;
      // The published code compares with zeros at step 1, then with an alias of g (xi = 0.5).
      const T previous = published ? T(0) : S2[i];
      T xi = published && t > 1 ? T(0.5) : T(1) / (T(1) + std::exp(-std::abs(previous - gi)));  // sigmoid(|g_prev - g|)
      if (!published) S2[i] = gi;
      P[i] = P[i] + minus_lr * (c(scale) * (xi * m / (std::sqrt(v) + eps)));
    }
  } else if (name == "exadam") {
    ensure(2);
    const double td = static_cast<double>(t);
    const double b1_t = std::pow(hv("beta1"), td), b2_t = std::pow(hv("beta2"), td);
    const T growth = c(hv("growing_step") != 0.0 ? std::log(std::sqrt(2.0) * std::sqrt(td + 1.0)) : 1.0);
    const T b1 = c(hv("beta1")), b2 = c(hv("beta2")), one_minus_b1 = c(1.0 - hv("beta1")), one_minus_b2 = c(1.0 - hv("beta2"));
    const T eps = c(hv("eps")), wd = c(hv("weight_decay"));
    for (std::size_t i = 0; i < n; ++i) {
      T &m = S0[i], &v = S1[i];
      m = b1 * m + one_minus_b1 * G[i];
      v = b2 * v + one_minus_b2 * G[i] * G[i];
      const T d1 = T(1) + v / (v + eps) * c(b2_t);
      const T d2 = T(1) + m * m / (m * m + eps) * c(b1_t);
      const T m_tilde = m * c(1.0 / (1.0 - b1_t)) * d1;
      const T v_tilde = v * c(1.0 / (1.0 - b2_t)) * d2;
      const T g_tilde = G[i] * c(1.0 / (1.0 - b1_t)) * d1;
      P[i] = P[i] + minus_lr * (growth * ((m_tilde + g_tilde) / (std::sqrt(v_tilde) + eps)) + wd * P[i]);
    }
  } else if (name == "lion" || name == "lion_l2") {
    ensure(1);
    const T b1 = c(hv("beta1")), b2 = c(hv("beta2")), one_minus_b1 = c(1.0 - hv("beta1")), one_minus_b2 = c(1.0 - hv("beta2"));
    const T wd = c(hv("weight_decay"));
    double squared = 0.0;
    if (name == "lion_l2") {
      const double beta1 = hv("beta1"), one_minus_beta1 = 1.0 - beta1;
      for (std::size_t i = 0; i < n; ++i) {
        const double exact = beta1 * static_cast<double>(S0[i]) + one_minus_beta1 * static_cast<double>(G[i]);
        squared += exact * exact;
      }
    }
    const T inverse_norm = c(squared > 0.0 ? 1.0 / std::sqrt(squared) : 0.0);
    const bool is_lion = name == "lion";
    for (std::size_t i = 0; i < n; ++i) {
      const T interpolated = b1 * S0[i] + one_minus_b1 * G[i];
      const T direction = is_lion ? sign(interpolated) : interpolated * inverse_norm;
      P[i] = P[i] + minus_lr * (direction + wd * P[i]);
      S0[i] = b2 * S0[i] + one_minus_b2 * G[i];
    }
  } else if (name == "normalized_gd" || name == "loss_normalized_gd") {
    double scale = 0.0;
    if (name == "normalized_gd") {
      double squared = 0.0;
      for (std::size_t i = 0; i < n; ++i) squared += static_cast<double>(G[i]) * static_cast<double>(G[i]);
      scale = squared > 0.0 ? 1.0 / std::sqrt(squared) : 0.0;
    } else {
      scale = 1.0 / loss.value();
    }
    for (std::size_t i = 0; i < n; ++i) P[i] = P[i] + minus_lr * (c(scale) * G[i]);
  } else if (name == "adabelief") {
    ensure(2);
    const double bc1 = 1.0 - std::pow(hv("beta1"), static_cast<double>(t));
    const double bc2 = 1.0 - std::pow(hv("beta2"), static_cast<double>(t));
    const T b1 = c(hv("beta1")), b2 = c(hv("beta2")), one_minus_b1 = c(1.0 - hv("beta1")), one_minus_b2 = c(1.0 - hv("beta2"));
    const T eps = c(hv("eps")), wd = c(hv("weight_decay")), inverse_bc1 = c(1.0 / bc1), inverse_sqrt_bc2 = c(1.0 / std::sqrt(bc2));
    const bool decoupled = hv("weight_decouple") != 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const T gi = decoupled ? G[i] : G[i] + wd * P[i];
      T &m = S0[i], &s = S1[i];
      m = b1 * m + one_minus_b1 * gi;
      s = b2 * s + one_minus_b2 * (gi - m) * (gi - m) + eps;  // the official code adds eps to s in place
      T direction = inverse_bc1 * m / (std::sqrt(s) * inverse_sqrt_bc2 + eps);
      if (decoupled) direction = direction + wd * P[i];
      P[i] = P[i] + minus_lr * direction;
    }
  } else if (name == "lamb") {
    // One tensor: the trust ratio ||p|| / ||r|| over all of p (call once per tensor).
    ensure(2);
    const double bc1 = 1.0 - std::pow(hv("beta1"), static_cast<double>(t));
    const double bc2 = 1.0 - std::pow(hv("beta2"), static_cast<double>(t));
    const T b1 = c(hv("beta1")), b2 = c(hv("beta2")), one_minus_b1 = c(1.0 - hv("beta1")), one_minus_b2 = c(1.0 - hv("beta2"));
    const T eps = c(hv("eps")), wd = c(hv("weight_decay")), inverse_bc1 = c(1.0 / bc1), inverse_sqrt_bc2 = c(1.0 / std::sqrt(bc2));
    std::vector<T> r(n);
    double p_squared = 0.0, r_squared = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      T &m = S0[i], &v = S1[i];
      m = b1 * m + one_minus_b1 * G[i];
      v = b2 * v + one_minus_b2 * G[i] * G[i];
      r[i] = inverse_bc1 * m / (std::sqrt(v) * inverse_sqrt_bc2 + eps) + wd * P[i];
      p_squared += static_cast<double>(P[i]) * static_cast<double>(P[i]);
      r_squared += static_cast<double>(r[i]) * static_cast<double>(r[i]);
    }
    const T ratio = c(p_squared > 0.0 && r_squared > 0.0 ? std::sqrt(p_squared) / std::sqrt(r_squared) : 1.0);
    for (std::size_t i = 0; i < n; ++i) P[i] = P[i] + minus_lr * (ratio * r[i]);
  } else if (name == "sign_sgd") {
    const T wd = c(hv("weight_decay"));
    for (std::size_t i = 0; i < n; ++i) P[i] = P[i] + minus_lr * sign(G[i] + wd * P[i]);
  } else {
    throw std::invalid_argument("no reference loop for " + name);
  }
}

}  // namespace descent::testing
