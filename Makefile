# fgrun: a C host embedding Lua 5.4. See HACKING.md for how the parts fit.
VERSION := 0.1.0
PREFIX  ?= /usr/local
CC      ?= cc

# Debian packages, by pkg-config name; tools/deps.sh installs them.
PKGS := lua5.4 libcjson libcurl expat libarchive libedit openssl zlib libcbor

WARN    := -Wall -Wextra -Werror
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) \
             -DFGRUN_VERSION='"$(VERSION)"' -Iruntime -I$(B)/gen \
             $(shell pkg-config --cflags $(PKGS))
# libcurl, libarchive and OpenSSL are not linked but opened on first use
# (runtime/core/lazy_*.c): with what they pull in they cost milliseconds at every start
# (zlib too: only a gzipped botocore model needs it; libcbor: only the
# smithy-rpc-v2-cbor protocol).
LINKED_PKGS := lua5.4 libcjson expat libedit
LIBS    = $(shell pkg-config --libs $(LINKED_PKGS)) -ldl -lm

B := build
# Fragments (mk/*.mk) append generated C files here and extra targets to ALL_EXTRA.
GEN_SRCS :=
ALL_EXTRA :=

RUNTIME_SRCS := $(sort $(wildcard runtime/*/*.c))
STDLIB_SRCS  := $(sort $(shell find stdlib -name '*.lua' 2>/dev/null))

.DEFAULT_GOAL := all
-include $(sort $(wildcard mk/*.mk))

all: $(B)/fgrun $(ALL_EXTRA)

CORE_GEN_SRCS := $(B)/gen/stdlib.c $(B)/gen/preload.c
ALL_SRCS = $(RUNTIME_SRCS) $(CORE_GEN_SRCS) $(GEN_SRCS)

# $(call objs,<dir>) maps every source to its object under <dir>.
objs = $(patsubst %.c,$(1)/obj/%.o,$(ALL_SRCS))

$(B)/tools/embed: tools/embed.c
	@mkdir -p $(@D)
	$(CC) -std=c11 $(WARN) -O2 $(shell pkg-config --cflags lua5.4) -o $@ $< $(shell pkg-config --libs lua5.4)

# File lists, rewritten only when they change, so that adding or removing a
# file rebuilds what embeds or registers it.
$(B)/gen/%.list: FORCE
	@mkdir -p $(@D)
	@echo '$(if $(filter stdlib,$*),$(STDLIB_SRCS),$(RUNTIME_SRCS))' | cmp -s - $@ || \
	    echo '$(if $(filter stdlib,$*),$(STDLIB_SRCS),$(RUNTIME_SRCS))' > $@

# The Lua standard library, embedded: stdlib/a/b.lua becomes module "a.b".
$(B)/gen/stdlib.c: $(STDLIB_SRCS) $(B)/gen/stdlib.list $(B)/tools/embed
	@mkdir -p $(@D)
	$(B)/tools/embed fg_stdlib $@ $(STDLIB_SRCS)

# Every runtime/<part>/<file>.c with luaopen_fg_<part>_<file> is preloaded as
# require "<part>.<file>".
$(B)/gen/preload.c: $(RUNTIME_SRCS) $(B)/gen/runtime.list tools/gen_preload.sh
	@mkdir -p $(@D)
	sh tools/gen_preload.sh $(RUNTIME_SRCS) > $@.tmp && mv $@.tmp $@

$(B)/obj/%.o: %.c | $(CORE_GEN_SRCS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/fgrun: $(call objs,$(B))
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

# AddressSanitizer + UndefinedBehaviorSanitizer build, for the tests.
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
asan:
	$(MAKE) B=$(B)/asan CFLAGS="-O1 -g $(SAN)" $(B)/asan/fgrun $(B)/asan/unit-tests

# C unit tests (cmocka): each tests/unit/test_<x>.c links every runtime object but main.
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS = $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS))
LIB_OBJS = $(filter-out $(B)/obj/runtime/core/main.o,$(call objs,$(B)))

$(B)/tests/%: tests/unit/%.c $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_OBJS) $(LIBS) $(shell pkg-config --libs cmocka)

unit-tests: $(UNIT_BINS)
$(B)/unit-tests: $(UNIT_BINS)
	@touch $@

install: $(B)/fgrun
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(B)/fgrun $(DESTDIR)$(PREFIX)/bin/fgrun

deps:
	sh tools/deps.sh

# Style (.clang-format, .luacheckrc): C as clang-format writes it, Lua as
# luacheck accepts it. `make format` rewrites the C files.
LINT_C_SRCS = $(sort $(shell find runtime tests tools recipes -name '*.[ch]' 2>/dev/null))
lint:
	clang-format --dry-run -Werror $(LINT_C_SRCS)
	luacheck -qq --no-color stdlib tests recipes tools

format:
	clang-format -i $(LINT_C_SRCS)

# The README's two commands.
test: deps
	$(MAKE) lint
	$(MAKE) all unit-tests
	$(MAKE) asan
	$(MAKE) fuzz-build
	bash tests/run

demo: deps
	$(MAKE) all
	bash tools/demo.sh

bench: all
	bash tests/bench/run

clean:
	rm -rf $(B)

.PHONY: all asan FORCE unit-tests install deps lint format test demo bench clean

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
