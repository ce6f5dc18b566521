/* A per-answer memory budget for the JSON decoder. A body of small values
 * ("[0,0,0,...]") costs far more decoded than as text: a cJSON node (64
 * bytes) and a Lua slot per value; a 32 MiB array took 1.35 GB. Before
 * parsing, the values and members are counted (outside strings) and the
 * cost estimated from what was measured here (build/fgrun decoding 2
 * million values: 97 bytes a number in an array, 176 a string, 208 an
 * object member), rounded up: 128 bytes a value, 96 more a member, twice
 * the text. */
#include "aws/answer_budget.h"

#define VALUE_COST 128
#define MEMBER_COST 96
/* the most a byte of text can cost: "0," is a value in two bytes, and
 * "a":0, a member in six */
#define WORST_COST_PER_BYTE (VALUE_COST / 2 + MEMBER_COST / 4 + 2)

size_t fg_answer_json_cost(const char *s, size_t len)
{
    if (len <= FG_ANSWER_BUDGET / WORST_COST_PER_BYTE)
        return 0;
    size_t values = 1, members = 0;
    for (size_t i = 0; i < len; i++) {
        switch (s[i]) {
        case '"': /* to the closing quote, skipping escapes */
            for (i++; i < len && s[i] != '"'; i++)
                if (s[i] == '\\')
                    i++;
            break;
        case ',':
        case '[':
        case '{':
            values++;
            break;
        case ':':
            members++;
            break;
        }
    }
    return values * VALUE_COST + members * MEMBER_COST + 2 * len;
}
