# irqhint: `make` builds, `make check` runs every test, `make demo` shows it.
#
# Upstream QEMU is fetched, verified and built in a cache outside the
# clone (see ./configure); this Makefile only drives it.

BUILD := $(shell ./configure --print-builddir)
QEMU_TARGETS := qemu-system-x86_64 tests/qtest/qos-test tests/qtest/amd-iommu-test

# Our Python (python/irqhint) and QEMU's own (qemu.qmp, qemu.machine from
# the fetched source) for every script the targets below run.
export PYTHONPATH := $(CURDIR)/python:$(dir $(BUILD))src/python$(if $(PYTHONPATH),:$(PYTHONPATH))

.PHONY: all deps build check demo demo-qtest bench fuzz fuzz-deps fuzz-selftest \
	guest-image install uninstall patches docs check-series-full clean-cache soak

all: build

# Host packages: as root, scripts/install-deps.sh installs what is missing
# (a stamp makes it free once done); otherwise ./configure names what is
# missing.
deps:
	@if [ "$$(id -u)" = 0 ]; then scripts/install-deps.sh; fi

build: deps
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

# The soak (issue 20; not part of check, which runs a short one): runs of
# every configuration, SOAK_JOBS at once (3), until each has SOAK_RUNS
# (200) or SOAK_MINUTES pass (default: enough for 200 each, see README);
# SOAK_CONFIGS picks configurations (tests/functional/irqhint_soak.py
# --list), SOAK_STALL is the seconds without progress that make a hang
# (150), SOAK_DIR the logs.  Prints one line per configuration; fails on
# any hang, lost or duplicated interrupt, failed run or error.
soak: build
	@SOAK_MINUTES="$(SOAK_MINUTES)" SOAK_RUNS="$(SOAK_RUNS)" SOAK_CONFIGS="$(SOAK_CONFIGS)" \
	    SOAK_JOBS="$(SOAK_JOBS)" SOAK_STALL="$(SOAK_STALL)" SOAK_DIR="$(SOAK_DIR)" SOAK_TRACE="$(SOAK_TRACE)" \
	    /usr/bin/python3 tests/functional/irqhint_soak.py --build "$(BUILD)"

# Fuzzing (not part of check): a second, instrumented build in the cache
# (./configure --fuzz); FUZZ_SECONDS per device, FUZZ_TARGETS to choose.
fuzz-deps:
	@if [ "$$(id -u)" = 0 ]; then scripts/install-deps.sh --fuzz; fi

fuzz: fuzz-deps
	@scripts/fuzz.sh $(FUZZ_TARGETS)

fuzz-selftest: fuzz-deps
	@scripts/fuzz.sh --selftest

# A Debian guest kernel + initramfs with the guest driver, booting to a
# shell (no test control channel): for trying irqhint by hand or under
# libvirt.  GUEST_KERNEL=6.1|6.12; GUEST_IMAGE_DIR must be readable by
# whoever runs QEMU (libvirt: not under /root).
GUEST_KERNEL ?= 6.1
GUEST_IMAGE_DIR ?= $(BUILD)/guest-image-$(GUEST_KERNEL)

guest-image:
	@IRQHINT_GUEST_SERIES=$(GUEST_KERNEL) scripts/guest-image.sh "$(GUEST_IMAGE_DIR)"

# Our QEMU for libvirt and other users: PREFIX/bin/qemu-system-x86_64-irqhint
# (the real binary and its data under PREFIX/lib/irqhint, firmware linked
# to Debian's packages), beside Debian's qemu without shadowing it; see
# scripts/install.sh.  uninstall removes exactly what the manifest lists.
PREFIX ?= /usr/local

install: build
	@scripts/install.sh install "$(BUILD)" "$(PREFIX)"

uninstall:
	@scripts/install.sh uninstall "$(PREFIX)"

# QEMU's manual with our pages in it (Sphinx, warnings are errors).
docs: deps
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
