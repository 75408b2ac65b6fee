#include "test_common.h"

int umf_test_failures;
int umf_test_checks;
const char *umf_test_current = "";
