"""The kernel's memo (certify.kernel.checking): a certificate whose content (provenance removed) is
identical to one already PROVEN in the run is not decided twice; only PROVEN results are kept; the
runner forwards entries between worker processes (-j N); a tampered embedded minimum stays rejected."""
from __future__ import annotations

import copy
import json
import math
import multiprocessing
import shutil
import time

import pytest

from certify import runner
from certify.kernel import checking
from certify.kernel.checking import check_data, content_digest, memo_hits
from certify.runner import run_local

from conftest import REPO_ROOT
from helpers import assert_proven, assert_rejected, load, restate

MIN6 = "spurious_minima/relu-k06-n06-loss0.02508058.json"  # a dense spurious minimum, k = 6
ONE_MORE6 = "overparameterization/relu-k06-n06-loss0.02508058.json"  # embeds exactly that minimum


@pytest.fixture
def memo():
    """The memo on, empty, for this test only."""
    checking.memo_stop()
    checking.memo_start()
    yield checking
    checking.memo_stop()


def _nudged(value: float) -> float:
    return math.nextafter(value, math.inf)


def test_the_embedded_minimum_is_the_stored_one_up_to_provenance():
    assert content_digest(load(ONE_MORE6)["minimum"]) == content_digest(load(MIN6))


def test_a_hit_returns_the_same_proven(memo):
    first = check_data(load(MIN6))
    hits = memo_hits()
    again = check_data(load(MIN6))
    assert memo_hits() == hits + 1
    assert again == first and again.bounds == first.bounds
    again.bounds["loss"] = "changed by a caller"  # a caller's copy: the memo keeps its own
    assert check_data(load(MIN6)).bounds == first.bounds


def test_the_memo_is_off_unless_a_run_turns_it_on():
    checking.memo_stop()
    hits = memo_hits()
    check_data(load(MIN6))
    check_data(load(MIN6))
    assert memo_hits() == hits


def test_not_proven_is_never_memoised(memo, monkeypatch):
    import certify.kernel.spurious_minima.kind as spurious_kind

    bad = load(MIN6)
    bad["claim"]["statement"] += " And more."
    hits = memo_hits()
    for _ in range(2):
        assert_rejected(bad, "statement", restated=False)
    assert memo_hits() == hits and memo.memo_take() == []

    def boom(*args, **kwargs):
        raise ZeroDivisionError("simulated failure")

    monkeypatch.setattr(spurious_kind, "enclose", boom)
    v = checking.check_text(json.dumps(load(MIN6)))  # an internal error: NOT PROVEN
    assert not v.proven and "ZeroDivisionError" in v.message
    monkeypatch.undo()
    assert memo_hits() == hits and memo.memo_take() == []  # the failure left nothing behind
    assert_proven(load(MIN6))
    assert memo_hits() == hits  # decided, not remembered from the failed attempt


def test_a_changed_byte_outside_provenance_misses(memo):
    check_data(load(MIN6))
    changed = load(MIN6)
    changed["radius"] = _nudged(changed["radius"])  # one ulp more: still a valid claim, another content
    assert content_digest(changed) != content_digest(load(MIN6))
    hits = memo_hits()
    check_data(changed)
    assert memo_hits() == hits
    key_order = dict(reversed(list(load(MIN6).items())))  # the same data in another key order
    assert content_digest(key_order) != content_digest(load(MIN6))
    as_tuple = load(MIN6)
    as_tuple["point"] = tuple(as_tuple["point"])  # not plain JSON data: never memoised
    assert content_digest(as_tuple) is None


def test_provenance_differences_hit(memo):
    check_data(load(MIN6))
    other = load(MIN6)
    other["provenance"] = {"seed": 12345, "note": "another run, another machine"}
    hits = memo_hits()
    check_data(other)
    del other["provenance"]
    check_data(other)
    assert memo_hits() == hits + 2
    # a provenance that is not an object is malformed: never a hit
    other["provenance"] = "trust me"
    assert content_digest(other) is None
    assert_rejected(other, "provenance", restated=False)


def test_one_more_neuron_reuses_the_decided_minimum(memo):
    assert_proven(load(MIN6))
    hits = memo_hits()
    assert_proven(load(ONE_MORE6))
    assert memo_hits() == hits + 1  # the embedded minimum


def test_a_tampered_embedded_minimum_is_rejected_even_after_the_true_one_was_decided(memo):
    assert_proven(load(MIN6))
    assert_proven(load(ONE_MORE6))
    tampered = load(ONE_MORE6)
    tampered["minimum"]["point"][0][0] = _nudged(tampered["minimum"]["point"][0][0]) + 0.01
    restate(tampered["minimum"])
    hits = memo_hits()
    assert_rejected(tampered, "embedded minimum")
    assert memo_hits() == hits
    lying = load(ONE_MORE6)
    lying["minimum"]["claim"]["statement"] += " Also P = NP."
    assert_rejected(lying, "statement")


def test_memo_entries_carry_only_what_proven_carries(memo):
    proof = check_data(load(ONE_MORE6))
    entries = memo.memo_take()
    assert [d for d, _, _ in entries] == [content_digest(load(MIN6)), content_digest(load(ONE_MORE6))]
    assert entries[1][1:] == (proof.summary, dict(proof.bounds))
    assert memo.memo_take() == []
    # entries from another process make hits here (that is all the runner does with them)
    checking.memo_stop()
    checking.memo_start()
    checking.memo_add(entries)
    hits = memo_hits()
    assert check_data(load(MIN6)).summary == entries[0][1]
    assert memo_hits() == hits + 1


def test_the_serial_route_turns_the_memo_on_for_the_run_only(tmp_path):
    checking.memo_stop()
    a = shutil.copy(REPO_ROOT / "certificates" / ONE_MORE6, tmp_path / "a_one_more.json")
    b = shutil.copy(REPO_ROOT / "certificates" / MIN6, tmp_path / "b_minimum.json")
    got = list(run_local([a, b], jobs=1))
    assert [r.proven for r in got] == [True, True] and [r.memo_hits for r in got] == [0, 1]
    assert checking.memo_start() is True  # it was off again after the run
    checking.memo_stop()


def test_relay_is_bounded_and_skips_a_workers_own_entries():
    relay = runner._Relay(limit=3)
    relay.add(0, ["a", "b"])
    relay.add(1, ["c", "d"])
    assert relay.since(0, worker=2) == ["b", "c", "d"]  # "a" dropped: at most 3 kept
    assert relay.since(0, worker=1) == ["b"]
    assert relay.since(3, worker=0) == ["d"] and relay.since(relay.end, worker=0) == []


def test_parallel_runs_forward_memo_entries_between_workers(tmp_path, monkeypatch):
    """-j 2: the minimum embedded in a_one_more.json is decided by one worker; d_minimum.json goes to
    the other worker (the fillers' delays make it so) and is a hit there, through the forwarding."""
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs the fork start method")
    monkeypatch.setattr(runner, "_context", lambda: multiprocessing.get_context("fork"))
    certs = REPO_ROOT / "certificates"
    files = [shutil.copy(certs / ONE_MORE6, tmp_path / "a_one_more.json"),
             shutil.copy(certs / "kkt" / "diagonal_depth2.json", tmp_path / "b_filler.json"),
             shutil.copy(certs / "kkt" / "relu_wide_angle.json", tmp_path / "c_filler.json"),
             shutil.copy(certs / MIN6, tmp_path / "d_minimum.json")]
    serial = list(run_local(files, jobs=1))
    real = runner.check_one
    delays = {"b_filler.json": 0.3, "c_filler.json": 0.8}  # worker 2: b then d; worker 1: a then c

    def delayed(path):
        time.sleep(delays.get(str(path).rsplit("/", 1)[-1], 0.0))
        return real(path)

    monkeypatch.setattr(runner, "check_one", delayed)
    got = list(run_local(files, jobs=2))
    assert all(r.proven for r in got), [r.message for r in got]
    assert [r.memo_hits for r in got] == [0, 0, 0, 1]
    assert [(r.path, r.message, r.bounds) for r in got] == [(r.path, r.message, r.bounds) for r in serial]
