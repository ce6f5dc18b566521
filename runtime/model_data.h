/* The AWS service models embedded by tools/gen_models.py (build/gen/models_data.c). */
#ifndef FG_MODEL_DATA_H
#define FG_MODEL_DATA_H
#include <stddef.h>

/* One JSON document of one service, zlib-compressed. */
struct fg_model_blob {
    const char *service;         /* botocore's name: "ec2", "application-autoscaling" */
    const char *kind;            /* "service", "index", "paginators", "waiters" */
    const unsigned char *data;   /* zlib stream */
    size_t size;                 /* bytes in data */
    size_t raw_size;             /* bytes once inflated */
};

extern const struct fg_model_blob fg_model_blobs[];
extern const size_t fg_model_blob_count;

#endif
