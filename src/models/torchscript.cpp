#include "descent/models/torchscript.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "descent/core/error.hpp"

namespace descent::models {
namespace {

std::string module_name(std::string dotted) {
  std::replace(dotted.begin(), dotted.end(), '.', '_');
  return dotted;
}

}  // namespace

TorchScript::TorchScript(const std::string& path, const std::vector<std::int64_t>& sample_shape, std::int64_t outputs) {
  try {
    module = torch::jit::load(path);
  } catch (const c10::Error& error) {
    throw DataError(fmt::format("{}: not a TorchScript module (torch.jit.script(model).save(path) writes one): {}", path,
                                error.what_without_backtrace()));
  }
  for (const auto& parameter : module.named_parameters(/*recurse=*/true)) {
    register_parameter(module_name(parameter.name), parameter.value);  // trainable: a loaded module may not say so
  }
  for (const auto& buffer : module.named_buffers(/*recurse=*/true)) register_buffer(module_name(buffer.name), buffer.value);
  if (parameters().empty()) throw DataError(fmt::format("{}: the module has no parameters to train", path));

  std::vector<std::int64_t> batch_shape{1};
  batch_shape.insert(batch_shape.end(), sample_shape.begin(), sample_shape.end());
  torch::Tensor output;
  try {
    torch::NoGradGuard no_grad;
    module.eval();
    output = forward(torch::zeros(batch_shape));
    module.train();
  } catch (const std::exception& error) {
    throw DataError(fmt::format("{}: forward fails on a batch of shape ({}): {}", path, fmt::join(batch_shape, ", "),
                                error.what()));
  }
  if (output.dim() != 2 || output.size(0) != 1 || output.size(1) != outputs) {
    throw DataError(fmt::format("{}: returns shape ({}) for a batch of one; the data needs (1, {})", path,
                                fmt::join(output.sizes(), ", "), outputs));
  }
}

torch::Tensor TorchScript::forward(torch::Tensor x) {
  const c10::IValue output = module.forward({std::move(x)});
  if (!output.isTensor()) throw DataError("the TorchScript module's forward returns something other than one tensor");
  return output.toTensor();
}

void TorchScript::train(bool on) {
  torch::nn::Module::train(on);
  module.train(on);
}

}  // namespace descent::models
