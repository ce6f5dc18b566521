/* Timestamps: ISO-8601 and RFC 822 (HTTP date) text read into epoch
 * seconds, and ISO-8601 UTC text written from them ("2015-01-25T08:00:00Z",
 * the fraction kept to the microsecond when there is one). Lua values carry
 * timestamps as that ISO text. require "base.time" gives parse, iso,
 * rfc822 and normalize to Lua (aws serializers and validation, fg waits,
 * docker); aws/creds_object.c, the shape decoders and aws/cbor_write.c
 * use the C side. */
#ifndef FG_TIME_H
#define FG_TIME_H
#include <lua.h>
#include <stddef.h>

/* Reads ISO-8601 (date, 'T', time, optional fraction, then 'Z', an offset
 * +hh:mm or nothing for UTC; surrounding spaces allowed) or RFC 822 ("Sun,
 * 25 Jan 2015 08:00:00 GMT"). Sets the whole seconds and the fraction
 * (0 <= *fraction < 1); returns 0, or -1 when s is neither. */
int fg_time_parse(const char *s, size_t len, long long *whole, double *fraction);

/* Pushes the epoch seconds of the value at idx (a number, text parse
 * reads, or epoch seconds as text; an integer when whole), or nil when it
 * is no timestamp: base.time's parse. */
void fg_time_push_epoch(lua_State *L, int idx);

/* Replaces the timestamp at the top of the stack (ISO text, epoch number,
 * or any form parse reads) with its ISO-8601 UTC text; anything else is
 * left as it is. Raises when the time has no calendar date. */
void fg_time_normalize_top(lua_State *L);

#endif
