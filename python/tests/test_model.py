"""SiGAH from Python: training, encoding, files, config, progress, threads, and
byte-for-byte equality with `sigah train` / `sigah encode`."""

from __future__ import annotations

import json

import numpy as np
import pytest

import sigah

from conftest import SMALL


def test_model_file_equals_the_cli_byte_for_byte(tmp_path, mnist, cli):
    base = mnist[0]
    np.save(tmp_path / "base.npy", base)
    cfg = dict(SMALL, lambda_list=1.5)
    (tmp_path / "cfg.json").write_text(json.dumps(cfg))
    cli("train", "--data", tmp_path / "base.npy", "--bits", 32, "--seed", 7, "--config", tmp_path / "cfg.json",
        "--threads", 2, "--quiet", "--out", tmp_path / "cli.safetensors")
    # Keyword arguments, and the same config as a file, both give the CLI's bytes.
    py = sigah.SiGAH(bits=32, seed=7, threads=2, **cfg).fit(base)
    py.save(tmp_path / "py.safetensors")
    cli_bytes = (tmp_path / "cli.safetensors").read_bytes()
    assert (tmp_path / "py.safetensors").read_bytes() == cli_bytes
    assert py.to_bytes() == cli_bytes
    from_file = sigah.SiGAH(bits=32, seed=7, threads=2, config_file=tmp_path / "cfg.json").fit(base)
    assert from_file.to_bytes() == cli_bytes
    # A different seed gives a different model (the comparison is not vacuous).
    assert sigah.SiGAH(bits=32, seed=8, threads=2, **cfg).fit(base).to_bytes() != cli_bytes


def test_codes_equal_sigah_encode_both_ways(tmp_path, mnist, cli):
    base, query = mnist[0], mnist[1]
    np.save(tmp_path / "query.npy", query)
    model = sigah.SiGAH(bits=64, **SMALL).fit(base)
    model.save(tmp_path / "m.safetensors")
    cli("encode", "--model", tmp_path / "m.safetensors", "--data", tmp_path / "query.npy",
        "--out", tmp_path / "q.npy", "--quiet")
    cli_codes = np.load(tmp_path / "q.npy")
    codes = model.encode(query)
    assert codes.dtype == np.uint8 and codes.shape == (200, 8)
    np.testing.assert_array_equal(codes, cli_codes)
    loaded = sigah.SiGAH.load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(loaded.encode(query), cli_codes)
    assert loaded.config == model.config and loaded.dim == 784 and loaded.bits == 64
    # float32 input gives the same codes as the uint8 it came from.
    np.testing.assert_array_equal(model.encode(query.astype(np.float32)), codes)
    # The codes are not trivial: balanced-ish bits, distinct codes.
    assert len({c.tobytes() for c in codes}) > 150


def test_config_keys_and_defaults():
    m = sigah.SiGAH()
    t = m.config["training"]
    assert (m.bits, t["seed"], t["epochs"], m.is_fitted, m.dim) == (64, 42, 30, False, None)
    # Keywords are the config file's keys: flat, or a whole section as a dict.
    m = sigah.SiGAH(bits=16, seed=3, epochs=4, hidden=[128, 64], decoder="linear", loss={"margin": 0.5})
    c = m.config
    a, t = c["architecture"], c["training"]
    assert (a["bits"], t["seed"], t["epochs"], a["hidden"], a["decoder"], c["loss"]["margin"]) == (
        16, 3, 4, [128, 64], "linear", 0.5)
    assert "untrained" in repr(m)


def test_config_file_then_keywords(tmp_path):
    (tmp_path / "c.toml").write_text("bits = 128\nepochs = 3\nlr_d = 0.001\n")
    m = sigah.SiGAH(config_file=tmp_path / "c.toml", epochs=5)
    assert (m.bits, m.config["training"]["epochs"], m.config["optimiser"]["lr_d"]) == (128, 5, 0.001)


def test_preset_is_the_cli_preset_under_the_keywords(tmp_path):
    # "fast" is `sigah train --preset fast` and the method sigah-noadv: no adversarial term.
    assert sigah.SiGAH().config["loss"]["adversarial"] is True
    assert sigah.SiGAH(preset="fast").config["loss"]["adversarial"] is False
    assert sigah.SiGAH(preset="fast").config == sigah.SiGAH(adversarial=False).config
    # Over the file, under the keywords.
    (tmp_path / "c.toml").write_text("bits = 16\n")
    m = sigah.SiGAH(config_file=tmp_path / "c.toml", preset="fast", adversarial=True)
    assert (m.bits, m.config["loss"]["adversarial"]) == (16, True)
    with pytest.raises(ValueError, match="unknown preset 'quick'"):
        sigah.SiGAH(preset="quick")


def test_progress_callback_gets_every_epoch_and_is_quiet_without(mnist, capfd):
    seen = []
    sigah.SiGAH(bits=16, **dict(SMALL, epochs=3)).fit(mnist[0], progress=seen.append)
    assert [s["epoch"] for s in seen] == [1, 2, 3]
    assert all(s["epochs"] == 3 and np.isfinite(s["loss_g"]) and 0 <= s["bit_imbalance"] <= 1 for s in seen)
    m = sigah.SiGAH(bits=16, **SMALL).fit(mnist[0])
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert m.summary["epochs"] == 2 and m.summary["train_vectors"] == 1000


def test_an_exception_in_the_callback_stops_training_and_propagates(mnist):
    calls = []

    def stop(stats):
        calls.append(stats["epoch"])
        raise KeyError("stop here")

    m = sigah.SiGAH(bits=16, **dict(SMALL, epochs=5))
    with pytest.raises(KeyError, match="stop here"):
        m.fit(mnist[0], progress=stop)
    assert calls == [1] and not m.is_fitted


def test_codes_do_not_depend_on_the_thread_count(tmp_path, mnist):
    model = sigah.SiGAH(bits=32, threads=1, **SMALL).fit(mnist[0])
    assert model.to_bytes() == sigah.SiGAH(bits=32, threads=1, **SMALL).fit(mnist[0]).to_bytes()
    model.save(tmp_path / "m.safetensors")
    x = np.concatenate([mnist[0]] * 3)  # several encoder blocks of 1024 rows
    one = model.encode(x)
    two = sigah.SiGAH.load(tmp_path / "m.safetensors", threads=2).encode(x)
    np.testing.assert_array_equal(one, two)
    np.testing.assert_array_equal(one[:1000], one[2000:])


def test_save_then_load_round_trips(tmp_path, mnist):
    m = sigah.SiGAH(bits=24, **SMALL).fit(mnist[0])
    m.save(tmp_path / "m.safetensors")
    back = sigah.SiGAH.load(tmp_path / "m.safetensors")
    assert back.to_bytes() == m.to_bytes()
    assert back.summary == m.summary
    np.testing.assert_array_equal(back.encode(mnist[1]), m.encode(mnist[1]))
    # Python's safetensors reads the file and finds the CLI's metadata.
    import safetensors.numpy as st

    tensors = st.load_file(str(tmp_path / "m.safetensors"))
    assert tensors["preprocess.mean"].size == 784
