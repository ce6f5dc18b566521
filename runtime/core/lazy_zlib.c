/* zlib, opened on first use (see lazy_load.h): reading a gzipped botocore
 * model (runtime/aws/model_files.c) and CRC32 checksums (runtime/aws/digest.c). */
#include "core/lazy_load.h"

#include <zlib.h>

static struct lazy_lib libz = {"libz.so.1", "zlib1g", NULL};

int inflateInit2_(z_streamp strm, int window_bits, const char *version, int stream_size)
{
    LAZY_RESOLVE(libz, inflateInit2_);
    return real(strm, window_bits, version, stream_size);
}

int inflate(z_streamp strm, int flush)
{
    LAZY_RESOLVE(libz, inflate);
    return real(strm, flush);
}

int inflateEnd(z_streamp strm)
{
    LAZY_RESOLVE(libz, inflateEnd);
    return real(strm);
}

uLong crc32(uLong crc, const Bytef *buf, uInt len)
{
    LAZY_RESOLVE(libz, crc32);
    return real(crc, buf, len);
}
