"""The model is named by a hash of its inputs, so it is retrained exactly when they change."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot import model

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path, monkeypatch):
    for name in ("domain.yml", "config.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "bot").mkdir()
    shutil.copy(ROOT / "bot" / "tokenizer.py", tmp_path / "bot" / "tokenizer.py")
    monkeypatch.setattr(model, "ROOT", tmp_path)
    return tmp_path


@pytest.mark.parametrize("edit", ["domain.yml", "config.yml", "data/nlu/en.yml", "data/nlu/zh.yml",
                                  "data/rules.yml", "bot/tokenizer.py"])
def test_inputs_hash_changes_when_an_input_changes(project, edit):
    before = model.inputs_hash(project / "config.yml")
    with open(project / edit, "a") as f:
        f.write("\n# edited\n")
    assert model.inputs_hash(project / "config.yml") != before


def test_inputs_hash_changes_when_a_data_file_is_added(project):
    before = model.inputs_hash(project / "config.yml")
    (project / "data" / "extra.yml").write_text('version: "3.1"\n')
    assert model.inputs_hash(project / "config.yml") != before


def test_inputs_hash_ignores_files_that_do_not_shape_the_model(project):
    before = model.inputs_hash(project / "config.yml")
    (project / "README.md").write_text("notes")
    (project / "endpoints.yml").write_text("action_endpoint: {}\n")
    assert model.inputs_hash(project / "config.yml") == before


def test_model_path_names_the_main_and_other_configs(project):
    main = model.model_path(project / "config.yml")
    other = project / "stock_config.yml"
    shutil.copy(project / "config.yml", other)
    assert main.name.startswith("screening-") and main.name.endswith(".tar.gz")
    assert model.model_path(other).name.startswith("stock_config-")


def test_ensure_model_uses_the_cached_file_without_training(project, tmp_path):
    out = tmp_path / "models"
    out.mkdir()
    cached = model.model_path(project / "config.yml", out)
    cached.write_bytes(b"not a real model, never loaded")
    assert model.ensure_model(project / "config.yml", out) == cached
