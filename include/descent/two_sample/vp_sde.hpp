// The variance-preserving SDE of score-based diffusion (Song et al., ICLR 2021, score_sde's VPSDE):
//   dx = -1/2 beta(t) x dt + sqrt(beta(t)) dw,  beta(t) = beta_min + t (beta_max - beta_min), t in [0, 1].
// Its forward marginal from x_0 is N(alpha(t) x_0, (1 - alpha(t)^2) I) with
//   log alpha(t) = -1/4 t^2 (beta_max - beta_min) - 1/2 t beta_min.
// Data in [0, 1] enter as 2x - 1 (the caller's step). Free of LibTorch.
#pragma once

namespace descent::two_sample {

struct VpSde {
  double beta_min = 0.1, beta_max = 20.0;  // score_sde's defaults

  double beta(double t) const { return beta_min + t * (beta_max - beta_min); }
  // A template so that a tensor of times (one per row, in score matching) takes the same formula.
  template <class Time>
  Time log_mean_coefficient(const Time& t) const {
    return -0.25 * t * t * (beta_max - beta_min) - 0.5 * t * beta_min;
  }
  double mean_coefficient(double t) const;  // alpha(t)
  double marginal_std(double t) const;      // sqrt(1 - alpha(t)^2)
};

}  // namespace descent::two_sample
