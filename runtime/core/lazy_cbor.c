/* libcbor, opened on first use (see lazy_load.h): the smithy-rpc-v2-cbor
 * protocol's item heads, read (runtime/aws/cbor_read.c) and written
 * (runtime/aws/cbor_write.c). */
#include "core/lazy_load.h"

#include <cbor.h>

static struct lazy_lib libcbor = {"libcbor.so.0.8", "libcbor0.8", NULL};

struct cbor_decoder_result cbor_stream_decode(cbor_data buffer, size_t buffer_size,
                                              const struct cbor_callbacks *callbacks, void *context)
{
    LAZY_RESOLVE(libcbor, cbor_stream_decode);
    return real(buffer, buffer_size, callbacks, context);
}

size_t cbor_encode_uint(uint64_t value, unsigned char *buffer, size_t size)
{
    LAZY_RESOLVE(libcbor, cbor_encode_uint);
    return real(value, buffer, size);
}

size_t cbor_encode_negint(uint64_t value, unsigned char *buffer, size_t size)
{
    LAZY_RESOLVE(libcbor, cbor_encode_negint);
    return real(value, buffer, size);
}

size_t cbor_encode_bytestring_start(size_t length, unsigned char *buffer, size_t size)
{
    LAZY_RESOLVE(libcbor, cbor_encode_bytestring_start);
    return real(length, buffer, size);
}

size_t cbor_encode_string_start(size_t length, unsigned char *buffer, size_t size)
{
    LAZY_RESOLVE(libcbor, cbor_encode_string_start);
    return real(length, buffer, size);
}

size_t cbor_encode_array_start(size_t length, unsigned char *buffer, size_t size)
{
    LAZY_RESOLVE(libcbor, cbor_encode_array_start);
    return real(length, buffer, size);
}

size_t cbor_encode_map_start(size_t length, unsigned char *buffer, size_t size)
{
    LAZY_RESOLVE(libcbor, cbor_encode_map_start);
    return real(length, buffer, size);
}

size_t cbor_encode_tag(uint64_t value, unsigned char *buffer, size_t size)
{
    LAZY_RESOLVE(libcbor, cbor_encode_tag);
    return real(value, buffer, size);
}

size_t cbor_encode_bool(bool value, unsigned char *buffer, size_t size)
{
    LAZY_RESOLVE(libcbor, cbor_encode_bool);
    return real(value, buffer, size);
}

size_t cbor_encode_null(unsigned char *buffer, size_t size)
{
    LAZY_RESOLVE(libcbor, cbor_encode_null);
    return real(buffer, size);
}

size_t cbor_encode_single(float value, unsigned char *buffer, size_t size)
{
    LAZY_RESOLVE(libcbor, cbor_encode_single);
    return real(value, buffer, size);
}

size_t cbor_encode_double(double value, unsigned char *buffer, size_t size)
{
    LAZY_RESOLVE(libcbor, cbor_encode_double);
    return real(value, buffer, size);
}
