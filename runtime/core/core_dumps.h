/* Core dumps off: see core_dumps.c. */
#ifndef FG_CORE_DUMPS_H
#define FG_CORE_DUMPS_H

/* Makes this process write no core file and refuse ptrace and
 * /proc/<pid>/mem to other processes of the same user. */
void fg_core_dumps_off(void);

#endif
