# irqhint: `make` builds, `make check` runs every test, `make demo` shows it.
#
# Upstream QEMU is fetched, verified and built in a cache outside the
# clone (see ./configure); this Makefile only drives it.

BUILD := $(shell ./configure --print-builddir)
QEMU_TARGETS := qemu-system-x86_64 tests/qtest/qos-test

.PHONY: all build check check-series-full demo demo-qtest bench patches docs \
	clean-cache

all: build

build:
	@./configure >/dev/null
	@echo "make: building in $(BUILD)"
	@ninja -C $(BUILD) $(QEMU_TARGETS) >$(BUILD)/irqhint-build.log 2>&1 || { \
	    grep -A30 '^FAILED' $(BUILD)/irqhint-build.log | cut -c1-300 | head -60 >&2; \
	    echo "make: build failed (full log: $(BUILD)/irqhint-build.log)" >&2; \
	    exit 1; }
	@tail -1 $(BUILD)/irqhint-build.log

check: build
	@scripts/run-tests.sh "$(BUILD)"

# The demo boots a Linux guest with -device irqhint and shows its hints
# being applied; demo-qtest shows the host side alone, without a guest.
demo: build
	@scripts/guest-demo.sh "$(BUILD)"

demo-qtest: build
	@scripts/demo.sh "$(BUILD)"

bench: build
	@scripts/bench.sh "$(BUILD)"

# QEMU's manual with our pages in it (Sphinx, warnings are errors).
docs:
	@./configure >/dev/null
	@scripts/make-docs.sh "$(BUILD)"

# The project as a git format-patch series against the pinned upstream
# source (manifest: patches/series.txt); OUT=dir to choose where.
patches:
	@./configure >/dev/null
	@scripts/make-patches.py --check-tree $(if $(OUT),--out "$(OUT)") >/dev/null

# Every prefix of the series configured and built for real, incrementally
# in one build directory beside ours (a full build and then some: too slow
# for make check, which compiles what each prefix touches).
SERIES_DIR := $(dir $(BUILD))series-full
check-series-full:
	@./configure >/dev/null
	@out=$$(scripts/make-patches.py --check-tree --out "$(SERIES_DIR)/out") && \
	scripts/check-series.py am "$$(echo "$$out" | sed -n 's/^repo //p')" \
	    "$(SERIES_DIR)/out" "$(SERIES_DIR)/work" \
	    "$$(echo "$$out" | sed -n 's/^head //p')" && \
	scripts/check-series.py build "$(SERIES_DIR)/work" "$(SERIES_DIR)/build"

clean-cache:
	rm -rf "$(dir $(BUILD))"
