"""Execute leaves on micro-steps of real Go guest runs, both byte orders.

The guests (hello; selfcheck on its input; nilderef, whose nil dereferences go
through the SIGSEGV micro-steps) are run by the fast engine; every record of the
run is classified by its micro-step kind, and a sample of records per kind (a
fixed seed; SAMPLE per kind, more under ``OCP_EXHAUSTIVE=1``) is checked
through libbitcoinkernel against the leaf built for the program's byte order,
read-only and code ranges: the honest record is accepted, and single-field
corruptions (FIELDS random fields per record, every field under
``OCP_EXHAUSTIVE=1``) get the twin's verdict (refused when they change an output,
an address or micro).  hello's kinds are a subset of selfcheck's, so it is left out.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections import defaultdict
from functools import cache

import numpy as np
import pytest

from ocp.stepleaves.execute import EXECUTE_FIELDS, ExecuteLeaf
from ocp.stepleaves.game import record_values
from ocp.zkvm.elf import load_elf
from ocp.zkvm.fast import FastEngine
from ocp.zkvm.micro import kind_of
from ocp.zkvm.trace import ExecutionTrace
from taptrees.errors import InputError
from taptrees.opcodes import OP_TOALTSTACK
from taptrees.script import Script, encode_num
from taptrees.verify import execute_leaf

DATA = b"the expected output is part of the input\n" * 3
TAPES = {"hello": b"", "selfcheck": hashlib.sha256(DATA).hexdigest().encode() + b"\n" + DATA, "nilderef": b"no crash\n"}
SAMPLE = 1
FIELDS = 4
EXHAUSTIVE_SAMPLE = 40
OUTPUTS = {"micro", "write_addr", "write_value", "next_pc", "next_npc", "next_micro", "read1_addr", "read2_addr"}


@cache
def _body(leaf: ExecuteLeaf) -> Script:
    return Script([[OP_TOALTSTACK] * leaf.layout.total_limbs, leaf.body()])


def verdict(leaf: ExecuteLeaf, values: dict[str, int]) -> bool:
    """Constants as the prefix checks them, the keyless body through the kernel."""
    if any(values[n] != c for n, c in leaf.constants.items()):
        return False
    try:  # the operator's hints for this record (a product's carries): out of range -> refused
        limbs = leaf.layout.kept_limbs({**values, **leaf.hints(values)})
    except InputError:
        return False
    return execute_leaf(_body(leaf), [encode_num(x) for x in limbs]).ok


def sampled_records(trace: ExecutionTrace, per_kind: int, rng: random.Random):
    """``per_kind`` random records of every kind the run executes."""
    eng = trace.fork_at(0)
    _s, rows = eng.run(trace.steps, records_from=1, n_records=trace.steps)
    layout = trace.init.layout_array
    kinds: dict[tuple, list[int]] = defaultdict(list)
    order = np.random.default_rng(rng.getrandbits(32)).permutation(len(rows))
    keys, first = np.unique((rows[:, 4] << 8 | rows[:, 3])[order], return_index=True)
    for key, at in zip(keys.tolist(), order[first].tolist(), strict=True):  # a random row per key
        kinds[kind_of(key >> 8, key & 0xFF, 0x7FFFF000, layout)].append(at)  # honest pcs are code
    for kind, rows_of in sorted(kinds.items()):
        for r in rng.sample(rows_of, min(per_kind, len(rows_of))):
            yield kind, FastEngine.record_row(rows[r])


@pytest.mark.parametrize("guest", ["selfcheck", "nilderef"])
@pytest.mark.parametrize("arch", ["mips", "mipsle"])
def test_execute_leaves_on_guest_records(go_guest, guest: str, arch: str) -> None:
    trace = ExecutionTrace.of(load_elf(go_guest(guest, arch)), TAPES[guest], spacing=1 << 16).run()
    layout = trace.init.layout
    exhaustive = os.environ.get("OCP_EXHAUSTIVE") == "1"
    per_kind = EXHAUSTIVE_SAMPLE if exhaustive else SAMPLE
    rng = random.Random(f"{guest}/{arch}")
    seen = set()
    for (mnemonic, micro), rec in sampled_records(trace, per_kind, rng):
        seen.add((mnemonic, micro))
        leaf = ExecuteLeaf(mnemonic, micro, layout.big_endian, layout.ro, layout.code)
        honest = record_values(rec)
        assert leaf.accepts(honest) and verdict(leaf, honest), (leaf.kind, rec)
        for name in EXECUTE_FIELDS if exhaustive else rng.sample(EXECUTE_FIELDS, FIELDS):
            bad = dict(honest)
            bad[name] ^= 1 << rng.randrange(8 if name.endswith("micro") else 32)
            expect = leaf.accepts(bad)
            assert verdict(leaf, bad) == expect, (leaf.kind, name, rec)
            if name in OUTPUTS and name in leaf.layout.names:
                assert not expect, (leaf.kind, name)
    assert ("syscall", 0) in seen and ("addu", 0) in seen
    if guest == "nilderef":
        assert ("fault", 128) in seen and ("syscall", 75) in seen  # delivery and sigreturn
