/* dlopen/dlsym core of the lazily loaded libraries (see lazy_load.h). */
#include "core/lazy_load.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

/* A missing library or symbol means a broken installation, found in the
 * middle of some C call (an HTTP request, a tar stream) that has no way to
 * report it: the stubs must return what the real function returns and have
 * no lua_State. So this is the one place below main() that exits, with one
 * line naming the library and the package to install. */
static void lazy_fail(const struct lazy_lib *lib, const char *symbol)
{
    fprintf(stderr, "fgrun: cannot load %s%s%s (Debian package %s): %s\n", symbol ? symbol : "",
            symbol ? " from " : "", lib->soname, lib->package, dlerror());
    exit(1);
}

void *lazy_symbol(struct lazy_lib *lib, const char *name)
{
    /* RTLD_NOW: a missing dependency fails here, not in a later call.
     * RTLD_LOCAL: the stubs reach the symbols through dlsym; nothing else
     * needs them in the global scope. */
    if (!lib->handle && !(lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL)))
        lazy_fail(lib, NULL);
    dlerror();
    void *sym = dlsym(lib->handle, name);
    if (!sym)
        lazy_fail(lib, name);
    return sym;
}
