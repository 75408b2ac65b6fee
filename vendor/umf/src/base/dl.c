#include "dl.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

void *umf_dl_open(const char *env, const char *default_name, int flags, const char **name, const char **why) {
    const char *lib = getenv(env);
    if (lib == NULL || lib[0] == '\0') {
        lib = default_name;
    }
    *name = lib;
    void *h = dlopen(lib, flags);
    if (h == NULL) {
        const char *text = dlerror();
        *why = text ? text : "unknown error";
    }
    return h;
}

const char *umf_dl_resolve(void *handle, const umf_dl_symbol_t *symbols, size_t count, void *table,
                           size_t table_size) {
    memset(table, 0, table_size);
    for (size_t i = 0; i < count; i++) {
        void *fn = dlsym(handle, symbols[i].name);
        if (fn == NULL && !symbols[i].optional) {
            return symbols[i].name;
        }
        memcpy((char *)table + symbols[i].offset, &fn, sizeof(fn));
    }
    return NULL;
}
