# Fuzzing (libFuzzer, clang) and the long reliability runs.
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="xml json"]
#       builds build/fuzz/bin/fuzz_<target> (runtime objects compiled by
#       clang with ASan, UBSan and coverage) and runs each target for
#       FUZZ_SECONDS from its seed corpus (tests/fuzz/run.sh)
#   make soak   the long forms: fault scenarios (tests/fault/soak.sh) and
#               fuzzing for SOAK_FUZZ_SECONDS (300) each
# Targets: xml json jmespath response cbor (Lua-driven, tests/fuzz/targets/),
# sigv4 docker_stream config_file (C, tests/fuzz/fuzz_<target>.c).

FUZZ_B       := build/fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
SOAK_FUZZ_SECONDS ?= 300
FUZZ_LUA_TARGETS := xml json jmespath response cbor
FUZZ_C_TARGETS   := sigv4 docker_stream config_file
FUZZ_TARGETS ?= $(FUZZ_LUA_TARGETS) $(FUZZ_C_TARGETS)
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

fuzz-build:
	$(MAKE) B=$(FUZZ_B) CC=$(FUZZ_CC) CFLAGS="-O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link" \
	    FUZZ_INNER=1 fuzz-bins

fuzz: fuzz-build
	bash tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

soak: all fuzz-build
	FGRUN=$(CURDIR)/$(B)/fgrun bash tests/fault/soak.sh
	bash tests/fuzz/run.sh $(SOAK_FUZZ_SECONDS) $(FUZZ_TARGETS)

.PHONY: fuzz fuzz-build soak fuzz-bins

# The harnesses, linked in the inner make (B = build/fuzz), where the
# object lists name the clang-built objects.
ifdef FUZZ_INNER
.SECONDEXPANSION:
FUZZ_LIB_OBJS = $(filter-out $(B)/obj/runtime/core/main.o,$(call objs,$(B)))
FUZZ_BINS = $(patsubst %,$(B)/bin/fuzz_%,$(FUZZ_LUA_TARGETS) $(FUZZ_C_TARGETS))

fuzz-bins: $$(FUZZ_BINS)

$(patsubst %,$(B)/bin/fuzz_%,$(FUZZ_LUA_TARGETS)): $(B)/bin/fuzz_%: tests/fuzz/fuzz_lua.c tests/fuzz/targets/%.lua $$(FUZZ_LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -DFUZZ_LUA_TARGET='"$(CURDIR)/tests/fuzz/targets/$*.lua"' \
	    -o $@ $< $(FUZZ_LIB_OBJS) $(LIBS)

$(patsubst %,$(B)/bin/fuzz_%,$(FUZZ_C_TARGETS)): $(B)/bin/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJS) $(LIBS)
endif
