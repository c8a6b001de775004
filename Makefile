# berth - plain Makefile with pkg-config.
#   make            build bin/berth
#   make check      build, then run every test (unit + integration, as root)
#   make asan       build with ASan+UBSan and run every test against that build
#   make install    install bin/berth and the buildpacks (PREFIX, DESTDIR)

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= gcc
PKG_CONFIG ?= pkg-config

PKGS := libseccomp libcap libarchive jansson libcrypto libgit2 yaml-0.1 libnl-3.0 libnl-route-3.0 libmnl libnftnl

BASE_CFLAGS := -std=gnu17 -Wall -Wextra -Werror -I. -D_GNU_SOURCE \
	$(shell $(PKG_CONFIG) --cflags $(PKGS))
LIBS := -Wl,--as-needed $(shell $(PKG_CONFIG) --libs $(PKGS))

CFLAGS ?= -O2 -g
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

PARTS := common runtime images build net gitd platform cmd
SRCS  := $(foreach p,$(PARTS),$(wildcard $(p)/*.c))
LIB_SRCS := $(filter-out cmd/%,$(SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)

OBJS      := $(SRCS:%.c=obj/%.o)
LIB_OBJS  := $(LIB_SRCS:%.c=obj/%.o)
AOBJS     := $(SRCS:%.c=obj-asan/%.o)
ALIB_OBJS := $(LIB_SRCS:%.c=obj-asan/%.o)
UNITS      := $(UNIT_SRCS:tests/unit/%.c=bin/tests/%)
AUNITS     := $(UNIT_SRCS:tests/unit/%.c=bin/tests-asan/%)

.PHONY: all check asan unit install clean
all: bin/berth

bin/berth: $(OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

bin/berth-asan: $(AOBJS)
	@mkdir -p $(@D)
	$(CC) $(ASAN_FLAGS) -o $@ $^ $(LIBS)

obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

obj-asan/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(ASAN_FLAGS) -MMD -MP -c -o $@ $<

bin/tests/%: tests/unit/%.c tests/unit/unit.h $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< $(LIB_OBJS) $(LIBS)

bin/tests-asan/%: tests/unit/%.c tests/unit/unit.h $(ALIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(ASAN_FLAGS) -o $@ $< $(ALIB_OBJS) $(LIBS)

check: bin/berth $(UNITS)
	BERTH_BIN=$(CURDIR)/bin/berth UNIT_DIR=$(CURDIR)/bin/tests tests/run $(TESTS)

asan: bin/berth-asan $(AUNITS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	BERTH_BIN=$(CURDIR)/bin/berth-asan UNIT_DIR=$(CURDIR)/bin/tests-asan tests/run $(TESTS)

install: bin/berth
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/berth
	install -m 0755 bin/berth $(DESTDIR)$(PREFIX)/bin/berth
	if [ -d build/buildpacks ]; then cp -r build/buildpacks $(DESTDIR)$(PREFIX)/lib/berth/; fi

clean:
	rm -rf obj obj-asan bin

-include $(OBJS:.o=.d) $(AOBJS:.o=.d)
