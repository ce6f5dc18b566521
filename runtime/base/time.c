/* Timestamps. See time.h. Dates are proleptic Gregorian, converted with
 * H. Hinnant's days_from_civil and civil_from_days. */
#include "base/time.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char MONTHS[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char DAYS[7][4] = {"Thu", "Fri", "Sat", "Sun",
                                "Mon", "Tue", "Wed"}; /* from 1970-01-01 */

/* Days since 1970-01-01 of a civil date. */
static long long days_from_civil(long long y, long long m, long long d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Year, month, day of a count of days since 1970-01-01. */
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

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads exactly n digits at *p. */
static int fixed(const char **p, const char *end, int n, long long *out)
{
    long long v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (*p >= end || !is_digit(**p))
            return -1;
        v = v * 10 + (**p - '0');
    }
    *out = v;
    return 0;
}

/* Reads 1 to 18 digits at *p. */
static int digits(const char **p, const char *end, long long *out)
{
    const char *start = *p;
    long long v = 0;
    while (*p < end && is_digit(**p) && *p - start < 18)
        v = v * 10 + (*(*p)++ - '0');
    *out = v;
    return *p > start && (*p >= end || !is_digit(**p)) ? 0 : -1;
}

static int expect(const char **p, const char *end, char c)
{
    if (*p >= end || **p != c)
        return -1;
    (*p)++;
    return 0;
}

static int parse_iso(const char *p, const char *end, long long *whole, double *fraction)
{
    long long y, mo, d, h, mi, s, oh = 0, om = 0;
    while (p < end && is_space(*p))
        p++;
    while (end > p && is_space(end[-1]))
        end--;
    if (fixed(&p, end, 4, &y) || expect(&p, end, '-') || fixed(&p, end, 2, &mo) ||
        expect(&p, end, '-') || fixed(&p, end, 2, &d))
        return -1;
    if (p >= end || (*p != 'T' && *p != 't' && *p != ' '))
        return -1;
    p++;
    if (fixed(&p, end, 2, &h) || expect(&p, end, ':') || fixed(&p, end, 2, &mi) ||
        expect(&p, end, ':') || fixed(&p, end, 2, &s))
        return -1;
    double frac = 0;
    if (p < end && *p == '.') {
        /* read as strtod reads "0.<digits>", so the value is the nearest double */
        char text[64] = "0.";
        size_t n = 2;
        for (p++; p < end && is_digit(*p); p++)
            if (n < sizeof text - 1)
                text[n++] = *p;
        text[n] = '\0';
        frac = strtod(text, NULL);
    }
    int sign = 0;
    if (p < end && (*p == 'Z' || *p == 'z')) {
        p++;
    } else if (p < end && (*p == '+' || *p == '-')) {
        sign = *p++ == '-' ? -1 : 1;
        if (fixed(&p, end, 2, &oh))
            return -1;
        if (p < end && *p == ':')
            p++;
        if (fixed(&p, end, 2, &om))
            return -1;
    }
    if (p != end)
        return -1;
    *whole =
        days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - sign * (oh * 3600 + om * 60);
    *fraction = frac < 1 ? frac : 0;
    return 0;
}

static int parse_rfc822(const char *p, const char *end, long long *whole)
{
    long long d, y, h, mi, s;
    int month = -1;
    const char *name = p;
    while (p < end && ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
        p++;
    if (p == name || expect(&p, end, ',') || expect(&p, end, ' ') || digits(&p, end, &d) ||
        expect(&p, end, ' '))
        return -1;
    for (int i = 0; i < 12; i++)
        if (end - p > 3 && memcmp(p, MONTHS[i], 3) == 0 && p[3] == ' ')
            month = i + 1;
    if (month < 0)
        return -1;
    p += 4;
    if (digits(&p, end, &y) || expect(&p, end, ' ') || digits(&p, end, &h) ||
        expect(&p, end, ':') || digits(&p, end, &mi) || expect(&p, end, ':') || digits(&p, end, &s))
        return -1;
    if (end - p != 4 || memcmp(p, " GMT", 4) != 0)
        return -1;
    *whole = days_from_civil(y, month, d) * 86400 + h * 3600 + mi * 60 + s;
    return 0;
}

int fg_time_parse(const char *s, size_t len, long long *whole, double *fraction)
{
    *fraction = 0;
    if (parse_iso(s, s + len, whole, fraction) == 0)
        return 0;
    return parse_rfc822(s, s + len, whole);
}

/* The calendar fields of whole seconds; -1 when the year does not fit an
 * int (C's struct tm, and so os.date, cannot write it either). */
struct civil {
    long long year;
    int month, day, hour, minute, second, weekday;
};

static int to_civil(long long whole, struct civil *c)
{
    long long days = whole / 86400, secs = whole % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    civil_from_days(days, &c->year, &c->month, &c->day);
    if (c->year > 2147483647LL + 1900 || c->year < -2147483647LL + 1900)
        return -1;
    c->hour = (int)(secs / 3600);
    c->minute = (int)(secs / 60 % 60);
    c->second = (int)(secs % 60);
    c->weekday = (int)(((days % 7) + 7) % 7);
    return 0;
}

static void put2(char *out, size_t *n, int v)
{
    out[(*n)++] = (char)('0' + v / 10 % 10);
    out[(*n)++] = (char)('0' + v % 10);
}

/* Pushes the ISO-8601 UTC text of whole seconds plus us microseconds
 * (0 <= us < 1000000), trailing zeros of the fraction dropped. Written by
 * hand: snprintf costs more than the rest of an answer's value. */
static void push_iso(lua_State *L, long long whole, long us)
{
    struct civil c;
    if (to_civil(whole, &c))
        luaL_error(L, "date result cannot be represented in this installation");
    char buf[64];
    size_t n = 0;
    if (c.year >= 1000 && c.year <= 9999) {
        put2(buf, &n, (int)(c.year / 100));
        put2(buf, &n, (int)(c.year % 100));
    } else { /* as strftime's %Y writes it: no padding */
        n = (size_t)snprintf(buf, sizeof buf, "%lld", c.year);
    }
    buf[n++] = '-';
    put2(buf, &n, c.month);
    buf[n++] = '-';
    put2(buf, &n, c.day);
    buf[n++] = 'T';
    put2(buf, &n, c.hour);
    buf[n++] = ':';
    put2(buf, &n, c.minute);
    buf[n++] = ':';
    put2(buf, &n, c.second);
    if (us) {
        buf[n++] = '.';
        for (long div = 100000; div > 0 && us; div /= 10) {
            buf[n++] = (char)('0' + us / div);
            us %= div;
        }
    }
    buf[n++] = 'Z';
    lua_pushlstring(L, buf, n);
}

/* Whole seconds and microseconds of the number at idx, rounded to the
 * microsecond. */
static void split_number(lua_State *L, int idx, long long *whole, long *us)
{
    if (lua_isinteger(L, idx)) {
        *whole = lua_tointeger(L, idx);
        *us = 0;
        return;
    }
    double total = floor(lua_tonumber(L, idx) * 1000000 + 0.5);
    if (!(total >= -9.2e18 && total <= 9.2e18))
        luaL_error(L, "date result cannot be represented in this installation");
    long long t = (long long)total;
    long long frac = t % 1000000;
    if (frac < 0)
        frac += 1000000;
    *whole = (t - frac) / 1000000;
    *us = (long)frac;
}

void fg_time_push_epoch(lua_State *L, int idx)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        lua_pushvalue(L, idx);
        return;
    }
    size_t len;
    const char *s = lua_type(L, idx) == LUA_TSTRING ? lua_tolstring(L, idx, &len) : NULL;
    long long whole;
    double fraction;
    if (!s) {
        lua_pushnil(L);
    } else if (fg_time_parse(s, len, &whole, &fraction) == 0) {
        if (fraction != 0)
            lua_pushnumber(L, (lua_Number)whole + fraction);
        else
            lua_pushinteger(L, whole);
    } else if (lua_stringtonumber(L, s) == len + 1) { /* epoch seconds as text */
        lua_Number n = lua_tonumber(L, -1);
        lua_Integer i;
        if (!lua_isinteger(L, -1) && floor(n) == n && lua_numbertointeger(n, &i)) {
            lua_pop(L, 1);
            lua_pushinteger(L, i);
        }
    } else {
        lua_pushnil(L);
    }
}

/* Does s match ISO UTC text, "dddd-dd-ddTdd:dd:dd[.ddd]Z", which passes
 * as it is? */
static int is_iso_utc(const char *s, size_t len)
{
    static const char form[] = "dddd-dd-ddTdd:dd:dd";
    size_t i;
    for (i = 0; form[i]; i++) {
        if (i >= len)
            return 0;
        if (form[i] == 'd' ? !is_digit(s[i]) : s[i] != form[i])
            return 0;
    }
    if (i < len && s[i] == '.')
        i++;
    while (i < len && is_digit(s[i]))
        i++;
    return i + 1 == len && s[i] == 'Z';
}

void fg_time_normalize_top(lua_State *L)
{
    if (lua_type(L, -1) == LUA_TSTRING) {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        if (is_iso_utc(s, len))
            return;
    }
    fg_time_push_epoch(L, -1);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return;
    }
    long long whole;
    long us;
    split_number(L, -1, &whole, &us);
    lua_pop(L, 2);
    push_iso(L, whole, us);
}

/* time.parse(v) -> epoch seconds (integer, or float with a fraction) of
 * ISO-8601, RFC 822 or epoch text (a number passes) | nil */
static int time_parse(lua_State *L)
{
    luaL_checkany(L, 1);
    fg_time_push_epoch(L, 1);
    return 1;
}

/* time.iso(t) -> ISO-8601 UTC text of epoch seconds */
static int time_iso(lua_State *L)
{
    long long whole;
    long us;
    luaL_checknumber(L, 1);
    split_number(L, 1, &whole, &us);
    push_iso(L, whole, us);
    return 1;
}

/* time.rfc822(t) -> "Sun, 25 Jan 2015 08:00:00 GMT" (whole seconds) */
static int time_rfc822(lua_State *L)
{
    lua_Number t = luaL_checknumber(L, 1);
    long long whole = lua_isinteger(L, 1) ? (long long)lua_tointeger(L, 1) : (long long)floor(t);
    struct civil c;
    if ((!lua_isinteger(L, 1) && !(floor(t) >= -9.2e18 && floor(t) <= 9.2e18)) ||
        to_civil(whole, &c))
        return luaL_error(L, "date result cannot be represented in this installation");
    char buf[64];
    snprintf(buf, sizeof buf, "%s, %02d %s %lld %02d:%02d:%02d GMT", DAYS[c.weekday], c.day,
             MONTHS[c.month - 1], c.year, c.hour, c.minute, c.second);
    lua_pushstring(L, buf);
    return 1;
}

/* time.normalize(v) -> the ISO-8601 UTC text of a timestamp read from the
 * wire (ISO UTC text passes as it is); v itself when it is none */
static int time_normalize(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_settop(L, 1);
    fg_time_normalize_top(L);
    return 1;
}

int luaopen_fg_base_time(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"parse", time_parse},         {"iso", time_iso}, {"rfc822", time_rfc822},
        {"normalize", time_normalize}, {NULL, NULL},
    };
    luaL_newlib(L, fns);
    return 1;
}
