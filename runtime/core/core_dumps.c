/* fgrun holds AWS credentials and registry passwords in its memory. A core
 * file written on a crash would keep them on disk, readable by whoever can
 * read the folder, so at start (unless --debug) the core size limit is set
 * to 0 and the process is made non-dumpable, which also stops other
 * processes of the same user from reading its memory and environment
 * through ptrace or /proc/<pid>/mem and environ. Programs it starts get
 * the limit of 0 (they reset dumpability when they exec). */
#include "core/core_dumps.h"
#include <sys/prctl.h>
#include <sys/resource.h>

void fg_core_dumps_off(void)
{
    struct rlimit r;
    if (getrlimit(RLIMIT_CORE, &r) == 0) {
        r.rlim_cur = 0;
        setrlimit(RLIMIT_CORE, &r);
    }
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
