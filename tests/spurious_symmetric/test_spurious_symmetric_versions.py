"""Format version 2 of ``relu-spurious-minimum-symmetric``: the statement says which clause is proven in
d = k and which for every d >= k; version-1 files (also embedded in ``relu-one-more-neuron`` files)
are rejected with the migration command, and ``certify spurious-symmetric migrate`` rewrites them
(certify/spurious_symmetric/migrate.py): exactly the stored files back, re-checked, atomically."""
from __future__ import annotations

import copy
import json

import pytest

from certify.kernel.spurious_symmetric.kind import KIND
from certify.publishing import PublishError, dumps
from certify.spurious_symmetric import migrate as MG
from helpers import CERTIFICATES, assert_proven, assert_rejected, load, restate

MIN = "spurious_symmetric/families/delta-s-k-minus-1/relu-sym-k00007-p1-6-loss0.02320271.json"
SADDLE = "spurious_symmetric/families/delta-s-k-minus-1/relu-sym-k00005-p1-4-loss0.02697047-saddle.json"
PUBLISHED = "spurious_symmetric/published/k020/relu-sym-k020-p6-1-13-loss0.05975342.json"
OVER = "overparameterization/families/delta-s-k-minus-1/relu-sym-k00007-p1-6-loss0.02320271.json"
DENSE = "spurious_minima/relu-k06-n06-loss0.02508058.json"
OVER_DENSE = "overparameterization/relu-k06-n06-loss0.02508058.json"
# the command named by the kernel's hint for version-1 files, e.g. "certify spurious-symmetric migrate"
MIGRATE = KIND.version_help[1].split("`")[1].split(" FILE")[0]


def _parsed(cert: dict):
    return KIND.parse({key: value for key, value in cert.items() if key != "provenance"})


def downgrade(cert: dict) -> dict:
    """The version-1 file this version-2 certificate was migrated from (version and statement of v1)."""
    old = copy.deepcopy(cert)
    old["version"] = 1
    old["claim"]["statement"] = MG.statement_v1(_parsed(cert))
    return old


@pytest.fixture(params=[MIN, SADDLE, PUBLISHED])
def stored(request) -> tuple[str, dict]:
    return request.param, load(request.param)


# ----------------------------------------------------------------------------- the statement


def test_statement_text_minimum_every_dimension():
    cert = load(MIN)
    assert cert["version"] == KIND.version == 2
    assert cert["claim"]["statement"] == (
        "The two-layer ReLU teacher-student loss F(W) = 1/2 E_x[(sum_i relu(w_i.x) - sum_j relu(v_j.x))^2], "
        "x ~ N(0, I_d), with n = k = 7 students and the orthonormal teacher V = I_7 (embedded in R^d): in input "
        "dimension d = k, F has a strict local minimum W* with F(W*) > 0 (hence spurious: the global minimum is 0), "
        "fixed by Delta(S_p1 x ... x S_pm) (permuting students and input coordinates together inside blocks of "
        "sizes p = [1, 6]), within Frobenius distance `radius` of the block-constant point given by `values` "
        "(compact layout of docs/spurious-symmetric.md); W* is the only critical point of F (d = k) fixed by that "
        "symmetry within that distance; and for every input dimension d >= k the point W* (padded with zeros) is "
        "a strict local minimum of F with the same loss.")


def test_statement_clauses_by_nature_and_dimensions():
    for name, nature in ((MIN, "strict local minimum"), (SADDLE, "saddle")):
        cert = load(name)
        text = cert["claim"]["statement"]
        head, tail = text.split("; and for every input dimension d >= k ")
        # existence, nature and uniqueness: in d = k; the uniqueness clause comes before "every d >= k"
        assert "in input dimension d = k, F has" in head and "only critical point of F (d = k)" in head
        assert "only critical point" not in tail and nature in tail and "(padded with zeros)" in tail
        # input_dimensions "k": no clause about other dimensions at all
        only_k = copy.deepcopy(cert)
        only_k["claim"]["input_dimensions"] = "k"
        only_k = restate(only_k)
        assert only_k["claim"]["statement"] == head + "."
        assert "d >= k" not in only_k["claim"]["statement"]
        assert_proven(only_k)


def test_stored_symmetric_files_are_version_2(stored):
    name, cert = stored
    assert cert["version"] == 2
    assert cert["claim"]["statement"] == KIND.statement(_parsed(cert))
    assert_proven(cert)


# ----------------------------------------------------------------------------- rejections


def test_version_1_file_rejected_with_the_migration_command(stored):
    _, cert = stored
    old = downgrade(cert)
    msg = assert_rejected(old, "version 1", "version 2", MIGRATE, restated=False)
    assert "statement-only" in msg


def test_old_statement_with_the_new_version_rejected(stored):
    _, cert = stored
    stale = copy.deepcopy(cert)
    stale["claim"]["statement"] = MG.statement_v1(_parsed(cert))
    assert_rejected(stale, "statement", restated=False)
    # and a v2 statement that still ends with the old "for every input dimension d >= k." clause
    stale["claim"]["statement"] = cert["claim"]["statement"].replace(
        "; and for every input dimension d >= k the point", "; for every input dimension d >= k the point")
    assert_rejected(stale, "statement", restated=False)


def test_unknown_versions_rejected(stored):
    _, cert = stored
    for version in (0, 3, "2", 2.0):
        bad = copy.deepcopy(cert)
        bad["version"] = version
        assert_rejected(bad, "version", restated=False)


def test_one_more_neuron_embedding_a_version_1_minimum_rejected():
    cert = load(OVER)
    assert cert["minimum"]["version"] == 2 and cert["version"] == 1  # the outer kind is unchanged
    assert_proven(cert)
    old = copy.deepcopy(cert)
    old["minimum"] = downgrade(cert["minimum"])
    assert_rejected(old, "embedded minimum", "version 1", MIGRATE, restated=False)


# ----------------------------------------------------------------------------- the migration


def test_migration_gives_back_the_stored_file_exactly(stored):
    name, cert = stored
    new = MG.migrate_certificate(downgrade(cert))
    assert new == cert
    assert dumps(new) == (CERTIFICATES / name).read_text(encoding="utf-8")  # byte for byte, key order kept


def test_migration_of_an_embedded_minimum():
    cert = load(OVER)
    old = copy.deepcopy(cert)
    old["minimum"] = downgrade(cert["minimum"])
    assert MG.migrate_certificate(old) == cert
    assert old["minimum"]["version"] == 1  # the input is not changed


def test_migration_refuses_a_changed_version_1_statement():
    old = downgrade(load(MIN))
    changed = copy.deepcopy(old)
    changed["claim"]["statement"] = changed["claim"]["statement"].replace("strict local minimum", "local minimum")
    with pytest.raises(MG.MigrationError, match="not the statement version 1 builds"):
        MG.migrate_certificate(changed)
    # a v1 statement built for other fields (the claim says saddle, the words say minimum)
    other = copy.deepcopy(old)
    other["claim"]["nature"] = "saddle"
    with pytest.raises(MG.MigrationError, match="not the statement"):
        MG.migrate_certificate(other)
    malformed = copy.deepcopy(old)
    malformed["claim"]["blocks"] = [1, 5]
    with pytest.raises(MG.MigrationError, match="malformed"):
        MG.migrate_certificate(malformed)
    with pytest.raises(MG.MigrationError):
        MG.migrate_certificate({**load(OVER), "minimum": changed})


def test_nothing_to_migrate():
    for cert in (load(MIN), load(DENSE), load(OVER_DENSE), load(OVER), {"format": "x"}, []):
        with pytest.raises(MG.NothingToMigrate):
            MG.migrate_certificate(cert)


def test_migrate_file_rechecks_and_writes_atomically(tmp_path):
    src = tmp_path / "in" / "a.json"
    src.parent.mkdir()
    src.write_text(dumps(downgrade(load(MIN))))
    out = tmp_path / "out" / "a.json"
    proof = MG.migrate_file(src, out)
    assert "symmetric spurious local minimum" in proof.summary
    assert out.read_text() == (CERTIFICATES / MIN).read_text()
    with pytest.raises(PublishError, match="exists"):
        MG.migrate_file(src, out)
    MG.migrate_file(src, out, overwrite=True)
    # a version-1 file whose claim is not proven (values moved, statement consistent) is not written
    moved = downgrade(load(MIN))
    moved["values"][1][0] += 1e-6
    src.write_text(dumps(moved))
    bad = tmp_path / "out" / "b.json"
    with pytest.raises(PublishError, match="NOT PROVEN"):
        MG.migrate_file(src, bad)
    assert not bad.exists()


def test_cli_migrates_a_folder_in_place(tmp_path, run_cli):
    assert MIGRATE.startswith("certify ") and MIGRATE.endswith(" migrate")
    verb = MIGRATE.split()[1:]  # the command the hint names is the one that exists
    folder = tmp_path / "store"
    (folder / "sub").mkdir(parents=True)
    (folder / "min.json").write_text(dumps(downgrade(load(MIN))))
    (folder / "sub" / "saddle.json").write_text(dumps(downgrade(load(SADDLE))))
    over = load(OVER)
    over["minimum"] = downgrade(over["minimum"])
    (folder / "sub" / "over.json").write_text(dumps(over))
    (folder / "dense.json").write_text((CERTIFICATES / DENSE).read_text())
    rc, out, err = run_cli("check", folder)
    assert rc == 1 and out.count(MIGRATE) == 3
    rc, out, err = run_cli(*verb, folder, "--out", folder)
    assert rc == 2 and "exists" in err  # in place needs --overwrite; nothing was written
    assert json.loads((folder / "min.json").read_text())["version"] == 1
    rc, out, err = run_cli(*verb, folder, "--out", folder, "--overwrite")
    assert rc == 0, out + err
    assert "3 file(s) migrated to version 2" in out and "1 with nothing to migrate" in out
    assert (folder / "min.json").read_text() == (CERTIFICATES / MIN).read_text()
    assert (folder / "sub" / "saddle.json").read_text() == (CERTIFICATES / SADDLE).read_text()
    assert json.loads((folder / "sub" / "over.json").read_text()) == load(OVER)
    assert (folder / "dense.json").read_text() == (CERTIFICATES / DENSE).read_text()
    rc, out, err = run_cli("check", folder)
    assert rc == 0 and out.count("PROVEN") == 4
    # a changed version-1 statement: reported, not written, exit status 1
    changed = downgrade(load(MIN))
    changed["claim"]["statement"] += " "
    (folder / "changed.json").write_text(dumps(changed))
    rc, out, err = run_cli(*verb, folder / "changed.json", "--out", tmp_path / "o")
    assert rc == 1 and "not migrated" in out and not (tmp_path / "o" / "changed.json").exists()
    rc, out, err = run_cli(*verb, tmp_path / "missing.json", "--out", tmp_path / "o")
    assert rc == 2 and "no such file" in err
