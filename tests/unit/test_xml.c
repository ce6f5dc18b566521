/* aws.xml: expat documents to flat Lua arrays (tag, text, first, next). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "../../runtime/xml.h"

static int setup(void **state)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    luaL_requiref(L, "aws.xml", luaopen_fg_aws_xml, 0);
    lua_setglobal(L, "xml");
    *state = L;
    return 0;
}

static int teardown(void **state)
{
    lua_close(*state);
    return 0;
}

/* Runs a chunk returning one string; compares it with want. */
static void expect(lua_State *L, const char *chunk, const char *want)
{
    if (luaL_dostring(L, chunk) != LUA_OK)
        fail_msg("%s", lua_tostring(L, -1));
    assert_string_equal(lua_tostring(L, -1), want);
    lua_pop(L, 1);
}

static void test_arrays(void **state)
{
    expect(*state,
           "local d = xml.parse('<ns:R xmlns:ns=\"u\" a=\"1\"><B>x &amp; y</B><C><D>1</D><D>2</D></C><E/></ns:R>')\n"
           "local out = {d.count}\n"
           "for i = 1, d.count do out[#out + 1] = table.concat({d.tag[i], tostring(d.text[i]), d.first[i], d.next[i]}, ',') end\n"
           "return table.concat(out, ' ')",
           "6 R,false,2,0 B,x & y,0,3 C,false,4,6 D,1,0,5 D,2,0,0 E,false,0,0");
}

static void test_text_around_children(void **state)
{
    expect(*state,
           "local d = xml.parse('<a>one<b>two</b>three</a>')\n"
           "return d.text[1] .. '|' .. d.text[2]",
           "onethree|two");
}

static void test_entities_and_utf8(void **state)
{
    expect(*state,
           "return xml.parse('<a>&lt;&#x48;&#233;\\226\\130\\172&gt;</a>').text[1]",
           "<H\xc3\xa9\xe2\x82\xac>");
}

static void test_malformed(void **state)
{
    expect(*state, "local r, e = xml.parse('<a><b></a>') return tostring(r) .. '|' .. e",
           "nil|mismatched tag at line 1, column 8");
    expect(*state, "local r, e = xml.parse('<html><body>oops') return tostring(r) .. '|' .. e",
           "nil|no element found at line 1, column 16");
    expect(*state, "local r, e = xml.parse('') return tostring(r)", "nil");
}

static void test_depth_limit(void **state)
{
    expect(*state,
           "local r, e = xml.parse(('<a>'):rep(500) .. ('</a>'):rep(500))\n"
           "return tostring(r) .. '|' .. e",
           "nil|nested deeper than 200 or out of memory");
    expect(*state,
           "local d = xml.parse(('<a>'):rep(150) .. 'x' .. ('</a>'):rep(150))\n"
           "local n = 1 while d.first[n] ~= 0 do n = d.first[n] end return n .. d.text[n]",
           "150x");
}

static void test_large_document(void **state)
{
    expect(*state,
           "local parts = {'<r>'} for i = 1, 20000 do parts[#parts + 1] = '<i>' .. i .. '</i>' end\n"
           "parts[#parts + 1] = '</r>' local d = xml.parse(table.concat(parts))\n"
           "return d.count .. ' ' .. d.text[20001] .. ' ' .. d.next[20001]",
           "20001 20000 0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_arrays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_around_children, setup, teardown),
        cmocka_unit_test_setup_teardown(test_entities_and_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_depth_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_document, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
