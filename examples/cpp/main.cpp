// fastsoftmax from C++: softmax and log-softmax of a float64 row held in a
// std::vector, printed one result per line.
//
// Build against an installed fastsoftmax (see examples/README.md):
//   CMake:      cmake -S . -B build -DCMAKE_PREFIX_PATH=<prefix> && cmake --build build
//   pkg-config: c++ -std=c++11 main.cpp $(pkg-config --cflags --libs fastsoftmax) -o softmax_cpp
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include <fastsoftmax.h>

namespace {

void check(fsm_status status, const char *what) {
  if (status != FSM_OK) throw std::runtime_error(std::string(what) + ": " + fsm_status_string(status));
}

}  // namespace

int main() {
  const std::vector<double> x = {0.5, -2.0, 3.25, 1.0, 0.0};
  std::vector<double> y(x.size()), log_y(x.size());
  try {
    // one row of x.size() elements; the stride is irrelevant for one row
    check(fsm_softmax_f64(1, x.size(), x.data(), x.size(), y.data(), y.size(),
                          FSM_ALGORITHM_TWO_PASS),
          "fsm_softmax_f64");
    check(fsm_log_softmax_f64(1, x.size(), x.data(), x.size(), log_y.data(), log_y.size(),
                              FSM_ALGORITHM_AUTO),
          "fsm_log_softmax_f64");
  } catch (const std::exception &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  std::printf("# fastsoftmax %s\n", fsm_version());
  for (std::size_t i = 0; i < x.size(); i++) std::printf("%.17g %.17g\n", y[i], log_y[i]);
  return 0;
}
