# The sample service (recipes/app): a static binary for a FROM scratch image.
#
#   make app        build/app/fgrun-demo-app, copied into the image's build
#                   context as recipes/app/bin/fgrun-demo-app
#   make app-asan   build/asan/app/fgrun-demo-app (dynamic: ASan cannot be
#                   static); tests/cli/app.sh runs it with FGRUN_APP=<path>
#
# Works included by the top-level Makefile or alone: make -f mk/app.mk app

# Rules here must not become the including Makefile's default goal.
APP_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

APP_SRC_DIR  := recipes/app/src
APP_BUILD    := build/app
APP_BIN      := $(APP_BUILD)/fgrun-demo-app
APP_CONTEXT_BIN := recipes/app/bin/fgrun-demo-app
APP_ASAN_BIN := build/asan/app/fgrun-demo-app

APP_SRCS := $(wildcard $(APP_SRC_DIR)/*.c)
APP_OBJS := $(patsubst $(APP_SRC_DIR)/%.c,$(APP_BUILD)/obj/%.o,$(APP_SRCS))
APP_ASAN_OBJS := $(patsubst $(APP_SRC_DIR)/%.c,build/asan/app/obj/%.o,$(APP_SRCS))

APP_CC      ?= $(CC)
APP_STRIP   ?= strip
APP_CFLAGS  := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror \
               -Wshadow -Wstrict-prototypes -Wformat=2 -MMD -MP
APP_LDFLAGS := -static
APP_ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
                  -fno-sanitize-recover=undefined

ALL_EXTRA += app

.PHONY: app app-asan
app: $(APP_CONTEXT_BIN)

app-asan: $(APP_ASAN_BIN)

# `make asan` (top-level Makefile) builds the service's sanitizer build too.
asan: app-asan

$(APP_BUILD)/obj/%.o: $(APP_SRC_DIR)/%.c
	@mkdir -p $(@D)
	$(APP_CC) $(APP_CFLAGS) -c $< -o $@

$(APP_BIN): $(APP_OBJS)
	$(APP_CC) $(APP_LDFLAGS) $^ -o $@

# The image's build context is recipes/app/, so the binary must be in it;
# stripped there, as nobody debugs inside the image.
$(APP_CONTEXT_BIN): $(APP_BIN)
	@mkdir -p $(@D)
	$(APP_STRIP) -o $@ $<

build/asan/app/obj/%.o: $(APP_SRC_DIR)/%.c
	@mkdir -p $(@D)
	$(APP_CC) $(filter-out -O2,$(APP_CFLAGS)) -O1 $(APP_ASAN_FLAGS) -c $< -o $@

$(APP_ASAN_BIN): $(APP_ASAN_OBJS)
	$(APP_CC) $(APP_ASAN_FLAGS) $^ -o $@

-include $(APP_OBJS:.o=.d) $(APP_ASAN_OBJS:.o=.d)

.DEFAULT_GOAL := $(APP_SAVED_DEFAULT_GOAL)
