# The two user-facing targets: `make demo` (the main job on a shipped default input) and `make test`.
# Both create .venv with a Python >= 3.12 on first use and reuse it afterwards.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test venv
.DEFAULT_GOAL := demo

demo: $(STAMP)
	@$(PY) -m vs_slowdeblur demo

test: $(STAMP)
	@bash scripts/run-tests $(PY)

venv: $(STAMP)

$(STAMP): pyproject.toml scripts/find-python
	@test -x $(PY) || { PYTHON=$$(bash scripts/find-python) && echo "creating $(VENV) with $$PYTHON" >&2 && $$PYTHON -m venv $(VENV); }
	@echo "installing vs_slowdeblur and its dependencies into $(VENV) (first run downloads torch, ~5 GB)" >&2
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]' >&2
	@# vspipe finds its Python through the user's VapourSynth config; register this venv there.
	@$(VENV)/bin/vapoursynth config >&2
	@touch $(STAMP)
