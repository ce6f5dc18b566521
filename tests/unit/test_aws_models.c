/* Embedded AWS models: the pinned services (models/), their indexes, aws.models. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <cjson/cJSON.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "aws/models.h"

static const char *SERVICES[] = {"acm",
                                 "application-autoscaling",
                                 "cloudformation",
                                 "cloudwatch",
                                 "codedeploy",
                                 "ec2",
                                 "ecr",
                                 "ecs",
                                 "elbv2",
                                 "iam",
                                 "kms",
                                 "lambda",
                                 "logs",
                                 "route53",
                                 "s3",
                                 "secretsmanager",
                                 "sns",
                                 "sso",
                                 "sso-oidc",
                                 "sts"};
#define SERVICE_COUNT (sizeof SERVICES / sizeof SERVICES[0])

static void test_services_sorted(void **state)
{
    (void)state;
    assert_int_equal(fg_model_count, SERVICE_COUNT);
    for (size_t i = 0; i < SERVICE_COUNT; i++) {
        assert_string_equal(fg_models[i].service, SERVICES[i]);
        assert_ptr_equal(fg_model_find(SERVICES[i]), &fg_models[i]);
    }
    assert_null(fg_model_find("sagemaker"));
}

/* Every indexed span is one JSON value, and the whole text parses. */
static void test_spans_are_json(void **state)
{
    (void)state;
    for (size_t i = 0; i < fg_model_count; i++) {
        const struct fg_model *m = &fg_models[i];
        cJSON *whole = cJSON_ParseWithLength(m->text, m->text_length);
        assert_non_null(whole);
        const cJSON *shapes = cJSON_GetObjectItemCaseSensitive(whole, "shapes");
        assert_int_equal((size_t)cJSON_GetArraySize(shapes), m->shape_count);
        for (size_t j = 0; j < m->shape_count; j++) {
            const struct fg_model_span *s = &m->shapes[j];
            assert_true(s->offset + s->length <= m->text_length);
            assert_int_equal(m->text[s->offset], '{');
            assert_int_equal(m->text[s->offset + s->length - 1], '}');
            if (j > 0)
                assert_true(strcmp(m->shapes[j - 1].name, s->name) < 0);
        }
        cJSON_Delete(whole);
        assert_non_null(m->paginators);
    }
}

static void test_find_spans(void **state)
{
    (void)state;
    const struct fg_model *ec2 = fg_model_find("ec2");
    const struct fg_model_span *op =
        fg_model_span_find(ec2->operations, ec2->operation_count, "DescribeSubnets");
    assert_non_null(op);
    assert_memory_equal(ec2->text + op->offset, "{\"http\":", 8);
    assert_null(fg_model_span_find(ec2->operations, ec2->operation_count, "DescribeNothing"));
    assert_non_null(fg_model_span_find(ec2->shapes, ec2->shape_count, "Subnet"));
    assert_non_null(fg_model_span_find(ec2->shapes, ec2->shape_count, ec2->shapes[0].name));
    assert_non_null(
        fg_model_span_find(ec2->shapes, ec2->shape_count, ec2->shapes[ec2->shape_count - 1].name));
}

static void test_lua_module(void **state)
{
    (void)state;
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    luaL_requiref(L, "aws.models", luaopen_fg_aws_models, 0);
    lua_setglobal(L, "models");
    const char *chunk =
        "local ok = #models.list() == 20 and models.list()[6] == 'ec2'\n"
        "ok = ok and models.get('sts', 'metadata'):find('\"endpointPrefix\":\"sts\"', 1, true) ~= "
        "nil\n"
        "ok = ok and models.get('sts', 'waiters') == nil and models.get('ecs', 'waiters') ~= nil\n"
        "ok = ok and models.get('nope') == nil and models.shape('ecs', 'Nope') == nil\n"
        "ok = ok and models.shape('ecs', 'Cluster'):sub(1, 1) == '{'\n"
        "local ops = models.operations('ecs')\n"
        "ok = ok and #ops > 50 and ops[1] < ops[2]\n"
        "return ok and not pcall(models.shape, 'nope', 'X')";
    if (luaL_dostring(L, chunk) != LUA_OK)
        fail_msg("%s", lua_tostring(L, -1));
    assert_true(lua_toboolean(L, -1));
    lua_close(L);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_services_sorted),
        cmocka_unit_test(test_spans_are_json),
        cmocka_unit_test(test_find_spans),
        cmocka_unit_test(test_lua_module),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
