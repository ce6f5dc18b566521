/* The AWS service models embedded by tools/gen_models.py (build/gen/models_data.c). */
#ifndef FG_MODEL_DATA_H
#define FG_MODEL_DATA_H
#include <stddef.h>

/* Where one operation or shape sits in a service's JSON text. */
struct fg_model_span {
    const char *name;
    size_t offset, length; /* bytes, 0-based */
};

/* One service: its service-2 JSON text and indexes into it, sorted by name
 * (strcmp order) so lookups are binary searches. */
struct fg_model {
    const char *service; /* botocore's name: "ec2", "application-autoscaling" */
    const char *text;    /* service-2.json, minified, keys sorted */
    size_t text_length;
    struct {
        size_t offset, length;
    } metadata;
    const struct fg_model_span *operations;
    size_t operation_count;
    const struct fg_model_span *shapes;
    size_t shape_count;
    const char *paginators; /* paginators-1.json, or NULL */
    const char *waiters;    /* waiters-2.json, or NULL */
};

/* Sorted by service name. */
extern const struct fg_model fg_models[];
extern const size_t fg_model_count;

#endif
