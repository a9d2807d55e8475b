// The small vocabulary of tuning (directions, kernels, acquisitions), apart from the headers that
// need Eigen, so that configs can name them.
#pragma once

namespace descent::tune {

enum class Direction { minimize, maximize };
enum class Kernel { matern52, squared_exponential };
enum class AcquisitionKind { ei, ucb, kg };  // log expected improvement, upper confidence bound, knowledge gradient

}  // namespace descent::tune
