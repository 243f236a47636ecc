"""SHA-256 with the x86 SHA extensions (SHA-NI) inside numba kernels.

Import this module only where :func:`taptrees.hashcore.cpu.sha_ni` is true: LLVM cannot
emit these instructions for a CPU without them, and running them there is SIGILL.

The compression function (FIPS 180-4, 6.2.2) is emitted as LLVM IR by numba
``@intrinsic`` s, with the instructions of Intel's SHA extensions (Gulley et al., "Intel SHA
Extensions", 2013):

* ``sha256rnds2(cdgh, abef, wk)`` does two rounds, with the state split over two vectors
  in the order (from lane 3 down to lane 0) A B E F and C D G H, and K_t + W_t of the two
  rounds in the low lanes of ``wk``; it returns the new A B E F (the old one becomes
  C D G H);
* ``sha256msg1`` and ``sha256msg2`` compute the message schedule four words at a time:
  W[t..t+3] = msg2(msg1(W[t-16..t-13], W[t-12..t-9]) + W[t-7..t-4], W[t-4..t-1]).

Message and state words come from the ``(words, lanes)`` uint32 arrays of
:mod:`taptrees.hashcore.words` (SHA-256 words as big-endian values), so no byte swap is
needed except for hash160, whose RIPEMD-160 words are little-endian. Each kernel hashes
:data:`WAYS` lanes per iteration with their instructions interleaved, which hides the
latency of ``sha256rnds2``. The kernels have the names and signatures of their AVX2
counterparts in ``_kernels.py``, so :mod:`.vector` picks either set by name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from taptrees.hashcore import _kernels
from taptrees.hashcore.constants import SHA256_IV, SHA256_K

#: Lanes hashed together per loop iteration (their instructions interleave). Divides 8.
WAYS = 2

I32 = ir.IntType(32)
I64 = ir.IntType(64)
V4 = ir.VectorType(I32, 4)
U32_2D = types.Array(types.uint32, 2, "C")


def _quad(values: Sequence[int]) -> ir.Constant:
    return ir.Constant(V4, [ir.Constant(I32, v & 0xFFFFFFFF) for v in values])


def _pad_quads(length_bits: int, words: int) -> list[list[int]]:
    """Words ``words``..15 of the padding of a ``words``-word message (FIPS 180-4, 5.1.1)."""
    w = [0] * 16
    w[words] = 0x80000000
    w[15] = length_bits
    return [w[4 * q : 4 * q + 4] for q in range(4)]


def _node_pad_kw() -> list[list[int]]:
    """K_t + W_t of the constant second block of a 64-byte message, four per round quad."""

    def rotr(x: int, n: int) -> int:
        return ((x >> n) | (x << (32 - n))) & 0xFFFFFFFF

    w = [0x80000000] + [0] * 14 + [512]
    for t in range(16, 64):
        s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
        s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
        w.append((w[t - 16] + s0 + w[t - 7] + s1) & 0xFFFFFFFF)
    kw = [(k + x) & 0xFFFFFFFF for k, x in zip(SHA256_K, w, strict=True)]
    return [kw[4 * q : 4 * q + 4] for q in range(16)]


NODE_PAD_KW = _node_pad_kw()


class _Emitter:
    """Builds SHA-NI code with one IR builder: loads, stores, layout shuffles, compression."""

    def __init__(self, context, builder: ir.IRBuilder) -> None:
        self.context = context
        self.b = builder
        module = builder.module
        self.rnds2 = self._declare(module, "llvm.x86.sha256rnds2", 3)
        self.msg1 = self._declare(module, "llvm.x86.sha256msg1", 2)
        self.msg2 = self._declare(module, "llvm.x86.sha256msg2", 2)
        self.bswap = self._declare(module, "llvm.bswap.v4i32", 1)

    @staticmethod
    def _declare(module: ir.Module, name: str, arity: int) -> ir.Function:
        return cgutils.get_or_insert_function(module, ir.FunctionType(V4, [V4] * arity), name)

    def shuffle(self, x: ir.Value, y: ir.Value, lanes: Sequence[int]) -> ir.Value:
        return self.b.shuffle_vector(x, y, ir.Constant(V4, [ir.Constant(I32, i) for i in lanes]))

    # --- memory: column ``col`` of a (words, lanes) uint32 array --------------------------

    def column(self, aryty: types.Array, value: ir.Value) -> tuple[ir.Value, ir.Value]:
        """(data pointer, row length) of a C-contiguous 2-D array."""
        ary = self.context.make_array(aryty)(self.context, self.b, value)
        return ary.data, self.b.extract_value(ary.shape, 1)

    def load(self, data: ir.Value, ncols: ir.Value, col: ir.Value, rows: Sequence[int]) -> ir.Value:
        """A vector of words ``rows`` (1 to 4 of them; missing lanes are 0) of column ``col``."""
        vec = ir.Constant(V4, [ir.Constant(I32, 0)] * 4)
        for lane, row in enumerate(rows):
            idx = self.b.add(self.b.mul(ncols, ir.Constant(ncols.type, row)), col)
            word = self.b.load(self.b.gep(data, [idx]))
            vec = self.b.insert_element(vec, word, ir.Constant(I32, lane))
        return vec

    def store(self, data: ir.Value, ncols: ir.Value, col: ir.Value, first: int, vec: ir.Value) -> None:
        """Store the 4 lanes of ``vec`` as words first..first+3 of column ``col``."""
        for lane in range(4):
            idx = self.b.add(self.b.mul(ncols, ir.Constant(ncols.type, first + lane)), col)
            word = self.b.extract_element(vec, ir.Constant(I32, lane))
            self.b.store(word, self.b.gep(data, [idx]))

    # --- state layout ---------------------------------------------------------------------

    def from_abef(self, abef: ir.Value, cdgh: ir.Value) -> tuple[ir.Value, ir.Value]:
        """The instructions' (A B E F), (C D G H) (lane 3 first) -> (A B C D), (E F G H) in
        lanes 0..3, i.e. digest words 0..3 and 4..7."""
        return self.shuffle(abef, cdgh, [3, 2, 7, 6]), self.shuffle(abef, cdgh, [1, 0, 5, 4])

    # --- compression ----------------------------------------------------------------------

    def compress(
        self,
        states: list[tuple[ir.Value, ir.Value]],
        messages: list[list[ir.Value]] | None,
        kw_constants: list[list[int]] | None = None,
    ) -> list[tuple[ir.Value, ir.Value]]:
        """One compression per way, interleaved round quad by round quad.

        ``states``: per way (A B E F, C D G H); ``messages``: per way the 16 words as four
        vectors, or None with ``kw_constants`` giving K_t + W_t of a constant block.
        """
        ways = len(states)
        cur = list(states)
        sched: list[list[ir.Value]] = [list(m) for m in messages] if messages else []
        for q in range(16):
            for w in range(ways):
                if kw_constants is not None:
                    wk = _quad(kw_constants[q])
                else:
                    s = sched[w]
                    if q >= 4:
                        x = self.b.call(self.msg1, [s[q - 4], s[q - 3]])
                        x = self.b.add(x, self.shuffle(s[q - 2], s[q - 1], [1, 2, 3, 4]))
                        s.append(self.b.call(self.msg2, [x, s[q - 1]]))
                    wk = self.b.add(s[q], _quad(SHA256_K[4 * q : 4 * q + 4]))
                abef, cdgh = cur[w]
                mid = self.b.call(self.rnds2, [cdgh, abef, wk])
                high = self.shuffle(wk, wk, [2, 3, 2, 3])
                cur[w] = (self.b.call(self.rnds2, [abef, mid, high]), mid)
        return [(self.b.add(a, a0), self.b.add(c, c0)) for (a, c), (a0, c0) in zip(cur, states, strict=True)]

    def iv(self) -> tuple[ir.Value, ir.Value]:
        """H(0) (FIPS 180-4, 5.3.3) as (A B E F), (C D G H): lane 0 holds F, resp. H."""
        return _quad([SHA256_IV[5], SHA256_IV[4], SHA256_IV[1], SHA256_IV[0]]), _quad(
            [SHA256_IV[7], SHA256_IV[6], SHA256_IV[3], SHA256_IV[2]]
        )


def _check_index(ty: types.Type, what: str) -> None:
    if not isinstance(ty, types.Integer):
        raise TypeError(f"{what}: expected an integer, got {ty}")


def _check_array(ty: types.Type, what: str) -> None:
    if ty != U32_2D:
        raise TypeError(f"{what}: expected a C-contiguous 2-D uint32 array, got {ty}")


def _lanes_intrinsic(emit: Callable[..., None]):
    """An intrinsic ``f(buf, i)`` running ``emit(emitter, data, ncols, cols)`` on lanes
    i..i+WAYS-1 of the ``(words, lanes)`` array ``buf``."""

    def typer(typingctx, buf, i):
        _check_array(buf, "buf")
        _check_index(i, "i")

        def codegen(context, builder, sig, args):
            e = _Emitter(context, builder)
            data, ncols = e.column(sig.args[0], args[0])
            col = context.cast(builder, args[1], sig.args[1], types.intp)
            cols = [builder.add(col, ir.Constant(col.type, w)) for w in range(WAYS)]
            emit(e, data, ncols, cols)
            return context.get_dummy_value()

        return types.none(buf, i), codegen

    return intrinsic(typer)


def _emit_blocks(e: _Emitter, data, ncols, cols, node64: bool) -> None:
    msgs = [[e.load(data, ncols, c, range(4 * q, 4 * q + 4)) for q in range(4)] for c in cols]
    states = e.compress([e.iv()] * len(cols), msgs)
    if node64:
        states = e.compress(states, None, NODE_PAD_KW)
    for c, (abef, cdgh) in zip(cols, states, strict=True):
        lo, hi = e.from_abef(abef, cdgh)
        e.store(data, ncols, c, 0, lo)
        e.store(data, ncols, c, 4, hi)


block_ni = _lanes_intrinsic(lambda e, d, n, cols: _emit_blocks(e, d, n, cols, False))
node64_ni = _lanes_intrinsic(lambda e, d, n, cols: _emit_blocks(e, d, n, cols, True))


@intrinsic
def hash160_sha_ni(typingctx, st, buf, i, j):
    """``buf[0:8, j..] = bswap(SHA-256(20 bytes st[0:5, i..]))`` for WAYS lanes: the SHA-256
    half of a hash160 step, st holding RIPEMD-160 (little-endian) words, buf getting the
    RIPEMD-160 message words."""
    _check_array(st, "st")
    _check_array(buf, "buf")
    _check_index(i, "i")
    _check_index(j, "j")

    def codegen(context, builder, sig, args):
        e = _Emitter(context, builder)
        sdata, sncols = e.column(sig.args[0], args[0])
        bdata, bncols = e.column(sig.args[1], args[1])
        i0 = context.cast(builder, args[2], sig.args[2], types.intp)
        j0 = context.cast(builder, args[3], sig.args[3], types.intp)
        pad = _pad_quads(160, 5)
        msgs = []
        for w in range(WAYS):
            col = builder.add(i0, ir.Constant(i0.type, w))
            q0 = builder.call(e.bswap, [e.load(sdata, sncols, col, range(4))])
            q1 = builder.call(e.bswap, [e.load(sdata, sncols, col, [4])])
            q1 = builder.or_(q1, _quad(pad[1]))
            msgs.append([q0, q1, _quad(pad[2]), _quad(pad[3])])
        states = e.compress([e.iv()] * WAYS, msgs)
        for w, (abef, cdgh) in enumerate(states):
            col = builder.add(j0, ir.Constant(j0.type, w))
            lo, hi = e.from_abef(abef, cdgh)
            e.store(bdata, bncols, col, 0, builder.call(e.bswap, [lo]))
            e.store(bdata, bncols, col, 4, builder.call(e.bswap, [hi]))
        return context.get_dummy_value()

    return types.none(st, buf, i, j), codegen


def _chain_intrinsic(ways: int):
    """An intrinsic ``f(st, i, steps)``: SHA-256 applied ``steps`` times to each 32-byte
    value ``st[0:8, i..i+ways-1]``, the state kept in registers between steps."""

    def typer(typingctx, st, i, steps):
        _check_array(st, "st")
        _check_index(i, "i")
        _check_index(steps, "steps")

        def codegen(context, builder, sig, args):
            e = _Emitter(context, builder)
            data, ncols = e.column(sig.args[0], args[0])
            col = context.cast(builder, args[1], sig.args[1], types.intp)
            count = context.cast(builder, args[2], sig.args[2], types.intp)
            cols = [builder.add(col, ir.Constant(col.type, w)) for w in range(ways)]
            start = [(e.load(data, ncols, c, range(4)), e.load(data, ncols, c, range(4, 8))) for c in cols]
            pad = _pad_quads(256, 8)
            entry = builder.block
            head = builder.append_basic_block("sha256_chain.head")
            body = builder.append_basic_block("sha256_chain.body")
            done = builder.append_basic_block("sha256_chain.done")
            builder.branch(head)
            builder.position_at_end(head)
            k = builder.phi(count.type)
            k.add_incoming(ir.Constant(count.type, 0), entry)
            phis = []
            for lo, hi in start:
                plo, phi_hi = builder.phi(V4), builder.phi(V4)
                plo.add_incoming(lo, entry)
                phi_hi.add_incoming(hi, entry)
                phis.append((plo, phi_hi))
            builder.cbranch(builder.icmp_signed("<", k, count), body, done)
            builder.position_at_end(body)
            msgs = [[lo, hi, _quad(pad[2]), _quad(pad[3])] for lo, hi in phis]
            outs = e.compress([e.iv()] * ways, msgs)
            last = builder.block
            k.add_incoming(builder.add(k, ir.Constant(count.type, 1)), last)
            for (plo, phi_hi), (abef, cdgh) in zip(phis, outs, strict=True):
                lo, hi = e.from_abef(abef, cdgh)
                plo.add_incoming(lo, last)
                phi_hi.add_incoming(hi, last)
            builder.branch(head)
            builder.position_at_end(done)
            for c, (lo, hi) in zip(cols, phis, strict=True):
                e.store(data, ncols, c, 0, lo)
                e.store(data, ncols, c, 4, hi)
            return context.get_dummy_value()

        return types.none(st, i, steps), codegen

    return intrinsic(typer)


chain_ni = _chain_intrinsic(WAYS)
chain1_ni = _chain_intrinsic(1)


# --- kernels: the names and signatures of their AVX2 counterparts in _kernels.py -------

JIT = {"cache": True, "nogil": True, "boundscheck": False}


@njit(**JIT)
def sha256_block(buf, lo, hi):
    """In place, lanes lo..hi: buf[0:8] = SHA-256 compression(H(0), block buf[0:16])."""
    for i in range(lo, hi, WAYS):
        block_ni(buf, i)


@njit(**JIT)
def sha256_node64(buf, lo, hi):
    """In place, lanes lo..hi: buf[0:8] = SHA-256 of the 64-byte message buf[0:16]."""
    for i in range(lo, hi, WAYS):
        node64_ni(buf, i)


@njit(**JIT)
def sha256_chain32(st, cnt, lanes, first, step):
    """In place: st[:, i] = SHA-256^cnt[i] of the 32-byte value st[:, i]. Lanes are sorted
    by count, descending; blocks of ``lanes`` lanes, every ``step``-th from ``first``. Each
    group of WAYS lanes runs its smallest count together, then each lane its remainder."""
    n = st.shape[1]
    for blk in range(first, (n + lanes - 1) // lanes, step):
        lo = blk * lanes
        hi = min(lo + lanes, n)
        for i in range(lo, hi, WAYS):
            common = cnt[i + WAYS - 1]
            if common > 0:
                chain_ni(st, i, common)
            for w in range(WAYS):
                if cnt[i + w] > common:
                    chain1_ni(st, i + w, cnt[i + w] - common)


@njit(**JIT)
def hash160_chain20(st, cnt, lanes, first, step):
    """In place: st[:, i] = hash160^cnt[i] of the 20-byte value st[:, i] (RIPEMD-160 words).
    Lanes sorted as for :func:`sha256_chain32`. Per step, the active prefix of a block gets
    its SHA-256 by SHA-NI into a scratch block, then the vectorized RIPEMD-160 kernel."""
    n = st.shape[1]
    buf = np.zeros((16, lanes), dtype=np.uint32)
    buf[8, :] = np.uint32(0x00000080)  # RIPEMD-160 padding of a 32-byte message
    buf[14, :] = np.uint32(256)
    for blk in range(first, (n + lanes - 1) // lanes, step):
        lo = blk * lanes
        hi = min(lo + lanes, n)
        act = hi
        for k in range(cnt[lo]):
            while act > lo and cnt[act - 1] <= k:
                act -= 1
            width = (act - lo + 7) // 8 * 8
            for j in range(0, width, WAYS):
                hash160_sha_ni(st, buf, lo + j, j)
            _kernels.ripemd160_block(buf, 0, width)
            for r in range(5):
                for j in range(act - lo):
                    st[r, lo + j] = buf[r, j]
