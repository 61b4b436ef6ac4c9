# The two commands: `make demo` and `make test`. Everything else is set up on the way.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# TensorFlow and SQLAlchemy 1.4 talk a lot at start-up; nothing they say here is actionable.
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.PHONY: demo test model serve bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || { PY310=$$(scripts/python310) && $$PY310 -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade "pip>=23" wheel
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

# Trains only when domain.yml, config.yml, data/ or bot/tokenizer.py changed (the model is named by their hash).
model: $(STAMP)
	@$(PY) -m bot.model

# A dry run of the daily fever check's first day: 500 simulated households, the real model
# and actions, a virtual clock. Leaves out/screening.db (made at the newest schema revision),
# out/results.csv, out/escalations.csv.
demo: model
	$(PY) -m campaigns.cli campaign dry-run campaign-files/daily-fever-check.yml \
		--population examples/population-500.csv --days 1 --out out

test: model
	$(PY) -m pytest

# Rasa server on localhost:5005 (its channels only), the action server on localhost:5055 and the
# supervisor console on 127.0.0.1:8000, once the database is at the newest schema revision.
serve: model
	$(PY) -m campaigns.cli db upgrade
	$(PY) -m bot.serve

bench: model
	$(PY) -m bench.run

clean:
	rm -rf models .rasa out .pytest_cache
