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
#include <initializer_list>
#include <new>
#include <optional>
#include <string>
#include <vector>

extern "C" {
#include "fastsoftmax.h"
// The kernel enumerator's names (csrc/src/dispatch.c; linked statically).
extern const char *const fsm_kernel_names[];
// The LLC size AUTO uses (csrc/src/cache.c; internal, linked statically).
size_t fsm_llc_bytes(void);
// Benchmark helpers (bench/support/bandwidth.h: compiled into this module
// and the C benchmarks, not into the C library).
#include "bandwidth.h"
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
  if (status == FSM_OUT_OF_MEMORY) throw std::bad_alloc();
  throw std::runtime_error(message);
}

// The kernels take float* / double*: an array whose data NumPy does not
// flag as aligned (a view at an odd byte offset) must never reach them.
bool is_aligned(const py::array &a) {
  return (a.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_) != 0;
}

// Views an N-d array (N >= 1) whose last axis is the row as rows x cols
// with a row stride in elements: possible when the data is aligned, the
// last axis has unit stride and the leading axes collapse into one with a
// stride >= cols.
bool collapse_rows(const py::array &a, size_t &rows, size_t &stride) {
  const py::ssize_t ndim = a.ndim(), item = a.itemsize();
  if (ndim < 1 || !is_aligned(a)) return false;
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

// Calls on fewer elements than this keep the GIL: releasing and taking it
// back costs more than such a call computes (measured in the README).
constexpr size_t kReleaseGilMinElements = 16384;

// Releases the GIL for its scope when the call covers that many elements.
struct release_gil_if_large {
  explicit release_gil_if_large(size_t elements) {
    if (elements >= kReleaseGilMinElements) released.emplace();
  }
  std::optional<py::gil_scoped_release> released;
};

// The storage of the row kernels' arrays: float32, float64, and float16 /
// bfloat16 as their uint16_t bits.
enum class storage { f32, f64, f16, bf16 };

// NumPy's type numbers of float16 and of the first user-defined dtype (as
// numpy/ndarraytypes.h; pybind11's npy_api does not name them).
constexpr int kNpyHalf = 23, kNpyUserDef = 256;

// ml_dtypes.bfloat16's NumPy type number once the caller has imported
// ml_dtypes (looked up in sys.modules: this module never imports it), else
// -1. Kept once found (NumPy never reuses a type number). The GIL is held.
int bfloat16_type_num() {
  static int num = -1;
  if (num >= 0) return num;
  static PyObject *const name = PyUnicode_InternFromString("ml_dtypes");
  if (name == nullptr) {
    PyErr_Clear();
    return -1;
  }
  const py::object mod = py::reinterpret_steal<py::object>(PyImport_GetModule(name));
  if (!mod) {
    PyErr_Clear();  // not imported (no error set) or a failed lookup
    return -1;
  }
  try {
    const py::dtype dt = py::dtype::from_args(mod.attr("bfloat16"));
    if (dt.itemsize() == 2 && dt.num() >= kNpyUserDef) num = dt.num();
  } catch (const py::error_already_set &) {  // a stub module, sys.modules["ml_dtypes"] = None
  }
  return num;
}

// The storage of a's dtype in native byte order: float32 or float64, and
// with `half` float16 or ml_dtypes.bfloat16 too. False for anything else.
bool storage_of(const py::array &a, bool half, storage &s) {
  const py::dtype dt = a.dtype();
  const char order = dt.byteorder();
  if (order != '=' && order != '|') return false;
  const int num = dt.num();
  if (num == py::detail::npy_api::NPY_FLOAT_) {
    s = storage::f32;
  } else if (num == py::detail::npy_api::NPY_DOUBLE_) {
    s = storage::f64;
  } else if (!half || dt.itemsize() != 2) {
    return false;
  } else if (num == kNpyHalf) {
    s = storage::f16;
  } else if (num >= kNpyUserDef && num == bfloat16_type_num()) {
    s = storage::bf16;
  } else {
    return false;
  }
  return true;
}

template <typename T>
fsm_status run_rows(kernel_fn<T> fn, size_t rows, size_t cols, const void *x, size_t xs, void *y,
                    size_t ys, fsm_algorithm a) {
  return fn(rows, cols, static_cast<const T *>(x), xs, static_cast<T *>(y), ys, a);
}

// Calls the C kernel for storage `s`, the GIL released (large calls).
void call(storage s, size_t rows, size_t cols, const void *x, size_t xs, void *y, size_t ys,
          int algorithm, bool log) {
  const fsm_algorithm a = static_cast<fsm_algorithm>(algorithm);
  fsm_status status;
  {
    const release_gil_if_large release(rows * cols);
    if (s == storage::f32)
      status = run_rows<float>(log ? fsm_log_softmax_f32 : fsm_softmax_f32, rows, cols, x, xs, y, ys, a);
    else if (s == storage::f64)
      status = run_rows<double>(log ? fsm_log_softmax_f64 : fsm_softmax_f64, rows, cols, x, xs, y, ys, a);
    else if (s == storage::f16)
      status = run_rows<uint16_t>(log ? fsm_log_softmax_f16 : fsm_softmax_f16, rows, cols, x, xs, y, ys, a);
    else
      status = run_rows<uint16_t>(log ? fsm_log_softmax_bf16 : fsm_softmax_bf16, rows, cols, x, xs, y, ys, a);
  }
  if (status != FSM_OK) raise_status(status, log ? "log_softmax" : "softmax");
}

// a is C-contiguous and aligned, of a native float dtype (float16 and
// bfloat16 too with `half`: see storage_of).
bool is_float_row_major(const py::array &a, bool half = false) {
  storage s;
  return storage_of(a, half, s) && (a.flags() & py::array::c_style) != 0 && is_aligned(a);
}

// What rowwise, rowwise_half, axiswise and vjp_axis check again after the
// Python layer, so that no call of these private functions can read or
// write out of bounds: `arrays` (out last) have the first one's shape (one
// or more dimensions) and dtype, in native byte order: float32 or float64,
// or uint16 (`half`: the views of half-precision arrays); out is
// writeable. The caller's messages name its arrays. Returns false when the
// arrays are empty (nothing to compute).
bool check_arrays(std::initializer_list<const py::array *> arrays, bool half,
                  const char *shape_error, const char *dtype_error) {
  const py::array &first = **arrays.begin(), &out = **(arrays.end() - 1);
  for (const py::array *a : arrays)
    if (first.ndim() < 1 || a->ndim() != first.ndim() ||
        !std::equal(first.shape(), first.shape() + first.ndim(), a->shape()))
      throw py::value_error(shape_error);
  const int num = first.dtype().num();
  const bool known = half ? num == py::detail::npy_api::NPY_USHORT_
                          : num == py::detail::npy_api::NPY_FLOAT_ || num == py::detail::npy_api::NPY_DOUBLE_;
  for (const py::array *a : arrays) {
    const char order = a->dtype().byteorder();
    if (!known || a->dtype().num() != num || (order != '=' && order != '|')) throw py::type_error(dtype_error);
  }
  if (!out.writeable()) throw py::value_error("out is read-only");
  return first.size() != 0;
}

// The messages of check_arrays for x and out.
constexpr const char *kOutShapeError = "out: expected the shape of x";
constexpr const char *kFloatDtypeError = "x and out: expected native float32 or float64 arrays of one dtype";

// softmax / log_softmax along the last axis of x into out, both viewed as
// rows with collapse_rows. Returns false, computing nothing, when either
// cannot be viewed that way; the caller then copies. The Python layer has
// validated the arguments; check_arrays checks them again.
bool rowwise(const py::array &x, py::array &out, int algorithm, bool log) {
  if (!check_arrays({&x, &out}, false, kOutShapeError, kFloatDtypeError)) return true;
  size_t rows, xs, out_rows, ys;
  if (!collapse_rows(x, rows, xs) || !collapse_rows(out, out_rows, ys)) return false;
  const storage s = x.dtype().num() == py::detail::npy_api::NPY_FLOAT_ ? storage::f32 : storage::f64;
  call(s, rows, static_cast<size_t>(x.shape(x.ndim() - 1)), x.data(), xs, out.mutable_data(), ys,
       algorithm, log);
  return true;
}

// ---- half precision (issue 17): softmax / log_softmax of float16 or
// bfloat16 arrays, passed as their uint16 views (the Python layer views
// numpy.float16 / ml_dtypes.bfloat16 arrays so), along the last axis, as
// rowwise. Returns false when either cannot be viewed as rows.
bool rowwise_half(const py::array &x, py::array &out, int algorithm, bool log, bool bf16) {
  if (!check_arrays({&x, &out}, true, kOutShapeError,
                    "x and out: expected native uint16 views of half-precision arrays"))
    return true;
  size_t rows, xs, out_rows, ys;
  if (!collapse_rows(x, rows, xs) || !collapse_rows(out, out_rows, ys)) return false;
  call(bf16 ? storage::bf16 : storage::f16, rows, static_cast<size_t>(x.shape(x.ndim() - 1)),
       x.data(), xs, out.mutable_data(), ys, algorithm, log);
  return true;
}

// ---- half precision VJPs (issue 17): softmax_backward / log_softmax_backward
// of float16 or bfloat16 arrays as uint16 views, along the last axis; a, b
// and out of one shape, each collapsing into strided rows. Returns false
// (nothing computed) when one of them cannot be viewed so.
bool vjp_half(const std::string &kind, const py::array &a, const py::array &b, py::array &out,
              bool bf16) {
  const int u16 = py::detail::npy_api::NPY_USHORT_;
  const bool log = kind == "log_softmax";
  if (!log && kind != "softmax") throw py::value_error("unknown VJP " + kind);
  for (const py::array *arr : std::initializer_list<const py::array *>{&b, &out})
    if (arr->ndim() != a.ndim() || !std::equal(a.shape(), a.shape() + a.ndim(), arr->shape()))
      throw py::value_error("the arrays must have one shape");
  for (const py::array *arr : std::initializer_list<const py::array *>{&a, &b, &out})
    if (arr->dtype().num() != u16 || arr->dtype().byteorder() == '>')
      throw py::type_error("a, b and out: expected native uint16 views of half-precision arrays");
  if (a.ndim() < 1) throw py::value_error("expected arrays of at least one dimension");
  if (!out.writeable()) throw py::value_error("out is read-only");
  if (a.size() == 0) return true;
  size_t rows, as, bs, os;
  if (!collapse_rows(a, rows, as) || !collapse_rows(b, rows, bs) || !collapse_rows(out, rows, os))
    return false;
  const size_t cols = static_cast<size_t>(a.shape(a.ndim() - 1));
  auto fn = bf16 ? (log ? fsm_log_softmax_backward_bf16 : fsm_softmax_backward_bf16)
                 : (log ? fsm_log_softmax_backward_f16 : fsm_softmax_backward_f16);
  fsm_status status;
  {
    std::optional<py::gil_scoped_release> release;
    if (rows * cols >= kReleaseGilMinElements) release.emplace();
    status = fn(rows, cols, static_cast<const uint16_t *>(a.data()), as,
                static_cast<const uint16_t *>(b.data()), bs,
                static_cast<uint16_t *>(out.mutable_data()), os);
  }
  if (status != FSM_OK) raise_status(status, (kind + "_backward").c_str());
  return true;
}

// ---- softmax along a non-contiguous axis (fsm_softmax_axis_*) --------
//
// An N-d array seen as outer x n x inner for `axis`: the dimensions after
// the axis must collapse into one unit-stride run (inner elements), those
// before it into one dimension with a single stride of any sign; the axis
// itself may have any stride. Returns false when the array cannot be seen
// that way (or inner == 1: the row path is the one for that).
struct axis_view {
  size_t outer = 1, n = 1, inner = 1;
  ptrdiff_t outer_stride = 0, axis_stride = 0;  // in elements
};

bool view_axis(const py::array &a, py::ssize_t axis, axis_view &v) {
  const py::ssize_t ndim = a.ndim(), item = a.itemsize();
  if (axis < 0 || axis >= ndim || !is_aligned(a)) return false;
  py::ssize_t expect = item, inner = 1;
  for (py::ssize_t d = ndim - 1; d > axis; d--) {
    if (a.shape(d) == 1) continue;
    if (a.strides(d) != expect) return false;
    expect *= a.shape(d);
    inner *= a.shape(d);
  }
  if (inner < 2) return false;
  const py::ssize_t st = a.strides(axis);
  if (st % item != 0 || (a.shape(axis) > 1 && std::abs(st / item) < inner)) return false;
  v.inner = static_cast<size_t>(inner);
  v.n = static_cast<size_t>(a.shape(axis));
  v.axis_stride = a.shape(axis) > 1 ? static_cast<ptrdiff_t>(st / item) : static_cast<ptrdiff_t>(inner);
  py::ssize_t outer = 1, prev_stride = 0, prev_extent = 0;
  bool first = true;
  for (py::ssize_t d = axis - 1; d >= 0; d--) {  // innermost leading axis first
    const py::ssize_t n = a.shape(d), sd = a.strides(d);
    outer *= n;
    if (n == 1) continue;
    if (sd % item != 0 || std::abs(sd / item) < inner) return false;
    if (first) {
      v.outer_stride = static_cast<ptrdiff_t>(sd / item);
      first = false;
    } else if (sd != prev_stride * prev_extent) {
      return false;
    }
    prev_stride = sd;
    prev_extent = n;
  }
  v.outer = static_cast<size_t>(outer);
  if (first) v.outer_stride = static_cast<ptrdiff_t>(v.n) * static_cast<ptrdiff_t>(v.inner);
  return true;
}

// The storage of the axis functions' arrays: float32 / float64 (half 0,
// from the dtype), or the uint16 views of float16 (1) / bfloat16 (2).
storage axis_storage(const py::array &a, int half) {
  if (half == 1) return storage::f16;
  if (half == 2) return storage::bf16;
  return a.dtype().num() == py::detail::npy_api::NPY_FLOAT_ ? storage::f32 : storage::f64;
}

// softmax / log_softmax along `axis` of x into out (both validated by the
// Python layer; checked again here). False, computing nothing, when either
// cannot be seen as outer x n x inner (view_axis).
bool axiswise(const py::array &x, py::array &out, py::ssize_t axis, int algorithm, bool log,
              int half) {
  if (half < 0 || half > 2) throw py::value_error("half must be 0, 1 (float16) or 2 (bfloat16)");
  if (!check_arrays({&x, &out}, half != 0, kOutShapeError,
                    half ? "x and out: expected native uint16 views of half-precision arrays"
                         : kFloatDtypeError))
    return true;
  axis_view vx, vy;
  if (!view_axis(x, axis, vx) || !view_axis(out, axis, vy)) return false;
  const fsm_algorithm a = static_cast<fsm_algorithm>(algorithm);
  const void *xp = x.data();
  void *yp = out.mutable_data();
  fsm_status status;
  {
    const release_gil_if_large release(static_cast<size_t>(x.size()));
#define FSM_AXISWISE(T, suffix)                                                                     \
  (log ? fsm_log_softmax_axis_##suffix : fsm_softmax_axis_##suffix)(                                 \
      vx.outer, vx.n, vx.inner, static_cast<const T *>(xp), vx.outer_stride, vx.axis_stride,        \
      static_cast<T *>(yp), vy.outer_stride, vy.axis_stride, a)
    switch (axis_storage(x, half)) {
      case storage::f32: status = FSM_AXISWISE(float, f32); break;
      case storage::f64: status = FSM_AXISWISE(double, f64); break;
      case storage::f16: status = FSM_AXISWISE(uint16_t, f16); break;
      default: status = FSM_AXISWISE(uint16_t, bf16); break;
    }
#undef FSM_AXISWISE
  }
  if (status != FSM_OK) raise_status(status, log ? "log_softmax" : "softmax");
  return true;
}

// The VJPs along a non-contiguous axis (fsm_softmax_backward_axis_*):
// kind "softmax" (a = y, b = dy) or "log_softmax" (a = z, b = dz); the
// same contract as axiswise, for the three arrays.
bool vjp_axis(const std::string &kind, const py::array &a, const py::array &b, py::array &out,
              py::ssize_t axis, int half) {
  const bool log = kind == "log_softmax";
  if (!log && kind != "softmax") throw py::value_error("kind must be softmax or log_softmax");
  if (half < 0 || half > 2) throw py::value_error("half must be 0, 1 (float16) or 2 (bfloat16)");
  if (!check_arrays({&a, &b, &out}, half != 0, "a, b and out: expected one shape",
                    half ? "a, b and out: expected native uint16 views of half-precision arrays"
                         : "a, b and out: expected native float32 or float64 arrays of one dtype"))
    return true;
  axis_view va, vb, vo;
  if (!view_axis(a, axis, va) || !view_axis(b, axis, vb) || !view_axis(out, axis, vo)) return false;
  const void *ap = a.data(), *bp = b.data();
  void *op = out.mutable_data();
  fsm_status status;
  {
    const release_gil_if_large release(static_cast<size_t>(a.size()));
#define FSM_VJP_AXIS(T, suffix)                                                                     \
  (log ? fsm_log_softmax_backward_axis_##suffix : fsm_softmax_backward_axis_##suffix)(             \
      va.outer, va.n, va.inner, static_cast<const T *>(ap), va.outer_stride, va.axis_stride,        \
      static_cast<const T *>(bp), vb.outer_stride, vb.axis_stride, static_cast<T *>(op),            \
      vo.outer_stride, vo.axis_stride)
    switch (axis_storage(a, half)) {
      case storage::f32: status = FSM_VJP_AXIS(float, f32); break;
      case storage::f64: status = FSM_VJP_AXIS(double, f64); break;
      case storage::f16: status = FSM_VJP_AXIS(uint16_t, f16); break;
      default: status = FSM_VJP_AXIS(uint16_t, bf16); break;
    }
#undef FSM_VJP_AXIS
  }
  if (status != FSM_OK) raise_status(status, log ? "log_softmax_backward" : "softmax_backward");
  return true;
}

// a is a C-contiguous native float array of x's shape and dtype (with
// `half`, float16 and bfloat16 too).
bool same_row_major_layout(const py::array &a, const py::array &x, bool half = false) {
  return is_float_row_major(a, half) && a.dtype().num() == x.dtype().num() && a.ndim() == x.ndim() &&
         std::equal(x.shape(), x.shape() + x.ndim(), a.shape());
}

// x is C-contiguous native float (with `half`, float16 and bfloat16 too)
// with one or more dimensions, and `axis_obj` names its last (-1 or ndim - 1).
bool is_last_axis_of_float_rows(const py::array &x, py::handle axis_obj, bool half = false) {
  // The axis is taken as an object: an int beyond py::ssize_t (2**63) is
  // no error here, only not the fast path (the general path names it).
  const py::ssize_t axis = PyLong_AsSsize_t(axis_obj.ptr());
  if (axis == -1 && PyErr_Occurred()) {
    PyErr_Clear();
    return false;
  }
  const py::ssize_t ndim = x.ndim();
  return ndim >= 1 && (axis == -1 || axis == ndim - 1) && is_float_row_major(x, half);
}

// The fast paths' common opening: a call over the last axis (`axis_obj` is
// -1 or ndim - 1) of C-contiguous native float x (float16 and bfloat16 too
// with `half`), and out None (allocated here) or a C-contiguous array of
// x's shape and dtype. False when the call is anything else: the Python
// layer then validates, reports errors and handles the general case.
bool fast_last_axis_out(const py::array &x, py::handle axis_obj, const py::object &out_obj,
                        py::array &out, bool half = false) {
  if (!is_last_axis_of_float_rows(x, axis_obj, half)) return false;
  if (out_obj.is_none()) {
    out = py::array(x.dtype(), std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
    return true;
  }
  if (!py::isinstance<py::array>(out_obj)) return false;
  out = out_obj.cast<py::array>();
  return same_row_major_layout(out, x, half) && out.writeable();
}

// Two C-contiguous arrays of one size overlap other than exactly (the
// kernels allow only exact in-place work).
bool overlaps_partly(const py::array &a, const py::array &out) {
  const char *ab = static_cast<const char *>(a.data());
  const char *ob = static_cast<const char *>(out.data());
  const py::ssize_t bytes = a.nbytes();
  return ab != ob && ab < ob + bytes && ob < ab + bytes;
}

// The fast path of softmax / log_softmax, float16 and bfloat16 included:
// see fast_last_axis_out; None when the call needs the general path.
py::object try_rowwise_contiguous(const py::array &x, py::handle axis_obj, py::object out_obj,
                                  int algorithm, bool log) {
  py::array out;
  storage s;
  if (!fast_last_axis_out(x, axis_obj, out_obj, out, true) || !storage_of(x, true, s))
    return py::none();
  const py::ssize_t ndim = x.ndim();
  const size_t cols = static_cast<size_t>(x.shape(ndim - 1));
  const size_t rows = cols == 0 ? 0 : static_cast<size_t>(x.size()) / cols;
  const char *xb = static_cast<const char *>(x.data());
  py::array copy;
  if (overlaps_partly(x, out)) {  // work on a copy
    copy = py::array(x.dtype(), std::vector<py::ssize_t>(x.shape(), x.shape() + ndim));
    std::memcpy(copy.mutable_data(), xb, static_cast<size_t>(x.nbytes()));
    xb = static_cast<const char *>(copy.data());
  }
  call(s, rows, cols, xb, cols, out.mutable_data(), cols, algorithm, log);
  return std::move(out);
}

// softmax_backward / log_softmax_backward (`log`) of C-contiguous rows of
// dtype number `num`, the GIL released (large calls).
void call_vjp(bool log, int num, size_t rows, size_t cols, const void *a, const void *b, void *out) {
  fsm_status status;
  {
    const release_gil_if_large release(rows * cols);
    if (num == py::detail::npy_api::NPY_FLOAT_) {
      auto fn = log ? fsm_log_softmax_backward_f32 : fsm_softmax_backward_f32;
      status = fn(rows, cols, static_cast<const float *>(a), cols, static_cast<const float *>(b), cols,
                  static_cast<float *>(out), cols);
    } else {
      auto fn = log ? fsm_log_softmax_backward_f64 : fsm_softmax_backward_f64;
      status = fn(rows, cols, static_cast<const double *>(a), cols, static_cast<const double *>(b),
                  cols, static_cast<double *>(out), cols);
    }
  }
  if (status != FSM_OK) raise_status(status, log ? "log_softmax_backward" : "softmax_backward");
}

// The fast path of softmax_backward / log_softmax_backward (`log`): a and
// b C-contiguous of one shape and float dtype, over the last axis, out as
// in fast_last_axis_out and either input exactly out or apart from it.
// None when the call needs the general path.
py::object try_vjp_contiguous(bool log, const py::array &a, const py::array &b,
                              py::handle axis_obj, py::object out_obj) {
  py::array out;
  if (!same_row_major_layout(b, a) || !fast_last_axis_out(a, axis_obj, out_obj, out) ||
      overlaps_partly(a, out) || overlaps_partly(b, out))
    return py::none();
  const size_t cols = static_cast<size_t>(a.shape(a.ndim() - 1));
  const size_t rows = cols == 0 ? 0 : static_cast<size_t>(a.size()) / cols;
  call_vjp(log, a.dtype().num(), rows, cols, a.data(), b.data(), out.mutable_data());
  return std::move(out);
}

// An ISA name from Python. fsm_isa_from_name reads up to the first NUL,
// so a name with an embedded NUL ("scalar\0junk") is refused here, before
// it could be cut short and accepted.
fsm_isa isa_from_name(const std::string &name) {
  if (name.find('\0') != std::string::npos)
    throw py::value_error("ISA name must not contain NUL characters; got " +
                          std::string(py::repr(py::str(name))));
  fsm_isa isa;
  if (fsm_isa_from_name(name.c_str(), &isa) != FSM_OK) {
    std::string names;
    for (int v = FSM_ISA_AUTO; v < FSM_ISA_COUNT; v++) {
      const char *n = fsm_isa_name(static_cast<fsm_isa>(v));
      if (n != nullptr) names += (names.empty() ? "" : ", ") + std::string(n);
    }
    throw py::value_error("unknown ISA '" + name + "'; expected one of " + names);
  }
  return isa;
}

// The bandwidth ceilings for the benchmarks: allocates and touches n floats
// per buffer (untimed), then times `reps` passes in C with the GIL released.
double bandwidth(const char *kind, size_t n, size_t reps) {
  if (n == 0 || reps == 0) throw py::value_error("n and reps must be positive");
  double gbps;
  {
    py::gil_scoped_release release;
    std::vector<float> x(n, 1.0f);
    if (std::strcmp(kind, "read") == 0) {
      float sink = 0.0f;
      gbps = fsm_bench_read_f32(n, x.data(), reps, &sink);
    } else if (std::strcmp(kind, "copy") == 0) {
      std::vector<float> y(n, 0.0f);
      gbps = fsm_bench_copy_f32(n, x.data(), 1.0f, y.data(), reps);
    } else {
      gbps = fsm_bench_scale_f32(n, x.data(), 1.0f, reps);
    }
  }
  if (gbps < 0) throw std::runtime_error(std::string("bandwidth_") + kind + " failed");
  return gbps;
}

#include "training.inc"  // the training functions: register_training(m)
#include "states.inc"    // the mergeable softmax states: register_states(m)
#include "fused.inc"     // the fused softmax options: register_fused(m)
#include "decoding.inc"  // logsumexp, topk_softmax, sample (issue 16): register_decoding(m)

}  // namespace

#ifdef FSM_HAVE_XLA_FFI
#include "xla_ffi.inc"  // issue 18: XLA FFI handlers for fastsoftmax.jax, xla_ffi_targets()
#endif

// For threadpoolctl (fastsoftmax/_threads.py): the thread count through two
// uniquely named C symbols of this module, which is how threadpoolctl's
// custom controllers find a library among those a process has loaded.
extern "C" __attribute__((visibility("default"))) int fastsoftmax_threadpool_get_num_threads(void) {
  return static_cast<int>(fsm_get_num_threads());
}
extern "C" __attribute__((visibility("default"))) void fastsoftmax_threadpool_set_num_threads(int n) {
  fsm_set_num_threads(n > 0 ? static_cast<size_t>(n) : 0);
}

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
  m.def("rowwise_half", &rowwise_half, py::arg("x"), py::arg("out"), py::arg("algorithm"),
        py::arg("log"), py::arg("bf16"),
        "softmax/log_softmax of a float16 (bf16=False) or bfloat16 array given as uint16 views");
  m.def("vjp_half", &vjp_half, py::arg("kind"), py::arg("a"), py::arg("b"), py::arg("out"),
        py::arg("bf16"),
        "softmax/log_softmax VJP of float16 (bf16=False) or bfloat16 arrays given as uint16 "
        "views, along the last axis; False if one cannot be viewed as strided rows");
  m.def("axiswise", &axiswise, py::arg("x"), py::arg("out"), py::arg("axis"), py::arg("algorithm"),
        py::arg("log"), py::arg("half") = 0,
        "softmax (log=False) or log-softmax along a non-contiguous axis of x into out, without "
        "copies; False if either array cannot be seen as outer x n x inner with a contiguous "
        "inner run of two or more elements (nothing computed). half: 0 for float32/float64 "
        "arrays, 1 / 2 for the uint16 views of float16 / bfloat16 arrays");
  m.def("vjp_axis", &vjp_axis, py::arg("kind"), py::arg("a"), py::arg("b"), py::arg("out"),
        py::arg("axis"), py::arg("half") = 0,
        "the softmax or log-softmax VJP along a non-contiguous axis into out, without copies; "
        "False and half as axiswise");
  m.def("try_rowwise_contiguous", &try_rowwise_contiguous, py::arg("x"), py::arg("axis"),
        py::arg("out"), py::arg("algorithm"), py::arg("log"),
        "the same over the last axis of C-contiguous float32, float64, float16 or bfloat16 "
        "arrays (out may be None); None if the arguments need the general path");
  m.def("try_vjp_contiguous", &try_vjp_contiguous, py::arg("log"), py::arg("a"), py::arg("b"),
        py::arg("axis"), py::arg("out"),
        "softmax_backward (log=False) or log_softmax_backward over the last axis of C-contiguous "
        "arrays of one dtype (out may be None); None if the arguments need the general path");

  register_training(m);
  register_states(m);
  register_fused(m);
  register_decoding(m);
#ifdef FSM_HAVE_XLA_FFI
  m.def("xla_ffi_targets", &xla_ffi_targets,
        "{name: PyCapsule} of the XLA FFI handlers, for jax.ffi.register_ffi_target");
#endif

  m.def("llc_bytes", &fsm_llc_bytes,
        "the last-level cache size AUTO's rules use (sysfs, sysconf or FASTSOFTMAX_LLC_BYTES)");

  py::dict algorithms;
  for (int a = FSM_ALGORITHM_AUTO; a <= FSM_ALGORITHM_ONLINE; a++)
    algorithms[fsm_algorithm_name(static_cast<fsm_algorithm>(a))] = a;
  m.attr("algorithms") = algorithms;

  std::vector<std::string> kernels;
  for (const char *const *name = fsm_kernel_names; *name != nullptr; name++) kernels.emplace_back(*name);
  m.attr("kernels") = py::tuple(py::cast(kernels));

  m.def("get_num_threads", [] { return fsm_get_num_threads(); });
  m.def("set_num_threads", [](size_t n) {
    if (fsm_set_num_threads(n) != FSM_OK)
      throw py::value_error("n must be at most 256 (0 restores the default)");
  }, py::arg("n"));
  m.def("isa", [] { return std::string(fsm_isa_name(fsm_active_isa())); });
  m.def("detected_isa", [] { return std::string(fsm_isa_name(fsm_detected_isa())); });
  m.def("available_isas", [] {
    std::vector<std::string> names;
    for (int v = FSM_ISA_SCALAR; v < FSM_ISA_COUNT; v++)
      if (fsm_isa_supported(static_cast<fsm_isa>(v)))
        names.emplace_back(fsm_isa_name(static_cast<fsm_isa>(v)));
    return py::tuple(py::cast(names));
  });
  m.def("set_isa", [](const std::string &name) {
    const fsm_status status = fsm_set_isa(isa_from_name(name));
    if (status != FSM_OK)
      throw py::value_error("ISA '" + name + "' is not supported by this CPU or build");
  });
  // The calling thread's override (fastsoftmax.use_isa): "auto" = none.
  m.def("set_thread_isa", [](const std::string &name) {
    const fsm_status status = fsm_set_thread_isa(isa_from_name(name));
    if (status != FSM_OK)
      throw py::value_error("ISA '" + name + "' is not supported by this CPU or build");
  });
  m.def("thread_isa", [] { return std::string(fsm_isa_name(fsm_thread_isa())); });
  m.def("environment_error", []() -> py::object {
    const fsm_status status = fsm_environment_status();
    if (status == FSM_OK) return py::none();
    return py::str(fsm_status_string(status));
  });

  // Private benchmark helpers (bench/, python -m fastsoftmax bench).
  m.def("bandwidth_read", [](size_t n, size_t reps) { return bandwidth("read", n, reps); },
        py::arg("n"), py::arg("reps"),
        "median GB/s of summing n floats (bytes read per second)");
  m.def("bandwidth_copy", [](size_t n, size_t reps) { return bandwidth("copy", n, reps); },
        py::arg("n"), py::arg("reps"),
        "median GB/s of y = x over n floats, plain stores (bytes read + written per second)");
  m.def("bandwidth_scale", [](size_t n, size_t reps) { return bandwidth("scale", n, reps); },
        py::arg("n"), py::arg("reps"),
        "median GB/s of x *= 1 in place over n floats (bytes read + written per second)");
}
