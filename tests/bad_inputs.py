"""The bad-input suite as data (issue 19; run by tests/test_bad_inputs.py).

PY_CASES: malformed Python calls, each with the exception type it must
raise and a regular expression its message must match (``re.search``), or
``None`` for inputs that look wrong but are valid (odd strides, overlapping
``out``, big-endian data): those must give the float64 reference's result.

C_CASES: malformed calls through the C API (the bundled shared library,
via cffi), each with the status it must return; nothing may be written.
Every C call starts from a valid one of its function (C_TEMPLATES: 3 rows
of 4, strides 4, three valid targets) and changes the arguments named in
the case. Pointer values: "NULL"; sizes may be SIZE_MAX or -1 (cast to
size_t, so SIZE_MAX); "overlap" is an output overlapping its input at an
offset (undefined behaviour by the header, so only exact aliasing is
listed, and it must succeed).
"""

from __future__ import annotations

import numpy as np

import fastsoftmax as fs

SIZE_MAX = 2 ** (8 * np.dtype(np.uintp).itemsize) - 1
NAN, INF = float("nan"), float("inf")


def _x(dtype=np.float32, shape=(3, 4)):
    return np.arange(np.prod(shape), dtype=np.float64).reshape(shape).astype(dtype) / 7


def _ro(a):
    a = np.array(a)
    a.flags.writeable = False
    return a


def _unaligned(a):
    a = np.asarray(a)
    buf = np.zeros(a.nbytes + 1, np.uint8)
    u = buf[1:1 + a.nbytes].view(a.dtype).reshape(a.shape)
    u[...] = a
    return u


def _overlapping(x_start, out_start, **kw):
    """Args of a call whose out= overlaps x (a fresh buffer per call)."""
    def make():
        buf = np.arange(40, dtype=np.float32) / 9
        return (buf[x_start:x_start + 12].reshape(3, 4),), \
            dict(kw, out=buf[out_start:out_start + 12].reshape(3, 4))
    return make

C3 = np.array([0, 3, 1])  # valid targets for 3 rows of 4
X = _x()
S = fs.softmax_state(X)  # valid states of X's rows
H, W = _x(np.float64, (3, 5)), _x(np.float64, (4, 5))  # linear_cross_entropy: 4 classes

# (id, function, args, kwargs, exception or None, message regex or reference name);
# args may be a function returning (args, kwargs), for fresh aliased buffers
PY_CASES = [
    # ---- wrong dtypes
    ("softmax int64", fs.softmax, (np.arange(6).reshape(2, 3),), {}, TypeError,
     r"^x must have dtype float32 or float64, got int64"),
    ("softmax float16 out int32", fs.softmax, (np.ones(3, np.float16),),
     {"out": np.empty(3, np.int32)}, TypeError, r"^out must have a float dtype that float16 casts to"),
    ("softmax float16 out shape", fs.log_softmax, (np.ones(3, np.float16),),
     {"out": np.empty(4, np.float32)}, ValueError, r"^out must have shape \(3,\)"),
    ("softmax complex", fs.log_softmax, (np.ones(3, np.complex64),), {}, TypeError, r"^x must have"),
    ("softmax bool", fs.softmax, (np.ones(3, bool),), {}, TypeError, r"^x must have dtype"),
    ("softmax object", fs.softmax, (np.array([object()]),), {}, TypeError, r"^x must"),
    ("softmax strings", fs.softmax, (["a", "b"],), {}, TypeError, r"^x must"),
    ("softmax ragged", fs.softmax, ([[1.0], [1.0, 2.0]],), {}, TypeError, r"^x must be array-like"),
    ("softmax out int32", fs.softmax, (X,), {"out": np.empty((3, 4), np.int32)}, TypeError,
     r"^out must have a dtype the float32 result casts to under NumPy's 'same_kind' rule"
     r" \(a float or complex dtype\), got int32"),
    ("softmax out bool", fs.log_softmax, (X,), {"out": np.empty((3, 4), bool)}, TypeError,
     r"^out must have a dtype the float32 result casts to"),
    ("backward out int", fs.softmax_backward, (X, X), {"out": np.empty((3, 4), np.int64)},
     TypeError, r"^out must have a dtype the float32 result casts to"),
    ("softmax out list", fs.softmax, (X,), {"out": [[0.0] * 4] * 3}, TypeError,
     r"^out must be a numpy.ndarray, got list"),
    ("backward dy dtype", fs.softmax_backward, (X, X.astype(np.float64)), {}, TypeError,
     r"^dy must have the dtype of y \(float32\), got float64"),
    ("log backward int", fs.log_softmax_backward, (np.zeros(3, np.int32), np.zeros(3, np.int32)),
     {}, TypeError, r"^z must have dtype"),
    ("CE logits int", fs.cross_entropy, (np.zeros((3, 4), np.int64), C3), {}, TypeError,
     r"^logits must have dtype"),
    ("CE targets int16", fs.cross_entropy, (X, C3.astype(np.int16)), {}, TypeError,
     r"^targets must be int32 or int64 class indices, got int16"),
    ("CE targets uint8", fs.cross_entropy, (X, C3.astype(np.uint8)), {}, TypeError,
     r"^targets must be int32 or int64"),
    ("CE targets bool", fs.cross_entropy, (X, np.array([True, False, True])), {}, TypeError,
     r"^targets must be int32 or int64"),
    ("CE targets str", fs.cross_entropy, (X, np.array(["a", "b", "c"])), {}, TypeError,
     r"^targets must be int32 or int64"),
    ("CE soft targets float16", fs.cross_entropy, (X, np.ones((3, 4), np.float16)), {}, TypeError,
     r"^soft targets must be float32 or float64, got float16"),
    # half-precision logits (issue 17): the gradient's grad_out of a float dtype
    # float16 casts to; float32 loss
    ("CE float16 grad_out int32", fs.cross_entropy, (X.astype(np.float16), C3),
     {"return_grad": True, "grad_out": np.empty((3, 4), np.int32)}, TypeError,
     r"^grad_out must have a float dtype that float16 casts to \(same_kind\), got int32"),
    ("CE float16 grad_out shape", fs.cross_entropy, (X.astype(np.float16), C3),
     {"return_grad": True, "grad_out": np.empty((4, 3), np.float32)}, ValueError,
     r"^grad_out must have shape \(3, 4\) \(the shape of the logits\)"),
    ("CE float16 grad_out without return_grad", fs.cross_entropy, (X.astype(np.float16), C3),
     {"grad_out": np.empty((3, 4), np.float32)}, ValueError,
     r"^grad_out is only used with return_grad=True"),
    ("CE float16 targets out of range", fs.cross_entropy,
     (X.astype(np.float16), np.array([0, 4, 1])), {}, ValueError,
     r"^targets\[1\] = 4 is out of range for 4 classes"),
    ("stablemax float16 out int16", fs.stablemax, (X.astype(np.float16),),
     {"out": np.empty((3, 4), np.int16)}, TypeError,
     r"^out must have a float dtype that float16 casts to"),
    ("z_loss float16 2 classes", fs.z_loss, (np.zeros((3, 2), np.float16), np.array([0, 1, 0])),
     {}, ValueError, r"^z_loss needs at least 3 classes \(got 2\)"),
    ("CE grad_out dtype", fs.cross_entropy, (X, C3),
     {"return_grad": True, "grad_out": np.empty((3, 4))}, TypeError,
     r"^grad_out must have dtype float32 \(the dtype of the logits\)"),
    ("stats targets float", fs.spherical_stats, (X, np.array([0.0, 1.0, 2.0])), {}, TypeError,
     r"^targets must be int32 or int64"),
    ("z_loss logits bool", fs.z_loss, (np.ones((3, 4), bool), C3), {}, TypeError,
     r"^logits must have dtype"),
    ("taylor int", fs.taylor_softmax, (np.arange(4),), {}, TypeError, r"^x must have dtype"),

    # ---- shapes
    ("softmax out shape", fs.softmax, (X,), {"out": np.empty((4, 3), np.float32)}, ValueError,
     r"^out must have shape \(3, 4\) \(the shape of x\), got \(4, 3\)"),
    ("softmax out 0-d", fs.softmax, (np.float32(1.0),), {"out": np.empty(1, np.float32)},
     ValueError, r"^out must have shape \(\)"),
    ("backward shape", fs.softmax_backward, (X, np.zeros((4, 3), np.float32)), {}, ValueError,
     r"^dy must have the shape of y \(3, 4\), got \(4, 3\)"),
    ("CE targets shape", fs.cross_entropy, (X, np.array([0, 1])), {}, ValueError,
     r"^targets must have shape \(3,\) \(logits' shape without axis 1\), got \(2,\)"),
    ("CE targets 2-D", fs.cross_entropy, (X, np.zeros((3, 1), np.int64)), {}, ValueError,
     r"^targets must have shape \(3,\)"),
    ("CE soft targets shape", fs.cross_entropy, (X, np.zeros((3, 3), np.float32)), {}, ValueError,
     r"^soft targets must have the logits' shape \(3, 4\), got \(3, 3\)"),
    ("CE 0-d logits", fs.cross_entropy, (np.float32(1.0), np.array(0)), {}, ValueError,
     r"^logits must have at least one dimension"),
    ("CE no classes", fs.cross_entropy, (np.zeros((3, 0), np.float32), C3), {}, ValueError,
     r"^x has no classes along axis 1 .* a target that is not ignore_index needs at least one"),
    ("CE grad_out shape", fs.cross_entropy, (X, C3),
     {"return_grad": True, "grad_out": np.empty((4, 3), np.float32)}, ValueError,
     r"^grad_out must have shape \(3, 4\) \(the shape of the logits\)"),
    ("CE grad_out without return_grad", fs.cross_entropy, (X, C3),
     {"grad_out": np.empty((3, 4), np.float32)}, ValueError,
     r"^grad_out is only used with return_grad=True"),
    ("z_loss 2 classes", fs.z_loss, (np.zeros((3, 2), np.float32), np.array([0, 1, 0])), {},
     ValueError, r"^z_loss needs at least 3 classes \(got 2\)"),
    ("stats 0-d", fs.spherical_stats, (np.float64(1.0),), {}, ValueError,
     r"^x must have at least one dimension"),
    ("partials cols 0", fs.spherical_loss_partials, ("log_taylor", 0, 1.0, 1.0, 1.0), {},
     ValueError, r"cols must be >= 1 and < 2\*\*63"),
    ("partials z cols 2", fs.spherical_loss_partials, ("z", 2, 1.0, 1.0, 1.0), {},
     ValueError, r"cols must be >= 3 and < 2\*\*63"),

    # ---- strides and memory layout: refused when the output cannot be written
    ("out read-only", fs.softmax, (X,), {"out": _ro(np.empty((3, 4), np.float32))}, ValueError,
     r"^out is read-only"),
    ("out broadcast view", fs.log_softmax, (X,),
     {"out": np.broadcast_to(np.empty(4, np.float32), (3, 4))}, ValueError, r"^out is read-only"),
    ("grad_out read-only", fs.cross_entropy, (X, C3),
     {"return_grad": True, "grad_out": _ro(np.empty((3, 4), np.float32))}, ValueError,
     r"^grad_out is read-only"),
    # ... and computed correctly otherwise (reference given by name)
    ("x negative strides", fs.softmax, (X[::-1, ::-1],), {}, None, "softmax"),
    ("x zero stride (broadcast)", fs.softmax, (np.broadcast_to(X[0], (3, 4)),), {}, None, "softmax"),
    ("x every other column", fs.log_softmax, (_x(shape=(3, 8))[:, ::2],), {}, None, "log_softmax"),
    ("x unaligned", fs.softmax, (_unaligned(X),), {}, None, "softmax"),
    ("x big-endian", fs.log_softmax, (X.astype(">f4"),), {}, None, "log_softmax"),
    # out= casts under NumPy's same_kind rule (issue 18)
    ("out float64 for float32 x", fs.softmax, (X,), {"out": np.empty((3, 4))}, None, "softmax"),
    ("out big-endian", fs.log_softmax, (X,), {"out": np.empty((3, 4), ">f4")}, None,
     "log_softmax"),
    ("x Fortran order, axis 0", fs.softmax, (np.asfortranarray(X),), {"axis": 0}, None, "softmax"),
    ("out overlapping x (shifted)", fs.softmax, _overlapping(0, 2), None, None, "softmax"),
    ("out overlapping x (shifted back)", fs.log_softmax, _overlapping(5, 1), None, None,
     "log_softmax"),
    ("out is x (in place)", fs.log_softmax, (_x(),), {"out": "x"}, None, "log_softmax"),
    ("out overlapping x, non-last axis", fs.softmax, _overlapping(20, 21, axis=0), None, None,
     "softmax"),
    ("CE big-endian targets", fs.cross_entropy, (X, C3.astype(">i8")),
     {"reduction": "none"}, None, "cross_entropy"),

    # ---- axes
    ("axis too large", fs.softmax, (X,), {"axis": 2}, ValueError,
     r"^axis 2 is out of bounds for an array of dimension 2 \(valid: -2 <= axis <= 1\)$"),
    ("axis too small", fs.log_softmax, (X,), {"axis": -3}, ValueError,
     r"^axis -3 is out of bounds for an array of dimension 2 \(valid: -2 <= axis <= 1\)$"),
    ("axis 2**63", fs.softmax, (X,), {"axis": 2 ** 63}, ValueError,
     r"^axis 9223372036854775808 is out of bounds .*\(valid: -2 <= axis <= 1\)$"),
    ("axis -2**63-1", fs.log_softmax, (X,), {"axis": -(2 ** 63) - 1}, ValueError,
     r"^axis -9223372036854775809 is out of bounds"),
    ("axis float", fs.softmax, (X,), {"axis": 1.0}, TypeError, r"^axis must be an integer, got float"),
    ("axis None", fs.softmax, (X,), {"axis": None}, TypeError, r"^axis must be an integer, got NoneType"),
    ("axis str", fs.softmax, (X,), {"axis": "0"}, TypeError, r"^axis must be an integer, got str"),
    ("axis of a 0-d array", fs.softmax, (np.float32(1.0),), {"axis": 1}, ValueError,
     r"^axis 1 is out of bounds for an array of dimension 0 \(valid: 0 or -1"),
    ("CE axis", fs.cross_entropy, (X, C3), {"axis": 2}, ValueError, r"^axis 2 is out of bounds"),
    ("CE axis 2**64", fs.cross_entropy, (X, C3), {"axis": 2 ** 64}, ValueError,
     r"^axis 18446744073709551616 is out of bounds"),
    ("backward axis", fs.softmax_backward, (X, X), {"axis": -3}, ValueError,
     r"^axis -3 is out of bounds"),
    ("map axis", fs.stablemax, (X,), {"axis": 5}, ValueError, r"^axis 5 is out of bounds"),
    ("loss axis", fs.log_taylor_loss, (X, C3), {"axis": np.float64(1.0)}, TypeError,
     r"^axis must be an integer"),

    # ---- algorithm and reduction names
    ("algorithm unknown", fs.softmax, (X,), {"algorithm": "fast"}, ValueError,
     r"^algorithm must be one of auto, three_pass_reload, .*; got 'fast'"),
    ("algorithm int", fs.softmax, (X,), {"algorithm": 3}, ValueError, r"^algorithm must be one of"),
    ("reduction unknown", fs.cross_entropy, (X, C3), {"reduction": "avg"}, ValueError,
     r"^reduction must be one of 'none', 'mean', 'sum'; got 'avg'"),
    ("partials kind", fs.spherical_loss_partials, ("cosine", 3, 1.0, 1.0, 1.0), {}, ValueError,
     r"^kind must be one of log_spherical, log_taylor, z; got 'cosine'"),

    # ---- targets
    ("CE target too large", fs.cross_entropy, (X, np.array([0, 4, 1])), {}, ValueError,
     r"^targets\[1\] = 4 is out of range for 4 classes \(valid: 0..3 or ignore_index=-100\)"),
    ("CE target negative", fs.cross_entropy, (X, np.array([0, 1, -1])), {}, ValueError,
     r"^targets\[2\] = -1 is out of range"),
    ("CE soft targets negative", fs.cross_entropy, (X, -np.ones((3, 4), np.float32)), {},
     ValueError, r"^soft targets must be non-negative"),
    ("stats target out of range", fs.spherical_stats, (X, np.array([0, 1, 9])), {}, ValueError,
     r"^targets\[2\] = 9 is out of range for 4 classes \(valid: 0..3\)"),
    ("z_loss target int64 max", fs.z_loss, (X, np.array([0, 2 ** 63 - 1, 1])), {}, ValueError,
     r"^targets\[1\] = 9223372036854775807 is out of range"),

    # ---- parameters: NaN, inf, out of range, not numbers
    ("label_smoothing nan", fs.cross_entropy, (X, C3), {"label_smoothing": NAN}, ValueError,
     r"^label_smoothing must be >= 0 and finite; got nan"),
    ("label_smoothing inf", fs.cross_entropy, (X, C3), {"label_smoothing": INF}, ValueError,
     r"^label_smoothing must be >= 0 and finite; got inf"),
    ("label_smoothing > 1", fs.cross_entropy, (X, C3), {"label_smoothing": 1.5}, ValueError,
     r"^label_smoothing must be in \[0, 1\]; got 1.5"),
    ("label_smoothing < 0", fs.cross_entropy, (X, C3), {"label_smoothing": -0.1}, ValueError,
     r"^label_smoothing must be >= 0"),
    ("label_smoothing str", fs.cross_entropy, (X, C3), {"label_smoothing": "0.1"}, TypeError,
     r"^label_smoothing must be a real number \(int or float\), got str '0.1'"),
    ("label_smoothing None", fs.cross_entropy, (X, C3), {"label_smoothing": None}, TypeError,
     r"^label_smoothing must be a real number \(int or float\), got NoneType"),
    ("eps nan", fs.spherical_softmax, (X,), {"eps": NAN}, ValueError, r"^eps must be >= 0 and finite"),
    ("eps -inf", fs.log_spherical_loss, (X, C3), {"eps": -INF}, ValueError, r"^eps must be >= 0"),
    ("eps negative", fs.log_spherical_softmax, (X,), {"eps": -1e-3}, ValueError, r"^eps must be >= 0"),
    ("eps str", fs.log_spherical_loss, (X, C3), {"eps": "1e-6"}, TypeError, r"^eps must be a real number"),
    ("z a zero", fs.z_loss, (X, C3), {"a": 0.0}, ValueError, r"^a must be > 0 and finite; got 0.0"),
    ("z a inf", fs.z_loss, (X, C3), {"a": INF}, ValueError, r"^a must be > 0 and finite"),
    ("z a str", fs.z_loss, (X, C3), {"a": "2"}, TypeError, r"^a must be a real number"),
    ("z b nan", fs.z_loss, (X, C3), {"b": NAN}, ValueError, r"^b must be finite; got nan"),
    ("z b inf", fs.z_loss, (X, C3), {"b": -INF}, ValueError, r"^b must be finite"),
    ("z b str", fs.z_loss, (X, C3), {"b": "0"}, TypeError, r"^b must be a real number"),
    ("z eps_z nan", fs.z_loss, (X, C3), {"eps_z": NAN}, ValueError, r"^eps_z must be >= 0 and finite"),
    ("z eps_z negative", fs.z_loss, (X, C3), {"eps_z": -1.0}, ValueError, r"^eps_z must be >= 0"),
    ("ignore_index float", fs.cross_entropy, (X, C3), {"ignore_index": 1.5}, TypeError,
     r"^ignore_index must be an integer, got float"),
    ("ignore_index 2**64", fs.stablemax_cross_entropy, (X, C3), {"ignore_index": 2 ** 64},
     ValueError, r"^ignore_index must fit in int64; got 18446744073709551616"),
    ("partials cols float", fs.spherical_loss_partials, ("z", 3.0, 1.0, 1.0, 1.0), {}, TypeError,
     r"^cols must be an integer, got float"),
    ("partials cols huge", fs.spherical_loss_partials, ("z", 2 ** 64, 1.0, 1.0, 1.0), {},
     ValueError, r"cols must be >= 3 and < 2\*\*63"),
    ("partials cols negative", fs.spherical_loss_partials, ("log_spherical", -1, 1.0, 1.0, 1.0),
     {}, ValueError, r"cols must be >= 1 and < 2\*\*63"),
    ("partials x_c str", fs.spherical_loss_partials, ("log_taylor", 3, 1.0, 1.0, "1"), {},
     TypeError, r"^x_c must be a real number"),

    # ---- the other functions: maps, states, logsumexp, linear cross-entropy, threads
    ("log_stablemax int", fs.log_stablemax, (np.arange(4),), {}, TypeError, r"^x must have dtype"),
    ("log_taylor out shape", fs.log_taylor_softmax, (X,), {"out": np.empty(4, np.float32)},
     ValueError, r"^out must have shape \(3, 4\)"),
    ("softmax_state int", fs.softmax_state, (np.arange(3),), {}, TypeError, r"^x must have dtype"),
    ("softmax_state axis", fs.softmax_state, (X,), {"axis": 2}, ValueError,
     r"^axis 2 is out of bounds for an array of dimension 2 \(valid: -2 <= axis <= 1\)$"),
    ("merge_states float", fs.merge_states, (np.zeros(3), np.zeros(3)), {}, TypeError,
     r"^a must be an array of fastsoftmax.STATE_DTYPE"),
    ("merge_states b float", fs.merge_states, (S, np.zeros(3)), {}, TypeError,
     r"^b must be an array of fastsoftmax.STATE_DTYPE"),
    ("merge_states neither", fs.merge_states, (S,), {}, TypeError,
     r"^merge_states takes either two states or one array and axis="),
    ("merge_states both", fs.merge_states, (S, S), {"axis": 0}, TypeError,
     r"^merge_states takes either two states or one array and axis="),
    ("merge_states shapes", fs.merge_states, (S, S[:2]), {}, ValueError, r"broadcast"),
    ("merge_states axis", fs.merge_states, (S,), {"axis": 1}, ValueError,
     r"^axis 1 is out of bounds for an array of dimension 1"),
    ("logsumexp_from_state float", fs.logsumexp_from_state, (np.zeros(3),), {}, TypeError,
     r"^state must be an array of fastsoftmax.STATE_DTYPE"),
    # ---- logsumexp, sample, topk_softmax (issue 16)
    ("logsumexp complex", fs.logsumexp, (np.ones(3, np.complex64),), {}, TypeError,
     r"^a must have a real .* dtype, got complex64 \(complex input is not supported\)"),
    ("logsumexp str", fs.logsumexp, (np.array(["a"]),), {}, TypeError, r"^a must have a real"),
    ("logsumexp axis", fs.logsumexp, (X,), {"axis": -3}, ValueError, r"^axis -3 is out of bounds"),
    ("logsumexp axis float", fs.logsumexp, (X,), {"axis": 1.0}, TypeError,
     r"^axis must be None, an integer or a tuple of integers, got float"),
    ("logsumexp axis repeated", fs.logsumexp, (X,), {"axis": (1, -1)}, ValueError,
     r"^axis contains a repeated axis"),
    ("logsumexp b shape", fs.logsumexp, (X,), {"b": np.ones(3)}, ValueError,
     r"^b must broadcast against a"),
    ("logsumexp b complex", fs.logsumexp, (X,), {"b": np.ones(4, complex)}, TypeError,
     r"^b must have a real dtype"),
    ("sample int logits", fs.sample, (np.arange(4),), {}, TypeError, r"^logits must have dtype"),
    ("sample 0-d", fs.sample, (np.float32(1),), {}, ValueError,
     r"^logits must have at least one dimension"),
    ("sample no columns", fs.sample, (np.zeros((2, 0), np.float32),), {}, ValueError,
     r"^logits must have at least one column"),
    ("sample temperature 0", fs.sample, (X,), {"temperature": 0.0}, ValueError,
     r"^temperature must be > 0 and finite; got 0.0"),
    ("sample temperature -1", fs.sample, (X,), {"temperature": -1}, ValueError,
     r"^temperature must be > 0"),
    ("sample temperature nan", fs.sample, (X,), {"temperature": NAN}, ValueError,
     r"^temperature must be > 0 and finite; got nan"),
    ("sample temperature inf", fs.sample, (X,), {"temperature": INF}, ValueError,
     r"^temperature must be > 0 and finite"),
    ("sample temperature str", fs.sample, (X,), {"temperature": "1"}, TypeError,
     r"^temperature must be a real number"),
    ("sample top_k 0", fs.sample, (X,), {"top_k": 0}, ValueError,
     r"^top_k must be in \[1, 4\] \(the number of columns\); got 0"),
    ("sample top_k -1", fs.sample, (X,), {"top_k": -1}, ValueError, r"^top_k must be in \[1, 4\]"),
    ("sample top_k > cols", fs.sample, (X,), {"top_k": 5}, ValueError,
     r"^top_k must be in \[1, 4\] \(the number of columns\); got 5"),
    ("sample top_k float", fs.sample, (X,), {"top_k": 2.0}, TypeError,
     r"^top_k must be an integer, got float"),
    ("sample top_k bool", fs.sample, (X,), {"top_k": True}, TypeError,
     r"^top_k must be an integer, got bool"),
    ("sample top_p 0", fs.sample, (X,), {"top_p": 0.0}, ValueError,
     r"^top_p must be in \(0, 1\]; got 0.0"),
    ("sample top_p 1.5", fs.sample, (X,), {"top_p": 1.5}, ValueError, r"^top_p must be in \(0, 1\]"),
    ("sample top_p nan", fs.sample, (X,), {"top_p": NAN}, ValueError,
     r"^top_p must be in \(0, 1\]; got nan"),
    ("sample top_p str", fs.sample, (X,), {"top_p": "0.9"}, TypeError, r"^top_p must be a real"),
    ("sample min_p -0.1", fs.sample, (X,), {"min_p": -0.1}, ValueError,
     r"^min_p must be in \[0, 1\]; got -0.1"),
    ("sample min_p 2", fs.sample, (X,), {"min_p": 2}, ValueError, r"^min_p must be in \[0, 1\]"),
    ("sample min_p nan", fs.sample, (X,), {"min_p": NAN}, ValueError,
     r"^min_p must be in \[0, 1\]; got nan"),
    ("sample rng str", fs.sample, (X,), {"rng": "0"}, TypeError,
     r"^rng must be a numpy.random.Generator, an int seed or None, got str"),
    ("sample NaN row", fs.sample, (np.array([[0.0, np.nan, 1.0]], np.float32),), {}, ValueError,
     r"^sample: every row of logits needs a finite maximum and no NaN"),
    ("sample +inf row", fs.sample, (np.array([[0.0, np.inf]]),), {}, ValueError,
     r"^sample: every row of logits needs a finite maximum"),
    ("sample -inf row", fs.sample, (np.full((2, 3), -np.inf, np.float32),), {}, ValueError,
     r"^sample: every row of logits needs a finite maximum"),
    ("topk_softmax int", fs.topk_softmax, (np.arange(4), 2), {}, TypeError,
     r"^logits must have dtype"),
    ("topk_softmax k 0", fs.topk_softmax, (X, 0), {}, ValueError,
     r"^k must be in \[1, 4\] \(the number of columns\); got 0"),
    ("topk_softmax k > cols", fs.topk_softmax, (X, 5), {}, ValueError, r"^k must be in \[1, 4\]"),
    ("topk_softmax k float", fs.topk_softmax, (X, 1.5), {}, TypeError,
     r"^k must be an integer, got float"),
    ("topk_softmax NaN row", fs.topk_softmax, (np.array([[np.nan, 1.0]]), 1), {}, ValueError,
     r"^topk_softmax: every row of logits needs a finite maximum and no NaN"),
    ("softmax_from_state state shape", fs.softmax_from_state, (X, S[:2]), {}, ValueError,
     r"^state must have the shape of x without axis 1, \(3,\); got \(2,\)"),
    ("softmax_from_state state float", fs.softmax_from_state, (X, np.zeros(3)), {}, TypeError,
     r"^state must be an array of fastsoftmax.STATE_DTYPE"),
    ("log_softmax_from_state axis", fs.log_softmax_from_state, (X, S), {"axis": 3}, ValueError,
     r"^axis 3 is out of bounds"),
    ("softmax_from_state out dtype", fs.softmax_from_state, (X, S),
     {"out": np.empty((3, 4), np.int16)}, TypeError, r"^out must have a dtype the float32"),
    ("linear CE h int", fs.linear_cross_entropy, (np.ones((3, 5), np.int64), W, C3), {},
     TypeError, r"^h must have dtype"),
    ("linear CE W dtype", fs.linear_cross_entropy, (H, W.astype(np.float32), C3), {}, TypeError,
     r"^W must have the dtype of h \(float64\), got float32"),
    ("linear CE shapes", fs.linear_cross_entropy, (H, W[:, :4], C3), {}, ValueError,
     r"^h must be \(tokens, hidden\) and W \(vocab, hidden\)"),
    ("linear CE targets float", fs.linear_cross_entropy, (H, W, C3.astype(float)), {}, TypeError,
     r"^targets must be integers, got float64"),
    ("linear CE target range", fs.linear_cross_entropy, (H, W, np.array([0, 4, 1])), {},
     ValueError, r"^targets must be in \[0, 4\) or ignore_index \(-100\)"),
    ("linear CE chunk 0", fs.linear_cross_entropy, (H, W, C3), {"chunk": 0}, ValueError,
     r"^chunk must be >= 1, got 0"),
    ("linear CE label_smoothing str", fs.linear_cross_entropy, (H, W, C3),
     {"label_smoothing": "0.1"}, TypeError, r"^label_smoothing must be a real number"),
    ("linear CE label_smoothing nan", fs.linear_cross_entropy, (H, W, C3),
     {"label_smoothing": NAN}, ValueError, r"^label_smoothing must be >= 0 and finite"),
    ("linear CE reduction", fs.linear_cross_entropy, (H, W, C3), {"reduction": "avg"}, ValueError,
     r"^reduction must be"),
    ("set_num_threads -1", fs.set_num_threads, (-1,), {}, ValueError,
     r"^n must be in \[0, 256\]"),
    ("set_num_threads 257", fs.set_num_threads, (257,), {}, ValueError, r"^n must be in \[0, 256\]"),
    ("set_num_threads str", fs.set_num_threads, ("2",), {}, TypeError, r"^n must be an int, got str"),

    # ---- ISA names
    ("set_isa unknown", fs.set_isa, ("sse9",), {}, ValueError,
     r"^unknown ISA 'sse9'; expected one of auto, scalar, avx2, avx512, neon, avx512_bf16"),
    ("set_isa int", fs.set_isa, (2,), {}, TypeError, r"^name must be a str, got int"),
    ("set_isa NUL", fs.set_isa, ("scalar\0junk",), {}, ValueError,
     r"^ISA name must not contain NUL characters"),
    ("set_isa empty", fs.set_isa, ("",), {}, ValueError, r"^unknown ISA ''"),
    ("set_isa upper case", fs.set_isa, ("AVX2",), {}, ValueError, r"^unknown ISA 'AVX2'"),
    # ---- half precision: fused options, states, decoding (issue 17)
    ("softmax float16 scale out int32", fs.softmax, (X.astype(np.float16),),
     {"scale": 0.5, "out": np.empty((3, 4), np.int32)}, TypeError,
     r"^out must have a float dtype that float16 casts to \(same_kind\), got int32"),
    ("log_softmax float16 mask int8", fs.log_softmax, (X.astype(np.float16),),
     {"mask": np.ones((3, 4), np.int8)}, TypeError,
     r"^mask must have dtype bool \(True = keep\) or a float dtype, got int8"),
    ("softmax float16 NaN slopes", fs.softmax, (X.astype(np.float16),),
     {"alibi_slopes": np.array([NAN], np.float16)}, ValueError, r"^alibi_slopes must not contain NaN"),
    ("softmax_backward float16 scale dy int16", fs.softmax_backward,
     (X.astype(np.float16), X.astype(np.int16)), {"scale": 0.5}, TypeError, r"^dy must have dtype"),
    ("log_softmax_backward float16 softcap x float32", fs.log_softmax_backward,
     (X.astype(np.float16), X.astype(np.float16)), {"softcap": 2.0, "x": X}, TypeError,
     r"^x must have the dtype of z \(float16\), got float32"),
    ("softmax_from_state float16 out int32", fs.softmax_from_state, (X.astype(np.float16), S),
     {"out": np.empty((3, 4), np.int32)}, TypeError,
     r"^out must have a float dtype that float16 casts to"),
    ("log_softmax_from_state float16 state shape", fs.log_softmax_from_state,
     (X.astype(np.float16), S[:2]), {}, ValueError, r"^state must have the shape of x without axis"),
    ("softmax_state float16 axis", fs.softmax_state, (X.astype(np.float16),), {"axis": 2},
     ValueError, r"^axis 2 is out of bounds"),
    ("topk_softmax float16 k", fs.topk_softmax, (X.astype(np.float16), 5), {}, ValueError,
     r"^k must be in \[1, 4\]"),
    ("sample float16 NaN", fs.sample, (np.array([[NAN, 1.0]], np.float16),), {}, ValueError,
     r"^sample: every row of logits needs a finite maximum"),
    # ---- end of half precision: fused options, states, decoding
]

# ---------------------------------------------------------------- the C API

# Argument lists of the functions under test, by role. Buffers: x, b (a
# second input), y (the output), loss, stats (3 per row), out5 (5 doubles),
# targets (int64 per row), isa_out; everything else is a scalar with a
# default in C_DEFAULTS.
_MAT = ["rows", "cols", "x", "xs"]
C_TEMPLATES = {
    "fsm_softmax_{dt}": _MAT + ["y", "ys", "algorithm"],
    "fsm_log_softmax_{dt}": _MAT + ["y", "ys", "algorithm"],
    "fsm_softmax_backward_{dt}": _MAT + ["b", "bs", "y", "ys"],
    "fsm_log_softmax_backward_{dt}": _MAT + ["b", "bs", "y", "ys"],
    "fsm_cross_entropy_{dt}": _MAT + ["targets", "ignore_index", "alpha", "scale", "loss", "y", "ys"],
    "fsm_cross_entropy_soft_{dt}": _MAT + ["b", "bs", "alpha", "scale", "loss", "y", "ys"],
    "fsm_spherical_stats_{dt}": _MAT + ["targets", "stats"],
    "fsm_spherical_softmax_{dt}": _MAT + ["y", "ys", "eps"],
    "fsm_log_spherical_softmax_{dt}": _MAT + ["y", "ys", "eps"],
    "fsm_taylor_softmax_{dt}": _MAT + ["y", "ys"],
    "fsm_log_taylor_softmax_{dt}": _MAT + ["y", "ys"],
    "fsm_stablemax_{dt}": _MAT + ["y", "ys"],
    "fsm_log_stablemax_{dt}": _MAT + ["y", "ys"],
    "fsm_log_spherical_loss_{dt}": _MAT + ["targets", "ignore_index", "eps", "scale", "loss", "y", "ys"],
    "fsm_log_taylor_loss_{dt}": _MAT + ["targets", "ignore_index", "scale", "loss", "y", "ys"],
    "fsm_z_loss_{dt}": _MAT + ["targets", "ignore_index", "a", "b_param", "eps_z", "scale", "loss",
                               "y", "ys"],
    "fsm_stablemax_cross_entropy_{dt}": _MAT + ["targets", "ignore_index", "scale", "loss", "y", "ys"],
    "fsm_softmax_state_{dt}": _MAT + ["st_out"],
    "fsm_softmax_from_state_{dt}": _MAT + ["st_in", "y", "ys"],
    "fsm_log_softmax_from_state_{dt}": _MAT + ["st_in", "y", "ys"],
    # fused options (opts: fsm_softmax_options from fsm_softmax_options_init,
    # or NULL; x2: the forward input of the VJPs, NULL without a soft cap)
    "fsm_softmax_ex_{dt}": _MAT + ["y", "ys", "algorithm", "opts"],
    "fsm_log_softmax_ex_{dt}": _MAT + ["y", "ys", "algorithm", "opts"],
    "fsm_softmax_backward_ex_{dt}": _MAT + ["b", "bs", "x2", "xs", "y", "ys", "opts"],
    "fsm_log_softmax_backward_ex_{dt}": _MAT + ["b", "bs", "x2", "xs", "y", "ys", "opts"],
    # issue 16: logsumexp and the decoding helpers
    "fsm_logsumexp_{dt}": _MAT + ["lse_y"],
    "fsm_topk_softmax_{dt}": _MAT + ["k", "renorm", "probs", "ps", "idx", "is"],
    "fsm_sample_{dt}": _MAT + ["params", "unif", "tok"],
}
C_OTHER = {
    "fsm_spherical_loss_partials": ["kind", "cols1", "q", "s", "xc", "p1", "p2", "p3", "out5"],
    "fsm_set_isa": ["isa"],
    "fsm_set_thread_isa": ["isa"],
    "fsm_isa_from_name": ["name", "isa_out"],
    "fsm_merge_softmax_states": ["n", "st_in", "st_in2", "st_out"],
    "fsm_logsumexp_from_states": ["n", "st_in", "lse_out"],
    "fsm_set_num_threads": ["n"],
    # softmax along an axis: n1 x rows x cols (outer x n x inner), signed strides
    **{f"fsm_{name}_axis_{dt}": ["n1", "rows", "cols", "x", "xos", "xas", "y", "yos", "yas",
                                 "algorithm"]
       for name in ("softmax", "log_softmax") for dt in ("f32", "f64", "f16", "bf16")},
    **{f"fsm_{name}_backward_axis_{dt}": ["n1", "rows", "cols", "x", "xos", "xas", "b", "bos", "bas",
                                          "y", "yos", "yas"]
       for name in ("softmax", "log_softmax") for dt in ("f32", "f64", "f16", "bf16")},
}
C_DEFAULTS = {"rows": 3, "cols": 4, "xs": 4, "ys": 4, "bs": 4, "algorithm": 0,
              "ignore_index": -100, "alpha": 0.1, "scale": 1.0, "eps": 1e-3, "a": 1.0,
              "b_param": 0.0, "eps_z": 0.0, "kind": 2, "cols1": 3, "q": 4.0, "s": 1.0, "xc": 0.5,
              "p1": 0.0, "p2": 0.0, "p3": 0.0, "isa": 1, "name": b"scalar", "n": 3,
              "n1": 1, "xos": 12, "xas": 4, "yos": 12, "yas": 4, "bos": 12, "bas": 4,
              "k": 2, "renorm": 0, "ps": 2, "is": 2,
              "params": {"temperature": 1.0, "top_p": 0.9, "min_p": 0.0, "top_k": 3}}
#: pointer roles that may be NULL (optional outputs)
C_OPTIONAL = {"loss", "y_grad"}

_MATRIX_FNS = sorted(C_TEMPLATES)
_GRAD_FNS = {"fsm_cross_entropy_{dt}", "fsm_cross_entropy_soft_{dt}", "fsm_log_spherical_loss_{dt}",
             "fsm_log_taylor_loss_{dt}", "fsm_z_loss_{dt}", "fsm_stablemax_cross_entropy_{dt}"}


def _generated_c_cases():
    """The same checks for every matrix function: NULL pointers, short
    strides, sizes whose extent overflows size_t (huge or negative)."""
    out = []
    for fn in _MATRIX_FNS:
        roles = C_TEMPLATES[fn]
        for role in ("x", "b", "y", "targets", "stats", "st_in", "st_out", "lse_y", "probs", "idx",
                     "params", "unif", "tok"):
            if role not in roles:
                continue
            if role == "y" and fn in _GRAD_FNS:  # the gradient is optional
                out.append((f"{fn} NULL gradient", fn, {"y": "NULL"}, "FSM_OK"))
                continue
            if role == "targets" and "stats" in roles:  # optional: x_c is NaN then
                out.append((f"{fn} NULL targets", fn, {"targets": "NULL"}, "FSM_OK"))
                continue
            out.append((f"{fn} NULL {role}", fn, {role: "NULL"}, "FSM_NULL_POINTER"))
        if "loss" in roles:
            out.append((f"{fn} NULL loss", fn, {"loss": "NULL"}, "FSM_OK"))
        out.append((f"{fn} NULL everything, empty", fn,
                    {r: "NULL" for r in roles
                     if r in ("x", "b", "y", "targets", "stats", "loss", "st_in", "st_out", "lse_y",
                              "probs", "idx", "params", "unif", "tok")}
                    | {"rows": 0}, "FSM_OK"))
        for stride in ("xs", "bs", "ys"):
            if stride in roles:
                out.append((f"{fn} {stride} < cols", fn, {stride: 3}, "FSM_INVALID_STRIDE"))
                out.append((f"{fn} {stride} = SIZE_MAX", fn, {stride: SIZE_MAX}, "FSM_SIZE_OVERFLOW"))
        out.append((f"{fn} rows = SIZE_MAX", fn, {"rows": SIZE_MAX}, "FSM_SIZE_OVERFLOW"))
        out.append((f"{fn} rows = -1", fn, {"rows": -1}, "FSM_SIZE_OVERFLOW"))
        out.append((f"{fn} cols = -1", fn, {"rows": 1, "cols": -1, "xs": -1, "ys": -1, "bs": -1},
                    "FSM_SIZE_OVERFLOW"))
        out.append((f"{fn} rows 2**62", fn, {"rows": 2 ** 62}, "FSM_SIZE_OVERFLOW"))
        if "targets" in roles:
            out.append((f"{fn} target = cols", fn, {"targets": [0, 4, 1]}, "FSM_TARGET_OUT_OF_RANGE"))
            out.append((f"{fn} target < 0", fn, {"targets": [0, -1, 1]}, "FSM_TARGET_OUT_OF_RANGE"))
            out.append((f"{fn} target int64 min", fn, {"targets": [0, -(2 ** 63), 1]},
                        "FSM_TARGET_OUT_OF_RANGE"))
    return out


C_CASES = [
    # fused options
    ("softmax_ex NULL options: the plain function", "fsm_softmax_ex_{dt}", {"opts": "NULL"},
     "FSM_OK"),
    ("softmax_ex scale 0", "fsm_softmax_ex_{dt}", {"opts": {"scale": 0.0}}, "FSM_INVALID_ARGUMENT"),
    ("softmax_ex scale nan", "fsm_softmax_ex_{dt}", {"opts": {"scale": NAN}}, "FSM_INVALID_ARGUMENT"),
    ("softmax_ex scale inf", "fsm_softmax_ex_{dt}", {"opts": {"scale": INF}}, "FSM_INVALID_ARGUMENT"),
    ("log_softmax_ex softcap < 0", "fsm_log_softmax_ex_{dt}", {"opts": {"softcap": -2.0}},
     "FSM_INVALID_ARGUMENT"),
    ("log_softmax_ex softcap nan", "fsm_log_softmax_ex_{dt}", {"opts": {"softcap": NAN}},
     "FSM_INVALID_ARGUMENT"),
    ("softmax_ex mask kind 9", "fsm_softmax_ex_{dt}", {"opts": {"mask_kind": 9}},
     "FSM_INVALID_ARGUMENT"),
    ("softmax_ex NULL mask", "fsm_softmax_ex_{dt}", {"opts": {"mask_kind": 1}}, "FSM_NULL_POINTER"),
    ("softmax_ex masked_rows 2", "fsm_softmax_ex_{dt}", {"opts": {"masked_rows": 2}},
     "FSM_INVALID_ARGUMENT"),
    ("softmax_ex ndim 9", "fsm_softmax_ex_{dt}", {"opts": {"ndim": 9}}, "FSM_INVALID_ARGUMENT"),
    ("softmax_ex shape product != rows", "fsm_softmax_ex_{dt}", {"opts": {"ndim": 1, "shape0": 2}},
     "FSM_INVALID_ARGUMENT"),
    ("softmax_ex in place, causal", "fsm_softmax_ex_{dt}", {"y": "x", "opts": {"causal": 1}},
     "FSM_OK"),
    ("softmax_backward_ex softcap without x", "fsm_softmax_backward_ex_{dt}",
     {"opts": {"softcap": 3.0}}, "FSM_NULL_POINTER"),
    ("softmax_backward_ex scale nan", "fsm_softmax_backward_ex_{dt}", {"opts": {"scale": NAN}},
     "FSM_INVALID_ARGUMENT"),
    ("log_softmax_backward_ex softcap with x", "fsm_log_softmax_backward_ex_{dt}",
     {"opts": {"softcap": 3.0}, "x2": "x"}, "FSM_OK"),
    # algorithms
    ("softmax unknown algorithm", "fsm_softmax_{dt}", {"algorithm": 5}, "FSM_UNKNOWN_ALGORITHM"),
    ("log_softmax algorithm -1", "fsm_log_softmax_{dt}", {"algorithm": -1}, "FSM_UNKNOWN_ALGORITHM"),
    ("softmax unknown algorithm, empty", "fsm_softmax_{dt}",
     {"algorithm": 99, "rows": 0, "x": "NULL", "y": "NULL"}, "FSM_UNKNOWN_ALGORITHM"),
    ("softmax NULL x before the algorithm", "fsm_softmax_{dt}", {"algorithm": 99, "x": "NULL"},
     "FSM_NULL_POINTER"),
    ("softmax in place", "fsm_softmax_{dt}", {"y": "x"}, "FSM_OK"),
    ("softmax single row, stride 0", "fsm_softmax_{dt}", {"rows": 1, "xs": 0, "ys": 0}, "FSM_OK"),
    ("softmax cols 0, NULL", "fsm_softmax_{dt}", {"cols": 0, "x": "NULL", "y": "NULL", "xs": 0,
                                                   "ys": 0}, "FSM_OK"),
    ("backward in place (dx = dy)", "fsm_softmax_backward_{dt}", {"y": "b"}, "FSM_OK"),
    ("CE in place (dlogits = logits)", "fsm_cross_entropy_{dt}", {"y": "x"}, "FSM_OK"),
    # parameters: NaN, inf, out of range
    ("CE label_smoothing nan", "fsm_cross_entropy_{dt}", {"alpha": NAN}, "FSM_INVALID_ARGUMENT"),
    ("CE label_smoothing inf", "fsm_cross_entropy_{dt}", {"alpha": INF}, "FSM_INVALID_ARGUMENT"),
    ("CE label_smoothing 1.5", "fsm_cross_entropy_{dt}", {"alpha": 1.5}, "FSM_INVALID_ARGUMENT"),
    ("CE label_smoothing -0", "fsm_cross_entropy_{dt}", {"alpha": -0.0}, "FSM_OK"),
    ("soft CE label_smoothing nan", "fsm_cross_entropy_soft_{dt}", {"alpha": NAN},
     "FSM_INVALID_ARGUMENT"),
    ("soft CE label_smoothing -0.5", "fsm_cross_entropy_soft_{dt}", {"alpha": -0.5},
     "FSM_INVALID_ARGUMENT"),
    ("spherical eps nan", "fsm_spherical_softmax_{dt}", {"eps": NAN}, "FSM_INVALID_ARGUMENT"),
    ("spherical eps inf", "fsm_log_spherical_softmax_{dt}", {"eps": INF}, "FSM_INVALID_ARGUMENT"),
    ("spherical eps < 0", "fsm_spherical_softmax_{dt}", {"eps": -1e-3}, "FSM_INVALID_ARGUMENT"),
    ("spherical loss eps nan", "fsm_log_spherical_loss_{dt}", {"eps": NAN}, "FSM_INVALID_ARGUMENT"),
    ("spherical loss eps inf", "fsm_log_spherical_loss_{dt}", {"eps": INF}, "FSM_INVALID_ARGUMENT"),
    ("z a 0", "fsm_z_loss_{dt}", {"a": 0.0}, "FSM_INVALID_ARGUMENT"),
    ("z a nan", "fsm_z_loss_{dt}", {"a": NAN}, "FSM_INVALID_ARGUMENT"),
    ("z a inf", "fsm_z_loss_{dt}", {"a": INF}, "FSM_INVALID_ARGUMENT"),
    ("z b nan", "fsm_z_loss_{dt}", {"b_param": NAN}, "FSM_INVALID_ARGUMENT"),
    ("z b -inf", "fsm_z_loss_{dt}", {"b_param": -INF}, "FSM_INVALID_ARGUMENT"),
    ("z eps_z nan", "fsm_z_loss_{dt}", {"eps_z": NAN}, "FSM_INVALID_ARGUMENT"),
    ("z eps_z < 0", "fsm_z_loss_{dt}", {"eps_z": -1.0}, "FSM_INVALID_ARGUMENT"),
    ("z eps_z inf", "fsm_z_loss_{dt}", {"eps_z": INF}, "FSM_INVALID_ARGUMENT"),
    ("z cols 2", "fsm_z_loss_{dt}", {"cols": 2, "targets": [0, 1, 0]}, "FSM_INVALID_ARGUMENT"),
    ("z cols 2, no rows", "fsm_z_loss_{dt}", {"cols": 2, "rows": 0}, "FSM_OK"),
    ("z bad target before bad a", "fsm_z_loss_{dt}", {"a": NAN, "targets": [0, 9, 0]},
     "FSM_TARGET_OUT_OF_RANGE"),
    ("CE ignored rows", "fsm_cross_entropy_{dt}", {"targets": [-100, -100, -100]}, "FSM_OK"),
    ("CE ignore_index = target", "fsm_cross_entropy_{dt}", {"targets": [0, 7, 1], "ignore_index": 7},
     "FSM_OK"),
    ("CE cols 0, non-ignored row", "fsm_cross_entropy_{dt}", {"cols": 0, "xs": 0, "ys": 0},
     "FSM_TARGET_OUT_OF_RANGE"),
    # softmax along an axis (1 x 3 x 4 by default)
    *[(f"{name} {cid}", f"fsm_{name}_axis_{{dt}}", over, status)
      for name in ("softmax", "log_softmax")
      for cid, over, status in [
          ("NULL x", {"x": "NULL"}, "FSM_NULL_POINTER"),
          ("NULL y", {"y": "NULL"}, "FSM_NULL_POINTER"),
          ("NULL everything, empty", {"n1": 0, "x": "NULL", "y": "NULL"}, "FSM_OK"),
          ("NULL everything, empty axis", {"rows": 0, "x": "NULL", "y": "NULL"}, "FSM_OK"),
          ("axis stride < inner", {"xas": 3}, "FSM_INVALID_STRIDE"),
          ("y axis stride -3", {"yas": -3}, "FSM_INVALID_STRIDE"),
          ("outer stride < inner", {"n1": 2, "xos": 3}, "FSM_INVALID_STRIDE"),
          ("axis stride 2**62", {"xas": 2 ** 62}, "FSM_SIZE_OVERFLOW"),
          ("axis stride -2**63", {"xas": -(2 ** 63)}, "FSM_SIZE_OVERFLOW"),
          ("outer stride 2**62", {"n1": 2, "yos": -(2 ** 62)}, "FSM_SIZE_OVERFLOW"),
          ("inner = SIZE_MAX", {"rows": 1, "cols": SIZE_MAX}, "FSM_SIZE_OVERFLOW"),
          ("inner = SIZE_MAX, short stride", {"cols": SIZE_MAX}, "FSM_INVALID_STRIDE"),
          ("unknown algorithm", {"algorithm": 5}, "FSM_UNKNOWN_ALGORITHM"),
          ("in place", {"y": "x"}, "FSM_OK"),
          ("one row of the axis", {"rows": 1, "xas": 0, "yas": 0}, "FSM_OK"),
      ]],
    # the VJPs along an axis (1 x 3 x 4 by default)
    *[(f"{name} backward along an axis: {cid}", f"fsm_{name}_backward_axis_{{dt}}", over, status)
      for name in ("softmax", "log_softmax")
      for cid, over, status in [
          ("NULL a", {"x": "NULL"}, "FSM_NULL_POINTER"),
          ("NULL b", {"b": "NULL"}, "FSM_NULL_POINTER"),
          ("NULL dx", {"y": "NULL"}, "FSM_NULL_POINTER"),
          ("NULL everything, empty", {"cols": 0, "x": "NULL", "b": "NULL", "y": "NULL"}, "FSM_OK"),
          ("b axis stride < inner", {"bas": -3}, "FSM_INVALID_STRIDE"),
          ("dx outer stride < inner", {"n1": 2, "yos": 2}, "FSM_INVALID_STRIDE"),
          ("a axis stride 2**62", {"xas": 2 ** 62}, "FSM_SIZE_OVERFLOW"),
          ("b axis stride -2**63", {"bas": -(2 ** 63)}, "FSM_SIZE_OVERFLOW"),
          ("in place (dx = b)", {"y": "b"}, "FSM_OK"),
      ]],
    # the spherical partials (no matrices)
    ("partials kind 0", "fsm_spherical_loss_partials", {"kind": 0}, "FSM_INVALID_ARGUMENT"),
    ("partials kind 4", "fsm_spherical_loss_partials", {"kind": 4}, "FSM_INVALID_ARGUMENT"),
    ("partials cols 0", "fsm_spherical_loss_partials", {"cols1": 0}, "FSM_INVALID_ARGUMENT"),
    ("partials z cols 2", "fsm_spherical_loss_partials", {"kind": 3, "cols1": 2, "p1": 1.0},
     "FSM_INVALID_ARGUMENT"),
    ("partials z a nan", "fsm_spherical_loss_partials", {"kind": 3, "p1": NAN},
     "FSM_INVALID_ARGUMENT"),
    ("partials spherical eps -1", "fsm_spherical_loss_partials", {"kind": 1, "p1": -1.0},
     "FSM_INVALID_ARGUMENT"),
    ("partials NULL out", "fsm_spherical_loss_partials", {"out5": "NULL"}, "FSM_NULL_POINTER"),
    # ISAs
    ("set_isa 99", "fsm_set_isa", {"isa": 99}, "FSM_UNKNOWN_ISA"),
    ("set_isa -1", "fsm_set_isa", {"isa": -1}, "FSM_UNKNOWN_ISA"),
    ("set_isa COUNT", "fsm_set_isa", {"isa": 6}, "FSM_UNKNOWN_ISA"),
    ("set_thread_isa 99", "fsm_set_thread_isa", {"isa": 99}, "FSM_UNKNOWN_ISA"),
    ("set_thread_isa -7", "fsm_set_thread_isa", {"isa": -7}, "FSM_UNKNOWN_ISA"),
    ("isa_from_name NULL name", "fsm_isa_from_name", {"name": "NULL"}, "FSM_NULL_POINTER"),
    ("isa_from_name NULL out", "fsm_isa_from_name", {"isa_out": "NULL"}, "FSM_NULL_POINTER"),
    ("isa_from_name empty", "fsm_isa_from_name", {"name": b""}, "FSM_UNKNOWN_ISA"),
    ("isa_from_name upper case", "fsm_isa_from_name", {"name": b"SCALAR"}, "FSM_UNKNOWN_ISA"),
    ("isa_from_name trailing space", "fsm_isa_from_name", {"name": b"avx2 "}, "FSM_UNKNOWN_ISA"),
    ("isa_from_name long", "fsm_isa_from_name", {"name": b"x" * 100000}, "FSM_UNKNOWN_ISA"),
    # states
    ("merge NULL a", "fsm_merge_softmax_states", {"st_in": "NULL"}, "FSM_NULL_POINTER"),
    ("merge NULL b", "fsm_merge_softmax_states", {"st_in2": "NULL"}, "FSM_NULL_POINTER"),
    ("merge NULL out", "fsm_merge_softmax_states", {"st_out": "NULL"}, "FSM_NULL_POINTER"),
    ("merge n = SIZE_MAX, NULL out", "fsm_merge_softmax_states",
     {"n": SIZE_MAX, "st_out": "NULL"}, "FSM_NULL_POINTER"),
    ("merge n = 0, all NULL", "fsm_merge_softmax_states",
     {"n": 0, "st_in": "NULL", "st_in2": "NULL", "st_out": "NULL"}, "FSM_OK"),
    ("merge in place", "fsm_merge_softmax_states", {"st_out": "st_in"}, "FSM_OK"),
    ("logsumexp NULL states", "fsm_logsumexp_from_states", {"st_in": "NULL"}, "FSM_NULL_POINTER"),
    ("logsumexp NULL out", "fsm_logsumexp_from_states", {"lse_out": "NULL"}, "FSM_NULL_POINTER"),
    ("logsumexp n = -1, NULL", "fsm_logsumexp_from_states", {"n": -1, "st_in": "NULL"},
     "FSM_NULL_POINTER"),
    ("from_state in place", "fsm_softmax_from_state_{dt}", {"y": "x"}, "FSM_OK"),
    # logsumexp and the decoding helpers (issue 16)
    ("topk k 0", "fsm_topk_softmax_{dt}", {"k": 0}, "FSM_INVALID_ARGUMENT"),
    ("topk k > cols", "fsm_topk_softmax_{dt}", {"k": 5, "ps": 5, "is": 5}, "FSM_INVALID_ARGUMENT"),
    ("topk k = cols", "fsm_topk_softmax_{dt}", {"k": 4, "ps": 4, "is": 4}, "FSM_OK"),
    ("topk probs stride < k", "fsm_topk_softmax_{dt}", {"ps": 1}, "FSM_INVALID_STRIDE"),
    ("topk indices stride < k", "fsm_topk_softmax_{dt}", {"is": 1}, "FSM_INVALID_STRIDE"),
    ("topk probs stride SIZE_MAX", "fsm_topk_softmax_{dt}", {"ps": SIZE_MAX}, "FSM_SIZE_OVERFLOW"),
    ("topk renormalize", "fsm_topk_softmax_{dt}", {"renorm": 1}, "FSM_OK"),
    ("sample cols 0", "fsm_sample_{dt}", {"cols": 0, "xs": 0}, "FSM_INVALID_ARGUMENT"),
    ("sample temperature 0", "fsm_sample_{dt}", {"params": {"temperature": 0.0}},
     "FSM_INVALID_ARGUMENT"),
    ("sample temperature nan", "fsm_sample_{dt}", {"params": {"temperature": NAN}},
     "FSM_INVALID_ARGUMENT"),
    ("sample temperature inf", "fsm_sample_{dt}", {"params": {"temperature": INF}},
     "FSM_INVALID_ARGUMENT"),
    ("sample top_p 0", "fsm_sample_{dt}", {"params": {"top_p": 0.0}}, "FSM_INVALID_ARGUMENT"),
    ("sample top_p nan", "fsm_sample_{dt}", {"params": {"top_p": NAN}}, "FSM_INVALID_ARGUMENT"),
    ("sample top_p 1.01", "fsm_sample_{dt}", {"params": {"top_p": 1.01}}, "FSM_INVALID_ARGUMENT"),
    ("sample min_p -1", "fsm_sample_{dt}", {"params": {"min_p": -1.0}}, "FSM_INVALID_ARGUMENT"),
    ("sample min_p nan", "fsm_sample_{dt}", {"params": {"min_p": NAN}}, "FSM_INVALID_ARGUMENT"),
    ("sample top_k > cols", "fsm_sample_{dt}", {"params": {"top_k": 5}}, "FSM_INVALID_ARGUMENT"),
    ("sample uniform 1", "fsm_sample_{dt}", {"unif": [0.5, 1.0, 0.1]}, "FSM_INVALID_ARGUMENT"),
    ("sample uniform nan", "fsm_sample_{dt}", {"unif": [0.5, NAN, 0.1]}, "FSM_INVALID_ARGUMENT"),
    ("sample uniform -0.1", "fsm_sample_{dt}", {"unif": [-0.1, 0.5, 0.1]}, "FSM_INVALID_ARGUMENT"),
    ("sample no filter", "fsm_sample_{dt}",
     {"params": {"top_p": 1.0, "top_k": 0, "min_p": 0.0}}, "FSM_OK"),
    # threads
    ("set_num_threads 257", "fsm_set_num_threads", {"n": 257}, "FSM_INVALID_ARGUMENT"),
    ("set_num_threads SIZE_MAX", "fsm_set_num_threads", {"n": SIZE_MAX}, "FSM_INVALID_ARGUMENT"),
    ("set_num_threads -1", "fsm_set_num_threads", {"n": -1}, "FSM_INVALID_ARGUMENT"),
] + _generated_c_cases()
