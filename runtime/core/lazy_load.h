/* Shared libraries opened on first use instead of at every start.
 *
 * libcurl, libarchive and libcrypto (with the ~40 libraries they pull in)
 * cost several milliseconds per process to map, relocate and initialise,
 * though most runs (`fgrun -e ...`, the REPL, a script that only reads
 * JSON) never call them. fgrun is therefore not linked against them: the
 * lazy_<lib>.c files define each function the runtime uses, with the
 * library's own prototype (its header is included, so the compiler checks
 * the match), and forward to the real symbol, resolved on the first call.
 * A function from these libraries that has no stub is an undefined
 * reference at link time: add its stub to the library's lazy_<lib>.c.
 *
 * The host is single-threaded (libcurl's resolver threads never call these
 * stubs), so the resolved pointers need no synchronisation. */
#ifndef FG_LAZY_LOAD_H
#define FG_LAZY_LOAD_H

struct lazy_lib {
    const char *soname;  /* what to dlopen, e.g. "libcurl.so.4" */
    const char *package; /* the Debian package that provides it */
    void *handle;        /* NULL until first opened */
};

/* The address of `name` in `lib`, opening `lib` first if needed.
 * Does not return when the library or the symbol is missing. */
void *lazy_symbol(struct lazy_lib *lib, const char *name);

/* Declares `real`, a pointer with the exact type of the library function
 * `name` (from its header), resolved in `lib` on the first call. */
#define LAZY_RESOLVE(lib, name)    \
    static __typeof__(name) *real; \
    if (!real)                     \
    real = (__typeof__(name) *)lazy_symbol(&(lib), #name)

#endif
