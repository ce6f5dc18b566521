/* Credentials objects and the sources that read secrets. See creds.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE  /* timegm, malloc_usable_size */
#endif
#include "aws/creds.h"
#include "base/handle.h"
#include "base/buffer.h"
#include "aws/config_file.h"
#include "net/http.h"
#include "aws/secret.h"
#include "aws/secret_json.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <cjson/cJSON.h>
#include <expat.h>
#include <openssl/crypto.h>
#include <lauxlib.h>

#define CREDS_MT "fg.aws.Creds"
#define DOCUMENT_MAX (64 * 1024)
#define FIELD_MAX 4096

struct fg_creds {
	char *access_key_id;
	char *secret;
	char *token;          /* NULL without a session token */
	double expiration;    /* Unix seconds; 0 when they do not expire */
};

struct fg_creds *fg_creds_test(lua_State *L, int idx)
{
	return luaL_testudata(L, idx, CREDS_MT);
}

struct fg_creds *fg_creds_check(lua_State *L, int idx)
{
	struct fg_creds *c = luaL_checkudata(L, idx, CREDS_MT);
	if (!c->access_key_id)
		luaL_error(L, "credentials are closed");
	return c;
}

const char *fg_creds_access_key_id(const struct fg_creds *c) { return c->access_key_id; }
const char *fg_creds_secret(const struct fg_creds *c) { return c->secret; }
const char *fg_creds_token(const struct fg_creds *c) { return c->token; }

static void wipe_string(char **s)
{
	if (*s) {
		OPENSSL_cleanse(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

static void creds_clear(struct fg_creds *c)
{
	wipe_string(&c->access_key_id);
	wipe_string(&c->secret);
	wipe_string(&c->token);
	c->expiration = 0;
}

/* Pushes an empty credentials object, to be filled by creds_fill. */
static struct fg_creds *push_empty(lua_State *L)
{
	struct fg_creds *c = lua_newuserdatauv(L, sizeof *c, 0);
	memset(c, 0, sizeof *c);
	luaL_setmetatable(L, CREDS_MT);
	return c;
}

/* Parses an ISO 8601 UTC time (2026-11-26T14:00:00Z, optional fraction and
 * +hh:mm offset) into Unix seconds; -1 when malformed. */
static double parse_iso8601(const char *s)
{
	struct tm tm = {0};
	int used = 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	double t = (double)timegm(&tm);
	const char *p = s + used;
	if (*p == '.') {
		double frac = 0, scale = 0.1;
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
		t += frac;
	}
	int oh, om;
	if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &oh, &om) == 2)
		t -= (*p == '+' ? 1 : -1) * (oh * 3600 + om * 60);
	else if (*p != 'Z' && *p != 'z' && *p != '\0')
		return -1;
	return t;
}

/* Copies the fields in (exp: Unix seconds, 0 for none); 0, or -1 with a
 * message in err. */
static int creds_set(struct fg_creds *c, const char *akid, const char *secret,
		     const char *token, double exp, char *err, size_t errlen)
{
	if (!akid || !*akid || !secret || !*secret) {
		snprintf(err, errlen, "the credentials lack %s",
			 (!akid || !*akid) ? "an access key id" : "a secret access key");
		return -1;
	}
	creds_clear(c);
	c->access_key_id = strdup(akid);
	c->secret = strdup(secret);
	c->token = token && *token ? strdup(token) : NULL;
	c->expiration = exp;
	if (!c->access_key_id || !c->secret || (token && *token && !c->token)) {
		creds_clear(c);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* As creds_set, the expiration an ISO 8601 time (NULL or "" for none). */
static int creds_fill(struct fg_creds *c, const char *akid, const char *secret,
		      const char *token, const char *expiration, char *err, size_t errlen)
{
	double exp = 0;
	if (expiration && *expiration) {
		exp = parse_iso8601(expiration);
		if (exp < 0) {
			snprintf(err, errlen, "cannot read the expiration time");
			return -1;
		}
	}
	return creds_set(c, akid, secret, token, exp, err, errlen);
}

/* creds.from_secrets(access_key_id, secret_access_key, session_token, expiration) -> creds
 * From an answer read by aws.secret_json: the key and token are aws.secret
 * objects (the token may be nil), expiration Unix seconds (nil for none). */
static int creds_from_secrets(lua_State *L)
{
	const char *akid = luaL_checkstring(L, 1);
	struct fg_secret *secret = fg_secret_test(L, 2);
	struct fg_secret *token = fg_secret_test(L, 3);
	luaL_argexpected(L, secret != NULL, 2, "secret");
	luaL_argexpected(L, token != NULL || lua_isnoneornil(L, 3), 3, "secret or nil");
	double exp = luaL_optnumber(L, 4, 0);
	struct fg_creds *c = push_empty(L);
	char err[128];
	if (creds_set(c, akid, fg_secret_data(secret, NULL), token ? fg_secret_data(token, NULL) : NULL,
		      exp, err, sizeof err))
		return luaL_error(L, "%s", err);
	return 1;
}

/* creds.from_env() -> creds | nil when AWS_ACCESS_KEY_ID is unset
 * Raises when only part of the pair is set. */
static int creds_from_env(lua_State *L)
{
	const char *akid = getenv("AWS_ACCESS_KEY_ID");
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
	if ((!akid || !*akid) && (!secret || !*secret))
		return 0;
	struct fg_creds *c = push_empty(L);
	char err[128];
	if (creds_fill(c, akid, secret, getenv("AWS_SESSION_TOKEN"), NULL, err, sizeof err))
		return luaL_error(L, "environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY: %s", err);
	return 1;
}

struct file_fields {
	const char *section;
	char akid[FIELD_MAX], secret[FIELD_MAX], token[FIELD_MAX];
	int found;
};

static void copy_field(char *dst, const char *v, size_t n)
{
	if (n >= FIELD_MAX)
		n = FIELD_MAX - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static int take_file_field(const struct fg_config_entry *e, void *ud)
{
	struct file_fields *f = ud;
	if (e->subkey || e->section_len != strlen(f->section) ||
	    strncmp(e->section, f->section, e->section_len) != 0)
		return 0;
	static const char *const names[] = { "aws_access_key_id", "aws_secret_access_key", "aws_session_token" };
	char *dst[] = { f->akid, f->secret, f->token };
	for (int i = 0; i < 3; i++) {
		if (e->key_len == strlen(names[i]) && strncasecmp(e->key, names[i], e->key_len) == 0) {
			copy_field(dst[i], e->value, e->value_len);
			f->found = 1;
		}
	}
	return 0;
}

static int fields_gc(lua_State *L)
{
	OPENSSL_cleanse(lua_touserdata(L, 1), sizeof(struct file_fields));
	return 0;
}

/* creds.from_file(path, section) -> creds | nil when the section has no keys
 * Raises when the file is unreadable, malformed, or holds half a key pair. */
static int creds_from_file(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	const char *section = luaL_checkstring(L, 2);
	struct fg_creds *c = push_empty(L);
	struct file_fields *f = lua_newuserdatauv(L, sizeof *f, 0);
	memset(f, 0, sizeof *f);
	lua_newtable(L);
	lua_pushcfunction(L, fields_gc);
	lua_setfield(L, -2, "__gc");
	lua_setmetatable(L, -2);
	f->section = section;

	struct fg_buf b;
	fg_buf_init_secret(&b, FG_CONFIG_FILE_MAX);
	char err[128] = "";
	int unreadable = fg_config_read_file(path, &b);
	int saved = errno;
	size_t bad = unreadable ? 0 : fg_config_parse(b.data, b.len, take_file_field, f);
	fg_buf_clean_up(&b);
	int found = f->found;
	if (!unreadable && !bad && found)
		creds_fill(c, f->akid, f->secret, f->token, NULL, err, sizeof err);
	OPENSSL_cleanse(f, sizeof *f);
	if (unreadable && saved == ENOENT)
		return 0;
	if (unreadable)
		return luaL_error(L, "cannot read %s: %s", path,
				  saved == EFBIG ? "file too large" : strerror(saved));
	if (bad)
		return luaL_error(L, "%s line %d: expected [section] or key = value", path, (int)bad);
	if (err[0])
		return luaL_error(L, "%s [%s]: %s", path, section, err);
	if (!found)
		return 0;
	lua_pop(L, 1);
	return 1;
}

static const char *json_string(const cJSON *doc, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Fills c from a JSON credentials document: the container and IMDS format
 * (Token) or credential_process Version 1 (SessionToken). */
static int fill_from_json(struct fg_creds *c, const char *text, int process,
			  char *err, size_t errlen)
{
	cJSON *doc = cJSON_Parse(text);
	if (!doc) {
		snprintf(err, errlen, "the answer is not JSON");
		return -1;
	}
	int rc = -1;
	if (process) {
		const cJSON *version = cJSON_GetObjectItemCaseSensitive(doc, "Version");
		if (!cJSON_IsNumber(version) || version->valuedouble != 1) {
			snprintf(err, errlen, "unsupported Version (expected 1)");
			goto cleanup;
		}
	}
	const char *token = json_string(doc, process ? "SessionToken" : "Token");
	rc = creds_fill(c, json_string(doc, "AccessKeyId"), json_string(doc, "SecretAccessKey"),
			token, json_string(doc, "Expiration"), err, errlen);
cleanup:
	fg_secret_json_wipe(doc);
	cJSON_Delete(doc);
	return rc;
}

/* creds.from_process(command) -> creds
 * Runs a credential_process command through /bin/sh and reads its JSON
 * (Version 1) from standard output. Raises on failure, without echoing
 * the output. */
static int creds_from_process(lua_State *L)
{
	const char *command = luaL_checkstring(L, 1);
	struct fg_creds *c = push_empty(L);
	struct fg_buf b;
	fg_buf_init_secret(&b, DOCUMENT_MAX);
	char err[160] = "";
	fflush(NULL);
	FILE *p = popen(command, "r");
	if (!p)
		return luaL_error(L, "credential_process: cannot run: %s", strerror(errno));
	char chunk[1024];
	size_t n;
	int too_big = 0;
	while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
		if (!too_big && fg_buf_append(&b, chunk, n))
			too_big = 1;
	OPENSSL_cleanse(chunk, sizeof chunk);
	int status = pclose(p);
	if (too_big)
		snprintf(err, sizeof err, "output over %d bytes", DOCUMENT_MAX);
	else if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		snprintf(err, sizeof err, "exited with status %d",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	else if (fg_buf_append(&b, "", 0) == 0)
		fill_from_json(c, b.data, 1, err, sizeof err);
	fg_buf_clean_up(&b);
	if (err[0])
		return luaL_error(L, "credential_process: %s", err);
	return 1;
}

/* Expat allocations are wiped on release: the parser buffers the secret. */
static void *xml_malloc(size_t n) { return malloc(n); }
static void xml_free(void *p)
{
	if (p) {
		OPENSSL_cleanse(p, malloc_usable_size(p));
		free(p);
	}
}
static void *xml_realloc(void *p, size_t n)
{
	void *q = malloc(n);
	if (q && p) {
		size_t old = malloc_usable_size(p);
		memcpy(q, p, old < n ? old : n);
		xml_free(p);
	}
	return q;
}

/* The fields of an STS answer: AssumeRole's credentials or an error. */
enum sts_field { STS_NONE, STS_AKID, STS_SECRET, STS_TOKEN, STS_EXPIRATION, STS_CODE, STS_MESSAGE, STS_NFIELDS };

struct sts_doc {
	enum sts_field current;
	struct fg_buf text[STS_NFIELDS];
};

static void XMLCALL sts_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	static const char *const names[] = { "", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "Code", "Message" };
	struct sts_doc *d = ud;
	(void)attrs;
	d->current = STS_NONE;
	for (int i = 1; i < STS_NFIELDS; i++)
		if (strcmp(name, names[i]) == 0)
			d->current = (enum sts_field)i;
	if (d->current != STS_NONE)
		d->text[d->current].len = 0;
}

static void XMLCALL sts_end(void *ud, const XML_Char *name)
{
	(void)name;
	((struct sts_doc *)ud)->current = STS_NONE;
}

static void XMLCALL sts_text(void *ud, const XML_Char *s, int len)
{
	struct sts_doc *d = ud;
	if (d->current != STS_NONE)
		fg_buf_append(&d->text[d->current], s, (size_t)len);
}

static const char *sts_value(struct sts_doc *d, enum sts_field f)
{
	fg_buf_append(&d->text[f], "", 0);
	return d->text[f].data;
}

static int fill_from_sts(struct fg_creds *c, long status, const struct fg_buf *body,
			 char *err, size_t errlen)
{
	static const XML_Memory_Handling_Suite mm = { xml_malloc, xml_realloc, xml_free };
	struct sts_doc d = { .current = STS_NONE };
	for (int i = 0; i < STS_NFIELDS; i++)
		fg_buf_init_secret(&d.text[i], FIELD_MAX);
	XML_Parser p = XML_ParserCreate_MM(NULL, &mm, NULL);
	int rc = -1;
	if (!p) {
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	XML_SetUserData(p, &d);
	XML_SetElementHandler(p, sts_start, sts_end);
	XML_SetCharacterDataHandler(p, sts_text);
	int parsed = XML_Parse(p, body->data ? body->data : "", (int)body->len, 1) == XML_STATUS_OK;
	if (status / 100 != 2) {
		snprintf(err, errlen, "HTTP %ld%s%s%s%s", status,
			 d.text[STS_CODE].len ? ": " : "", d.text[STS_CODE].len ? sts_value(&d, STS_CODE) : "",
			 d.text[STS_MESSAGE].len ? ": " : "", d.text[STS_MESSAGE].len ? sts_value(&d, STS_MESSAGE) : "");
	} else if (!parsed) {
		snprintf(err, errlen, "the answer is not XML");
	} else {
		rc = creds_fill(c, sts_value(&d, STS_AKID), sts_value(&d, STS_SECRET),
				sts_value(&d, STS_TOKEN), sts_value(&d, STS_EXPIRATION), err, errlen);
	}
cleanup:
	if (p)
		XML_ParserFree(p);
	for (int i = 0; i < STS_NFIELDS; i++)
		fg_buf_clean_up(&d.text[i]);
	return rc;
}

/* creds.from_http(conn, req, format) -> creds | nil, message
 * Sends req (as conn:request takes it; the body may hold secrets) on conn
 * and reads credentials from the answer, in C: format "json" (the
 * container and EC2 metadata document) or "sts" (an AssumeRole or
 * AssumeRoleWithWebIdentity answer). The message never quotes the body,
 * except an STS error's Code/Message. Raises "interrupted" on SIGINT/SIGTERM. */
static int creds_from_http(lua_State *L)
{
	struct fg_http_conn *conn = fg_http_conn_check(L, 1);
	luaL_checktype(L, 2, LUA_TTABLE);
	static const char *const formats[] = { "json", "sts", NULL };
	int format = luaL_checkoption(L, 3, NULL, formats);
	struct fg_creds *c = push_empty(L);
	struct fg_http_response r;
	char err[512] = "";
	enum fg_http_error e = fg_http_perform_lua(L, conn, 2, DOCUMENT_MAX, &r);
	if (e != FG_HTTP_OK)
		snprintf(err, sizeof err, "%s", r.message);
	else if (format == 1)
		fill_from_sts(c, r.status, &r.body, err, sizeof err);
	else if (r.status / 100 != 2)
		snprintf(err, sizeof err, "HTTP %ld", r.status);
	else if (fg_buf_append(&r.body, "", 0) == 0)
		fill_from_json(c, r.body.data ? r.body.data : "", 0, err, sizeof err);
	fg_http_response_clean_up(&r);
	if (err[0]) {
		lua_pushnil(L);
		lua_pushstring(L, err);
		return 2;
	}
	return 1;
}

/* creds:access_key_id() -> string (not a secret) */
static int creds_access_key_id(lua_State *L)
{
	lua_pushstring(L, fg_creds_check(L, 1)->access_key_id);
	return 1;
}

/* creds:expiration() -> Unix seconds | nil when they do not expire */
static int creds_expiration(lua_State *L)
{
	struct fg_creds *c = fg_creds_check(L, 1);
	if (c->expiration <= 0)
		return 0;
	lua_pushnumber(L, c->expiration);
	return 1;
}

/* creds:has_token() -> boolean */
static int creds_has_token(lua_State *L)
{
	lua_pushboolean(L, fg_creds_check(L, 1)->token != NULL);
	return 1;
}

/* creds:close() -> nothing; wipes the secrets now. Also __gc and __close. */
static int creds_close(lua_State *L)
{
	creds_clear(luaL_checkudata(L, 1, CREDS_MT));
	return 0;
}

/* tostring(creds) -> "credentials AKID..." without secrets */
static int creds_tostring(lua_State *L)
{
	struct fg_creds *c = luaL_checkudata(L, 1, CREDS_MT);
	lua_pushfstring(L, "credentials %s", c->access_key_id ? c->access_key_id : "(closed)");
	return 1;
}

int luaopen_fg_aws_creds(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{ "access_key_id", creds_access_key_id },
		{ "expiration", creds_expiration },
		{ "has_token", creds_has_token },
		{ "close", creds_close },
		{ NULL, NULL },
	};
	static const luaL_Reg fns[] = {
		{ "from_env", creds_from_env },
		{ "from_file", creds_from_file },
		{ "from_process", creds_from_process },
		{ "from_http", creds_from_http },
		{ "from_secrets", creds_from_secrets },
		{ NULL, NULL },
	};
	fg_handle_type(L, CREDS_MT, methods, creds_close, creds_tostring);
	luaL_newlib(L, fns);
	return 1;
}
