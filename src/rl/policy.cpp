#include "descent/rl/policy.hpp"

#include <cmath>
#include <stdexcept>

namespace descent::rl {
namespace {

torch::nn::Linear orthogonal_linear(std::int64_t in, std::int64_t out, double gain, Rng& rng) {
  torch::nn::Linear layer(torch::nn::LinearOptions(in, out));
  layer->to(torch::kFloat64);
  torch::NoGradGuard no_grad;
  layer->weight.copy_(orthogonal_matrix(out, in, gain, rng));
  layer->bias.zero_();
  return layer;
}

// Tanh hidden layers of the given widths.
torch::nn::Sequential tanh_body(std::int64_t in, const std::vector<std::int64_t>& hidden, Rng& rng) {
  torch::nn::Sequential body;
  for (const std::int64_t width : hidden) {
    body->push_back(orthogonal_linear(in, width, std::sqrt(2.0), rng));
    body->push_back(torch::nn::Tanh());
    in = width;
  }
  return body;
}

std::int64_t last_width(std::int64_t observation_size, const std::vector<std::int64_t>& hidden) {
  return hidden.empty() ? observation_size : hidden.back();
}

}  // namespace

torch::Tensor orthogonal_matrix(std::int64_t rows, std::int64_t columns, double gain, Rng& rng) {
  const bool wide = rows < columns;
  const std::int64_t tall_rows = wide ? columns : rows, tall_columns = wide ? rows : columns;
  torch::Tensor gaussian = torch::empty({tall_rows, tall_columns}, torch::kFloat64);
  double* values = gaussian.data_ptr<double>();
  for (std::int64_t i = 0; i < gaussian.numel(); ++i) values[i] = rng.normal();
  auto [q, r] = torch::linalg_qr(gaussian);
  q = q * torch::sign(torch::diagonal(r));
  return gain * (wide ? q.t() : q).contiguous();
}

PolicyNetworkImpl::PolicyNetworkImpl(std::int64_t observation_size, ActionSpace space, std::vector<std::int64_t> hidden,
                                     std::uint64_t seed, double initial_log_std)
    : space_(space), observation_size_(observation_size), hidden_(hidden) {
  if (!space.discrete() && space.dimension < 1) throw std::invalid_argument("PolicyNetwork: a continuous space needs dimension >= 1");
  const std::int64_t outputs = space.discrete() ? space.actions : space.dimension;
  Rng rng(seed);
  body_ = register_module("body", tanh_body(observation_size, hidden, rng));
  head_ = register_module("head", orthogonal_linear(last_width(observation_size, hidden), outputs, 0.01, rng));
  if (!space.discrete()) log_std_ = register_parameter("log_std", torch::full({outputs}, initial_log_std, torch::kFloat64));
}

torch::Tensor PolicyNetworkImpl::head_output(const torch::Tensor& observations) {
  return head_->forward(body_->is_empty() ? observations : body_->forward(observations));
}

torch::Tensor PolicyNetworkImpl::probabilities(const torch::Tensor& observations) {
  if (!space_.discrete()) throw std::logic_error("PolicyNetwork::probabilities: the action space is continuous");
  return torch::softmax(head_output(observations), 1);
}

ActionDistribution PolicyNetworkImpl::distribution(const torch::Tensor& observations) {
  return {head_output(observations), log_std_, space_.discrete()};
}

torch::Tensor PolicyNetworkImpl::log_prob(const torch::Tensor& observations, const torch::Tensor& actions) {
  return distribution(observations).log_prob(actions);
}

torch::Tensor PolicyNetworkImpl::entropy(const torch::Tensor& observations) { return distribution(observations).entropy(); }

torch::Tensor PolicyNetworkImpl::kl_divergence(PolicyNetworkImpl& reference, const torch::Tensor& observations) {
  return distribution(observations).kl_divergence(reference.distribution(observations));
}

ActionDistribution ActionDistribution::rows(const torch::Tensor& index) const { return {output.index_select(0, index), log_std, discrete}; }

torch::Tensor ActionDistribution::log_prob(const torch::Tensor& actions) const {
  if (discrete) return torch::log_softmax(output, 1).gather(1, actions.unsqueeze(1)).squeeze(1);
  const torch::Tensor z = (actions - output) * torch::exp(-log_std);
  return (-0.5 * z * z - log_std - 0.5 * std::log(2.0 * M_PI)).sum(1);
}

torch::Tensor ActionDistribution::entropy() const {
  if (discrete) {
    const torch::Tensor log_p = torch::log_softmax(output, 1);
    return -(log_p.exp() * log_p).sum(1);
  }
  return (log_std + 0.5 * (1.0 + std::log(2.0 * M_PI))).sum().expand({output.size(0)});
}

torch::Tensor ActionDistribution::kl_divergence(const ActionDistribution& reference) const {
  if (discrete) {
    const torch::Tensor log_p = torch::log_softmax(output, 1), log_q = torch::log_softmax(reference.output, 1);
    return (log_p.exp() * (log_p - log_q)).sum(1);
  }
  const torch::Tensor variance = torch::exp(2.0 * log_std), reference_variance = torch::exp(2.0 * reference.log_std);
  return (reference.log_std - log_std + (variance + (output - reference.output).pow(2)) / (2.0 * reference_variance) - 0.5).sum(1);
}

std::vector<std::vector<double>> PolicyNetworkImpl::sample(const torch::Tensor& observations, Rng& rng) {
  torch::NoGradGuard no_grad;
  const torch::Tensor out = head_output(observations).contiguous();
  const std::int64_t rows = out.size(0), width = out.size(1);
  const double* values = out.data_ptr<double>();
  std::vector<std::vector<double>> actions(static_cast<std::size_t>(rows));
  if (space_.discrete()) {
    const torch::Tensor p = torch::softmax(out, 1).contiguous();
    const double* probability = p.data_ptr<double>();
    for (std::int64_t r = 0; r < rows; ++r) {
      // Inverse transform; the last action takes the round-off so a draw always lands.
      double u = rng.uniform();
      std::int64_t a = 0;
      while (a < width - 1 && u >= probability[r * width + a]) u -= probability[r * width + a++];
      actions[static_cast<std::size_t>(r)] = {static_cast<double>(a)};
    }
    return actions;
  }
  const torch::Tensor std_dev = torch::exp(log_std_).contiguous();
  const double* sigma = std_dev.data_ptr<double>();
  for (std::int64_t r = 0; r < rows; ++r) {
    std::vector<double>& action = actions[static_cast<std::size_t>(r)];
    action.resize(static_cast<std::size_t>(width));
    for (std::int64_t j = 0; j < width; ++j) action[static_cast<std::size_t>(j)] = values[r * width + j] + sigma[j] * rng.normal();
  }
  return actions;
}

std::vector<std::vector<double>> PolicyNetworkImpl::mean_action(const torch::Tensor& observations) {
  torch::NoGradGuard no_grad;
  const torch::Tensor out = head_output(observations);
  const torch::Tensor actions = space_.discrete() ? out.argmax(1, true).to(torch::kFloat64) : out;
  std::vector<std::vector<double>> rows(static_cast<std::size_t>(actions.size(0)));
  for (std::int64_t r = 0; r < actions.size(0); ++r) {
    const torch::Tensor row = actions[r].contiguous();
    rows[static_cast<std::size_t>(r)].assign(row.data_ptr<double>(), row.data_ptr<double>() + row.numel());
  }
  return rows;
}

void PolicyNetworkImpl::copy_from(PolicyNetworkImpl& source) {
  torch::NoGradGuard no_grad;
  const auto mine = parameters(), theirs = source.parameters();
  if (mine.size() != theirs.size()) throw std::invalid_argument("PolicyNetwork::copy_from: the networks differ in shape");
  for (std::size_t i = 0; i < mine.size(); ++i) mine[i].copy_(theirs[i]);
}

PolicyNetwork duplicate(PolicyNetworkImpl& source) {
  PolicyNetwork copy(source.observation_size(), source.action_space(), source.hidden(), 0);
  copy->copy_from(source);
  return copy;
}

ValueNetworkImpl::ValueNetworkImpl(std::int64_t observation_size, std::vector<std::int64_t> hidden, std::uint64_t seed) {
  Rng rng(seed);
  torch::nn::Sequential network = tanh_body(observation_size, hidden, rng);
  network->push_back(orthogonal_linear(last_width(observation_size, hidden), 1, 1.0, rng));
  network_ = register_module("network", network);
}

torch::Tensor ValueNetworkImpl::forward(const torch::Tensor& observations) { return network_->forward(observations).squeeze(1); }

torch::Tensor to_tensor(const std::vector<std::vector<double>>& rows) {
  const std::int64_t n = static_cast<std::int64_t>(rows.size());
  const std::int64_t width = rows.empty() ? 0 : static_cast<std::int64_t>(rows.front().size());
  torch::Tensor tensor = torch::empty({n, width}, torch::kFloat64);
  double* out = tensor.data_ptr<double>();
  for (const std::vector<double>& row : rows) {
    if (static_cast<std::int64_t>(row.size()) != width) throw std::invalid_argument("to_tensor: rows of different widths");
    out = std::copy(row.begin(), row.end(), out);
  }
  return tensor;
}

torch::Tensor actions_tensor(const std::vector<std::vector<double>>& actions, const ActionSpace& space) {
  const torch::Tensor values = to_tensor(actions);
  return space.discrete() ? values.squeeze(1).to(torch::kInt64) : values;
}

}  // namespace descent::rl
