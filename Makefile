# tcpgate - transparent TCP proxy appliance with a userspace TCP/IPv4 stack
#
#   make            build tcpgate and tcpgatectl into build/
#   make test       install missing packages, build, run every test
#   make test-sanitize  the same suite once more on an ASan/UBSan build (build-san/)
#   make soak       the long reliability tests (SYN flood, 10k soak, slow clients)
#   make demo       install missing packages, build, show tcpgate balancing traffic
#   make bench      the side-by-side benchmark (bench/)
#   make fuzz       libFuzzer targets (clang)
#   make install    PREFIX=/usr/local DESTDIR= (binaries, man pages, unit, example)
#   SANITIZE=address,undefined  build (into build-san/) with sanitizers
#   WERROR=1        warnings are errors (set automatically when CI=true)

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
VERSION := 0.1.0

PKGS    := libconfig jansson libmicrohttpd
BUILD   := build$(if $(SANITIZE),-san)

WARN    := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
           -Wformat=2 -Wpointer-arith -Wcast-qual -Wvla -Wundef \
           -Wno-missing-field-initializers
ifneq ($(filter true 1,$(CI) $(WERROR)),)
WARN    += -Werror
endif

CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -DTCPGATE_VERSION='"$(VERSION)"' $(WARN) \
           -I. -MMD -MP $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
ifneq ($(SANITIZE),)
CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif

STACK_SRC  := $(wildcard stack/*.c)
CONF_SRC   := $(wildcard conf/*.c)
CTL_SRC    := proxy/tcpgatectl.c
PROXY_SRC  := $(filter-out $(CTL_SRC),$(wildcard proxy/*.c))
SUPPORT_SRC:= $(wildcard tests/support/*.c)
UNIT_SRC   := $(wildcard tests/unit/*.c)
SCEN_SRC   := $(wildcard tests/scenario/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

STACK_LIB  := $(BUILD)/libtcpgate-stack.a
CONF_LIB   := $(BUILD)/libtcpgate-conf.a
PROXY_LIB  := $(BUILD)/libtcpgate-proxy.a
TCPGATE    := $(BUILD)/tcpgate
TCPGATECTL := $(BUILD)/tcpgatectl
UNIT_BIN   := $(BUILD)/tests/unit
SCEN_BIN   := $(BUILD)/tests/scenario
# C tools the e2e tests drive (many connections from one process)
TOOL_SRC   := $(wildcard tests/e2e/tools/*.c)
TOOL_BINS  := $(patsubst tests/e2e/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRC))

.PHONY: all deps test test-sanitize soak tools test-unit test-scenario test-e2e demo bench fuzz fuzz-bins install uninstall clean
all: $(TCPGATE) $(if $(wildcard $(CTL_SRC)),$(TCPGATECTL))

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(STACK_LIB): $(call obj,$(STACK_SRC))
	$(AR) rcs $@ $^
$(CONF_LIB): $(call obj,$(CONF_SRC))
	$(AR) rcs $@ $^
$(PROXY_LIB): $(call obj,$(filter-out proxy/main.c,$(PROXY_SRC)))
	$(AR) rcs $@ $^

$(TCPGATE): $(call obj,proxy/main.c) $(PROXY_LIB) $(CONF_LIB) $(STACK_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(TCPGATECTL): $(call obj,$(CTL_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

TEST_LIBS := $(PROXY_LIB) $(CONF_LIB) $(STACK_LIB)
$(UNIT_BIN): $(call obj,$(UNIT_SRC) $(SUPPORT_SRC)) $(TEST_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcriterion
$(SCEN_BIN): $(call obj,$(SCEN_SRC) $(SUPPORT_SRC)) $(TEST_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcriterion
$(BUILD)/tools/%: tests/e2e/tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<
tools: $(TOOL_BINS)

# libFuzzer targets: tests/fuzz/fuzz_*.c, each linked with the stack and conf
# sources compiled by clang with ASan/UBSan. FUZZ_SECONDS bounds each run.
FUZZ_SRC    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -I. -g -O1 -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=all $(shell pkg-config --cflags libconfig 2>/dev/null)
FUZZ_SECONDS ?= 60
build-fuzz/%: tests/fuzz/%.c $(STACK_SRC) $(CONF_SRC) $(wildcard tests/fuzz/*.h)
	@mkdir -p build-fuzz
	clang $(FUZZ_CFLAGS) -o $@ $< $(STACK_SRC) $(CONF_SRC) $(shell pkg-config --libs libconfig) -lm
FUZZ_BINS   := $(patsubst tests/fuzz/%.c,build-fuzz/%,$(FUZZ_SRC))
fuzz-bins: $(FUZZ_BINS)
fuzz: $(FUZZ_BINS)
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $^

deps:
	@scripts/deps.sh

test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN) $(SCEN_BIN) $(TOOL_BINS) fuzz-bins
	@BUILD=$(BUILD) tests/run.sh

# The whole suite again on the sanitizer build (what CI runs after `make test`).
test-sanitize: deps
	@$(MAKE) --no-print-directory SANITIZE=address,undefined BUILD=build-san \
		all build-san/tests/unit build-san/tests/scenario \
		$(patsubst tests/e2e/tools/%.c,build-san/tools/%,$(TOOL_SRC)) fuzz-bins
	@BUILD=build-san tests/run.sh

# The reliability tests at full length (tests/e2e/soak/run.sh).
soak: deps
	@$(MAKE) --no-print-directory all $(TOOL_BINS)
	@BUILD=$(BUILD) tests/e2e/soak/run.sh

test-unit: $(UNIT_BIN)
	$(UNIT_BIN)
test-scenario: $(SCEN_BIN)
	$(SCEN_BIN)
test-e2e: all $(TOOL_BINS)
	BUILD=$(BUILD) tests/e2e/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) scripts/demo.sh

bench: all
	@BUILD=$(BUILD) bench/run.sh

# install: binaries, man pages, the systemd unit (its paths rewritten for
# PREFIX) and the example configuration as documentation; /etc is never
# written: copy the example to /etc/tcpgate/tcpgate.cfg and edit it.
MANDIR  ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
DOCDIR  ?= $(PREFIX)/share/doc/tcpgate
install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(DOCDIR) $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR)
	install -m 0755 $(TCPGATE) $(TCPGATECTL) $(DESTDIR)$(PREFIX)/sbin/
	install -m 0644 proxy/tcpgate.8 proxy/tcpgatectl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 conf/tcpgate.cfg.5 $(DESTDIR)$(MANDIR)/man5/
	sed 's|/usr/local/sbin/|$(PREFIX)/sbin/|g' systemd/tcpgate.service \
		>$(DESTDIR)$(UNITDIR)/tcpgate.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/tcpgate.service
	install -m 0644 conf/tcpgate.cfg.example $(DESTDIR)$(DOCDIR)/
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/tcpgate $(DESTDIR)$(PREFIX)/sbin/tcpgatectl \
		$(DESTDIR)$(MANDIR)/man8/tcpgate.8 $(DESTDIR)$(MANDIR)/man8/tcpgatectl.8 \
		$(DESTDIR)$(MANDIR)/man5/tcpgate.cfg.5 $(DESTDIR)$(UNITDIR)/tcpgate.service \
		$(DESTDIR)$(DOCDIR)/tcpgate.cfg.example
	-rmdir $(DESTDIR)$(DOCDIR)

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
