/*
 * fastsoftmax from C: softmax of a 2 x 4 float32 matrix, printed row by row.
 *
 * Build against an installed fastsoftmax (see examples/README.md):
 *   CMake:      cmake -S . -B build -DCMAKE_PREFIX_PATH=<prefix> && cmake --build build
 *   pkg-config: cc -std=c99 main.c $(pkg-config --cflags --libs fastsoftmax) -o softmax_c
 */
#include <stdio.h>

#include <fastsoftmax.h>

int main(void) {
  enum { ROWS = 2, COLS = 4 };
  const float x[ROWS][COLS] = {{1.0f, 2.0f, 3.0f, 4.0f}, {-1.0f, 0.0f, 0.5f, 10.0f}};
  float y[ROWS][COLS];

  fsm_status status = fsm_softmax_f32(ROWS, COLS, &x[0][0], COLS, &y[0][0], COLS,
                                      FSM_ALGORITHM_AUTO);
  if (status != FSM_OK) {
    fprintf(stderr, "fsm_softmax_f32: %s\n", fsm_status_string(status));
    return 1;
  }
  printf("# fastsoftmax %s, isa %s\n", fsm_version(), fsm_isa_name(fsm_active_isa()));
  for (int r = 0; r < ROWS; r++) {
    for (int c = 0; c < COLS; c++) printf(c ? " %.9g" : "%.9g", (double)y[r][c]);
    printf("\n");
  }
  return 0;
}
