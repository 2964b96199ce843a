/*
 * The public training API end to end under every ISA this machine can run:
 * status codes (and nothing written on error), ignore_index, strided rows,
 * in place, the near-certain cross-entropy, float64.
 */
#include "test_util.h"
#include "fastsoftmax.h"

static void test_cross_entropy(const char *isa) {
  /* [30, 0, 0], target 0: loss log1p(2e-30...) and gradient -S'/S != 0 */
  enum { COLS = 3, STRIDE = 5 };
  float x[2 * STRIDE] = {30.0f, 0.0f, 0.0f, 9.0f, 9.0f, 1.0f, 2.0f, 3.0f, 9.0f, 9.0f};
  float loss[2], dx[2 * STRIDE];
  for (int i = 0; i < 2 * STRIDE; i++) dx[i] = 7.0f;
  int64_t t[2] = {0, 2};
  CHECK(fsm_cross_entropy_f32(2, COLS, x, STRIDE, t, -100, 0.0, 1.0, loss, dx, STRIDE) == FSM_OK,
        "%s CE status", isa);
  const double s = 2.0 * exp(-30.0), exact = s / (1.0 + s);
  CHECK(fabs(dx[0] + exact) <= 1e-6 * exact, "%s CE near certainty: %g vs %g", isa, dx[0], -exact);
  CHECK(fabs(loss[0] - log1p(s)) <= 1e-6 * log1p(s), "%s CE near-certain loss %g", isa, loss[0]);
  CHECK(dx[3] == 7.0f && dx[4] == 7.0f, "%s CE wrote into the stride gap", isa);
  const double lse = log(exp(1.0) + exp(2.0) + exp(3.0));
  CHECK(fabs(loss[1] - (lse - 3.0)) <= 1e-6, "%s CE row 1 loss", isa);
  CHECK(fabs(dx[STRIDE] - exp(1.0 - lse)) <= 1e-6, "%s CE row 1 grad", isa);

  /* ignore_index row: zero loss, zero gradient; in place */
  float y[COLS] = {1.0f, 2.0f, 3.0f};
  int64_t ign = -1;
  CHECK(fsm_cross_entropy_f32(1, COLS, y, COLS, &ign, -1, 0.1, 0.5, loss, y, COLS) == FSM_OK,
        "%s CE ignore", isa);
  CHECK(loss[0] == 0.0f && y[0] == 0.0f && y[2] == 0.0f, "%s CE ignore row", isa);

  /* errors: nothing written */
  int64_t bad[2] = {0, 3};
  loss[0] = loss[1] = 5.0f;
  CHECK(fsm_cross_entropy_f32(2, COLS, x, STRIDE, bad, -100, 0.0, 1.0, loss, dx, STRIDE) ==
            FSM_TARGET_OUT_OF_RANGE, "%s CE out of range", isa);
  bad[1] = -5;
  CHECK(fsm_cross_entropy_f32(2, COLS, x, STRIDE, bad, -100, 0.0, 1.0, loss, dx, STRIDE) ==
            FSM_TARGET_OUT_OF_RANGE, "%s CE negative target", isa);
  CHECK(loss[0] == 5.0f && loss[1] == 5.0f, "%s CE wrote on error", isa);
  CHECK(fsm_cross_entropy_f32(2, COLS, x, STRIDE, NULL, -100, 0.0, 1.0, loss, dx, STRIDE) ==
            FSM_NULL_POINTER, "%s CE NULL targets", isa);
  CHECK(fsm_cross_entropy_f32(2, COLS, x, STRIDE, t, -100, 1.5, 1.0, loss, dx, STRIDE) ==
            FSM_INVALID_ARGUMENT, "%s CE label smoothing", isa);
  CHECK(fsm_cross_entropy_f32(2, COLS, x, 2, t, -100, 0.0, 1.0, loss, dx, STRIDE) ==
            FSM_INVALID_STRIDE, "%s CE stride", isa);
  CHECK(fsm_cross_entropy_f32(1, 0, x, 0, t, -100, 0.0, 1.0, loss, NULL, 0) ==
            FSM_TARGET_OUT_OF_RANGE, "%s CE cols == 0", isa);
  CHECK(fsm_cross_entropy_f32(0, 3, NULL, 3, NULL, -100, 0.0, 1.0, NULL, NULL, 3) == FSM_OK,
        "%s CE empty", isa);
}

static void test_others(const char *isa) {
  float x[8] = {1.0f, -2.0f, 0.5f, 3.0f, 0.0f, 0.0f, 0.0f, 1.0f}, y[8], l[2];
  int64_t t[2] = {1, 3};
  CHECK(fsm_spherical_softmax_f32(2, 4, x, 4, y, 4, -1.0) == FSM_INVALID_ARGUMENT, "%s eps", isa);
  CHECK(fsm_log_spherical_loss_f32(2, 4, x, 4, t, -100, -1.0, 1.0, l, y, 4) == FSM_INVALID_ARGUMENT,
        "%s loss eps", isa);
  CHECK(fsm_z_loss_f32(2, 4, x, 4, t, -100, 0.0, 0.0, 0.0, 1.0, l, y, 4) == FSM_INVALID_ARGUMENT,
        "%s z a", isa);
  const int64_t t01[2] = {1, 0};
  CHECK(fsm_z_loss_f32(2, 2, x, 4, t01, -100, 1.0, 0.0, 0.0, 1.0, l, y, 4) == FSM_INVALID_ARGUMENT,
        "%s z cols < 3", isa);
  /* the documented order: matrices, then targets, then parameters */
  CHECK(fsm_z_loss_f32(2, 4, NULL, 4, t, -100, 0.0, 0.0, 0.0, 1.0, l, y, 4) == FSM_NULL_POINTER,
        "%s z: NULL x before a bad a", isa);
  CHECK(fsm_log_spherical_loss_f32(2, 4, x, 4, t01, -100, -1.0, 1.0, l, y, 2) ==
            FSM_INVALID_STRIDE, "%s loss: stride before a bad eps", isa);
  CHECK(fsm_cross_entropy_f32(2, 3, x, 4, t, -100, -1.0, 1.0, l, y, 4) ==
            FSM_TARGET_OUT_OF_RANGE, "%s CE: target before a bad label_smoothing", isa);
  CHECK(fsm_stablemax_cross_entropy_f32(2, 3, x, 4, t, -100, 1.0, l, y, 4) ==
            FSM_TARGET_OUT_OF_RANGE, "%s stablemax target", isa);
  double st[6];
  CHECK(fsm_spherical_stats_f32(2, 4, x, 4, t, st) == FSM_OK && st[0] == 2.5 && st[1] == 14.25 &&
            st[2] == -2.0 && st[5] == 1.0, "%s stats", isa);
  double out[5];
  CHECK(fsm_spherical_loss_partials((fsm_spherical_loss)9, 4, 1, 1, 1, 0, 0, 0, out) ==
            FSM_INVALID_ARGUMENT, "%s partials kind", isa);
  /* Z-loss: gradient sums to 0 and sum x g = 0 */
  float g[8];
  CHECK(fsm_z_loss_f32(2, 4, x, 4, t, -100, 1.0, 0.0, 0.0, 1.0, l, g, 4) == FSM_OK, "%s z", isa);
  double sg = 0, sxg = 0;
  for (int i = 0; i < 4; i++) sg += g[i], sxg += (double)x[i] * g[i];
  CHECK(fabs(sg) < 1e-6 && fabs(sxg) < 1e-6, "%s z invariants %g %g", isa, sg, sxg);
  /* VJPs: in place into dy, float64 */
  float p[3] = {0.2f, 0.3f, 0.5f}, dy[3] = {1.0f, 2.0f, 3.0f};
  CHECK(fsm_softmax_backward_f32(1, 3, p, 3, dy, 3, dy, 3) == FSM_OK, "%s vjp", isa);
  CHECK(fabs(dy[0] - 0.2 * (1 - 2.3)) < 1e-6, "%s vjp value", isa);
  double pd[3] = {0.2, 0.3, 0.5}, dyd[3] = {1.0, 2.0, 3.0}, dxd[3];
  CHECK(fsm_softmax_backward_f64(1, 3, pd, 3, dyd, 3, dxd, 3) == FSM_OK &&
            fabs(dxd[2] - 0.5 * (3 - 2.3)) < 1e-15, "%s vjp f64", isa);
}

/* dlogits == logits (in place, allowed by the header) gives exactly what
 * separate buffers give: every loss reads what it needs before it writes
 * the gradient. Rows: long random ones (every form: reload, extended,
 * label smoothing), a collapsed one (all non-target logits ~75 below the
 * target: its rest sum underflows in float) and x_c = -inf. */
static void test_in_place(const char *isa) {
  enum { ROWS = 4, COLS = 1000 };
  static float x[ROWS * COLS], y[ROWS * COLS], dx[ROWS * COLS];
  float loss[ROWS], loss_ip[ROWS];
  int64_t t[ROWS] = {3, 999, 0, 500};
  for (size_t i = 0; i < ROWS * COLS; i++) x[i] = (float)(8.0 * rng_uniform() - 4.0);
  for (size_t i = 0; i < COLS; i++) x[2 * COLS + i] = 5.0f;
  x[2 * COLS + 0] = 80.0f;
  x[3 * COLS + 500] = -INFINITY;
  for (int form = 0; form < 5; form++) {
    fsm_status st_a, st_b;
    memcpy(y, x, sizeof x);
    switch (form) {
      case 0: case 1:  /* cross-entropy without and with label smoothing */
        st_a = fsm_cross_entropy_f32(ROWS, COLS, x, COLS, t, -100, form ? 0.1 : 0.0, 0.5, loss, dx, COLS);
        st_b = fsm_cross_entropy_f32(ROWS, COLS, y, COLS, t, -100, form ? 0.1 : 0.0, 0.5, loss_ip, y, COLS);
        break;
      case 2:
        st_a = fsm_z_loss_f32(ROWS - 1, COLS, x, COLS, t, -100, 1.0, 0.5, 0.0, 0.5, loss, dx, COLS);
        st_b = fsm_z_loss_f32(ROWS - 1, COLS, y, COLS, t, -100, 1.0, 0.5, 0.0, 0.5, loss_ip, y, COLS);
        break;
      case 3:
        st_a = fsm_log_spherical_loss_f32(ROWS, COLS, x, COLS, t, -100, 1e-6, 0.5, loss, dx, COLS);
        st_b = fsm_log_spherical_loss_f32(ROWS, COLS, y, COLS, t, -100, 1e-6, 0.5, loss_ip, y, COLS);
        break;
      default:
        st_a = fsm_stablemax_cross_entropy_f32(ROWS, COLS, x, COLS, t, -100, 0.5, loss, dx, COLS);
        st_b = fsm_stablemax_cross_entropy_f32(ROWS, COLS, y, COLS, t, -100, 0.5, loss_ip, y, COLS);
        break;
    }
    CHECK(st_a == FSM_OK && st_b == FSM_OK, "%s in place form %d: status %d %d", isa, form, st_a, st_b);
    const size_t rows = form == 2 ? ROWS - 1 : ROWS;
    CHECK(memcmp(loss, loss_ip, rows * sizeof(float)) == 0 && memcmp(dx, y, rows * COLS * sizeof(float)) == 0,
          "%s in place form %d differs from separate buffers (loss %g vs %g)", isa, form, loss[2], loss_ip[2]);
  }
  /* the collapsed row's loss is the extended sum's, not 0 or a flushed sum */
  fsm_cross_entropy_f32(1, COLS, x + 2 * COLS, COLS, t + 2, -100, 0.0, 1.0, loss, NULL, 0);
  const double rest = (COLS - 1) * exp(-75.0);
  CHECK(fabs(loss[0] - rest) <= 1e-6 * rest, "%s collapsed row: loss %g, not %g", isa, loss[0], rest);
}

int main(void) {
  for (int v = FSM_ISA_SCALAR; v < FSM_ISA_COUNT; v++) {
    if (!fsm_isa_supported((fsm_isa)v)) continue;
    CHECK(fsm_set_isa((fsm_isa)v) == FSM_OK && fsm_active_isa() == (fsm_isa)v, "set isa");
    mark_isa_tested(fsm_isa_name((fsm_isa)v));  /* FSM_TEST_REQUIRE_ISA: test_util.h */
    const char *isa = fsm_isa_name((fsm_isa)v);
    test_cross_entropy(isa);
    test_others(isa);
    test_in_place(isa);
    printf("%-7s training API: checked\n", isa);
  }
  fsm_set_isa(FSM_ISA_AUTO);
  CHECK(strcmp(fsm_status_string(FSM_TARGET_OUT_OF_RANGE), "a target class index is out of range") == 0,
        "status string");
  return finish("test_training_api");
}
