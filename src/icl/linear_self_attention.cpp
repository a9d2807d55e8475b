#include "descent/icl/linear_self_attention.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "descent/core/error.hpp"

namespace descent::icl {

LinearSelfAttentionLayer::LinearSelfAttentionLayer(std::int64_t token_dimension, double init_scale, torch::Generator& generator) {
  const auto draw = [&](const char* name) {
    return register_parameter(name, init_scale * torch::randn({token_dimension, token_dimension}, generator, torch::kFloat64));
  };
  key = draw("key");
  query = draw("query");
  value = draw("value");
  projection = draw("projection");
}

namespace {

// attended_j = M q_j with the memory M = (1/n) sum_i v_i k_i^T, per prompt, forward and backward in
// plain loops. Linear attention needs no n x n scores: sum_i v_i (k_i . q_j) = (sum_i v_i k_i^T) q_j.
// Written by hand because LibTorch 1.13 runs a batch of 11 x 11 products as one BLAS call per
// prompt (and broadcast-and-sum forms move {B, n, D, D} temporaries): about 4x slower per step.
struct LinearAttention : torch::autograd::Function<LinearAttention> {
  template <class T>
  static void memory(const T* keys, const T* values, T* out, std::int64_t batch, std::int64_t n, std::int64_t dim) {
    const T scale = T(1) / static_cast<T>(n);
    for (std::int64_t b = 0; b < batch; ++b) {
      T* m = out + b * dim * dim;
      std::fill(m, m + dim * dim, T(0));
      for (std::int64_t i = 0; i < n; ++i) {
        const T* v = values + (b * n + i) * dim;
        const T* k = keys + (b * n + i) * dim;
        for (std::int64_t r = 0; r < dim; ++r) {
          for (std::int64_t c = 0; c < dim; ++c) m[r * dim + c] += v[r] * k[c];
        }
      }
      for (std::int64_t e = 0; e < dim * dim; ++e) m[e] *= scale;
    }
  }

  // out[b, j] = A[b] x[b, j] (transpose: A[b]^T x[b, j]) for A {B, D, D} and x {B, T, D}.
  template <class T>
  static void multiply(const T* a, const T* x, T* out, std::int64_t batch, std::int64_t tokens, std::int64_t dim, bool transpose) {
    for (std::int64_t b = 0; b < batch; ++b) {
      const T* m = a + b * dim * dim;
      for (std::int64_t j = 0; j < tokens; ++j) {
        const T* in = x + (b * tokens + j) * dim;
        T* o = out + (b * tokens + j) * dim;
        for (std::int64_t r = 0; r < dim; ++r) {
          T sum = 0;
          for (std::int64_t c = 0; c < dim; ++c) sum += (transpose ? m[c * dim + r] : m[r * dim + c]) * in[c];
          o[r] = sum;
        }
      }
    }
  }

  static torch::Tensor forward(torch::autograd::AutogradContext* context, const torch::Tensor& keys, const torch::Tensor& values,
                               const torch::Tensor& queries) {
    const torch::Tensor k = keys.contiguous(), v = values.contiguous(), q = queries.contiguous();
    const std::int64_t batch = k.size(0), n = k.size(1), dim = k.size(2), tokens = q.size(1);
    torch::Tensor memory_tensor = torch::empty({batch, dim, dim}, k.options());
    torch::Tensor attended = torch::empty_like(q);
    AT_DISPATCH_FLOATING_TYPES(k.scalar_type(), "linear_attention", [&] {
      memory(k.data_ptr<scalar_t>(), v.data_ptr<scalar_t>(), memory_tensor.data_ptr<scalar_t>(), batch, n, dim);
      multiply(memory_tensor.data_ptr<scalar_t>(), q.data_ptr<scalar_t>(), attended.data_ptr<scalar_t>(), batch, tokens, dim, false);
    });
    context->save_for_backward({k, v, q, memory_tensor});
    return attended;
  }

  // With G = dL/d attended: dL/dM = sum_j G_j q_j^T, dL/dq_j = M^T G_j, dL/dv_i = (1/n) dM k_i,
  // dL/dk_i = (1/n) dM^T v_i.
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* context, torch::autograd::tensor_list outputs) {
    const auto saved = context->get_saved_variables();
    const torch::Tensor &k = saved[0], &v = saved[1], &q = saved[2], &memory_tensor = saved[3];
    const torch::Tensor g = outputs[0].contiguous();
    const std::int64_t batch = k.size(0), n = k.size(1), dim = k.size(2), tokens = q.size(1);
    torch::Tensor grad_k = torch::empty_like(k), grad_v = torch::empty_like(v), grad_q = torch::empty_like(q);
    torch::Tensor grad_memory = torch::empty_like(memory_tensor);
    AT_DISPATCH_FLOATING_TYPES(k.scalar_type(), "linear_attention_backward", [&] {
      // dL/dM via memory(): (1/tokens) sum_j G_j q_j^T, rescaled to the plain sum and by 1/n at once.
      memory(q.data_ptr<scalar_t>(), g.data_ptr<scalar_t>(), grad_memory.data_ptr<scalar_t>(), batch, tokens, dim);
      grad_memory.mul_(static_cast<double>(tokens) / static_cast<double>(n));
      multiply(memory_tensor.data_ptr<scalar_t>(), g.data_ptr<scalar_t>(), grad_q.data_ptr<scalar_t>(), batch, tokens, dim, true);
      multiply(grad_memory.data_ptr<scalar_t>(), k.data_ptr<scalar_t>(), grad_v.data_ptr<scalar_t>(), batch, n, dim, false);
      multiply(grad_memory.data_ptr<scalar_t>(), v.data_ptr<scalar_t>(), grad_k.data_ptr<scalar_t>(), batch, n, dim, true);
    });
    return {grad_k, grad_v, grad_q};
  }
};

}  // namespace

torch::Tensor LinearSelfAttentionLayer::forward(const torch::Tensor& tokens) const {
  const std::int64_t n = tokens.size(1) - 1;
  const torch::Tensor context = tokens.slice(1, 0, n);
  const torch::Tensor keys = torch::matmul(context, key.t());      // {B, n, D}
  const torch::Tensor values = torch::matmul(context, value.t());  // {B, n, D}
  const torch::Tensor queries = torch::matmul(tokens, query.t());  // {B, n + 1, D}
  return tokens + torch::matmul(LinearAttention::apply(keys, values, queries), projection.t());
}

LinearSelfAttention::LinearSelfAttention(std::int64_t dimension, std::int64_t layer_count, double init_scale,
                                         torch::Generator& generator) {
  for (std::int64_t l = 0; l < layer_count; ++l) {
    layers.push_back(register_module(fmt::format("layer{}", l), std::make_shared<LinearSelfAttentionLayer>(dimension + 1, init_scale, generator)));
  }
}

torch::Tensor LinearSelfAttention::forward(torch::Tensor tokens) const {
  for (const auto& layer : layers) tokens = layer->forward(tokens);
  return tokens;
}

namespace {
torch::Tensor read_prediction(const torch::Tensor& tokens) { return -tokens.select(1, tokens.size(1) - 1).select(1, tokens.size(2) - 1); }
}  // namespace

torch::Tensor LinearSelfAttention::predict(const Prompts& prompts) const { return read_prediction(forward(tokens(prompts))); }

torch::Tensor LinearSelfAttention::predictions_per_layer(const Prompts& prompts) const {
  torch::Tensor state = tokens(prompts);
  std::vector<torch::Tensor> per_layer;
  for (const auto& layer : layers) {
    state = layer->forward(state);
    per_layer.push_back(read_prediction(state));
  }
  return torch::stack(per_layer);
}

void construct_gradient_descent(LinearSelfAttention& model, const std::vector<double>& eta, const std::vector<double>& gamma) {
  if (eta.size() != model.layers.size() || gamma.size() != model.layers.size()) {
    throw ConfigError(fmt::format("{} layers need as many step sizes and corrections ({} and {} given)", model.layers.size(),
                                  eta.size(), gamma.size()));
  }
  torch::NoGradGuard no_grad;
  for (std::size_t l = 0; l < model.layers.size(); ++l) {
    auto& layer = *model.layers[l];
    const std::int64_t d = layer.key.size(0) - 1;
    torch::Tensor inputs_only = torch::zeros({d + 1, d + 1}, torch::kFloat64);
    inputs_only.slice(0, 0, d).slice(1, 0, d) = torch::eye(d, torch::kFloat64);
    layer.key.copy_(inputs_only);
    layer.query.copy_(inputs_only);
    layer.value.copy_(-inputs_only * (gamma[l] != 0.0 ? 1.0 : 0.0));
    layer.value[d][d] = -1.0;
    layer.projection.copy_(inputs_only * gamma[l]);
    layer.projection[d][d] = eta[l];
  }
}

}  // namespace descent::icl
