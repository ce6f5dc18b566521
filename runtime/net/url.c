/* require "net.url": a URL read the way libcurl will read it, and a host
 * name resolved to its addresses, so that a check on where a request goes
 * (the container credentials endpoint, an endpoint override) looks at what
 * curl will connect to, not at what a pattern match guessed:
 * "http://localhost:80@other:18082/" is user "localhost" at host "other". */
#include <lauxlib.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <curl/curl.h>

static void set_part(lua_State *L, CURLU *u, CURLUPart part, unsigned flags, const char *key)
{
    char *s = NULL;
    if (curl_url_get(u, part, &s, flags) == CURLUE_OK && s) {
        lua_pushstring(L, s);
        lua_setfield(L, -2, key);
    }
    curl_free(s);
}

/* url.parse(s) -> {scheme, host, port, path, query, userinfo} | nil, message.
 * port is the scheme's default when none is written; userinfo is true when
 * the URL has a user or password (their values are not returned: they may
 * be secrets); host keeps an IPv6 address's brackets. */
static int url_parse(lua_State *L)
{
    const char *text = luaL_checkstring(L, 1);
    CURLU *u = curl_url();
    if (!u)
        return luaL_error(L, "out of memory");
    CURLUcode rc = curl_url_set(u, CURLUPART_URL, text, CURLU_NON_SUPPORT_SCHEME);
    if (rc != CURLUE_OK) {
        curl_url_cleanup(u);
        lua_pushnil(L);
        lua_pushstring(L, curl_url_strerror(rc));
        return 2;
    }
    lua_createtable(L, 0, 6);
    set_part(L, u, CURLUPART_SCHEME, 0, "scheme");
    set_part(L, u, CURLUPART_HOST, 0, "host");
    set_part(L, u, CURLUPART_PATH, 0, "path");
    set_part(L, u, CURLUPART_QUERY, 0, "query");
    char *port = NULL;
    if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK && port) {
        lua_pushinteger(L, strtol(port, NULL, 10));
        lua_setfield(L, -2, "port");
    }
    curl_free(port);
    int userinfo = 0;
    static const CURLUPart secret_parts[] = {CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_OPTIONS};
    for (size_t i = 0; i < sizeof secret_parts / sizeof secret_parts[0]; i++) {
        char *s = NULL;
        if (curl_url_get(u, secret_parts[i], &s, 0) == CURLUE_OK && s)
            userinfo = 1;
        curl_free(s);
    }
    lua_pushboolean(L, userinfo);
    lua_setfield(L, -2, "userinfo");
    curl_url_cleanup(u);
    return 1;
}

/* url.resolve(host) -> {address, ...} (numeric, IPv6 without brackets) | nil, message */
static int url_resolve(lua_State *L)
{
    const char *host = luaL_checkstring(L, 1);
    char bare[256];
    size_t len = strlen(host);
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']' && len - 2 < sizeof bare) {
        memcpy(bare, host + 1, len - 2);
        bare[len - 2] = '\0';
        host = bare;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *list = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &list);
    if (rc != 0) {
        lua_pushnil(L);
        lua_pushfstring(L, "cannot resolve %s: %s", host, gai_strerror(rc));
        return 2;
    }
    lua_newtable(L);
    int n = 0;
    for (struct addrinfo *a = list; a; a = a->ai_next) {
        char text[NI_MAXHOST];
        if (getnameinfo(a->ai_addr, a->ai_addrlen, text, sizeof text, NULL, 0, NI_NUMERICHOST) ==
            0) {
            lua_pushstring(L, text);
            lua_rawseti(L, -2, ++n);
        }
    }
    freeaddrinfo(list);
    return 1;
}

int luaopen_fg_net_url(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"parse", url_parse},
        {"resolve", url_resolve},
        {NULL, NULL},
    };
    luaL_newlib(L, funcs);
    return 1;
}
