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
CFLAGS    += -Wall -Wextra -Wno-unused-parameter -std=gnu11 -MMD -MP \
	     -I$(OUTPUT) -Iinclude -DFV_VERSION=\"$(VERSION)\"
LDLIBS    += -lbpf -lelf -lz -ljansson -lm -lmicrohttpd -lcurl -lcap -lpthread
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Werror -Wall \
	     -Iinclude -Ivmlinux -I/usr/include/$(MULTIARCH)

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_NAMES := $(patsubst bpf/%.bpf.c,%,$(BPF_SRCS))
SKELS     := $(patsubst %,$(OUTPUT)/%.skel.h,$(BPF_NAMES))
USER_SRCS := $(filter-out user/main.c,$(wildcard user/*.c))
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/%.o,$(USER_SRCS))
LIB       := $(OUTPUT)/libflowverify.a
TEST_SRCS := $(wildcard tests/test_*.c)
TEST_BINS := $(patsubst tests/%.c,$(OUTPUT)/tests/%,$(TEST_SRCS))
TEST_BPF  := $(patsubst tests/bpf/%.bpf.c,$(OUTPUT)/tests/%.bpf.o,$(wildcard tests/bpf/*.bpf.c))

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all deps test test-unit test-e2e demo bench bench-quick install uninstall clean help

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

$(OUTPUT)/%.o: user/%.c $(SKELS) | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(USER_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

flowverify: $(OUTPUT)/main.o $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/tests/%: tests/%.c $(LIB) $(SKELS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser $< $(LIB) $(LDLIBS) -lcmocka -o $@

$(OUTPUT)/tests/%.bpf.o: tests/bpf/%.bpf.c | $(OUTPUT)/tests
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# Installs the Debian packages the build, the lab and the tests need.
deps:
	$(Q)scripts/deps.sh

test:
	$(Q)scripts/deps.sh --check-only >/dev/null 2>&1 || scripts/deps.sh
	$(Q)$(MAKE) --no-print-directory flowverify $(TEST_BINS) $(TEST_BPF)
	$(Q)tests/run.sh

$(OUTPUT)/bench:
	$(Q)mkdir -p $@

$(OUTPUT)/bench/fvbench: bench/fvbench.c $(LIB) $(SKELS) | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser $< $(LIB) $(LDLIBS) -o $@

# Measures what flowverify costs (bench/README.md); writes bench/results.json.
bench bench-quick:
	$(Q)scripts/deps.sh --check-only >/dev/null 2>&1 || scripts/deps.sh
	$(Q)$(MAKE) --no-print-directory flowverify $(OUTPUT)/bench/fvbench $(OUTPUT)/tests/bench_empty.bpf.o
	$(Q)bench/run.sh $(if $(filter bench-quick,$@),--quick)

demo:
	$(Q)scripts/deps.sh --check-only >/dev/null 2>&1 || scripts/deps.sh
	$(Q)$(MAKE) --no-print-directory flowverify
	$(Q)scripts/demo.sh

install: flowverify
	install -D -m 0755 flowverify $(DESTDIR)$(PREFIX)/sbin/flowverify

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/flowverify

clean:
	$(call msg,CLEAN,)
	$(Q)rm -rf $(OUTPUT) flowverify

help:
	@echo 'Targets:'
	@echo '  all (default)  build ./flowverify'
	@echo '  deps           install the Debian packages needed (as root)'
	@echo '  demo           build, then run the lab demo (as root)'
	@echo '  test           build and run every test; ends with "N passed, N failed"'
	@echo '  bench          measure per-packet, throughput and agent costs (bench/README.md)'
	@echo '  bench-quick    the same, short (under 2 minutes)'
	@echo '  install        install to $$(DESTDIR)$$(PREFIX)/sbin (PREFIX=$(PREFIX))'
	@echo '  clean          remove build output'
	@echo 'Variables: V=1 shows commands; CC, CLANG, BPFTOOL, PREFIX, DESTDIR.'

-include $(wildcard $(OUTPUT)/*.d $(OUTPUT)/tests/*.d)
