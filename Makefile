# berth - plain Makefile with pkg-config.
#   make            build bin/berth and bin/berth-full
#   make check      build, then run every test (unit + integration, as root)
#   make asan       build with ASan+UBSan and run every test against that build
#   make install    install bin/berth, the buildpacks and the daemon's systemd unit
#                   (PREFIX, DESTDIR, SYSTEMD_UNIT_DIR; BIN=bin/berth-asan installs
#                   that build and its -full and -daemon instead)

PREFIX  ?= /usr/local
DESTDIR ?=
# The daemon's unit (dist/berth.service); systemctl daemon-reload && systemctl
# enable --now berth after install.
SYSTEMD_UNIT_DIR ?= /etc/systemd/system
BIN ?= bin/berth
CC      ?= gcc
PKG_CONFIG ?= pkg-config

# The libraries berth links. runtime/ uses the kernel's capability interface
# directly (no libcap); net/ links libnl-route and libnftnl over libmnl.
PKGS := libseccomp jansson libarchive libgit2 yaml-0.1 libcrypto libcurl zlib libnl-3.0 libnl-route-3.0 libmnl libnftnl

BASE_CFLAGS := -std=gnu17 -Wall -Wextra -Werror -I. -D_GNU_SOURCE \
	$(shell $(PKG_CONFIG) --cflags $(PKGS))
# http-parser ships no .pc file; linked statically, so the lean bin/berth (which
# carries the router) loads no more shared libraries than before.
LIBS := -Wl,--as-needed $(shell $(PKG_CONFIG) --libs $(PKGS)) -l:libhttp_parser.a

CFLAGS ?= -O2 -g
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# The parts that exist; net/ and gitd/ join when they are written.
PARTS := common runtime images build net gitd platform cmd
SRCS  := $(foreach p,$(PARTS),$(wildcard $(p)/*.c))
LIB_SRCS := $(filter-out cmd/%,$(SRCS))
CMD_SRCS := $(filter-out cmd/berth.c cmd/table.c,$(filter cmd/%,$(SRCS)))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)

LIB_OBJS  := $(LIB_SRCS:%.c=obj/%.o)
CMD_OBJS  := $(CMD_SRCS:%.c=obj/%.o)
ALIB_OBJS := $(LIB_SRCS:%.c=obj-asan/%.o)
ACMD_OBJS := $(CMD_SRCS:%.c=obj-asan/%.o)
UNITS      := $(UNIT_SRCS:tests/unit/%.c=bin/tests/%)
AUNITS     := $(UNIT_SRCS:tests/unit/%.c=bin/tests-asan/%)

.PHONY: all check asan unit install clean
all: bin/berth bin/berth-full bin/berth-daemon

# Two executables from one archive of objects. bin/berth is lean: its command
# table names the heavy commands without linking them, so the linker pulls in
# only what runtime:run, doctor and help need and --as-needed drops the other
# shared libraries (libcurl and libgit2 alone cost milliseconds to load). It
# executes bin/berth-full, which has every command, for the rest.
obj/libberth.a: $(LIB_OBJS) $(CMD_OBJS)
	@rm -f $@
	ar rcs $@ $^

obj-asan/libberth.a: $(ALIB_OBJS) $(ACMD_OBJS)
	@rm -f $@
	ar rcs $@ $^

obj/cmd/table-lean.o: cmd/table.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -DBERTH_LEAN -MMD -MP -c -o $@ $<

obj-asan/cmd/table-lean.o: cmd/table.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(ASAN_FLAGS) -DBERTH_LEAN -MMD -MP -c -o $@ $<

bin/berth: obj/cmd/berth.o obj/cmd/table-lean.o obj/libberth.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

bin/berth-full: obj/cmd/berth.o obj/cmd/table.o obj/libberth.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

# The daemon runs long: its own build, the lean table plus `daemon`, maps fewer
# libraries than berth-full (docs/daemon.md).
obj/cmd/table-daemon.o: cmd/table.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -DBERTH_LEAN -DBERTH_DAEMON_BIN -MMD -MP -c -o $@ $<

obj-asan/cmd/table-daemon.o: cmd/table.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(ASAN_FLAGS) -DBERTH_LEAN -DBERTH_DAEMON_BIN -MMD -MP -c -o $@ $<

bin/berth-daemon: obj/cmd/berth.o obj/cmd/table-daemon.o obj/libberth.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

bin/berth-asan-daemon: obj-asan/cmd/berth.o obj-asan/cmd/table-daemon.o obj-asan/libberth.a
	@mkdir -p $(@D)
	$(CC) $(ASAN_FLAGS) -o $@ $^ $(LIBS)

bin/berth-asan: obj-asan/cmd/berth.o obj-asan/cmd/table-lean.o obj-asan/libberth.a
	@mkdir -p $(@D)
	$(CC) $(ASAN_FLAGS) -o $@ $^ $(LIBS)

bin/berth-asan-full: obj-asan/cmd/berth.o obj-asan/cmd/table.o obj-asan/libberth.a
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

# tests/helpers/rtctl.c drives runtime/'s handle API for integration tests.
bin/tests/rtctl: tests/helpers/rtctl.c $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -pthread -o $@ $< $(LIB_OBJS) $(LIBS)

bin/tests-asan/rtctl: tests/helpers/rtctl.c $(ALIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(ASAN_FLAGS) -pthread -o $@ $< $(ALIB_OBJS) $(LIBS)

check: bin/berth bin/berth-full bin/berth-daemon $(UNITS) bin/tests/rtctl
	BERTH_BIN=$(CURDIR)/bin/berth UNIT_DIR=$(CURDIR)/bin/tests tests/run $(TESTS)

asan: bin/berth-asan bin/berth-asan-full bin/berth-asan-daemon $(AUNITS) bin/tests-asan/rtctl
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	BERTH_BIN=$(CURDIR)/bin/berth-asan UNIT_DIR=$(CURDIR)/bin/tests-asan tests/run $(TESTS)

# berth-full and berth-daemon find the buildpacks next to themselves, in
# PREFIX/lib/berth (tests/integration/build_install.sh).
install: $(BIN) $(BIN)-full $(BIN)-daemon
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/berth
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/berth
	install -m 0755 $(BIN)-full $(DESTDIR)$(PREFIX)/lib/berth/berth-full
	install -m 0755 $(BIN)-daemon $(DESTDIR)$(PREFIX)/lib/berth/berth-daemon
	rm -rf $(DESTDIR)$(PREFIX)/lib/berth/buildpacks
	cp -r build/buildpacks $(DESTDIR)$(PREFIX)/lib/berth/buildpacks
	install -d $(DESTDIR)$(SYSTEMD_UNIT_DIR) $(DESTDIR)$(PREFIX)/share/doc/berth
	sed 's|/usr/local/|$(PREFIX)/|g' dist/berth.service >$(DESTDIR)$(SYSTEMD_UNIT_DIR)/berth.service
	chmod 0644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/berth.service
	install -m 0644 docs/daemon.md $(DESTDIR)$(PREFIX)/share/doc/berth/daemon.md

clean:
	rm -rf obj obj-asan bin

-include $(shell find obj obj-asan -name '*.d' 2>/dev/null)
