// GP-UCB (Srinivas, Krause, Kakade & Seeger, ICML 2010) for minimization: maximize
//   -(mu(x) - sqrt(beta) sigma(x)),
// the optimistic lower bound of the objective; beta trades exploration against exploitation.
#include <cmath>

#include "descent/tune/acquisition.hpp"

namespace descent::tune {

double UpperConfidenceBound::evaluate(const std::vector<double>& x, std::vector<double>* gradient) const {
  std::vector<double> dm, dv;
  const Prediction p = gradient ? gp_.predict(x, dm, dv) : gp_.predict(x);
  const double sd = std::sqrt(std::max(p.variance, 1e-24)), root_beta = std::sqrt(beta_);
  if (gradient) {
    gradient->resize(x.size());
    for (std::size_t d = 0; d < x.size(); ++d) (*gradient)[d] = -dm[d] + root_beta * dv[d] / (2.0 * sd);
  }
  return -p.mean + root_beta * sd;
}

}  // namespace descent::tune
