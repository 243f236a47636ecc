"""A signer's crash-safe nonce store (ocp.ceremony.nonces): nonces are recorded
before they leave, a restart burns every session that handed one out, a session
id is used once, and every input gets its own nonce."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap

import pytest

from ocp.ceremony import nonces as store_module
from ocp.ceremony.nonces import (
    NonceBurnedError,
    NonceRequest,
    SessionState,
    SignerNonces,
)
from ocp.errors import UserError
from taptrees.keys import schnorr_verify
from taptrees.musig2 import (
    SessionContext,
    individual_pk,
    key_agg,
    key_sort,
    nonce_agg,
    partial_sig_agg,
    partial_sig_verify_internal,
)

SKS = [bytes([0x21 + i]) * 32 for i in range(3)]
CTX = key_agg(key_sort([individual_pk(sk) for sk in SKS]))
MSGS = [bytes([0x40 + i]) * 32 for i in range(3)]  # three inputs, three sighashes


def _stores(tmp_path):
    return [SignerNonces(tmp_path / f"signer{i}.json", sk) for i, sk in enumerate(SKS)]


def _by_key_order(stores):
    return sorted(stores, key=lambda s: CTX.pubkeys.index(s.pk))


def _sk_of(store: SignerNonces) -> bytes:
    return SKS[[individual_pk(sk) for sk in SKS].index(store.pk)]


def _ceremony(stores, session_ids, msgs):
    """Round 1 (nonces), round 2 (partial signatures), aggregation, per input."""
    stores = _by_key_order(stores)
    requests = [NonceRequest(sid, CTX, m) for sid, m in zip(session_ids, msgs, strict=True)]
    pubnonces = [s.issue(requests) for s in stores]  # [signer][input]
    sessions = {
        sid: SessionContext(nonce_agg([p[j] for p in pubnonces]), CTX, m)
        for j, (sid, m) in enumerate(zip(session_ids, msgs, strict=True))
    }
    psigs = [s.sign(sessions) for s in stores]
    sigs = {}
    for j, sid in enumerate(session_ids):
        for i, store in enumerate(stores):
            assert partial_sig_verify_internal(psigs[i][sid], pubnonces[i][j], store.pk, sessions[sid])
        sigs[sid] = partial_sig_agg([p[sid] for p in psigs], sessions[sid])
    return sigs


def test_a_ceremony_signs_every_input_with_its_own_nonce(tmp_path):
    stores = _stores(tmp_path)
    ids = ["graph1/Take1:0#1", "graph1/Take2:0#1", "graph1/Disprove:3#1"]
    sigs = _ceremony(stores, ids, MSGS)
    for sid, msg in zip(ids, MSGS, strict=True):
        assert schnorr_verify(CTX.xonly_pk, msg, sigs[sid])
    for store in stores:
        assert {r.state for r in store.records} == {SessionState.SIGNED}
        pubnonces = [r.pubnonce for r in store.records]
        assert len(set(pubnonces)) == len(ids)  # one nonce per input
        store.close()


def test_store_file_is_0600_and_holds_no_secret(tmp_path):
    store = SignerNonces(tmp_path / "s.json", SKS[0])
    store.issue([NonceRequest("a", CTX, MSGS[0])])
    path = tmp_path / "s.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert SKS[0].hex() not in text
    obj = json.loads(text)
    assert obj["format"] == "ocp-signer-nonces/1" and obj["signer"] == store.pk.hex()
    (record,) = obj["sessions"]
    assert set(record) == {"id", "state", "pubnonce", "aggpk", "msg"}
    assert record["state"] == "issued"
    assert "SignerNonces(" in repr(store) and SKS[0].hex() not in repr(store)
    store.close()


def test_a_restart_burns_every_session_that_handed_out_a_nonce(tmp_path):
    stores = _stores(tmp_path)
    ordered = _by_key_order(stores)
    requests = [NonceRequest("s1", CTX, MSGS[0]), NonceRequest("s2", CTX, MSGS[1])]
    pubnonces = [s.issue(requests) for s in ordered]
    done = SessionContext(nonce_agg([p[0] for p in pubnonces]), CTX, MSGS[0])
    ordered[0].sign({"s1": done})  # one session signed before the "crash"
    path, crashed = ordered[0].path, ordered[0]
    crashed.close()  # the process is gone: its secret nonces with it

    restarted = SignerNonces(path, _sk_of(crashed))
    assert restarted.record("s1").state is SessionState.SIGNED
    assert restarted.record("s2").state is SessionState.BURNED
    on_disk = {r["id"]: r["state"] for r in json.loads(path.read_text())["sessions"]}
    assert on_disk == {"s1": "signed", "s2": "burned"}  # the burn is written at start
    pending = SessionContext(nonce_agg([p[1] for p in pubnonces]), CTX, MSGS[1])
    with pytest.raises(NonceBurnedError, match="start a fresh session"):
        restarted.sign({"s2": pending})
    with pytest.raises(UserError, match="already signed"):
        restarted.sign({"s1": done})
    with pytest.raises(UserError, match="used once"):
        restarted.issue([NonceRequest("s2", CTX, MSGS[1])])
    # the fresh session completes, every signer with new nonces
    others = [s for s in ordered if s is not crashed]
    sigs = _ceremony([restarted, *others], ["s2#2"], [MSGS[1]])
    assert schnorr_verify(CTX.xonly_pk, MSGS[1], sigs["s2#2"])
    for s in [restarted, *others]:
        s.close()


CRASHING_SIGNER = textwrap.dedent(
    """
    import os, signal, sys
    from ocp.ceremony.nonces import NonceRequest, SignerNonces
    from taptrees.musig2 import individual_pk, key_agg, key_sort
    sks = [bytes([0x21 + i]) * 32 for i in range(3)]
    ctx = key_agg(key_sort([individual_pk(sk) for sk in sks]))
    store = SignerNonces(sys.argv[1], sks[0])
    for p in store.issue([NonceRequest(f"in{j}", ctx, bytes([0x40 + j]) * 32) for j in range(3)]):
        print(p.hex(), flush=True)   # the nonces "leave the machine"
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_a_killed_signer_restarts_with_every_sent_nonce_burned(tmp_path):
    path = tmp_path / "killed.json"
    run = subprocess.run(
        [sys.executable, "-c", CRASHING_SIGNER, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == -signal.SIGKILL
    sent = run.stdout.split()
    assert len(sent) == 3
    store = SignerNonces(path, SKS[0])  # the lock died with the process
    assert [r.pubnonce.hex() for r in store.records] == sent  # recorded before they left
    assert {r.state for r in store.records} == {SessionState.BURNED}
    session = SessionContext(nonce_agg([bytes.fromhex(sent[0])]), CTX, MSGS[0])
    with pytest.raises(NonceBurnedError):
        store.sign({"in0": session})
    store.close()


def test_nothing_leaves_unless_it_was_written(tmp_path, monkeypatch):
    store = SignerNonces(tmp_path / "s.json", SKS[0])

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_module, "write_json", disk_full)
    with pytest.raises(OSError):
        store.issue([NonceRequest("a", CTX, MSGS[0])])
    assert store.records == () and store._secrets == {}
    monkeypatch.undo()
    assert len(store.issue([NonceRequest("a", CTX, MSGS[0])])) == 1  # the id was never used
    store.close()


def test_one_process_at_a_time(tmp_path):
    store = SignerNonces(tmp_path / "s.json", SKS[0])
    with pytest.raises(UserError, match="in use by another signer process"):
        SignerNonces(tmp_path / "s.json", SKS[0])
    store.close()
    with pytest.raises(UserError, match="closed"):
        store.issue([NonceRequest("a", CTX, MSGS[0])])
    with SignerNonces(tmp_path / "s.json", SKS[0]) as again:
        assert again.records == ()


def test_refuses_a_store_it_cannot_trust(tmp_path):
    path = tmp_path / "s.json"
    with SignerNonces(path, SKS[0]) as store:
        store.issue([NonceRequest("a", CTX, MSGS[0])])
    with pytest.raises(UserError, match="belongs to another signer"):
        SignerNonces(path, SKS[1])
    obj = json.loads(path.read_text())
    obj["sessions"][0]["pubnonce"] = "zz"
    path.write_text(json.dumps(obj))
    with pytest.raises(UserError, match="malformed"):
        SignerNonces(path, SKS[0])
    path.write_text("{")
    with pytest.raises(UserError, match="not valid JSON"):
        SignerNonces(path, SKS[0])
    with pytest.raises(UserError, match="folder does not exist"):
        SignerNonces(tmp_path / "missing" / "s.json", SKS[0])


def test_session_ids_are_used_once(tmp_path):
    with SignerNonces(tmp_path / "s.json", SKS[0]) as store:
        with pytest.raises(UserError, match="twice"):
            store.issue([NonceRequest("a", CTX, MSGS[0]), NonceRequest("a", CTX, MSGS[1])])
        with pytest.raises(UserError, match="session id"):
            store.issue([NonceRequest("bad id\n", CTX, MSGS[0])])
        store.issue([NonceRequest("a", CTX, MSGS[0])])
        with pytest.raises(UserError, match="used once"):
            store.issue([NonceRequest("a", CTX, MSGS[0])])
        with pytest.raises(UserError, match="no nonce was handed out"):
            store.sign({"b": None})


def test_a_nonce_signs_only_its_own_input(tmp_path):
    """Each input's nonce is bound to its sighash: a session context for another
    input is refused and the nonce stays usable for its own."""
    with SignerNonces(tmp_path / "s.json", SKS[0]) as store:
        solo = key_agg([store.pk])
        p0, p1 = store.issue([NonceRequest("in0", solo, MSGS[0]), NonceRequest("in1", solo, MSGS[1])])
        assert p0 != p1
        swapped = SessionContext(nonce_agg([p0]), solo, MSGS[1])
        with pytest.raises(UserError, match="another aggregate key or message"):
            store.sign({"in0": swapped})
        assert store.record("in0").state is SessionState.ISSUED
        right = SessionContext(nonce_agg([p0]), solo, MSGS[0])
        sig = partial_sig_agg([store.sign({"in0": right})["in0"]], right)
        assert schnorr_verify(solo.xonly_pk, MSGS[0], sig)


def test_abandoned_sessions_never_sign(tmp_path):
    with SignerNonces(tmp_path / "s.json", SKS[0]) as store:
        solo = key_agg([store.pk])
        (p,) = store.issue([NonceRequest("x", solo, MSGS[0])])
        store.abandon(["x"])
        assert store.record("x").state is SessionState.BURNED
        with pytest.raises(NonceBurnedError):
            store.sign({"x": SessionContext(nonce_agg([p]), solo, MSGS[0])})
        with pytest.raises(UserError, match="no nonce"):
            store.abandon(["y"])


def test_a_repeated_public_nonce_never_leaves(tmp_path, monkeypatch):
    """A random generator that repeats (a cloned VM, a broken RNG) is caught: a
    public nonce already handed out is refused before it is recorded or sent."""
    with SignerNonces(tmp_path / "s.json", SKS[0]) as store:
        (first,) = store.issue([NonceRequest("a", CTX, MSGS[0])])
        real = store_module.nonce_gen

        def repeating(sk, ctx, msg):
            secnonce, _ = real(sk, ctx, msg)
            return secnonce, first

        monkeypatch.setattr(store_module, "nonce_gen", repeating)
        with pytest.raises(UserError, match="repeated a public nonce"):
            store.issue([NonceRequest("b", CTX, MSGS[1])])
        assert store.record("b") is None
        assert [r["id"] for r in json.loads(store.path.read_text())["sessions"]] == ["a"]


def test_no_temporary_file_is_left_behind(tmp_path):
    with SignerNonces(tmp_path / "s.json", SKS[0]) as store:
        store.issue([NonceRequest("a", CTX, MSGS[0])])
    names = sorted(os.listdir(tmp_path))
    assert names == ["s.json", "s.json.lock"]  # no temporary file left behind
