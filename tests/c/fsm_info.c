/* Prints what the dispatcher chose; the qemu-x86_64 dispatch tests match
 * "isa=<name>" on its stdout. */
#include <stdio.h>

#include "fastsoftmax.h"

int main(void) {
  printf("fastsoftmax %s\n", fsm_version());
  printf("isa=%s\n", fsm_isa_name(fsm_active_isa()));
  printf("detected=%s\n", fsm_isa_name(fsm_detected_isa()));
  printf("available=");
  for (int v = FSM_ISA_SCALAR; v < FSM_ISA_COUNT; v++)
    if (fsm_isa_supported((fsm_isa)v)) printf("%s ", fsm_isa_name((fsm_isa)v));
  printf("\nenvironment=%s\n", fsm_status_string(fsm_environment_status()));
  return 0;
}
