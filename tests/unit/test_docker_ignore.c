/* .dockerignore pattern rules, against the cases of moby/patternmatcher's
 * own tests (TestMatches, the multi-pattern cases) and Go's
 * filepath.Clean examples. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "docker/ignore.h"

struct match_case {
    const char *pattern, *path;
    bool excluded;
};

static const struct match_case single_cases[] = {
    {"**", "file", true},
    {"**", "file/", true},
    {"**/", "file", true},
    {"**/", "file/", true},
    {"**", "/", true},
    {"**/", "/", true},
    {"**", "dir/file", true},
    {"**/", "dir/file", true},
    {"**", "dir/file/", true},
    {"**/", "dir/file/", true},
    {"**/**", "dir/file", true},
    {"**/**", "dir/file/", true},
    {"dir/**", "dir/file", true},
    {"dir/**", "dir/file/", true},
    {"dir/**", "dir/dir2/file", true},
    {"dir/**", "dir/dir2/file/", true},
    {"**/dir", "dir", true},
    {"**/dir", "dir/file", true},
    {"**/dir2/*", "dir/dir2/file", true},
    {"**/dir2/*", "dir/dir2/file/", true},
    {"**/dir2/**", "dir/dir2/dir3/file", true},
    {"**/dir2/**", "dir/dir2/dir3/file/", true},
    {"**file", "file", true},
    {"**file", "dir/file", true},
    {"**/file", "dir/file", true},
    {"**file", "dir/dir/file", true},
    {"**/file", "dir/dir/file", true},
    {"**/file*", "dir/dir/file", true},
    {"**/file*", "dir/dir/file.txt", true},
    {"**/file*txt", "dir/dir/file.txt", true},
    {"**/file*.txt", "dir/dir/file.txt", true},
    {"**/file*.txt*", "dir/dir/file.txt", true},
    {"**/**/*.txt", "dir/dir/file.txt", true},
    {"**/**/*.txt2", "dir/dir/file.txt", false},
    {"**/*.txt", "file.txt", true},
    {"**/**/*.txt", "file.txt", true},
    {"a**/*.txt", "a/file.txt", true},
    {"a**/*.txt", "a/dir/file.txt", true},
    {"a**/*.txt", "a/dir/dir/file.txt", true},
    {"a/*.txt", "a/dir/file.txt", false},
    {"a/*.txt", "a/file.txt", true},
    {"a/*.txt**", "a/file.txt", true},
    {"a[b-d]e", "ae", false},
    {"a[b-d]e", "ace", true},
    {"a[b-d]e", "aae", false},
    {"a[^b-d]e", "aze", true},
    {".*", ".foo", true},
    {".*", "foo", false},
    {"abc.def", "abcdef", false},
    {"abc.def", "abc.def", true},
    {"abc.def", "abcZdef", false},
    {"abc?def", "abcZdef", true},
    {"abc?def", "abcdef", false},
    {"a\\\\", "a\\", true},
    {"**/foo/bar", "foo/bar", true},
    {"**/foo/bar", "dir/foo/bar", true},
    {"**/foo/bar", "dir/dir2/foo/bar", true},
    {"abc/**", "abc", false},
    {"abc/**", "abc/def", true},
    {"abc/**", "abc/def/ghi", true},
    {"**/.foo", ".foo", true},
    {"**/.foo", "bar.foo", false},
    {"a(b)c/def", "a(b)c/def", true},
    {"a(b)c/def", "a(b)c/xyz", false},
    {"a.|)$(}+{bc", "a.|)$(}+{bc", true},
    {"dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
     "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true},
    {"dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true},
    /* A pattern that names a folder covers everything below it. */
    {"docs", "docs/a/b.md", true},
    {"*.md", "docs/x.md", false},
    {"*/*.md", "docs/x.md", true},
    {"./a/../b", "b", true},
};

static void test_single_patterns(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof single_cases / sizeof *single_cases; i++) {
        const struct match_case *c = &single_cases[i];
        struct fg_dockerignore *ig = fg_dockerignore_new();
        char err[200];
        assert_non_null(ig);
        assert_int_equal(0, fg_dockerignore_add(ig, c->pattern, err, sizeof err));
        if (fg_dockerignore_excludes(ig, c->path) != c->excluded)
            fail_msg("pattern \"%s\" on \"%s\": expected %s", c->pattern, c->path,
                     c->excluded ? "excluded" : "kept");
        fg_dockerignore_free(ig);
    }
}

static bool excludes_with(const char *const *patterns, const char *path)
{
    struct fg_dockerignore *ig = fg_dockerignore_new();
    char err[200];
    bool result;
    for (; *patterns; patterns++)
        assert_int_equal(0, fg_dockerignore_add(ig, *patterns, err, sizeof err));
    result = fg_dockerignore_excludes(ig, path);
    fg_dockerignore_free(ig);
    return result;
}

static void test_exceptions(void **state)
{
    (void)state;
    const char *const a[] = {"**", "!util/docker/web", NULL};
    const char *const b[] = {"**", "!util/docker/web", "util/docker/web/foo", NULL};
    const char *const c[] = {"**", "!dist/*.whl", NULL};
    const char *const d[] = {"docs", "!docs/keep.md", NULL};
    assert_false(excludes_with(a, "util/docker/web/foo"));
    assert_true(excludes_with(b, "util/docker/web/foo"));
    assert_false(excludes_with(c, "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"));
    assert_false(excludes_with(d, "docs/keep.md"));
    assert_true(excludes_with(d, "docs/other.md"));
    assert_true(excludes_with(d, "docs"));
}

static void test_may_include_below(void **state)
{
    (void)state;
    struct fg_dockerignore *ig = fg_dockerignore_new();
    char err[200];
    assert_int_equal(0, fg_dockerignore_add(ig, "docs", err, sizeof err));
    assert_false(fg_dockerignore_may_include_below(ig, "docs"));
    assert_int_equal(0, fg_dockerignore_add(ig, "!docs/sub/keep.md", err, sizeof err));
    assert_true(fg_dockerignore_may_include_below(ig, "docs"));
    assert_true(fg_dockerignore_may_include_below(ig, "docs/sub"));
    assert_false(fg_dockerignore_may_include_below(ig, "doc"));
    assert_false(fg_dockerignore_may_include_below(ig, "docs/other"));
    fg_dockerignore_free(ig);
}

static void test_file_text(void **state)
{
    (void)state;
    static const char text[] = "\xEF\xBB\xBF# comment\n\n  /secret.env  \r\n"
                               "!  /secret.env.example\n**/*.o\n# !not-an-exception\n";
    struct fg_dockerignore *ig = fg_dockerignore_new();
    char err[200];
    assert_int_equal(0, fg_dockerignore_add_file_text(ig, text, sizeof text - 1, err, sizeof err));
    assert_true(fg_dockerignore_excludes(ig, "secret.env"));
    assert_false(fg_dockerignore_excludes(ig, "secret.env.example"));
    assert_true(fg_dockerignore_excludes(ig, "a/b/c.o"));
    assert_false(fg_dockerignore_excludes(ig, "# comment"));
    assert_false(fg_dockerignore_excludes(ig, "not-an-exception"));
    fg_dockerignore_free(ig);
}

static void test_bad_patterns(void **state)
{
    (void)state;
    struct fg_dockerignore *ig = fg_dockerignore_new();
    char err[200] = "";
    assert_int_equal(-1, fg_dockerignore_add(ig, "!", err, sizeof err));
    assert_non_null(strstr(err, "illegal exclusion pattern"));
    assert_int_equal(-1, fg_dockerignore_add(ig, "[abc", err, sizeof err));
    assert_int_equal(-1, fg_dockerignore_add(ig, "abc\\", err, sizeof err));
    assert_int_equal(-1, fg_dockerignore_add_file_text(ig, "ok\n[x\n", 6, err, sizeof err));
    assert_non_null(strstr(err, "line 2"));
    assert_int_equal(0, fg_dockerignore_add(ig, "   ", err, sizeof err));
    fg_dockerignore_free(ig);
}

static void test_path_clean(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"", "."},
        {"abc", "abc"},
        {"abc/def", "abc/def"},
        {"a/b/c", "a/b/c"},
        {".", "."},
        {"..", ".."},
        {"../..", "../.."},
        {"../../abc", "../../abc"},
        {"/abc", "/abc"},
        {"/", "/"},
        {"abc/", "abc"},
        {"a/b/c/", "a/b/c"},
        {"../../abc/", "../../abc"},
        {"/abc/", "/abc"},
        {"abc//def//ghi", "abc/def/ghi"},
        {"//abc", "/abc"},
        {"///abc", "/abc"},
        {"//abc//", "/abc"},
        {"abc//", "abc"},
        {"abc/./def", "abc/def"},
        {"/./abc/def", "/abc/def"},
        {"abc/.", "abc"},
        {"abc/def/ghi/../jkl", "abc/def/jkl"},
        {"abc/def/../ghi/../jkl", "abc/jkl"},
        {"abc/def/..", "abc"},
        {"abc/def/../..", "."},
        {"/abc/def/../..", "/"},
        {"abc/def/../../..", ".."},
        {"/abc/def/../../..", "/"},
        {"abc/def/../../../ghi/jkl/../../../mno", "../../mno"},
        {"/../abc", "/abc"},
        {"abc/./../def", "def"},
        {"abc//./../def", "def"},
        {"abc/../../././../def", "../../def"},
    };
    char out[256];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_true(fg_path_clean(cases[i][0], out, sizeof out) >= 0);
        if (strcmp(out, cases[i][1]) != 0)
            fail_msg("Clean(\"%s\") = \"%s\", want \"%s\"", cases[i][0], out, cases[i][1]);
    }
    assert_int_equal(-1, fg_path_clean("abcdef", out, 4));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_patterns),   cmocka_unit_test(test_exceptions),
        cmocka_unit_test(test_may_include_below), cmocka_unit_test(test_file_text),
        cmocka_unit_test(test_bad_patterns),      cmocka_unit_test(test_path_clean),
    };
    return cmocka_run_group_tests_name("dockerignore", tests, NULL, NULL);
}
