// fastsoftmax._core: thin pybind11 glue over the C API. No math here: it
// checks that the arrays are the 2-D "rows x cols, unit inner stride" views
// the C API takes, releases the GIL and calls fsm_*. Shapes, axes, dtypes
// and out= are handled (and documented) in python/fastsoftmax/__init__.py.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "fastsoftmax.h"
// The kernel enumerator's names (csrc/src/dispatch.c; linked statically).
extern const char *const fsm_kernel_names[];
extern const char *const fsm_training_kernel_names[];
}

namespace py = pybind11;

namespace {

[[noreturn]] void raise_status(fsm_status status, const char *what) {
  std::string message = std::string(what) + ": " + fsm_status_string(status);
  if (status == FSM_UNKNOWN_ISA || status == FSM_UNSUPPORTED_ISA) {
    if (fsm_environment_status() != FSM_OK) {
      const char *env = std::getenv("FASTSOFTMAX_ISA");
      message = std::string(what) + ": the environment variable FASTSOFTMAX_ISA='" +
                (env ? env : "") + "' " +
                (status == FSM_UNKNOWN_ISA ? "is not an ISA name" : "asks for an ISA this CPU lacks") +
                " (available: see fastsoftmax.available_isas())";
      throw std::runtime_error(message);
    }
    throw py::value_error(message);
  }
  if (status == FSM_UNKNOWN_ALGORITHM || status == FSM_INVALID_ARGUMENT ||
      status == FSM_TARGET_OUT_OF_RANGE ||
      status == FSM_INVALID_STRIDE || status == FSM_SIZE_OVERFLOW)
    throw py::value_error(message);
  throw std::runtime_error(message);
}

// Views an N-d array (N >= 1) whose last axis is the row as rows x cols
// with a row stride in elements: possible when the last axis has unit
// stride and the leading axes collapse into one with a stride >= cols.
bool collapse_rows(const py::array &a, size_t &rows, size_t &stride) {
  const py::ssize_t ndim = a.ndim(), item = a.itemsize();
  const py::ssize_t cols = a.shape(ndim - 1);
  if (cols > 1 && a.strides(ndim - 1) != item) return false;
  py::ssize_t n_rows = 1, row_bytes = cols * item, prev_stride = -1, prev_extent = 0;
  bool first = true;
  for (py::ssize_t d = ndim - 2; d >= 0; d--) {  // innermost leading axis first
    const py::ssize_t n = a.shape(d), st = a.strides(d);
    n_rows *= n;
    if (n == 1) continue;
    if (first) {
      row_bytes = st;
      first = false;
    } else if (st != prev_stride * prev_extent) {
      return false;
    }
    prev_stride = st;
    prev_extent = n;
  }
  rows = static_cast<size_t>(n_rows);
  if (rows > 1 && (row_bytes < cols * item || row_bytes % item != 0)) return false;
  stride = rows > 1 ? static_cast<size_t>(row_bytes / item) : static_cast<size_t>(cols);
  return true;
}

template <typename T>
using kernel_fn = fsm_status (*)(size_t, size_t, const T *, size_t, T *, size_t, fsm_algorithm);

// Calls the C kernel for dtype number `num` with the GIL released.
void call(int num, size_t rows, size_t cols, const void *x, size_t xs, void *y, size_t ys,
          int algorithm, bool log) {
  const char *what = log ? "log_softmax" : "softmax";
  fsm_status status;
  if (num == py::detail::npy_api::NPY_FLOAT_) {
    kernel_fn<float> fn = log ? fsm_log_softmax_f32 : fsm_softmax_f32;
    py::gil_scoped_release release;
    status = fn(rows, cols, static_cast<const float *>(x), xs, static_cast<float *>(y), ys,
                static_cast<fsm_algorithm>(algorithm));
  } else if (num == py::detail::npy_api::NPY_DOUBLE_) {
    kernel_fn<double> fn = log ? fsm_log_softmax_f64 : fsm_softmax_f64;
    py::gil_scoped_release release;
    status = fn(rows, cols, static_cast<const double *>(x), xs, static_cast<double *>(y), ys,
                static_cast<fsm_algorithm>(algorithm));
  } else {
    throw py::type_error("x must be float32 or float64");
  }
  if (status != FSM_OK) raise_status(status, what);
}

// softmax / log_softmax along the last axis of x into out (same shape and
// dtype, native float32/float64, checked by the Python layer), both viewed
// as rows with collapse_rows. Returns false, computing nothing, when either
// cannot be viewed that way; the caller then copies.
bool rowwise(const py::array &x, py::array &out, int algorithm, bool log) {
  size_t rows, xs, out_rows, ys;
  if (!collapse_rows(x, rows, xs) || !collapse_rows(out, out_rows, ys)) return false;
  if (!out.writeable()) throw py::value_error("out is read-only");
  call(x.dtype().num(), rows, static_cast<size_t>(x.shape(x.ndim() - 1)), x.data(), xs,
       out.mutable_data(), ys, algorithm, log);
  return true;
}

bool is_float_row_major(const py::array &a) {
  const int num = a.dtype().num();
  const char order = a.dtype().byteorder();
  return (num == py::detail::npy_api::NPY_FLOAT_ || num == py::detail::npy_api::NPY_DOUBLE_) &&
         (order == '=' || order == '|') && (a.flags() & py::array::c_style) != 0;
}

// The fast path for the common call: C-contiguous native float x, softmax
// over its last axis, out None (allocated here) or a C-contiguous array of
// x's shape and dtype. Returns None when the call is anything else: the
// Python layer then validates, reports errors and handles the general case.
py::object try_rowwise_contiguous(const py::array &x, py::ssize_t axis, py::object out_obj,
                                  int algorithm, bool log) {
  const py::ssize_t ndim = x.ndim();
  if (ndim < 1 || (axis != -1 && axis != ndim - 1) || !is_float_row_major(x)) return py::none();
  py::array out;
  if (out_obj.is_none()) {
    out = py::array(x.dtype(), std::vector<py::ssize_t>(x.shape(), x.shape() + ndim));
  } else {
    if (!py::isinstance<py::array>(out_obj)) return py::none();
    out = out_obj.cast<py::array>();
    if (!is_float_row_major(out) || out.dtype().num() != x.dtype().num() || out.ndim() != ndim ||
        !std::equal(x.shape(), x.shape() + ndim, out.shape()) || !out.writeable())
      return py::none();
  }
  const size_t cols = static_cast<size_t>(x.shape(ndim - 1));
  const size_t rows = cols == 0 ? 0 : static_cast<size_t>(x.size()) / cols;
  const char *xb = static_cast<const char *>(x.data());
  char *ob = static_cast<char *>(out.mutable_data());
  const py::ssize_t bytes = x.nbytes();
  py::array copy;
  if (xb != ob && xb < ob + bytes && ob < xb + bytes) {  // partial overlap: work on a copy
    copy = py::array(x.dtype(), std::vector<py::ssize_t>(x.shape(), x.shape() + ndim));
    std::memcpy(copy.mutable_data(), xb, static_cast<size_t>(bytes));
    xb = static_cast<const char *>(copy.data());
  }
  call(x.dtype().num(), rows, cols, xb, cols, ob, cols, algorithm, log);
  return std::move(out);
}

fsm_isa isa_from_name(const std::string &name) {
  fsm_isa isa;
  if (fsm_isa_from_name(name.c_str(), &isa) != FSM_OK)
    throw py::value_error("unknown ISA '" + name + "'; expected one of auto, scalar, avx2, avx512, neon");
  return isa;
}


// ---- training functions: 2-D C-contiguous arrays prepared (moved axis,
// copied, validated with messages naming the argument) by the Python layer;
// checked again here so that no call can read or write out of bounds.

constexpr int kFloat = py::detail::npy_api::NPY_FLOAT_;
constexpr int kDouble = py::detail::npy_api::NPY_DOUBLE_;

void check_2d(const py::array &a, const char *name, int num, py::ssize_t rows, py::ssize_t cols,
              bool write) {
  if (a.ndim() != 2 || a.shape(0) != rows || a.shape(1) != cols)
    throw py::value_error(std::string(name) + ": expected a 2-D array of the logits' shape");
  if (a.dtype().num() != num || !(a.flags() & py::array::c_style))
    throw py::type_error(std::string(name) + ": expected a C-contiguous array of the logits' dtype");
  if (write && !a.writeable()) throw py::value_error(std::string(name) + " is read-only");
}

int float_num(const py::array &x) {
  if (x.ndim() != 2) throw py::value_error("x: expected a 2-D array");
  const int num = x.dtype().num();
  if ((num != kFloat && num != kDouble) || !(x.flags() & py::array::c_style))
    throw py::type_error("x: expected a C-contiguous float32 or float64 array");
  return num;
}

template <typename T>
const T *cptr(const py::array &a) { return static_cast<const T *>(a.data()); }
template <typename T>
T *mptr(py::array &a) { return static_cast<T *>(a.mutable_data()); }

const int64_t *targets_ptr(const py::array &t, py::ssize_t rows) {
  if (t.ndim() != 1 || t.shape(0) != rows || t.dtype().num() != py::dtype::of<int64_t>().num() ||
      !(t.flags() & py::array::c_style))
    throw py::value_error("targets: expected a contiguous int64 array with one entry per row");
  return static_cast<const int64_t *>(t.data());
}

void vjp(const std::string &kind, const py::array &a, const py::array &b, py::array &out) {
  const int num = float_num(a);
  const py::ssize_t rows = a.shape(0), cols = a.shape(1);
  check_2d(b, "the upstream gradient", num, rows, cols, false);
  check_2d(out, "out", num, rows, cols, true);
  const bool log = kind == "log_softmax";
  if (!log && kind != "softmax") throw py::value_error("unknown VJP " + kind);
  fsm_status status;
  const size_t r = static_cast<size_t>(rows), c = static_cast<size_t>(cols);
  if (num == kFloat) {
    const float *pa = cptr<float>(a), *pb = cptr<float>(b);
    float *po = mptr<float>(out);
    py::gil_scoped_release release;
    status = (log ? fsm_log_softmax_backward_f32 : fsm_softmax_backward_f32)(r, c, pa, c, pb, c, po, c);
  } else {
    const double *pa = cptr<double>(a), *pb = cptr<double>(b);
    double *po = mptr<double>(out);
    py::gil_scoped_release release;
    status = (log ? fsm_log_softmax_backward_f64 : fsm_softmax_backward_f64)(r, c, pa, c, pb, c, po, c);
  }
  if (status != FSM_OK) raise_status(status, (kind + "_backward").c_str());
}

void map(const std::string &kind, const py::array &x, py::array &out, double eps) {
  const int num = float_num(x);
  const size_t r = static_cast<size_t>(x.shape(0)), c = static_cast<size_t>(x.shape(1));
  check_2d(out, "out", num, x.shape(0), x.shape(1), true);
  fsm_status status = FSM_INVALID_ARGUMENT;
  if (num == kFloat) {
    const float *px = cptr<float>(x);
    float *py_ = mptr<float>(out);
    py::gil_scoped_release release;
    if (kind == "spherical_softmax") status = fsm_spherical_softmax_f32(r, c, px, c, py_, c, eps);
    else if (kind == "log_spherical_softmax") status = fsm_log_spherical_softmax_f32(r, c, px, c, py_, c, eps);
    else if (kind == "taylor_softmax") status = fsm_taylor_softmax_f32(r, c, px, c, py_, c);
    else if (kind == "log_taylor_softmax") status = fsm_log_taylor_softmax_f32(r, c, px, c, py_, c);
    else if (kind == "stablemax") status = fsm_stablemax_f32(r, c, px, c, py_, c);
    else if (kind == "log_stablemax") status = fsm_log_stablemax_f32(r, c, px, c, py_, c);
  } else {
    const double *px = cptr<double>(x);
    double *py_ = mptr<double>(out);
    py::gil_scoped_release release;
    if (kind == "spherical_softmax") status = fsm_spherical_softmax_f64(r, c, px, c, py_, c, eps);
    else if (kind == "log_spherical_softmax") status = fsm_log_spherical_softmax_f64(r, c, px, c, py_, c, eps);
    else if (kind == "taylor_softmax") status = fsm_taylor_softmax_f64(r, c, px, c, py_, c);
    else if (kind == "log_taylor_softmax") status = fsm_log_taylor_softmax_f64(r, c, px, c, py_, c);
    else if (kind == "stablemax") status = fsm_stablemax_f64(r, c, px, c, py_, c);
    else if (kind == "log_stablemax") status = fsm_log_stablemax_f64(r, c, px, c, py_, c);
  }
  if (status != FSM_OK) raise_status(status, kind.c_str());
}

template <typename T>
fsm_status call_int_loss(const std::string &kind, size_t r, size_t c, const T *x,
                         const int64_t *t, int64_t ignore, double p1, double p2, double p3,
                         double g, T *loss, T *dx);

#define FSM_INT_LOSS_CALLS(T, SFX)                                                            \
  template <>                                                                                 \
  fsm_status call_int_loss<T>(const std::string &kind, size_t r, size_t c, const T *x,        \
                              const int64_t *t, int64_t ignore, double p1, double p2,         \
                              double p3, double g, T *loss, T *dx) {                          \
    if (kind == "cross_entropy")                                                              \
      return fsm_cross_entropy_##SFX(r, c, x, c, t, ignore, p1, g, loss, dx, c);              \
    if (kind == "log_spherical_loss")                                                         \
      return fsm_log_spherical_loss_##SFX(r, c, x, c, t, ignore, p1, g, loss, dx, c);         \
    if (kind == "log_taylor_loss")                                                            \
      return fsm_log_taylor_loss_##SFX(r, c, x, c, t, ignore, g, loss, dx, c);                \
    if (kind == "z_loss")                                                                     \
      return fsm_z_loss_##SFX(r, c, x, c, t, ignore, p1, p2, p3, g, loss, dx, c);             \
    if (kind == "stablemax_cross_entropy")                                                    \
      return fsm_stablemax_cross_entropy_##SFX(r, c, x, c, t, ignore, g, loss, dx, c);        \
    return FSM_INVALID_ARGUMENT;                                                              \
  }
FSM_INT_LOSS_CALLS(float, f32)
FSM_INT_LOSS_CALLS(double, f64)

// loss[r] for every row (and the gradient into dx unless it is None).
void int_loss(const std::string &kind, const py::array &x, const py::array &targets,
              int64_t ignore_index, double p1, double p2, double p3, double grad_scale,
              py::array &loss, py::object dx_obj) {
  const int num = float_num(x);
  const py::ssize_t rows = x.shape(0), cols = x.shape(1);
  const int64_t *t = targets_ptr(targets, rows);
  if (loss.ndim() != 1 || loss.shape(0) != rows || loss.dtype().num() != num ||
      !(loss.flags() & py::array::c_style) || !loss.writeable())
    throw py::value_error("loss buffer: expected a writeable contiguous array, one entry per row");
  py::array dx;
  const bool grad = !dx_obj.is_none();
  if (grad) {
    dx = dx_obj.cast<py::array>();
    check_2d(dx, "grad buffer", num, rows, cols, true);
  }
  const size_t r = static_cast<size_t>(rows), c = static_cast<size_t>(cols);
  fsm_status status;
  if (num == kFloat) {
    const float *px = cptr<float>(x);
    float *pl = mptr<float>(loss), *pd = grad ? mptr<float>(dx) : nullptr;
    py::gil_scoped_release release;
    status = call_int_loss<float>(kind, r, c, px, t, ignore_index, p1, p2, p3, grad_scale, pl, pd);
  } else {
    const double *px = cptr<double>(x);
    double *pl = mptr<double>(loss), *pd = grad ? mptr<double>(dx) : nullptr;
    py::gil_scoped_release release;
    status = call_int_loss<double>(kind, r, c, px, t, ignore_index, p1, p2, p3, grad_scale, pl, pd);
  }
  if (status != FSM_OK) raise_status(status, kind.c_str());
}

void soft_cross_entropy(const py::array &x, const py::array &targets, double label_smoothing,
                        double grad_scale, py::array &loss, py::object dx_obj) {
  const int num = float_num(x);
  const py::ssize_t rows = x.shape(0), cols = x.shape(1);
  check_2d(targets, "targets", num, rows, cols, false);
  if (loss.ndim() != 1 || loss.shape(0) != rows || loss.dtype().num() != num ||
      !(loss.flags() & py::array::c_style) || !loss.writeable())
    throw py::value_error("loss buffer: expected a writeable contiguous array, one entry per row");
  py::array dx;
  const bool grad = !dx_obj.is_none();
  if (grad) {
    dx = dx_obj.cast<py::array>();
    check_2d(dx, "grad buffer", num, rows, cols, true);
  }
  const size_t r = static_cast<size_t>(rows), c = static_cast<size_t>(cols);
  fsm_status status;
  if (num == kFloat) {
    const float *px = cptr<float>(x), *pt = cptr<float>(targets);
    float *pl = mptr<float>(loss), *pd = grad ? mptr<float>(dx) : nullptr;
    py::gil_scoped_release release;
    status = fsm_cross_entropy_soft_f32(r, c, px, c, pt, c, label_smoothing, grad_scale, pl, pd, c);
  } else {
    const double *px = cptr<double>(x), *pt = cptr<double>(targets);
    double *pl = mptr<double>(loss), *pd = grad ? mptr<double>(dx) : nullptr;
    py::gil_scoped_release release;
    status = fsm_cross_entropy_soft_f64(r, c, px, c, pt, c, label_smoothing, grad_scale, pl, pd, c);
  }
  if (status != FSM_OK) raise_status(status, "cross_entropy");
}

void spherical_stats(const py::array &x, py::object targets_obj, py::array &out) {
  const int num = float_num(x);
  const py::ssize_t rows = x.shape(0);
  const int64_t *t = targets_obj.is_none() ? nullptr : targets_ptr(targets_obj.cast<py::array>(), rows);
  check_2d(out, "stats buffer", kDouble, rows, 3, true);
  const size_t r = static_cast<size_t>(rows), c = static_cast<size_t>(x.shape(1));
  double *po = mptr<double>(out);
  fsm_status status;
  if (num == kFloat) {
    const float *px = cptr<float>(x);
    py::gil_scoped_release release;
    status = fsm_spherical_stats_f32(r, c, px, c, t, po);
  } else {
    const double *px = cptr<double>(x);
    py::gil_scoped_release release;
    status = fsm_spherical_stats_f64(r, c, px, c, t, po);
  }
  if (status != FSM_OK) raise_status(status, "spherical_stats");
}

py::tuple spherical_partials(int kind, size_t cols, double q_rest, double s_rest, double x_c,
                             double p1, double p2, double p3) {
  double out[5];
  const fsm_status status = fsm_spherical_loss_partials(static_cast<fsm_spherical_loss>(kind), cols,
                                                        q_rest, s_rest, x_c, p1, p2, p3, out);
  if (status != FSM_OK) raise_status(status, "spherical_loss_partials");
  return py::make_tuple(out[0], out[1], out[2], out[3], out[4]);
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "fastsoftmax C library bindings (private; use the fastsoftmax package)";
  m.attr("__version__") = FSM_VERSION_STRING;
  m.attr("library_version") = fsm_version();
  m.attr("compiler") = FSM_COMPILER;
  m.attr("build_flags") = FSM_BUILD_FLAGS;
  m.attr("isa_folders") = FSM_ISA_FOLDERS_BUILT;

  m.def("rowwise", &rowwise, py::arg("x"), py::arg("out"), py::arg("algorithm"), py::arg("log"),
        "softmax (log=False) or log-softmax along the last axis of x into out; False if "
        "either array cannot be viewed as strided rows (nothing computed)");
  m.def("try_rowwise_contiguous", &try_rowwise_contiguous, py::arg("x"), py::arg("axis"),
        py::arg("out"), py::arg("algorithm"), py::arg("log"),
        "the same over the last axis of C-contiguous arrays (out may be None); None if the "
        "arguments need the general path");

  m.def("vjp", &vjp, py::arg("kind"), py::arg("a"), py::arg("b"), py::arg("out"));
  m.def("map", &map, py::arg("kind"), py::arg("x"), py::arg("out"), py::arg("eps"));
  m.def("int_loss", &int_loss, py::arg("kind"), py::arg("x"), py::arg("targets"),
        py::arg("ignore_index"), py::arg("p1"), py::arg("p2"), py::arg("p3"),
        py::arg("grad_scale"), py::arg("loss"), py::arg("dx"));
  m.def("soft_cross_entropy", &soft_cross_entropy, py::arg("x"), py::arg("targets"),
        py::arg("label_smoothing"), py::arg("grad_scale"), py::arg("loss"), py::arg("dx"));
  m.def("spherical_stats", &spherical_stats, py::arg("x"), py::arg("targets"), py::arg("out"));
  m.def("spherical_partials", &spherical_partials, py::arg("kind"), py::arg("cols"),
        py::arg("q_rest"), py::arg("s_rest"), py::arg("x_c"), py::arg("p1"), py::arg("p2"),
        py::arg("p3"));
  std::vector<std::string> training_kernels;
  for (const char *const *name = fsm_training_kernel_names; *name != nullptr; name++)
    training_kernels.emplace_back(*name);
  m.attr("training_kernels") = py::tuple(py::cast(training_kernels));

  py::dict algorithms;
  for (int a = FSM_ALGORITHM_AUTO; a <= FSM_ALGORITHM_TWO_PASS; a++)
    algorithms[fsm_algorithm_name(static_cast<fsm_algorithm>(a))] = a;
  m.attr("algorithms") = algorithms;

  std::vector<std::string> kernels;
  for (const char *const *name = fsm_kernel_names; *name != nullptr; name++) kernels.emplace_back(*name);
  m.attr("kernels") = py::tuple(py::cast(kernels));

  m.def("isa", [] { return std::string(fsm_isa_name(fsm_active_isa())); });
  m.def("detected_isa", [] { return std::string(fsm_isa_name(fsm_detected_isa())); });
  m.def("available_isas", [] {
    std::vector<std::string> names;
    for (int v = FSM_ISA_SCALAR; v <= FSM_ISA_NEON; v++)
      if (fsm_isa_supported(static_cast<fsm_isa>(v)))
        names.emplace_back(fsm_isa_name(static_cast<fsm_isa>(v)));
    return py::tuple(py::cast(names));
  });
  m.def("set_isa", [](const std::string &name) {
    const fsm_status status = fsm_set_isa(isa_from_name(name));
    if (status != FSM_OK)
      throw py::value_error("ISA '" + name + "' is not supported by this CPU or build");
  });
  m.def("environment_error", []() -> py::object {
    const fsm_status status = fsm_environment_status();
    if (status == FSM_OK) return py::none();
    return py::str(fsm_status_string(status));
  });
}
