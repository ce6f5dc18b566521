/* libcurl transport for AWS calls. See http.h. */
#include "net/http.h"
#include "aws/creds.h"
#include "base/handle.h"
#include "base/interrupt.h"
#include "aws/secret.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <openssl/crypto.h>
#include <lauxlib.h>

#define CONN_MT "fg.net.http.Conn"
#define RESPONSE_MT "fg.net.http.Response"
#define HEADERS_MAX (64 * 1024)
#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DEFAULT_READ_TIMEOUT_MS 60000
#define DEFAULT_MAX_BODY (64 * 1024 * 1024)

struct fg_http_conn {
	CURL *curl;   /* NULL once closed */
};

struct fg_http_conn *fg_http_conn_check(lua_State *L, int idx)
{
	struct fg_http_conn *c = luaL_checkudata(L, idx, CONN_MT);
	if (!c->curl)
		luaL_error(L, "http connection is closed");
	return c;
}

#define PROGRESS_STEP (1024 * 1024)

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct fg_http_response *r = ud;
	if (r->req->download) {
		/* only a successful answer goes to the file; an error's body is read */
		long status = 0;
		curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status < 300) {
			if (fwrite(p, 1, size * n, r->req->download) != size * n) {
				r->error = FG_HTTP_OTHER;
				snprintf(r->message, sizeof r->message, "cannot write the downloaded file");
				return 0;
			}
			return size * n;
		}
	}
	if (fg_buf_append(&r->body, p, size * n)) {
		r->error = FG_HTTP_TOO_LARGE;
		return 0;  /* aborts the transfer */
	}
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct fg_http_response *r = ud;
	/* A new status line (after 100 Continue or a proxy's CONNECT answer)
	 * starts the headers of the next response. */
	if (size * n >= 5 && memcmp(p, "HTTP/", 5) == 0)
		r->headers.len = 0;
	if (fg_buf_append(&r->headers, p, size * n)) {
		r->error = FG_HTTP_TOO_LARGE;
		return 0;
	}
	return size * n;
}

static size_t on_upload(char *p, size_t size, size_t n, void *ud)
{
	struct fg_http_response *r = ud;
	return fread(p, 1, size * n, r->req->upload);
}

static double ms_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) * 1e3 + (double)(now.tv_nsec - t->tv_nsec) / 1e6;
}

/* The read timeout: no byte moved either way for r->read_timeout_ms since
 * the connection came up (the connect timeout covers the time before). */
static int read_timed_out(struct fg_http_response *r, curl_off_t dlnow, curl_off_t ulnow)
{
	if (r->read_timeout_ms <= 0)
		return 0;
	if (!r->connected) {
		curl_off_t pre = 0;
		curl_easy_getinfo(r->curl, CURLINFO_PRETRANSFER_TIME_T, &pre);
		if (pre <= 0)
			return 0;
		r->connected = 1;
		clock_gettime(CLOCK_MONOTONIC, &r->moved);
	}
	if (dlnow != r->moved_dl || ulnow != r->moved_ul) {
		r->moved_dl = dlnow;
		r->moved_ul = ulnow;
		clock_gettime(CLOCK_MONOTONIC, &r->moved);
	} else if (ms_since(&r->moved) >= (double)r->read_timeout_ms) {
		r->idle = 1;
		return 1;
	}
	return 0;
}

/* libcurl calls this at least once a second, even on a stalled transfer. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct fg_http_response *r = ud;
	const struct fg_http_request *req = r->req;
	if (req->progress) {
		long long done = req->upload ? ulnow : dlnow;
		long long total = req->upload ? ultotal : dltotal;
		if (done - r->reported >= PROGRESS_STEP || (total > 0 && done == total && done != r->reported)) {
			r->reported = done;
			req->progress(req->progress_ud, done, total);
		}
	}
	if (fg_interrupt_pending())
		return 1;
	return read_timed_out(r, dlnow, ulnow);
}

/* "https://host:port" of a URL: what a timeout message names (the path and
 * query may carry a presigned signature). */
static void origin(const char *url, char *out, size_t n)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	size_t len = (size_t)(p - url) + strcspn(p, "/?#");
	snprintf(out, n, "%.*s", (int)(len < n ? len : n - 1), url);
}

static void timeout_message(struct fg_http_response *r, const char *url, long connect_ms, long total_ms)
{
	char where[160];
	origin(url, where, sizeof where);
	curl_off_t pre = 0;
	curl_easy_getinfo(r->curl, CURLINFO_PRETRANSFER_TIME_T, &pre);
	if (r->idle)
		snprintf(r->message, sizeof r->message, "%s: no data for %.3g s (read_timeout)",
			 where, r->read_timeout_ms / 1e3);
	else if (pre <= 0 && !r->connected)
		snprintf(r->message, sizeof r->message, "%s: no connection within %.3g s (connect_timeout)",
			 where, connect_ms / 1e3);
	else
		snprintf(r->message, sizeof r->message, "%s: no complete answer within %.3g s (timeout)",
			 where, total_ms / 1e3);
}

static enum fg_http_error classify_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_OK:
		return FG_HTTP_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return FG_HTTP_TIMEOUT;
	case CURLE_ABORTED_BY_CALLBACK:
		return FG_HTTP_INTERRUPTED;
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return FG_HTTP_CONNECTION;
	default:
		return FG_HTTP_OTHER;
	}
}

enum fg_http_error fg_http_perform(struct fg_http_conn *conn,
				   const struct fg_http_request *req,
				   struct fg_http_response *r)
{
	CURL *h = conn->curl;
	r->status = 0;
	r->req = req;
	r->curl = h;
	r->reported = 0;
	r->read_timeout_ms = req->read_timeout_ms ? req->read_timeout_ms : DEFAULT_READ_TIMEOUT_MS;
	r->moved_dl = r->moved_ul = 0;
	r->connected = r->idle = 0;
	r->error = FG_HTTP_OK;
	r->message[0] = '\0';
	fg_buf_init_secret(&r->headers, HEADERS_MAX);
	fg_buf_init_secret(&r->body, req->max_body ? req->max_body : DEFAULT_MAX_BODY);

	/* Reset keeps the live connection, the DNS and TLS session caches. */
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	long connect_ms = req->connect_timeout_ms > 0 ? req->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 0L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->message);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, req->headers);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, r);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	const char *ca = getenv("AWS_CA_BUNDLE");
	if (ca && *ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, ca);
	if (req->upload) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_upload);
		curl_easy_setopt(h, CURLOPT_READDATA, r);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->upload_length);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	} else if (strcmp(req->method, "GET") == 0 && !req->body_len) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(req->method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		if (strcmp(req->method, "POST") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	}

	CURLcode rc = curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	if (rc != CURLE_OK && r->error == FG_HTTP_OK)
		r->error = r->idle ? FG_HTTP_TIMEOUT : classify_curl(rc);
	if (r->error == FG_HTTP_TIMEOUT)
		timeout_message(r, req->url, connect_ms, req->timeout_ms);
	else if (r->error == FG_HTTP_TOO_LARGE)
		snprintf(r->message, sizeof r->message, "response over %zu bytes", r->body.max);
	else if (r->error != FG_HTTP_OK && !r->message[0])
		snprintf(r->message, sizeof r->message, "%s", curl_easy_strerror(rc));
	if (r->error == FG_HTTP_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	return r->error;
}

void fg_http_response_clean_up(struct fg_http_response *r)
{
	fg_buf_clean_up(&r->headers);
	fg_buf_clean_up(&r->body);
}

void fg_http_headers_free(struct curl_slist *list)
{
	for (struct curl_slist *p = list; p; p = p->next)
		OPENSSL_cleanse(p->data, strlen(p->data));
	curl_slist_free_all(list);
}

static int append_header(struct curl_slist **list, const char *name, const char *value)
{
	size_t n = strlen(name), v = strlen(value);
	char *line = malloc(n + v + 3);
	if (!line)
		return -1;
	memcpy(line, name, n);
	if (v) {
		memcpy(line + n, ": ", 2);
		memcpy(line + n + 2, value, v + 1);
	} else {
		memcpy(line + n, ";", 2);  /* curl's way to send an empty header */
	}
	struct curl_slist *next = curl_slist_append(*list, line);
	OPENSSL_cleanse(line, n + v + 2);
	free(line);
	if (!next)
		return -1;
	*list = next;
	return 0;
}

int fg_http_headers_from_lua(lua_State *L, int idx, struct curl_slist **out,
			     const char **bad)
{
	struct curl_slist *list = NULL;
	idx = lua_absindex(L, idx);
	*bad = NULL;
	/* "Name:" stops libcurl adding these on its own; AWS signs neither. */
	static const char *const removed[] = { "Expect:", "Accept:" };
	for (size_t i = 0; i < sizeof removed / sizeof removed[0]; i++) {
		struct curl_slist *next = curl_slist_append(list, removed[i]);
		if (!next)
			goto fail;
		list = next;
	}
	if (!lua_istable(L, idx)) {
		*out = list;
		return lua_isnoneornil(L, idx) ? 0 : -1;
	}
	int typed = 0;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		const char *name = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
		typed = typed || (name && strcasecmp(name, "Content-Type") == 0);
		const char *value = NULL;
		struct fg_creds *c = fg_creds_test(L, -1);
		struct fg_secret *secret = fg_secret_test(L, -1);
		if (c)
			value = fg_creds_token(c);
		else if (secret)
			value = fg_secret_data(secret, NULL);
		else if (lua_type(L, -1) == LUA_TSTRING)
			value = lua_tostring(L, -1);
		if (!name || strpbrk(name, ":\r\n") || (!value && !c) ||
		    (value && strpbrk(value, "\r\n"))) {
			*bad = name ? name : "?";
			lua_pop(L, 2);
			goto fail;
		}
		if (value && append_header(&list, name, value)) {
			lua_pop(L, 2);
			goto fail;
		}
		lua_pop(L, 1);
	}
	/* a body sent without a type goes without one (libcurl would call it a
	 * form, and S3 would store that as the object's type) */
	if (!typed) {
		struct curl_slist *next = curl_slist_append(list, "Content-Type:");
		if (!next)
			goto fail;
		list = next;
	}
	*out = list;
	return 0;
fail:
	fg_http_headers_free(list);
	*out = NULL;
	return -1;
}

/* Pushes the raw header block as {[lowercase name] = value}, repeated
 * headers joined with ", ". */
static void push_headers(lua_State *L, const struct fg_buf *raw)
{
	lua_newtable(L);
	const char *p = raw->data, *end = raw->data ? raw->data + raw->len : NULL;
	int first = 1;
	while (p && p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		const char *colon = memchr(p, ':', (size_t)(eol - p));
		if (!first && colon) {
			luaL_Buffer name;
			luaL_buffinit(L, &name);
			for (const char *q = p; q < colon; q++)
				luaL_addchar(&name, (*q >= 'A' && *q <= 'Z') ? (char)(*q - 'A' + 'a') : *q);
			luaL_pushresult(&name);
			const char *v = colon + 1, *vend = eol;
			while (v < vend && (*v == ' ' || *v == '\t'))
				v++;
			while (vend > v && (vend[-1] == '\r' || vend[-1] == ' ' || vend[-1] == '\t'))
				vend--;
			lua_pushvalue(L, -1);
			if (lua_rawget(L, -3) == LUA_TSTRING) {
				lua_pushliteral(L, ", ");
				lua_pushlstring(L, v, (size_t)(vend - v));
				lua_concat(L, 3);
			} else {
				lua_pop(L, 1);
				lua_pushlstring(L, v, (size_t)(vend - v));
			}
			lua_rawset(L, -3);
		}
		first = 0;
		p = eol + 1;
	}
}

static lua_Integer opt_field_integer(lua_State *L, int t, const char *key, lua_Integer def)
{
	lua_getfield(L, t, key);
	lua_Integer v = luaL_optinteger(L, -1, def);
	lua_pop(L, 1);
	return v;
}

static const char *field_string(lua_State *L, int t, const char *key, size_t *len)
{
	lua_getfield(L, t, key);
	const char *s = lua_tolstring(L, -1, len);
	lua_pop(L, 1);  /* the table keeps the string alive */
	return s;
}

/* A Lua progress function, called protected from libcurl's callback (an
 * error there must not unwind through libcurl): its failure stops nothing. */
struct lua_progress {
	lua_State *L;
	int fn; /* stack index */
};

static void call_lua_progress(void *ud, long long done, long long total)
{
	struct lua_progress *p = ud;
	lua_pushvalue(p->L, p->fn);
	lua_pushinteger(p->L, done);
	lua_pushinteger(p->L, total);
	if (lua_pcall(p->L, 2, 0, 0) != LUA_OK)
		lua_pop(p->L, 1);
}

/* Opens the streams a request names (upload_file from upload_offset,
 * upload_length bytes; download_file, truncated). Returns NULL or why not. */
static const char *open_streams(lua_State *L, int t, struct fg_http_request *req)
{
	const char *up = field_string(L, t, "upload_file", NULL);
	const char *down = field_string(L, t, "download_file", NULL);
	if (up) {
		req->upload = fopen(up, "rb");
		if (!req->upload)
			return up;
		long long offset = (long long)opt_field_integer(L, t, "upload_offset", 0);
		req->upload_length = (long long)opt_field_integer(L, t, "upload_length", -1);
		if (req->upload_length < 0) {
			if (fseeko(req->upload, 0, SEEK_END) != 0)
				return up;
			req->upload_length = (long long)ftello(req->upload) - offset;
		}
		if (fseeko(req->upload, (off_t)offset, SEEK_SET) != 0)
			return up;
	}
	if (down) {
		req->download = fopen(down, "wb");
		if (!req->download)
			return down;
	}
	return NULL;
}

static void close_streams(struct fg_http_request *req)
{
	if (req->upload)
		fclose(req->upload);
	if (req->download)
		fclose(req->download);
	req->upload = req->download = NULL;
}

int fg_http_request_from_lua(lua_State *L, int idx, struct fg_http_request *req,
			     struct fg_buf *body, const char **bad)
{
	idx = lua_absindex(L, idx);
	memset(req, 0, sizeof *req);
	req->method = field_string(L, idx, "method", NULL);
	req->url = field_string(L, idx, "url", NULL);
	if (!req->method || !req->url) {
		*bad = "request: method and url are required";
		return -1;
	}
	static const char *const limits[] = { "connect_timeout_ms", "read_timeout_ms", "timeout_ms", "max_body" };
	lua_Integer v[4];
	for (int i = 0; i < 4; i++) {
		lua_getfield(L, idx, limits[i]);
		int ok = 1;
		v[i] = lua_isnil(L, -1) ? 0 : lua_tointegerx(L, -1, &ok);
		lua_pop(L, 1);
		if (!ok) {
			*bad = "request: a limit is not an integer";
			return -1;
		}
	}
	req->connect_timeout_ms = (long)v[0];
	req->read_timeout_ms = (long)v[1];
	req->timeout_ms = (long)v[2];
	req->max_body = v[3] > 0 ? (size_t)v[3] : 0;
	lua_getfield(L, idx, "body");
	int rc = 0;
	if (lua_type(L, -1) == LUA_TSTRING) {
		req->body = lua_tolstring(L, -1, &req->body_len);   /* the table keeps it */
	} else if (!lua_isnil(L, -1)) {
		rc = fg_secret_append_lua(L, -1, body) || fg_buf_append(body, "", 0);
		req->body = body->data ? body->data : "";
		req->body_len = body->len;
		if (rc)
			*bad = "request body: expected a string, or a list of strings and secrets";
	}
	lua_pop(L, 1);
	if (rc)
		return -1;
	lua_getfield(L, idx, "headers");
	const char *bad_header;
	rc = fg_http_headers_from_lua(L, -1, &req->headers, &bad_header);
	lua_pop(L, 1);
	if (rc && bad_header) {
		*bad = bad_header;
		return -2;
	}
	if (rc)
		*bad = "request headers: expected a table";
	return rc;
}

enum fg_http_error fg_http_perform_lua(lua_State *L, struct fg_http_conn *conn, int idx,
				       size_t max_body, struct fg_http_response *r)
{
	struct fg_http_request req;
	const char *bad = NULL;
	struct fg_buf body;
	fg_buf_init_secret(&body, DEFAULT_MAX_BODY);
	int rc = fg_http_request_from_lua(L, idx, &req, &body, &bad);
	if (rc) {
		fg_http_headers_free(req.headers);
		fg_buf_clean_up(&body);
		luaL_error(L, rc == -2 ? "http request: bad header %s" : "http %s", bad);
	}
	if (max_body)
		req.max_body = max_body;
	enum fg_http_error err = fg_http_perform(conn, &req, r);
	fg_http_headers_free(req.headers);
	fg_buf_clean_up(&body);
	if (err == FG_HTTP_INTERRUPTED) {
		fg_http_response_clean_up(r);
		luaL_error(L, "interrupted");
	}
	return err;
}

int fg_http_push_outcome(lua_State *L, enum fg_http_error err, const struct fg_http_response *r)
{
	if (err != FG_HTTP_OK) {
		static const char *const kinds[] = { "ok", "timeout", "connection", "too_large", "other" };
		lua_pushnil(L);
		lua_pushstring(L, err < FG_HTTP_INTERRUPTED ? kinds[err] : "interrupted");
		lua_pushstring(L, r->message);
		return 3;
	}
	lua_pushinteger(L, r->status);
	push_headers(L, &r->headers);
	return 2;
}

static int response_gc(lua_State *L)
{
	fg_http_response_clean_up(luaL_checkudata(L, 1, RESPONSE_MT));
	return 0;
}

/* conn:request{method=, url=, headers=, body=, connect_timeout_ms=,
 * read_timeout_ms=, timeout_ms=, max_body=, upload_file=, upload_offset=, upload_length=,
 * download_file=, progress=} -> status, headers, body
 *                         | nil, kind ("timeout"|"connection"|"too_large"|"other"), message
 * upload_file: the body is read from the file (upload_length bytes from
 * upload_offset; the rest of the file by default), in constant memory;
 * download_file: a 2xx answer's body is written there (body is then "");
 * progress(done_bytes, total_bytes) is called as they go.
 * Raises "interrupted" on SIGINT/SIGTERM. */
static int conn_request(lua_State *L)
{
	struct fg_http_conn *conn = fg_http_conn_check(L, 1);
	luaL_checktype(L, 2, LUA_TTABLE);

	/* The response lives in a userdata so that a failed push cannot leak it. */
	struct fg_http_response *r = lua_newuserdatauv(L, sizeof *r, 0);
	memset(r, 0, sizeof *r);
	luaL_setmetatable(L, RESPONSE_MT);
	struct fg_http_request req;
	struct fg_buf body;
	fg_buf_init_secret(&body, DEFAULT_MAX_BODY);
	const char *bad = NULL;
	int rc = fg_http_request_from_lua(L, 2, &req, &body, &bad);
	if (rc) {
		fg_http_headers_free(req.headers);
		fg_buf_clean_up(&body);
		return luaL_error(L, rc == -2 ? "http request: bad header %s" : "http %s", bad);
	}

	struct lua_progress progress = {L, 0};
	if (lua_getfield(L, 2, "progress") == LUA_TFUNCTION) {
		progress.fn = lua_gettop(L);
		req.progress = call_lua_progress;
		req.progress_ud = &progress;
	} else {
		lua_pop(L, 1);
	}
	const char *unopened = open_streams(L, 2, &req);
	enum fg_http_error err = FG_HTTP_OTHER;
	if (unopened) {
		lua_pushnil(L);
		lua_pushliteral(L, "other");
		lua_pushfstring(L, "%s: %s", unopened, strerror(errno));
	} else {
		err = fg_http_perform(conn, &req, r);
		if (req.download && fflush(req.download) != 0 && err == FG_HTTP_OK) {
			err = FG_HTTP_OTHER;
			snprintf(r->message, sizeof r->message, "cannot write the downloaded file");
		}
	}
	fg_http_headers_free(req.headers);
	fg_buf_clean_up(&body);
	close_streams(&req);
	if (unopened)
		return 3;
	if (err == FG_HTTP_INTERRUPTED)
		return luaL_error(L, "interrupted");
	if (fg_http_push_outcome(L, err, r) == 3)
		return 3;
	lua_pushlstring(L, r->body.data ? r->body.data : "", r->body.len);
	return 3;
}

/* conn:close() -> nothing; harmless when repeated */
static int conn_close(lua_State *L)
{
	struct fg_http_conn *c = luaL_checkudata(L, 1, CONN_MT);
	if (c->curl)
		curl_easy_cleanup(c->curl);
	c->curl = NULL;
	return 0;
}

/* http.new() -> a connection (fg.net.http.Conn) */
static int http_new(lua_State *L)
{
	struct fg_http_conn *c = lua_newuserdatauv(L, sizeof *c, 0);
	c->curl = NULL;
	luaL_setmetatable(L, CONN_MT);
	c->curl = curl_easy_init();
	if (!c->curl)
		return luaL_error(L, "cannot create an HTTP handle");
	return 1;
}

int luaopen_fg_net_http(lua_State *L)
{
	static const luaL_Reg conn_methods[] = {
		{ "request", conn_request },
		{ "close", conn_close },
		{ NULL, NULL },
	};
	fg_handle_type(L, CONN_MT, conn_methods, conn_close, NULL);
	if (luaL_newmetatable(L, RESPONSE_MT)) {
		lua_pushcfunction(L, response_gc);
		lua_setfield(L, -2, "__gc");
	}
	lua_pop(L, 1);
	static const luaL_Reg fns[] = {
		{ "new", http_new },
		{ NULL, NULL },
	};
	luaL_newlib(L, fns);
	return 1;
}
