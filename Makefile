# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: install run test tex browser lint format bench fuzz difftest docs clean

# -qq and PYTHONWARNINGS: a first run prints what matcalc says, not screens of build warnings.
# editable_mode=compat puts the source on sys.path directly: no import hook, faster start-up.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing matcalc and its dependencies into $(VENV) ..."
	@PYTHONWARNINGS=ignore $(PY) -m pip install -qq --upgrade pip
	@PYTHONWARNINGS=ignore $(PY) -m pip install -qq -e '.[test]' --config-settings editable_mode=compat
	@$(PY) -m compileall -q matcalc  # bytecode caches, read even under PYTHONDONTWRITEBYTECODE
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/matcalc grad "x'*A*x" --let x:n --let A:n,n --wrt x
	$(VENV)/bin/matcalc grad "x1^3+2x2^2+3x3" --wrt x
	$(VENV)/bin/matcalc vjp "[x1^3+2x2^2+3x3, 3x1+2x2^2+x3^3, 2x1+x2^3+3x3^2]" --wrt x --v 3,2,1 --at x=[1,2,3]
	$(VENV)/bin/matcalc jacobian "X*X" --let X:n,n --wrt X

# A real TeX engine for the LaTeX compile tests: Debian's texlive, installed when missing and
# when we may (root with apt-get); otherwise those tests skip and say why.
tex:
	@command -v pdflatex >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends texlive-latex-base texlive-latex-recommended >/dev/null) \
	      || echo "could not install texlive: LaTeX compile tests will skip"; \
	  else echo "pdflatex not found: LaTeX compile tests will skip"; fi; }

# torch (the 2.13.0 CPU build; an open range would fetch a multi-GB CUDA build) and JAX (CPU) for
# the tests of --format torch|jax: about 45 s on a fresh venv; if they cannot be had, those tests
# skip and say why.
FRAMEWORKS := $(VENV)/.frameworks-stamp
$(FRAMEWORKS): $(STAMP)
	@echo "installing torch (CPU) and JAX (CPU) for the --format torch|jax tests ..."
	@PYTHONWARNINGS=ignore $(PY) -m pip install -qq -e '.[frameworks]' --config-settings editable_mode=compat \
	  || echo "could not install torch and JAX: the --format torch|jax tests will skip"
	@touch $(FRAMEWORKS)


# A real browser for the page of `matcalc serve` (tests/test_serve_browser.py): Debian's chromium
# and chromium-driver, installed when missing and when we may (root with apt-get); otherwise
# those tests skip and say why.
browser:
	@{ command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends chromium chromium-driver >/dev/null) \
	      || echo "could not install chromium: browser tests will skip"; \
	  else echo "chromium or chromedriver not found: browser tests will skip"; fi; }

test: $(STAMP) $(FRAMEWORKS) tex browser
	$(PY) -m pytest -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Coverage-guided fuzzing (optional): installs atheris into the venv, runs for FUZZ_SECONDS.
# An input past the CLI's own limits (FUZZ_TIMEOUT seconds, 2048 MB) is a finding: timeout-*, oom-*.
# Every finding is kept in fuzz/findings/ (the fuzzer starts again after each); exit 1 if any.
FUZZ_SECONDS ?= 60
FUZZ_TIMEOUT ?= 20
fuzz: $(STAMP)
	$(PY) -m pip install --quiet atheris
	$(PY) fuzz/campaign.py --seconds $(FUZZ_SECONDS) --timeout $(FUZZ_TIMEOUT) --rss-mb 2048

# The random-expression differential tester: N random expressions, every command and layout,
# checked against finite differences of an independent NumPy implementation of each.
N ?= 20000
SEED ?= 1
difftest: $(STAMP)
	$(PY) tests/difftest.py --count $(N) --seed $(SEED) --jobs 2

docs: $(STAMP)
	$(PY) docs/gen_docs.py

bench: $(STAMP)
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info
