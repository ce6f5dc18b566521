/* .dockerignore patterns, ported from moby/patternmatcher (Pattern.compile,
 * Pattern.match, MatchesOrParentMatches) and the CLI's dockerignore.ReadAll.
 * The Engine turns a pattern into a regular expression; POSIX extended
 * regular expressions accept the same translation. */
#include "docker/ignore.h"

#include <ctype.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum match_type { MATCH_EXACT, MATCH_PREFIX, MATCH_SUFFIX, MATCH_REGEXP };

struct pattern {
    char *cleaned; /* without the '!' */
    bool exception;
    enum match_type type;
    bool has_regex;
    regex_t regex;
};

struct fg_dockerignore {
    struct pattern *patterns;
    size_t count, cap;
    bool has_exceptions;
};

#define MAX_PATTERNS 65536

struct fg_dockerignore *fg_dockerignore_new(void)
{
    return calloc(1, sizeof(struct fg_dockerignore));
}

void fg_dockerignore_free(struct fg_dockerignore *ig)
{
    if (!ig)
        return;
    for (size_t i = 0; i < ig->count; i++) {
        free(ig->patterns[i].cleaned);
        if (ig->patterns[i].has_regex)
            regfree(&ig->patterns[i].regex);
    }
    free(ig->patterns);
    free(ig);
}

int fg_path_clean(const char *in, char *out, size_t out_len)
{
    size_t n = strlen(in), w = 0, r = 0, dotdot = 0;
    bool rooted = n > 0 && in[0] == '/';
    if (out_len < 2)
        return -1;
    if (n == 0) {
        strcpy(out, ".");
        return 1;
    }
    if (rooted) {
        out[w++] = '/';
        r = 1;
        dotdot = 1;
    }
    while (r < n) {
        if (in[r] == '/') {
            r++;
        } else if (in[r] == '.' && (r + 1 == n || in[r + 1] == '/')) {
            r++;
        } else if (in[r] == '.' && in[r + 1] == '.' && (r + 2 == n || in[r + 2] == '/')) {
            r += 2;
            if (w > dotdot) {
                w--;
                while (w > dotdot && out[w] != '/')
                    w--;
            } else if (!rooted) {
                if (w > 0) {
                    if (w + 1 >= out_len)
                        return -1;
                    out[w++] = '/';
                }
                if (w + 2 >= out_len)
                    return -1;
                out[w++] = '.';
                out[w++] = '.';
                dotdot = w;
            }
        } else {
            if ((rooted && w != 1) || (!rooted && w != 0)) {
                if (w + 1 >= out_len)
                    return -1;
                out[w++] = '/';
            }
            for (; r < n && in[r] != '/'; r++) {
                if (w + 1 >= out_len)
                    return -1;
                out[w++] = in[r];
            }
        }
    }
    if (w == 0)
        out[w++] = '.';
    out[w] = '\0';
    return (int)w;
}

/* Appends s to the growing expression; false when it would not fit. */
static bool re_put(char *re, size_t cap, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > cap)
        return false;
    memcpy(re + *len, s, n + 1);
    *len += n;
    return true;
}

/* Pattern.compile: the match type, and the expression when one is needed. */
static int compile(struct pattern *p, char *err, size_t err_len)
{
    const char *s = p->cleaned;
    size_t cap = 6 * strlen(s) + 8, len = 0;
    char *re = malloc(cap);
    bool ok = true;
    if (!re) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    re[0] = '\0';
    ok = re_put(re, cap, &len, "^");
    p->type = MATCH_EXACT;
    for (size_t i = 0; ok && s[i]; i++) {
        char ch = s[i];
        char one[3] = {ch, 0, 0};
        if (ch == '*' && s[i + 1] == '*') {
            bool first = i == 0;
            i++;
            if (s[i + 1] == '/') /* "**" followed by "/" eats the "/" */
                i++;
            if (s[i + 1] == '\0') { /* "**" at the end: everything */
                if (p->type == MATCH_EXACT) {
                    p->type = MATCH_PREFIX;
                } else {
                    ok = re_put(re, cap, &len, ".*");
                    p->type = MATCH_REGEXP;
                }
            } else {
                ok = re_put(re, cap, &len, "(.*/)?");
                p->type = MATCH_REGEXP;
            }
            if (first)
                p->type = MATCH_SUFFIX;
        } else if (ch == '*') {
            ok = re_put(re, cap, &len, "[^/]*");
            p->type = MATCH_REGEXP;
        } else if (ch == '?') {
            ok = re_put(re, cap, &len, "[^/]");
            p->type = MATCH_REGEXP;
        } else if (strchr(".+()|{}$", ch)) {
            one[0] = '\\';
            one[1] = ch;
            ok = re_put(re, cap, &len, one);
        } else if (ch == '\\') {
            /* filepath.Match, which the Engine asks first, refuses a
             * trailing backslash. */
            if (!s[i + 1]) {
                free(re);
                snprintf(err, err_len, "syntax error in pattern");
                return -1;
            }
            one[0] = '\\';
            one[1] = s[++i];
            ok = re_put(re, cap, &len, one);
            p->type = MATCH_REGEXP;
        } else if (ch == '[' || ch == ']') {
            ok = re_put(re, cap, &len, one);
            p->type = MATCH_REGEXP;
        } else {
            ok = re_put(re, cap, &len, one);
        }
    }
    if (ok)
        ok = re_put(re, cap, &len, "$");
    if (!ok) {
        free(re);
        snprintf(err, err_len, "pattern too long");
        return -1;
    }
    /* Compiled in every case: a pattern the Engine rejects (an unclosed
     * '[') fails here too. */
    int rc = regcomp(&p->regex, re, REG_EXTENDED | REG_NOSUB);
    free(re);
    if (rc != 0) {
        snprintf(err, err_len, "syntax error in pattern");
        return -1;
    }
    p->has_regex = true;
    return 0;
}

int fg_dockerignore_add(struct fg_dockerignore *ig, const char *pattern, char *err, size_t err_len)
{
    char trimmed[PATH_MAX], cleaned[PATH_MAX];
    size_t n;
    while (isspace((unsigned char)*pattern))
        pattern++;
    n = strlen(pattern);
    while (n > 0 && isspace((unsigned char)pattern[n - 1]))
        n--;
    if (n == 0)
        return 0;
    if (n >= sizeof trimmed) {
        snprintf(err, err_len, "pattern too long");
        return -1;
    }
    memcpy(trimmed, pattern, n);
    trimmed[n] = '\0';
    if (fg_path_clean(trimmed, cleaned, sizeof cleaned) < 0) {
        snprintf(err, err_len, "pattern too long");
        return -1;
    }
    struct pattern p = {0};
    const char *body = cleaned;
    if (body[0] == '!') {
        if (body[1] == '\0') {
            snprintf(err, err_len, "illegal exclusion pattern: \"!\"");
            return -1;
        }
        p.exception = true;
        body++;
    }
    if (ig->count == ig->cap) {
        size_t cap = ig->cap ? ig->cap * 2 : 16;
        struct pattern *grown;
        if (cap > MAX_PATTERNS) {
            snprintf(err, err_len, "more than %d patterns", MAX_PATTERNS);
            return -1;
        }
        grown = realloc(ig->patterns, cap * sizeof *grown);
        if (!grown) {
            snprintf(err, err_len, "out of memory");
            return -1;
        }
        ig->patterns = grown;
        ig->cap = cap;
    }
    p.cleaned = strdup(body);
    if (!p.cleaned) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    if (compile(&p, err, err_len) != 0) {
        free(p.cleaned);
        return -1;
    }
    ig->patterns[ig->count++] = p;
    if (p.exception)
        ig->has_exceptions = true;
    return 0;
}

int fg_dockerignore_add_file_text(struct fg_dockerignore *ig, const char *text, size_t len,
                                  char *err, size_t err_len)
{
    static const char bom[] = "\xEF\xBB\xBF";
    size_t pos = 0;
    if (len >= 3 && memcmp(text, bom, 3) == 0)
        pos = 3;
    for (int line_no = 1; pos < len; line_no++) {
        const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - line) : len - pos;
        char buf[PATH_MAX], cleaned[PATH_MAX], pattern[PATH_MAX + 1];
        size_t s = 0, e = line_len;
        bool exception = false;
        pos += line_len + (nl ? 1 : 0);
        if (line_len > 0 && line[0] == '#')
            continue;
        while (s < e && isspace((unsigned char)line[s]))
            s++;
        while (e > s && isspace((unsigned char)line[e - 1]))
            e--;
        if (s == e)
            continue;
        if (line[s] == '!') {
            exception = true;
            s++;
            while (s < e && isspace((unsigned char)line[s]))
                s++;
        }
        if (e - s >= sizeof buf) {
            snprintf(err, err_len, ".dockerignore line %d: pattern too long", line_no);
            return -1;
        }
        memcpy(buf, line + s, e - s);
        buf[e - s] = '\0';
        cleaned[0] = '\0';
        if (buf[0] && fg_path_clean(buf, cleaned, sizeof cleaned) < 0) {
            snprintf(err, err_len, ".dockerignore line %d: pattern too long", line_no);
            return -1;
        }
        /* Absolute patterns are relative to the context. */
        const char *rel = (strlen(cleaned) > 1 && cleaned[0] == '/') ? cleaned + 1 : cleaned;
        snprintf(pattern, sizeof pattern, "%s%s", exception ? "!" : "", rel);
        char why[200];
        if (fg_dockerignore_add(ig, pattern, why, sizeof why) != 0) {
            snprintf(err, err_len, ".dockerignore line %d: %s", line_no, why);
            return -1;
        }
    }
    return 0;
}

/* Pattern.match */
static bool pattern_matches(const struct pattern *p, const char *path)
{
    size_t plen, n;
    switch (p->type) {
    case MATCH_EXACT:
        return strcmp(path, p->cleaned) == 0;
    case MATCH_PREFIX:
        return strncmp(path, p->cleaned, strlen(p->cleaned) - 2) == 0;
    case MATCH_SUFFIX: {
        const char *suffix = p->cleaned + 2;
        plen = strlen(path);
        n = strlen(suffix);
        if (plen >= n && strcmp(path + plen - n, suffix) == 0)
            return true;
        return suffix[0] == '/' && strcmp(path, suffix + 1) == 0;
    }
    case MATCH_REGEXP:
        return regexec(&p->regex, path, 0, NULL, 0) == 0;
    }
    return false;
}

/* The pattern matches path or one of the folders above it. */
static bool pattern_matches_or_parent(const struct pattern *p, const char *path)
{
    char prefix[PATH_MAX];
    size_t n = strlen(path);
    if (pattern_matches(p, path))
        return true;
    if (n >= sizeof prefix)
        return false;
    const char *last = strrchr(path, '/');
    for (size_t i = 0; last && path + i < last; i++) {
        if (path[i + 1] == '/' || path + i + 1 == last) {
            memcpy(prefix, path, i + 1);
            prefix[i + 1] = '\0';
            if (pattern_matches(p, prefix))
                return true;
        }
    }
    return false;
}

bool fg_dockerignore_excludes(const struct fg_dockerignore *ig, const char *path)
{
    bool excluded = false;
    for (size_t i = 0; i < ig->count; i++) {
        const struct pattern *p = &ig->patterns[i];
        /* Only a pattern that can change the outcome is tried. */
        if (p->exception != excluded)
            continue;
        if (pattern_matches_or_parent(p, path))
            excluded = !p->exception;
    }
    return excluded;
}

bool fg_dockerignore_may_include_below(const struct fg_dockerignore *ig, const char *dir_path)
{
    size_t n = strlen(dir_path);
    if (!ig->has_exceptions)
        return false;
    for (size_t i = 0; i < ig->count; i++) {
        const struct pattern *p = &ig->patterns[i];
        size_t plen = strlen(p->cleaned);
        /* (pattern + "/") starts with (dir + "/") */
        if (p->exception && plen + 1 >= n + 1 && strncmp(p->cleaned, dir_path, n) == 0 &&
            (plen == n || p->cleaned[n] == '/'))
            return true;
    }
    return false;
}
