/* Helpers shared by the OS provider tests. */
#ifndef UMF_TEST_PROVIDER_OS_TEST_H
#define UMF_TEST_PROVIDER_OS_TEST_H 1

#include <link.h>
#include <string.h>

static int os_test_find_hwloc(struct dl_phdr_info *info, size_t size, void *found) {
    (void)size;
    if (info->dlpi_name && strstr(info->dlpi_name, "libhwloc")) {
        *(int *)found = 1;
    }
    return 0;
}

/*
 * Whether libumf was built with hwloc: it then depends on libhwloc, which the
 * loader brought into this process. Decided without asking the provider, so a
 * provider that wrongly refuses NUMA modes still fails the tests.
 */
static inline int os_test_umf_has_hwloc(void) {
    int found = 0;
    dl_iterate_phdr(os_test_find_hwloc, &found);
    return found;
}

#endif
