/* SigV4 against the AWS Signature Version 4 test suite, read in place from
 * $FGRUN_VECTORS/sigv4 (default ../shared/vectors/sigv4). Every case folder
 * holding <case>.req is a test: the canonical request, the string to sign
 * and the Authorization header must match the files beside it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/sigv4.h"

#define MAX_CASES 64
#define MAX_HEADERS 32
#define TOKEN_HEADER "X-Amz-Security-Token"

static const char SECRET[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
static const struct fg_sigv4_scope SCOPE = {"20150830T123600Z", "us-east-1", "service"};

struct vector_case {
    char dir[1024];
    char name[256];
};

static char *read_file(const char *dir, const char *name, const char *ext)
{
    char path[1600];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *s = calloc(1, 65536);
    size_t n = fread(s, 1, 65535, f);
    fclose(f);
    s[n] = '\0';
    return s;
}

/* Finds a header value by name in raw request text; NULL when absent. */
static const char *find_header_line(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncasecmp(p, name, n) == 0 && p[n] == ':')
            return p + n + 1;
    return NULL;
}

struct parsed_request {
    char *text; /* owns the strings below, split in place */
    struct fg_sigv4_header headers[MAX_HEADERS];
    struct fg_sigv4_request req;
    char payload[FG_SIGV4_HEX_LEN + 1];
};

/* Parses "<METHOD> <path>[?query] HTTP/1.1", header lines (an indented line
 * continues the previous value), a blank line, then the body. */
static void parse_request(char *text, struct parsed_request *p)
{
    memset(p, 0, sizeof *p);
    p->text = text;
    char *line_end = strchr(text, '\n');
    assert_non_null(line_end);
    *line_end = '\0';
    char *sp1 = strchr(text, ' ');
    char *sp2 = strrchr(text, ' ');
    assert_true(sp1 && sp2 && sp2 > sp1);
    *sp1 = '\0';
    *sp2 = '\0';
    p->req.method = text;
    char *uri = sp1 + 1;
    char *q = strchr(uri, '?');
    p->req.query = "";
    if (q) {
        *q = '\0';
        p->req.query = q + 1;
    }
    p->req.path = uri;

    const char *body = "";
    char *line = line_end + 1;
    while (line && *line) {
        char *next = strchr(line, '\n');
        if (next)
            *next = '\0';
        if (*line == '\0') {
            body = next ? next + 1 : "";
            break;
        }
        if ((*line == ' ' || *line == '\t') && p->req.n_headers) {
            /* Continuation: rejoin with the previous value; the signer
			 * folds the whitespace. */
            char *prev = (char *)p->headers[p->req.n_headers - 1].value;
            prev[strlen(prev)] = '\n';
        } else {
            char *colon = strchr(line, ':');
            assert_non_null(colon);
            *colon = '\0';
            assert_true(p->req.n_headers < MAX_HEADERS);
            p->headers[p->req.n_headers].name = line;
            p->headers[p->req.n_headers++].value = colon + 1;
        }
        line = next ? next + 1 : NULL;
    }
    fg_sigv4_sha256_hex(body, strlen(body), p->payload);
    p->req.payload_sha256 = p->payload;
    p->req.headers = p->headers;
}

static void strip_trailing_newlines(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

static void test_case(void **state)
{
    const struct vector_case *vc = *state;
    char *req_text = read_file(vc->dir, vc->name, "req");
    char *creq_expected = read_file(vc->dir, vc->name, "creq");
    char *sts_expected = read_file(vc->dir, vc->name, "sts");
    char *authz_expected = read_file(vc->dir, vc->name, "authz");
    char *sreq = read_file(vc->dir, vc->name, "sreq");
    assert_non_null(req_text);
    assert_non_null(creq_expected);
    assert_non_null(sts_expected);
    assert_non_null(authz_expected);
    assert_non_null(sreq);
    strip_trailing_newlines(authz_expected);

    /* A token in the signed request but not in the input request is ours to
	 * add: signed (get-vanilla-with-session-token), or after signing as the
	 * post-sts-header-after case says. */
    struct parsed_request *p = calloc(1, sizeof *p);
    char token[2048] = "";
    const char *t = find_header_line(sreq, TOKEN_HEADER);
    int add_token = t && !find_header_line(req_text, TOKEN_HEADER);
    if (t)
        sscanf(t, "%2047[^\r\n]", token);
    parse_request(req_text, p);
    if (add_token && !strstr(vc->name, "-after")) {
        p->headers[p->req.n_headers].name = TOKEN_HEADER;
        p->headers[p->req.n_headers++].value = token;
    }

    char *names = NULL;
    char *creq = fg_sigv4_canonical_request(&p->req, &names);
    assert_non_null(creq);
    assert_string_equal(creq, creq_expected);
    char *sts = fg_sigv4_string_to_sign(&SCOPE, creq);
    assert_non_null(sts);
    assert_string_equal(sts, sts_expected);
    char *authz = fg_sigv4_authorization("AKIDEXAMPLE", SECRET, &SCOPE, &p->req);
    assert_non_null(authz);
    assert_string_equal(authz, authz_expected);
    if (add_token)
        assert_non_null(strstr(sreq, token));

    free(creq);
    free(names);
    free(sts);
    free(authz);
    free(p);
    free(req_text);
    free(creq_expected);
    free(sts_expected);
    free(authz_expected);
    free(sreq);
}

static void test_sanity_get_vanilla_signature(void **state)
{
    (void)state;
    char signature[FG_SIGV4_HEX_LEN + 1];
    const char *sts =
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
        "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63";
    assert_int_equal(fg_sigv4_signature(SECRET, &SCOPE, sts, signature), 0);
    assert_string_equal(signature,
                        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

static void collect(const char *dir, struct vector_case *cases, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char sub[1024];
        struct stat st;
        snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
        if (stat(sub, &st) || !S_ISDIR(st.st_mode))
            continue;
        char req[1600];
        snprintf(req, sizeof req, "%s/%s.req", sub, e->d_name);
        if (access(req, R_OK) == 0 && *n < MAX_CASES) {
            snprintf(cases[*n].dir, sizeof cases[*n].dir, "%s", sub);
            snprintf(cases[*n].name, sizeof cases[*n].name, "%s", e->d_name);
            (*n)++;
        }
        collect(sub, cases, n);
    }
    closedir(d);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct vector_case *)a)->dir, ((const struct vector_case *)b)->dir);
}

int main(void)
{
    const char *root = getenv("FGRUN_VECTORS");
    char dir[400];
    snprintf(dir, sizeof dir, "%s/sigv4", root && *root ? root : "../shared/vectors");
    static struct vector_case cases[MAX_CASES];
    size_t n = 0;
    collect(dir, cases, &n);
    if (n == 0) {
        printf("1..0 # SKIP no vectors at %s (set FGRUN_VECTORS)\n", dir);
        return 0;
    }
    qsort(cases, n, sizeof cases[0], by_name);
    static struct CMUnitTest tests[MAX_CASES + 1];
    tests[0] = (struct CMUnitTest)cmocka_unit_test(test_sanity_get_vanilla_signature);
    for (size_t i = 0; i < n; i++) {
        tests[i + 1] = (struct CMUnitTest){
            .name = cases[i].name,
            .test_func = test_case,
            .initial_state = &cases[i],
        };
    }
    return _cmocka_run_group_tests("sigv4", tests, n + 1, NULL, NULL);
}
