/* The shared config/credentials file parser (runtime/aws/config_file.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/config_file.h"

#define MAX_SEEN 16

/* Entries as "section|key|subkey|value" lines. */
struct seen {
    char lines[MAX_SEEN][160];
    size_t n;
    size_t stop_after; /* 0: never stop */
};

static int record(const struct fg_config_entry *e, void *ud)
{
    struct seen *s = ud;
    assert_true(s->n < MAX_SEEN);
    snprintf(s->lines[s->n++], sizeof s->lines[0], "%.*s|%.*s|%.*s|%.*s", (int)e->section_len,
             e->section, (int)e->key_len, e->key, (int)e->subkey_len, e->subkey ? e->subkey : "",
             (int)e->value_len, e->value);
    return s->stop_after && s->n == s->stop_after;
}

static size_t parse(const char *text, struct seen *s)
{
    memset(s, 0, sizeof *s);
    return fg_config_parse(text, strlen(text), record, s);
}

static void test_sections_and_values(void **state)
{
    (void)state;
    struct seen s;
    const char *text = "# comment\n"
                       "; another\n"
                       "[default]\n"
                       "region = eu-west-1\n"
                       "output=json\r\n"
                       "\n"
                       "[ profile dev ]\n"
                       "  \n"
                       "role_arn = arn:aws:iam::123:role/x=y\n"
                       "source_profile: default\n";
    assert_int_equal(parse(text, &s), 0);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.lines[0], "default|region||eu-west-1");
    assert_string_equal(s.lines[1], "default|output||json");
    assert_string_equal(s.lines[2], "profile dev|role_arn||arn:aws:iam::123:role/x=y");
    assert_string_equal(s.lines[3], "profile dev|source_profile||default");
}

static void test_nested_values(void **state)
{
    (void)state;
    struct seen s;
    const char *text = "[services local]\n"
                       "ecs =\n"
                       "  endpoint_url = http://127.0.0.1:5000\n"
                       "\tsigning = x\n"
                       "sts = \n"
                       "  endpoint_url = http://127.0.0.1:5001\n"
                       "plain = 1\n";
    assert_int_equal(parse(text, &s), 0);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.lines[0], "services local|ecs|endpoint_url|http://127.0.0.1:5000");
    assert_string_equal(s.lines[1], "services local|ecs|signing|x");
    assert_string_equal(s.lines[2], "services local|sts|endpoint_url|http://127.0.0.1:5001");
    assert_string_equal(s.lines[3], "services local|plain||1");
}

static void test_empty_value_and_no_trailing_newline(void **state)
{
    (void)state;
    struct seen s;
    assert_int_equal(parse("[a]\nk = v", &s), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.lines[0], "a|k||v");
    assert_int_equal(parse("", &s), 0);
    assert_int_equal(s.n, 0);
}

static void test_syntax_errors_name_the_line(void **state)
{
    (void)state;
    struct seen s;
    assert_int_equal(parse("key = before any section\n", &s), 1);
    assert_int_equal(parse("[a]\nk = v\nno separator here\n", &s), 3);
    assert_int_equal(s.n, 1); /* entries before the error were reported */
    assert_int_equal(parse("[a\n", &s), 1);
    assert_int_equal(parse("[]\n", &s), 1);
    assert_int_equal(parse("[a]\n= v\n", &s), 2);
    assert_int_equal(parse("[a]\nk = v\n  continued = x\n", &s), 3);
}

static void test_callback_can_stop(void **state)
{
    (void)state;
    struct seen s;
    memset(&s, 0, sizeof s);
    s.stop_after = 1;
    const char *text = "[a]\nx = 1\ny = 2\nbroken line\n";
    assert_int_equal(fg_config_parse(text, strlen(text), record, &s), 0);
    assert_int_equal(s.n, 1);
}

static void test_embedded_nul_and_binary_do_not_crash(void **state)
{
    (void)state;
    struct seen s;
    memset(&s, 0, sizeof s);
    const char text[] = "[a]\nk = v\0w\n[\xff\xfe]\nz=\x01\n";
    size_t bad = fg_config_parse(text, sizeof text - 1, record, &s);
    assert_int_equal(bad, 0);
    assert_int_equal(s.n, 2);
}

static void test_read_file(void **state)
{
    (void)state;
    char path[] = "/tmp/fg_config_test_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("[default]\nregion = us-west-2\n", f);
    fclose(f);
    struct fg_buf b;
    fg_buf_init_secret(&b, FG_CONFIG_FILE_MAX);
    assert_int_equal(fg_config_read_file(path, &b), 0);
    assert_string_equal(b.data, "[default]\nregion = us-west-2\n");
    fg_buf_clean_up(&b);
    remove(path);
    assert_int_equal(fg_config_read_file(path, &b), -1);
    fg_buf_clean_up(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sections_and_values),
        cmocka_unit_test(test_nested_values),
        cmocka_unit_test(test_empty_value_and_no_trailing_newline),
        cmocka_unit_test(test_syntax_errors_name_the_line),
        cmocka_unit_test(test_callback_can_stop),
        cmocka_unit_test(test_embedded_nul_and_binary_do_not_crash),
        cmocka_unit_test(test_read_file),
    };
    return cmocka_run_group_tests_name("config_file", tests, NULL, NULL);
}
