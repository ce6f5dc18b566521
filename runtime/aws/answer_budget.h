/* The memory an answer may take to decode: see answer_budget.c. */
#ifndef FG_ANSWER_BUDGET_H
#define FG_ANSWER_BUDGET_H
#include <stddef.h>

#define FG_ANSWER_BUDGET (256u * 1024 * 1024)

/* The bytes that decoding the JSON text s would take, at most about: 0
 * when it is certainly within FG_ANSWER_BUDGET (short texts are not
 * scanned). */
size_t fg_answer_json_cost(const char *s, size_t len);

#endif
