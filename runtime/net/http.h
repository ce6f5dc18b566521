/* HTTP for the AWS transport over libcurl: one easy handle per endpoint
 * host (a "fg.net.http.Conn" userdata) kept alive and reused; connect and
 * total timeouts; bounded bodies; AWS_CA_BUNDLE; proxies through libcurl's
 * usual environment variables; a transfer gives up within about a second
 * of SIGINT/SIGTERM. require "net.http". */
#ifndef FG_HTTP_H
#define FG_HTTP_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <curl/curl.h>
#include <lua.h>

#include "base/buffer.h"

enum fg_http_error {
	FG_HTTP_OK = 0,
	FG_HTTP_TIMEOUT,      /* connect or total timeout */
	FG_HTTP_CONNECTION,   /* refused, reset, resolve failure, truncated answer */
	FG_HTTP_TOO_LARGE,    /* body over max_body */
	FG_HTTP_OTHER,        /* TLS verification, bad URL, ...: not retryable */
	FG_HTTP_INTERRUPTED,  /* SIGINT/SIGTERM arrived during the transfer */
};

struct fg_http_request {
	const char *method;
	const char *url;
	struct curl_slist *headers;   /* see fg_http_headers_from_lua */
	const char *body;
	size_t body_len;
	long connect_timeout_ms;      /* 0: the default, 10 s */
	long read_timeout_ms;         /* no byte either way for this long (checked
	                               * about once a second); 0: 60 s; <0: none */
	long timeout_ms;              /* the whole exchange; 0: none */
	size_t max_body;
	/* Streaming (S3): the body read from upload (upload_length bytes from
	 * its current position) instead of body; a 2xx answer's body written
	 * to download instead of kept. progress(ud, done, total) is called as
	 * bytes go, at most every PROGRESS_STEP bytes and at the end. */
	FILE *upload;
	long long upload_length;
	FILE *download;
	void (*progress)(void *ud, long long done, long long total);
	void *progress_ud;
};

struct fg_http_response {
	const struct fg_http_request *req; /* while performing: its streams */
	CURL *curl;
	long long reported;           /* bytes reported to req->progress */
	/* the read timeout: when bytes last moved (or the connection came up) */
	long read_timeout_ms;
	curl_off_t moved_dl, moved_ul;
	struct timespec moved;
	int connected;
	int idle;                     /* the read timeout ended the transfer */
	long status;
	struct fg_buf headers;    /* raw header lines of the final response */
	struct fg_buf body;       /* wiped on clean-up: it may hold secrets */
	enum fg_http_error error;
	char message[CURL_ERROR_SIZE];
};

struct fg_http_conn;

struct fg_http_conn *fg_http_conn_check(lua_State *L, int idx);
/* Performs one exchange on the connection; the response must be cleaned up
 * with fg_http_response_clean_up whatever the result. Returns r->error.
 * A timeout's message names the endpoint (scheme://host:port), the limit
 * and the setting that sets it (connect_timeout, read_timeout, timeout). */
enum fg_http_error fg_http_perform(struct fg_http_conn *conn,
				   const struct fg_http_request *req,
				   struct fg_http_response *r);
void fg_http_response_clean_up(struct fg_http_response *r);

/* Reads the request table at idx ({method=, url=, headers=, body=,
 * connect_timeout_ms=, read_timeout_ms=, timeout_ms=, max_body=}) into req;
 * body may be a string or a list of strings and secrets (aws.secret),
 * joined into *body, which the caller cleans up (it is wiped). The strings
 * stay owned by the table. Does not raise: 0; -1 with *bad saying what is
 * wrong; -2 with *bad naming a bad header. req->headers must be freed
 * either way. */
int fg_http_request_from_lua(lua_State *L, int idx, struct fg_http_request *req,
			     struct fg_buf *body, const char **bad);

/* fg_http_request_from_lua and fg_http_perform in one, for the functions
 * that take a request table: raises on a bad table, and "interrupted" on
 * SIGINT/SIGTERM (r cleaned up first); otherwise r must be cleaned up by
 * the caller. max_body, when not 0, overrides the table's. */
enum fg_http_error fg_http_perform_lua(lua_State *L, struct fg_http_conn *conn, int idx,
				       size_t max_body, struct fg_http_response *r);

/* Pushes the outcome of fg_http_perform as conn:request gives it, without
 * the body: status, headers (2 values) | nil, kind, message (3 values;
 * kind "timeout", "connection", "too_large" or "other"). */
int fg_http_push_outcome(lua_State *L, enum fg_http_error err, const struct fg_http_response *r);

/* Builds curl headers from the table at idx ({[name] = value}); a value may
 * be a credentials object, standing for its session token, or a secret
 * (aws.secret). Does not raise:
 * returns 0, or -1 with *bad naming the offending header. */
int fg_http_headers_from_lua(lua_State *L, int idx, struct curl_slist **out,
			     const char **bad);
/* Wipes (a header may carry a token) and frees the list. */
void fg_http_headers_free(struct curl_slist *list);

#endif
