/* Scalars of AWS answers as stdlib/aws reads them: timestamps become
 * ISO-8601 UTC text (aws.timestamp's normalize), blobs are base64-decoded
 * (aws.base64's decode). Shared by the shape-driven decoders
 * (shape_json.c, shape_xml.c). */
#include <lauxlib.h>
#include <math.h>
#include <string.h>
#include "aws/scalar.h"

/* Year, month, day of a count of days since 1970-01-01 (proleptic
 * Gregorian; H. Hinnant's civil_from_days, the inverse of timestamp.lua's). */
static void civil_from_days(long long z, long long *y, int *m, int *d)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* ISO-8601 UTC text of a time in whole microseconds (us: an integral
 * value, in years 1000 to 9999), trailing zeros of the fraction dropped: what
 * timestamp.lua's iso() makes with os.date("!%Y-%m-%dT%H:%M:%S"). */
static void push_iso(lua_State *L, lua_Number us)
{
    long long u = (long long)us;
    long long whole = u / 1000000, fraction = u % 1000000;
    if (fraction < 0) {
        fraction += 1000000;
        whole--;
    }
    long long days = whole / 86400, secs = whole % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    long long year;
    int month, day;
    civil_from_days(days, &year, &month, &day);
    /* written by hand: snprintf costs more than the rest of the value */
    char buf[32];
    int fields[6] = {(int)year, month, day, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60)};
    static const char seps[] = "--T::";
    size_t n = 0;
    for (int f = 0; f < 6; f++) {
        if (f == 0) {
            buf[n++] = (char)('0' + fields[0] / 1000);
            buf[n++] = (char)('0' + fields[0] / 100 % 10);
        } else {
            buf[n++] = seps[f - 1];
        }
        buf[n++] = (char)('0' + fields[f] / 10 % 10);
        buf[n++] = (char)('0' + fields[f] % 10);
    }
    if (fraction) {
        buf[n++] = '.';
        for (long long div = 100000; div > 0 && fraction; div /= 10) {
            buf[n++] = (char)('0' + fraction / div);
            fraction %= div;
        }
    }
    buf[n++] = 'Z';
    lua_pushlstring(L, buf, n);
}

/* Does s match "^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.?%d*Z$" (ISO UTC text,
 * which passes as it is)? */
static int is_iso_utc(const char *s, size_t len)
{
    static const char form[] = "dddd-dd-ddTdd:dd:dd";
    size_t i;
    for (i = 0; form[i]; i++) {
        if (i >= len)
            return 0;
        if (form[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != form[i])
            return 0;
    }
    if (i < len && s[i] == '.')
        i++;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++;
    return i + 1 == len && s[i] == 'Z';
}

/* Epoch seconds of the years ISO text writes with four digits (os.date's
 * %Y does not pad: other years are timestamp.lua's). */
#define YEAR_1000 (-30610224000LL)
#define YEAR_10000 253402300800LL

/* Replaces the timestamp at the top with its ISO-8601 UTC text. ISO text
 * and epoch numbers (what the json protocol sends) are done here; any other
 * form (RFC 822 dates, zone offsets, numbers in text, years outside 1000-9999)
 * goes to timestamp.lua's normalize, which has the rules for them. */
void fg_aws_normalize_timestamp(lua_State *L)
{
    if (lua_type(L, -1) == LUA_TSTRING) {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        if (is_iso_utc(s, len))
            return;
    } else if (lua_type(L, -1) == LUA_TNUMBER) {
        lua_Number scaled;
        if (lua_isinteger(L, -1)) {
            lua_Integer t = lua_tointeger(L, -1);
            scaled = t >= YEAR_1000 && t < YEAR_10000 ? (lua_Number)(t * 1000000) : NAN;
        } else {
            lua_Number t = lua_tonumber(L, -1);
            scaled = t >= YEAR_1000 && t < YEAR_10000 ? t * 1000000 : NAN;
        }
        if (!isnan(scaled)) {
            lua_pop(L, 1);
            push_iso(L, floor(scaled + 0.5));
            return;
        }
    }
    lua_getglobal(L, "require");
    lua_pushliteral(L, "aws.timestamp");
    lua_call(L, 1, 1);
    lua_getfield(L, -1, "normalize");
    lua_remove(L, -2);
    lua_insert(L, -2);
    lua_call(L, 1, 1);
}

static int base64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62; /* the URL-safe alphabet decodes too */
    if (c == '/' || c == '_') return 63;
    return -1;
}

int fg_aws_decode_base64(lua_State *L)
{
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    luaL_Buffer b;
    char *out = luaL_buffinitsize(L, &b, len / 4 * 3 + 3);
    size_t n = 0;
    unsigned acc = 0, bits = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int v = base64_value(c);
        if (v >= 0) {
            acc = (acc << 6 | (unsigned)v) & 0xFFFFFF;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                out[n++] = (char)(acc >> bits & 255);
            }
        } else if (c == '=') {
            break;
        } else if (c != '\n' && c != '\r' && c != ' ') {
            lua_pop(L, 1); /* the buffer's placeholder or box: s stays as it is */
            return 0;
        }
    }
    luaL_pushresultsize(&b, n);
    lua_remove(L, -2);
    return 1;
}

