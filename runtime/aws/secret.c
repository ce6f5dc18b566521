/* Secrets held in C memory. See secret.h. */
#include "aws/secret.h"
#include "base/json.h"
#include "aws/config_file.h"
#include "base/handle.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <lauxlib.h>

#define SECRET_MT "fg.aws.Secret"
/* STS takes web identity tokens of up to 20,000 characters. */
#define SECRET_FILE_MAX (64 * 1024)

struct fg_secret {
	char *data;   /* NULL once closed */
	size_t len;
};

static void register_type(lua_State *L);

struct fg_secret *fg_secret_test(lua_State *L, int idx)
{
	return luaL_testudata(L, idx, SECRET_MT);
}

const char *fg_secret_data(const struct fg_secret *s, size_t *len)
{
	if (len)
		*len = s->data ? s->len : 0;
	return s->data ? s->data : "";
}

struct fg_secret *fg_secret_push(lua_State *L, const char *data, size_t len)
{
	struct fg_secret *s = lua_newuserdatauv(L, sizeof *s, 0);
	s->data = NULL;
	s->len = 0;
	register_type(L);
	luaL_setmetatable(L, SECRET_MT);
	s->data = malloc(len + 1);
	if (!s->data)
		luaL_error(L, "out of memory");
	memcpy(s->data, data, len);
	s->data[len] = '\0';
	s->len = len;
	return s;
}

/* Pushes a secret made of b's contents and wipes b. */
static struct fg_secret *push_from_buf(lua_State *L, struct fg_buf *b, int full)
{
	if (full) {
		fg_buf_clean_up(b);
		luaL_error(L, "secret too large");
	}
	struct fg_secret *s = lua_newuserdatauv(L, sizeof *s, 0);
	s->data = NULL;
	s->len = 0;
	register_type(L);
	luaL_setmetatable(L, SECRET_MT);
	s->len = b->len;
	s->data = b->data ? b->data : strdup("");   /* ownership moves to s */
	b->data = NULL;
	fg_buf_clean_up(b);
	if (!s->data)
		luaL_error(L, "out of memory");
	return s;
}

static struct fg_secret *check_open(lua_State *L, int idx)
{
	struct fg_secret *s = luaL_checkudata(L, idx, SECRET_MT);
	if (!s->data)
		luaL_error(L, "the secret is closed");
	return s;
}

int fg_secret_append_lua(lua_State *L, int idx, struct fg_buf *b)
{
	idx = lua_absindex(L, idx);
	struct fg_secret *s = fg_secret_test(L, idx);
	if (s) {
		size_t n;
		const char *p = fg_secret_data(s, &n);
		return fg_buf_append(b, p, n);
	}
	if (lua_type(L, idx) == LUA_TSTRING) {
		size_t n;
		const char *p = lua_tolstring(L, idx, &n);
		return fg_buf_append(b, p, n);
	}
	if (!lua_istable(L, idx))
		return -1;
	lua_Integer n = luaL_len(L, idx);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, idx, i);
		int bad = lua_istable(L, -1) || fg_secret_append_lua(L, -1, b);
		lua_pop(L, 1);
		if (bad)
			return -1;
	}
	return 0;
}

/* secret.read_file(path) -> secret
 * The whole file, trailing white space removed (as the SDKs read web
 * identity token files). Raises when unreadable or empty, never quoting it. */
static int secret_read_file(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	struct fg_buf b;
	fg_buf_init_secret(&b, SECRET_FILE_MAX);
	if (fg_config_read_file(path, &b)) {
		int err = errno;
		fg_buf_clean_up(&b);
		return luaL_error(L, "cannot read %s: %s", path,
				  err == EFBIG ? "file too large" : strerror(err));
	}
	while (b.len && strchr(" \t\r\n\f\v", b.data[b.len - 1]))
		b.data[--b.len] = '\0';
	if (b.len == 0) {
		fg_buf_clean_up(&b);
		return luaL_error(L, "%s is empty", path);
	}
	push_from_buf(L, &b, 0);
	return 1;
}

/* secret:form() -> a new secret, percent-encoded for a query string or a
 * form body (RFC 3986 unreserved characters kept). */
static int secret_form(lua_State *L)
{
	static const char hex[] = "0123456789ABCDEF";
	struct fg_secret *s = check_open(L, 1);
	struct fg_buf b;
	fg_buf_init_secret(&b, 3 * s->len + 1);
	int full = 0;
	for (size_t i = 0; i < s->len && !full; i++) {
		unsigned char c = (unsigned char)s->data[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			full = fg_buf_putc(&b, (char)c);
		} else {
			char esc[3] = { '%', hex[c >> 4], hex[c & 15] };
			full = fg_buf_append(&b, esc, 3);
		}
	}
	push_from_buf(L, &b, full);
	return 1;
}

/* secret:json() -> a new secret: the value as a JSON string literal. */
static int secret_json(lua_State *L)
{
	struct fg_secret *s = check_open(L, 1);
	struct fg_buf b;
	fg_buf_init_secret(&b, 6 * s->len + 3);
	int full = fg_json_quote(&b, s->data, s->len);
	push_from_buf(L, &b, full);
	return 1;
}

/* secret:close() -> nothing; wipes it now. Also __gc and __close. */
static int secret_close(lua_State *L)
{
	struct fg_secret *s = luaL_checkudata(L, 1, SECRET_MT);
	if (s->data) {
		OPENSSL_cleanse(s->data, s->len);
		free(s->data);
	}
	s->data = NULL;
	s->len = 0;
	return 0;
}

static int secret_tostring(lua_State *L)
{
	struct fg_secret *s = luaL_checkudata(L, 1, SECRET_MT);
	lua_pushstring(L, s->data ? "secret (not shown)" : "secret (closed)");
	return 1;
}

/* Secrets are made by other modules too (the SSO token cache). */
static void register_type(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{ "form", secret_form },
		{ "json", secret_json },
		{ "close", secret_close },
		{ NULL, NULL },
	};
	fg_handle_type(L, SECRET_MT, methods, secret_close, secret_tostring);
}

int luaopen_fg_aws_secret(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "read_file", secret_read_file },
		{ NULL, NULL },
	};
	register_type(L);
	luaL_newlib(L, fns);
	return 1;
}
