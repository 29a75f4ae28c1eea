"""Manifests: `certify manifest write DIR` and `certify check --manifest FILE` (exit status 3 when a
listed certificate is missing, changed or not proven, or an unlisted one appears)."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from certify.paths import expand_paths, is_manifest_file
from certify.manifest import MANIFEST_NAME, ManifestError, load_manifest, plan, sha256_file

from conftest import REPO_ROOT as REPO, stored_spurious as stored


@pytest.fixture
def folder(tmp_path) -> Path:
    d = tmp_path / "certs"
    (d / "sub").mkdir(parents=True)
    shutil.copy(stored("relu-k06-n06-*.json"), d / "a.json")
    shutil.copy(stored("relu-k07-n07-*.json"), d / "sub" / "b.json")
    return d


@pytest.fixture
def written(run, folder) -> Path:
    rc, out, err = run("manifest", "write", folder)
    assert rc == 0, err
    assert f"wrote {folder / MANIFEST_NAME}: 2 proven certificate(s) listed" in out
    return folder / MANIFEST_NAME


def _tampered(path: Path) -> str:
    data = json.loads(path.read_text())
    data["claim"]["statement"] += " Also P = NP."
    return json.dumps(data)


def test_written_manifest_lists_every_certificate(written, folder):
    text = written.read_text()
    assert text.lstrip().startswith('{\n "format": "certify-manifest"') and is_manifest_file(written)
    data = json.loads(text)
    assert data["version"] == 1 and data["root"] == "."
    assert [e["path"] for e in data["certificates"]] == ["a.json", "sub/b.json"]
    for e in data["certificates"]:
        f = folder / e["path"]
        assert e["sha256"] == hashlib.sha256(f.read_bytes()).hexdigest()
        assert e["kind"] == "relu-spurious-minimum" and e["verdict"] == "PROVEN"
        assert e["statement"] == json.loads(f.read_text())["claim"]["statement"]


def test_a_folder_walk_never_takes_the_manifest_for_a_certificate(run, written, folder):
    files, _ = expand_paths([folder])
    assert written not in files and len(files) == 2
    rc, out, err = run("check", folder)
    assert rc == 0 and out.splitlines()[-1] == "2 proven, 0 not proven"


def test_check_against_the_manifest(run, written, folder):
    rc, out, err = run("check", "--manifest", written)
    assert rc == 0 and out.splitlines()[-1] == f"2 proven, 0 not proven; manifest {written}: matches"


def test_a_deleted_certificate_exits_3(run, written, folder):
    (folder / "sub" / "b.json").unlink()
    rc, out, err = run("check", "--manifest", written)
    assert rc == 3
    assert f"NOT PROVEN {folder / 'sub' / 'b.json'}: listed in the manifest but missing" in out
    assert "1 problem(s)" in out


def test_a_changed_certificate_exits_3_even_if_still_proven(run, written, folder):
    f = folder / "a.json"
    f.write_text(f.read_text() + "\n")  # same claim, still proven, different bytes
    rc, out, err = run("check", "--manifest", written)
    assert rc == 3 and f"PROVEN     {f}" in out
    assert f"MANIFEST   {f}: changed since the manifest was written" in out


def test_a_listed_certificate_not_proven_exits_3(run, written, folder):
    # both changed and not proven: reported as changed (the hash is compared first)
    f = folder / "a.json"
    f.write_text(_tampered(f))
    rc, out, err = run("check", "--manifest", written)
    assert rc == 3 and f"NOT PROVEN {f}" in out and "MANIFEST" in out


def test_an_unlisted_certificate_exits_3(run, written, folder):
    shutil.copy(folder / "a.json", folder / "sub" / "new.json")
    rc, out, err = run("check", "--manifest", written)
    assert rc == 3 and f"MANIFEST   {folder / 'sub' / 'new.json'}: not listed in the manifest" in out
    # hidden folders and virtual environments are not certificate folders
    (folder / "sub" / "new.json").unlink()
    (folder / ".git").mkdir()
    shutil.copy(folder / "a.json", folder / ".git" / "x.json")
    rc, out, err = run("check", "--manifest", written)
    assert rc == 0


def test_json_and_junit_reports_carry_manifest_problems(run, written, folder):
    (folder / "sub" / "b.json").unlink()
    rc, out, err = run("check", "--manifest", written, "--format", "json")
    report = json.loads(out)
    assert rc == 3 and report["exit_code"] == 3 and report["manifest"] == str(written)
    assert [r.get("manifest") for r in report["results"]] == [None, "missing"]
    rc, out, err = run("check", "--manifest", written, "--format", "junit")
    assert rc == 3 and 'failures="1"' in out and "listed in the manifest but missing" in out


def test_write_refuses_a_folder_with_an_unproven_certificate(run, folder):
    (folder / "sub" / "bad.json").write_text(_tampered(folder / "a.json"))
    rc, out, err = run("manifest", "write", folder)
    assert rc == 2 and "1 certificate(s) not proven" in err and "bad.json" in err
    assert not (folder / MANIFEST_NAME).exists()


def test_write_never_overwrites_without_overwrite(run, written, folder):
    before = written.read_text()
    shutil.copy(folder / "a.json", folder / "c.json")
    rc, out, err = run("manifest", "write", folder)
    assert rc == 2 and "exists" in err and written.read_text() == before
    rc, out, err = run("manifest", "write", "--overwrite", folder)
    assert rc == 0 and "3 proven" in out
    rc, out, err = run("manifest", "write", folder / "nope")
    assert rc == 2 and "no such folder" in err


def test_manifest_outside_the_folder(run, folder, tmp_path):
    out_file = tmp_path / "ci" / "certs.manifest.json"
    rc, out, err = run("manifest", "write", folder, "--out", out_file)
    assert rc == 0
    assert json.loads(out_file.read_text())["root"] == "../certs"
    rc, out, err = run("check", "--manifest", out_file)
    assert rc == 0 and "2 proven, 0 not proven" in out


@pytest.mark.parametrize("change, why", [
    (lambda d: d.update(format="certify-certificate"), "format"),
    (lambda d: d.update(version=2), "version"),
    (lambda d: d.update(extra=1), "unknown field"),
    (lambda d: d.update(root="/etc"), "root"),
    (lambda d: d["certificates"][0].update(path="../a.json"), "must be relative"),
    (lambda d: d["certificates"][0].update(path="/abs.json"), "must be relative"),
    (lambda d: d["certificates"][0].update(sha256="00"), "sha256"),
    (lambda d: d["certificates"][0].update(verdict="NOT PROVEN"), "verdict"),
    (lambda d: d["certificates"][0].pop("kind"), "exactly the fields"),
    (lambda d: d["certificates"].append(dict(d["certificates"][0])), "listed twice"),
    (lambda d: d.update(certificates={}), "must be a list"),
])
def test_an_invalid_manifest_is_a_usage_error(run, written, change, why):
    data = json.loads(written.read_text())
    change(data)
    written.write_text(json.dumps(data))
    with pytest.raises(ManifestError, match=why):
        load_manifest(written)
    rc, out, err = run("check", "--manifest", written)
    assert rc == 2 and "invalid manifest" in err and "Traceback" not in out + err


def test_missing_or_malformed_manifest_file(run, tmp_path):
    rc, out, err = run("check", "--manifest", tmp_path / "none.json")
    assert rc == 2 and "no such manifest" in err
    (tmp_path / "m.json").write_text('{"format": "certify-manifest", "format": "x"}')
    rc, out, err = run("check", "--manifest", tmp_path / "m.json")
    assert rc == 2 and "duplicate key" in err


def test_the_shipped_manifest_lists_exactly_the_stored_certificates():
    """Fast (hashes only; `.ci/run` checks the proofs): certificates/MANIFEST.json is current."""
    path = REPO / "certificates" / MANIFEST_NAME
    if not path.exists():
        pytest.skip("certificates/MANIFEST.json not written yet (certify manifest write certificates --overwrite)")
    m = load_manifest(path)
    files, missing = plan(m)
    listed = {m.root / rel for rel in m.entries}
    assert not missing, f"listed but missing: {[e.path for e in missing]}"
    assert set(files) == listed, f"unlisted: {sorted(map(str, set(files) - listed))}"
    changed = [rel for rel, e in m.entries.items() if sha256_file(m.root / rel) != e.sha256]
    assert not changed, f"changed since the manifest was written: {changed}"
