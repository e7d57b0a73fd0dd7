# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# flowverify: see README.md. `make help` lists the targets.

OUTPUT    := .output
CLANG     ?= clang
CC        ?= cc
BPFTOOL   ?= bpftool
LLVM_STRIP ?= llvm-strip
ARCH      := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
MULTIARCH := $(shell $(CC) -dumpmachine 2>/dev/null)
VERSION   := $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0)
PREFIX    ?= /usr/local
DESTDIR   ?=

CFLAGS    ?= -g -O2
# user/ has one folder per area (docs/design.md); each module's header
# sits beside it, include/ holds only what the BPF programs share.
USER_DIRS := core acl agent lab cmd
USER_INC  := $(patsubst %,-Iuser/%,$(USER_DIRS))
CFLAGS    += -Wall -Wextra -Wno-unused-parameter -std=gnu11 -MMD -MP \
	     -I$(OUTPUT) -Iinclude $(USER_INC) -DFV_VERSION=\"$(VERSION)\" $(SAN_CFLAGS)
LDLIBS    += -lbpf -lelf -lz -ljansson -lm -lmicrohttpd -lcurl -lcap -lpthread -lnftables -lpcap
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Werror -Wall \
	     -Iinclude -Ivmlinux -I/usr/include/$(MULTIARCH)

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_NAMES := $(patsubst bpf/%.bpf.c,%,$(BPF_SRCS))
SKELS     := $(patsubst %,$(OUTPUT)/%.skel.h,$(BPF_NAMES))
USER_SRCS := $(foreach d,$(USER_DIRS),$(wildcard user/$(d)/*.c))
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/obj/%.o,$(USER_SRCS))
LIB       := $(OUTPUT)/libflowverify.a
TEST_SRCS := $(wildcard tests/test_*.c)
TEST_BINS := $(patsubst tests/%.c,$(OUTPUT)/tests/%,$(TEST_SRCS))
TEST_BPF  := $(patsubst tests/bpf/%.bpf.c,$(OUTPUT)/tests/%.bpf.o,$(wildcard tests/bpf/*.bpf.c))
# Helpers the e2e suites run (not tests: tests/run.sh runs only test_*).
TEST_TOOLS := $(patsubst tests/tools/%.c,$(OUTPUT)/tests/%,$(wildcard tests/tools/*.c))

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all deps test test-unit test-e2e demo bench bench-quick install uninstall clean help \
	fuzz fuzz-build check-asan format format-check test-kernels

all: flowverify

$(OUTPUT) $(OUTPUT)/tests:
	$(Q)mkdir -p $@

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c include/flowverify.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -MT $@ -MF $(OUTPUT)/$*.bpf.d -c $< -o $@.tmp
	$(Q)$(LLVM_STRIP) -g $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp
	$(Q)rm -f $@.tmp

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

$(OUTPUT)/obj/%.o: user/%.c $(SKELS) | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(USER_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

flowverify: $(OUTPUT)/obj/main.o $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# The same binary inside another OUTPUT tree (check-asan builds one there).
$(OUTPUT)/flowverify: $(OUTPUT)/obj/main.o $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/tests/%: tests/%.c $(LIB) $(SKELS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIB) $(LDLIBS) -lcmocka -o $@

# A static pattern rule: for these it wins over the tests/%.c rule above.
$(TEST_TOOLS): $(OUTPUT)/tests/%: tests/tools/%.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -lbpf -lelf -lz -o $@

$(OUTPUT)/tests/%.bpf.o: tests/bpf/%.bpf.c | $(OUTPUT)/tests
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# Installs the Debian packages the build, the lab and the tests need.
deps:
	$(Q)scripts/deps.sh

test:
	$(Q)scripts/deps.sh --check-only >/dev/null 2>&1 || scripts/deps.sh
	$(Q)$(MAKE) --no-print-directory flowverify $(TEST_BINS) $(TEST_TOOLS) $(TEST_BPF) $(OUTPUT)/bench/fvbench fuzz-build
	$(Q)tests/run.sh

# ---- kernel matrix (docs/kernels.md): the tests inside Debian's 5.10, 6.1
# and 6.12 kernels under QEMU, one VM at a time; KERNELS, FVK_SET=core|full.
test-kernels:
	$(Q)scripts/deps.sh --check-only >/dev/null 2>&1 || scripts/deps.sh
	$(Q)$(MAKE) --no-print-directory flowverify $(TEST_BINS) $(TEST_TOOLS) $(TEST_BPF)
	$(Q)$(MAKE) --no-print-directory dist >/dev/null
	$(Q)FVK_DIST=$(DIST_BIN) scripts/kernels/matrix.sh

# ---- formatting: .clang-format, checked by make test (tests/e2e/format.sh) ----
# Every C file git tracks but vmlinux/'s copies of kernel types.
FORMAT_SRCS = $(shell git ls-files '*.c' '*.h' | grep -v '^vmlinux/')

format:
	$(Q)clang-format -i $(FORMAT_SRCS)

format-check:
	$(Q)clang-format --dry-run --Werror $(FORMAT_SRCS)

# ---- fuzzing (fuzz/README.md) and sanitizers ----
# libFuzzer targets over every parser of outside input, the library built
# again with ASan+UBSan and coverage. `make fuzz` runs each FUZZ_TIME
# seconds; `make test` runs them briefly (tests/e2e/fuzz_short.sh).
FUZZ_OUT   := $(OUTPUT)/fuzz
FUZZ_CC    ?= clang
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) -std=gnu11 -MMD -MP \
	     -I$(OUTPUT) -Iinclude $(USER_INC) -Ifuzz -DFV_VERSION=\"$(VERSION)\"
FUZZ_NAMES := $(patsubst fuzz/%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_BINS  := $(patsubst %,$(FUZZ_OUT)/%,$(FUZZ_NAMES))
FUZZ_LIB   := $(FUZZ_OUT)/libflowverify.a
FUZZ_TIME  ?= 60

$(FUZZ_OUT)/obj:
	$(Q)mkdir -p $@

$(FUZZ_OUT)/obj/%.o: user/%.c $(SKELS) | $(FUZZ_OUT)/obj
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_OUT)/obj/fz_%.o: fuzz/%.c | $(FUZZ_OUT)/obj
	$(call msg,FUZZ-CC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_LIB): $(patsubst user/%.c,$(FUZZ_OUT)/obj/%.o,$(USER_SRCS))
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_OUT)/fuzz_acl_json $(FUZZ_OUT)/fuzz_acl_text: $(FUZZ_OUT)/obj/fz_acl_roundtrip.o
$(FUZZ_OUT)/fuzz_%: $(FUZZ_OUT)/obj/fz_fuzz_%.o $(FUZZ_LIB)
	$(call msg,FUZZ-LD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $^ $(LDLIBS) -o $@

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	$(Q)fuzz/run.sh --time $(FUZZ_TIME)

# Unit and end-to-end tests against a flowverify and test binaries built
# with ASan+UBSan (in $(OUTPUT)/asan; the normal build is left alone).
ASAN_FLAGS := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	      -fno-sanitize-recover=undefined
check-asan:
	$(Q)scripts/deps.sh --check-only >/dev/null 2>&1 || scripts/deps.sh
	$(Q)$(MAKE) --no-print-directory $(TEST_BPF) $(OUTPUT)/bench/fvbench fuzz-build
	$(Q)$(MAKE) --no-print-directory OUTPUT=$(OUTPUT)/asan CC=clang MULTIARCH=$(MULTIARCH) \
		SAN_CFLAGS="$(ASAN_FLAGS)" $(OUTPUT)/asan/flowverify \
		$(patsubst $(OUTPUT)/%,$(OUTPUT)/asan/%,$(TEST_BINS) $(TEST_TOOLS) $(TEST_BPF))
	$(Q)FV=$(OUTPUT)/asan/flowverify FV_TEST_BINDIR=$(OUTPUT)/asan/tests \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=87 \
		FV_FUZZ_FRAMES=100000 tests/run.sh

$(OUTPUT)/bench:
	$(Q)mkdir -p $@

$(OUTPUT)/bench/fvbench: bench/fvbench.c $(LIB) $(SKELS) | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIB) $(LDLIBS) -o $@

# Measures what flowverify costs (bench/README.md); writes bench/results.json.
bench bench-quick:
	$(Q)scripts/deps.sh --check-only >/dev/null 2>&1 || scripts/deps.sh
	$(Q)$(MAKE) --no-print-directory flowverify $(OUTPUT)/bench/fvbench $(OUTPUT)/tests/bench_empty.bpf.o $(OUTPUT)/tests/bench_parts.bpf.o
	$(Q)bench/run.sh $(if $(filter bench-quick,$@),--quick)

demo:
	$(Q)scripts/deps.sh --check-only >/dev/null 2>&1 || scripts/deps.sh
	$(Q)$(MAKE) --no-print-directory flowverify
	$(Q)scripts/demo.sh

# ---- dist: one portable file (docs/portable.md, issue 13) ----
# $(DIST_BIN): flowverify (the BPF objects are in it, through the
# skeletons) with every library linked statically but glibc, refused by
# dist/check-binary.sh if it needs a GLIBC_ version above DIST_GLIBC or a
# shared library that is not glibc's. libcurl is loaded at run time by
# 'verify --agent' (dist/curl_runtime.c), libnftables (no static archive)
# by the masquerade host check (dist/nft_runtime.c), libpcap (no static
# libsystemd for its archive) by --pcap (dist/pcap_runtime.c); p11-kit, which GnuTLS wants for
# PKCS#11 tokens only, is stubbed (dist/p11kit_stubs.c). The archives come
# from the -dev packages of scripts/deps.sh. Built in a tree of its own
# (OUTPUT=$(DIST_DIR)), one make at a time (flock), where the files that
# print VERSION are rebuilt when it changes. `make dist-path` prints the
# file's name.
DIST_DIR   := $(OUTPUT)/dist
DIST_BIN   := $(DIST_DIR)/flowverify-$(VERSION)-$(shell uname -m)
DIST_GLIBC ?= 2.34
DIST_OBJS  := $(DIST_DIR)/glue/curl_runtime.o $(DIST_DIR)/glue/p11kit_stubs.o \
	      $(DIST_DIR)/glue/nft_runtime.o $(DIST_DIR)/glue/pcap_runtime.o \
	      $(DIST_DIR)/glue/runtime_lib.o
DIST_LIBS  := -lbpf -lelf -lz -ljansson -lmicrohttpd -lgnutls -lhogweed \
	      -lnettle -lgmp -ltasn1 -lidn2 -lunistring -lcap
.PHONY: dist dist-path dist-link dist-force

dist:
	$(Q)mkdir -p $(DIST_DIR)
	$(Q)flock $(DIST_DIR)/.lock $(MAKE) --no-print-directory OUTPUT=$(DIST_DIR) \
		DIST_DIR=$(DIST_DIR) VERSION=$(VERSION) MULTIARCH=$(MULTIARCH) dist-link

dist-path:
	@echo $(DIST_BIN)

ifeq ($(OUTPUT),$(DIST_DIR))
$(patsubst user/%.c,$(OUTPUT)/obj/%.o,$(shell grep -l FV_VERSION user/main.c $(USER_SRCS))): \
	$(DIST_DIR)/version
$(DIST_DIR)/version: dist-force
	$(Q)[ "$$(cat $@ 2>/dev/null)" = "$(VERSION)" ] || echo "$(VERSION)" >$@
dist-force:

$(DIST_DIR)/glue/%.o: dist/%.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(shell pkg-config --cflags p11-kit-1) -c $< -o $@

# Linked under a name of its own, checked, then renamed.
$(DIST_BIN): $(OUTPUT)/obj/main.o $(DIST_OBJS) $(LIB) dist/check-binary.sh
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -s $(OUTPUT)/obj/main.o $(DIST_OBJS) $(LIB) \
		-Wl,-Bstatic $(DIST_LIBS) -Wl,-Bdynamic -Wl,--as-needed -lm -o $@.tmp && \
		dist/check-binary.sh $@.tmp $(DIST_GLIBC) $@ && mv -f $@.tmp $@ || \
		{ rm -f $@.tmp; exit 1; }

dist-link: $(DIST_BIN)

-include $(wildcard $(DIST_DIR)/glue/*.d)
endif

UNITDIR   ?= $(PREFIX)/lib/systemd/system

install: flowverify
	install -D -m 0755 flowverify $(DESTDIR)$(PREFIX)/sbin/flowverify
	# The agent's unprivileged user (a package's postinst makes it instead).
	[ -n "$(DESTDIR)" ] || getent passwd flowverify >/dev/null || \
		useradd --system --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin flowverify
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(PREFIX)/share/doc/flowverify
	sed -e 's|@SBINDIR@|$(PREFIX)/sbin|' -e 's|@DOCDIR@|$(PREFIX)/share/doc/flowverify|' \
		contrib/systemd/flowverify-agent.service > $(DESTDIR)$(UNITDIR)/flowverify-agent.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/flowverify-agent.service
	install -m 0644 docs/agent.md contrib/prometheus/flowverify.rules.yml \
		contrib/grafana/flowverify.json $(DESTDIR)$(PREFIX)/share/doc/flowverify/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/flowverify
	rm -f $(DESTDIR)$(UNITDIR)/flowverify-agent.service
	rm -rf $(DESTDIR)$(PREFIX)/share/doc/flowverify

clean:
	$(call msg,CLEAN,)
	$(Q)rm -rf $(OUTPUT) flowverify

help:
	@echo 'Targets:'
	@echo '  all (default)  build ./flowverify'
	@echo '  deps           install the Debian packages needed (as root)'
	@echo '  demo           build, then run the lab demo (as root)'
	@echo '  test           build and run every test; ends with "N passed, N failed"'
	@echo '  test-kernels   the tests inside Debian kernels 5.10, 6.1, 6.12 under QEMU (docs/kernels.md)'
	@echo '  dist           one portable file, every library static but glibc (docs/portable.md)'
	@echo '  fuzz           run every libFuzzer target FUZZ_TIME s (default 60; fuzz/README.md)'
	@echo '  format         reformat the C sources with .clang-format'
	@echo '  format-check   fail when a C source differs from what clang-format makes of it'
	@echo '  check-asan     the unit and end-to-end tests under ASan+UBSan'
	@echo '  bench          measure per-packet, throughput and agent costs (bench/README.md)'
	@echo '  bench-quick    the same, short (under 2 minutes)'
	@echo '  install        install to $$(DESTDIR)$$(PREFIX)/sbin (PREFIX=$(PREFIX)), with the'
	@echo '                 agent'"'"'s systemd unit in $$(UNITDIR) and docs'
	@echo '  clean          remove build output'
	@echo 'Variables: V=1 shows commands; CC, CLANG, BPFTOOL, PREFIX, DESTDIR.'

-include $(wildcard $(OUTPUT)/*.d $(OUTPUT)/obj/*.d $(OUTPUT)/obj/*/*.d $(OUTPUT)/tests/*.d \
	$(FUZZ_OUT)/obj/*.d $(FUZZ_OUT)/obj/*/*.d)
