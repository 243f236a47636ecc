"""Per-instruction tests written in MIPS assembly (assembled at test time).

Each program runs on the reference micro-stepper (the semantics table), and the
expected values are the MIPS32 manual's (Vol. II-A) definitions; every program is
also run in lockstep with unicorn (QEMU), which must agree at every instruction.
"""

from __future__ import annotations

import pytest

from ocp.zkvm.initial import build_initial_state
from ocp.zkvm.lockstep import lockstep
from ocp.zkvm.record import HI, LO, Status
from ocp.zkvm.record import reg as reg_addr
from ocp.zkvm.stepper import Stepper

ENDIAN = pytest.mark.parametrize("big", [True, False], ids=["be", "le"])
T = {f"t{i}": 8 + i for i in range(8)} | {f"s{i}": 16 + i for i in range(8)} | {"t8": 24, "t9": 25}
M = 0xFFFFFFFF


class Run:
    """A finished reference run, with the old interface the assertions use."""

    def __init__(self, s: Stepper) -> None:
        self.s = s
        self.regs = [s.load(reg_addr(i)) for i in range(32)] + [s.load(HI), s.load(LO)]
        self.status, self.exit_code, self.pc = s.status, s.halt_code, s.halt_pc

    def read(self, addr: int, n: int) -> bytes:
        return self.s.read_bytes(addr, n)


def execute(assemble, body: str, big: bool, data: str = "", tape: bytes = b"") -> Run:
    program = assemble(body, big, data)
    init = build_initial_state(program, tape)
    s = Stepper(init)
    s.run(100_000)
    assert s.halted, "assembly test did not halt"
    result = lockstep(init, 100_000)
    assert result.steps == s.step
    return Run(s)


def reg(m: Run, name: str) -> int:
    return m.regs[T[name]]


@ENDIAN
def test_alu_and_shifts(assemble, big):
    m = execute(
        assemble,
        """
        li $t0, 0x7fffffff
        addiu $s0, $t0, 1          # wraps, no trap
        li $t1, -5
        slt $s1, $t1, $zero        # signed: -5 < 0
        sltu $s2, $t1, $zero       # unsigned: 0xfffffffb < 0 is false
        sltiu $s3, $zero, -1       # immediate sign-extended, compared unsigned
        li $t2, 0x80000000
        sra $s4, $t2, 4
        srl $s5, $t2, 4
        li $t3, 33
        sllv $s6, $t0, $t3         # shift amount is rs & 31 = 1
        rotr $s7, $t0, 4
        nor $t4, $zero, $zero
        andi $t5, $t1, 0xffff      # zero-extended immediate
        lui $t6, 0xabcd
        ori $t6, $t6, 0x1234
        xori $t7, $t6, 0xffff
    """,
        big,
    )
    assert reg(m, "s0") == 0x80000000
    assert (reg(m, "s1"), reg(m, "s2"), reg(m, "s3")) == (1, 0, 1)
    assert (reg(m, "s4"), reg(m, "s5")) == (0xF8000000, 0x08000000)
    assert reg(m, "s6") == 0xFFFFFFFE
    assert reg(m, "s7") == 0xF7FFFFFF
    assert (reg(m, "t4"), reg(m, "t5")) == (0xFFFFFFFF, 0xFFFB)
    assert (reg(m, "t6"), reg(m, "t7")) == (0xABCD1234, 0xABCDEDCB)


@ENDIAN
def test_multiply_divide(assemble, big):
    m = execute(
        assemble,
        """
        li $t0, -7
        li $t1, 2
        div $zero, $t0, $t1
        mflo $s0                   # -3: truncates toward zero
        mfhi $s1                   # -1: sign of the dividend
        divu $zero, $t0, $t1
        mflo $s2
        mfhi $s3
        li $t2, 0x12345678
        mult $t0, $t2
        mfhi $s4
        mflo $s5
        multu $t0, $t2
        mfhi $s6
        mul $s7, $t0, $t2
        mtlo $zero
        mthi $zero
        madd $t0, $t1              # hi:lo = -14
        msubu $t1, $t1             # hi:lo = -18
        mfhi $t3
        mflo $t4
        clz $t5, $t1
        clo $t6, $t0
    """,
        big,
    )
    s = lambda v: v & M  # noqa: E731
    assert (reg(m, "s0"), reg(m, "s1")) == (s(-3), s(-1))
    assert (reg(m, "s2"), reg(m, "s3")) == (0xFFFFFFF9 // 2, 0xFFFFFFF9 % 2)
    prod = (-7 * 0x12345678) & (2**64 - 1)
    assert (reg(m, "s4"), reg(m, "s5")) == (prod >> 32, prod & M)
    assert reg(m, "s6") == (0xFFFFFFF9 * 0x12345678) >> 32
    assert reg(m, "s7") == prod & M
    assert (reg(m, "t3"), reg(m, "t4")) == (M, s(-18))
    assert (reg(m, "t5"), reg(m, "t6")) == (30, 29)


@ENDIAN
def test_division_by_zero_is_pinned(assemble, big):
    """UNPREDICTABLE in the manual; we pin QEMU's choice (divisor 1) and unicorn agrees."""
    m = execute(
        assemble,
        """
        li $t0, 1234
        div $zero, $t0, $zero
        mflo $s0
        mfhi $s1
        li $t1, 0x80000000
        li $t2, -1
        div $zero, $t1, $t2
        mflo $s2
        mfhi $s3
    """,
        big,
    )
    assert (reg(m, "s0"), reg(m, "s1"), reg(m, "s2"), reg(m, "s3")) == (1234, 0, 0x80000000, 0)


@ENDIAN
def test_delay_slots(assemble, big):
    m = execute(
        assemble,
        """
        li $s0, 0
        beq $zero, $zero, 1f
        addiu $s0, $s0, 1          # delay slot runs before the target
        addiu $s0, $s0, 100        # skipped
    1:  bne $zero, $zero, 2f
        addiu $s0, $s0, 10         # delay slot of a not-taken branch still runs
        addiu $s0, $s0, 1000
    2:  bltzal $zero, 3f           # not taken, but links
        nop
    3:  move $s1, $ra
        jal 4f
        move $s2, $ra              # delay slot sees the new $ra
        nop
    4:  la $t0, 5f
        jalr $s3, $t0
        addiu $s4, $s3, 0          # delay slot sees the link
    5:  li $t1, 3
    6:  addiu $t1, $t1, -1
        bgtz $t1, 6b
        addiu $s5, $s5, 1          # runs once per iteration
    """,
        big,
    )
    assert reg(m, "s0") == 1011
    assert reg(m, "s2") == m.regs[31]
    assert reg(m, "s3") == reg(m, "s4") != 0
    assert reg(m, "s5") == 3


def _lw_model(word: bytes, b: int, rt: int, big: bool, left: bool) -> int:
    """Byte-level LWL/LWR (manual figures "Bytes Loaded by LWL/LWR"); word = memory bytes."""
    if big:  # reg[j]: j = 0 is the most significant byte
        reg = list(rt.to_bytes(4, "big"))
        if left:  # bytes b..3 of the word -> the register's most significant bytes
            for j in range(4 - b):
                reg[j] = word[b + j]
        else:  # bytes 0..b -> the register's least significant bytes
            for j in range(b + 1):
                reg[3 - b + j] = word[j]
        return int.from_bytes(bytes(reg), "big")
    reg = list(rt.to_bytes(4, "little"))  # reg[i]: i = 0 is the least significant byte
    if left:  # bytes 0..b -> the most significant bytes
        for i in range(b + 1):
            reg[3 - b + i] = word[i]
    else:  # bytes b..3 -> the least significant bytes
        for i in range(4 - b):
            reg[i] = word[b + i]
    return int.from_bytes(bytes(reg), "little")


@ENDIAN
def test_lwl_lwr_edges(assemble, big):
    data = bytes(range(0x11, 0x19))
    loads = "\n".join(
        f"""
        li $t0, 0xa5a5a5a5
        lwl $t0, {off}($t9)
        sw $t0, {8 * off}($t8)
        li $t0, 0xa5a5a5a5
        lwr $t0, {off}($t9)
        sw $t0, {8 * off + 4}($t8)"""
        for off in range(4)
    )
    m = execute(
        assemble,
        f"""
        la $t9, src
        la $t8, out
        {loads}
        lwl $s0, 1($t9)            # unaligned word at src+1 from the pair
        lwr $s0, 4($t9)
        lwr $s1, 1($t9)            # ... and the little-endian pairing
        lwl $s1, 4($t9)
    """,
        big,
        data=".align 2\nsrc: .byte " + ",".join(str(b) for b in data) + "\n.align 2\nout: .space 32\n",
    )
    src = reg(m, "t9")
    assert m.read(src, len(data)) == data
    out = reg(m, "t8")
    order = "big" if big else "little"
    for off in range(4):
        got_l = int.from_bytes(m.read(out + 8 * off, 4), order)
        got_r = int.from_bytes(m.read(out + 8 * off + 4, 4), order)
        assert got_l == _lw_model(data[:4], off, 0xA5A5A5A5, big, left=True), off
        assert got_r == _lw_model(data[:4], off, 0xA5A5A5A5, big, left=False), off
    unaligned = int.from_bytes(data[1:5], order)
    assert reg(m, "s0" if big else "s1") == unaligned


@ENDIAN
def test_swl_swr_and_subword_stores(assemble, big):
    m = execute(
        assemble,
        """
        la $t9, buf
        li $t0, 0x11223344
        swl $t0, 1($t9)            # the pair stores an unaligned word at buf+1
        swr $t0, 4($t9)
        li $t1, 0xaabbccdd
        swr $t1, 9($t9)            # the other order of the pair (little-endian idiom)
        swl $t1, 12($t9)
        li $t2, 0x1ff
        sb $t2, 16($t9)
        sh $t2, 18($t9)
        lb $s0, 16($t9)
        lbu $s1, 16($t9)
        lh $s2, 18($t9)
        li $t3, 0x8000
        sh $t3, 20($t9)
        lh $s3, 20($t9)
        lhu $s4, 20($t9)
    """,
        big,
        data=".align 2\nbuf: .space 32\n",
    )
    buf = reg(m, "t9")
    order = "big" if big else "little"
    if big:
        assert m.read(buf + 1, 4) == (0x11223344).to_bytes(4, order)
    else:
        assert m.read(buf + 9, 4) == (0xAABBCCDD).to_bytes(4, order)
    assert (reg(m, "s0"), reg(m, "s1"), reg(m, "s2")) == (M, 0xFF, 0x1FF)
    assert (reg(m, "s3"), reg(m, "s4")) == (0xFFFF8000, 0x8000)


@ENDIAN
def test_r2_bitfield_and_moves(assemble, big):
    m = execute(
        assemble,
        """
        li $t0, 0x12345680
        seb $s0, $t0
        li $t1, 0x1234f000
        seh $s1, $t1
        wsbh $s2, $t0
        ext $s3, $t0, 4, 8
        li $s4, 0xffffffff
        ins $s4, $zero, 8, 12
        li $t2, 7
        li $s5, 1
        movz $s5, $t2, $zero       # moves: rt == 0
        li $s6, 1
        movn $s6, $t2, $zero       # does not move
        la $t3, word
        ll $s7, 0($t3)
        addiu $s7, $s7, 1
        sc $s7, 0($t3)             # single hart: always succeeds, rt := 1
        lw $t4, 0($t3)
        sync
    """,
        big,
        data=".align 2\nword: .word 41\n",
    )
    assert (reg(m, "s0"), reg(m, "s1")) == (0xFFFFFF80, 0xFFFFF000)
    assert reg(m, "s2") == 0x34128056
    assert reg(m, "s3") == 0x68
    assert reg(m, "s4") == 0xFFF000FF
    assert (reg(m, "s5"), reg(m, "s6")) == (7, 1)
    assert (reg(m, "s7"), reg(m, "t4")) == (1, 42)


@ENDIAN
def test_halts(assemble, big):
    trap = execute(assemble, "li $t0, 3\n teq $t0, $zero, 5\n teq $t0, $t0, 7\n", big)
    assert (trap.status, trap.exit_code) == (Status.TRAP, 7)
    bad = execute(assemble, "nop\n .word 0x46000000\n", big)  # add.s: floating point
    assert bad.status == Status.INVALID_INSTRUCTION and bad.exit_code == 0x46000000
    assert bad.pc == assemble("nop\n", big).entry + 4  # the pc of the bad word
    unaligned = execute(assemble, "li $t0, 0x1002\n lw $t1, 0($t0)\n", big)
    assert (unaligned.status, unaligned.exit_code) == (Status.ADDRESS_ERROR, 0x1002)
    ovf = execute(assemble, "li $t0, 0x7fffffff\n addi $t1, $t0, 1\n", big)
    assert ovf.status == Status.OVERFLOW and ovf.regs[9] == 0
    sysc = execute(assemble, "li $v0, 4999\n syscall\n", big)
    assert (sysc.status, sysc.exit_code) == (Status.UNKNOWN_SYSCALL, 4999)
    # A halted machine does not move.
    before = (sysc.s.pc, sysc.s.step)
    assert sysc.s.run(10) == 0 and (sysc.s.pc, sysc.s.step) == before


@ENDIAN
def test_read_input_and_write(assemble, big):
    tape = b"input tape bytes"
    m = execute(
        assemble,
        """
        la $s0, buf
        li $v0, 4003               # read(0, buf, 5)
        li $a0, 0
        move $a1, $s0
        li $a2, 5
        syscall
        move $s1, $v0
        li $v0, 4003               # read(0, buf+5, 100): the rest
        li $a0, 0
        addiu $a1, $s0, 5
        li $a2, 100
        syscall
        move $s2, $v0
        li $v0, 4004               # write(1, buf, total)
        li $a0, 1
        move $a1, $s0
        addu $a2, $s1, $s2
        syscall
        li $v0, 4004               # write(7, ...) -> EBADF, a3 = 1
        li $a0, 7
        syscall
        move $s3, $v0
        move $s4, $a3
    """,
        big,
        data="buf: .space 64\n",
        tape=tape,
    )
    assert (reg(m, "s1"), reg(m, "s2")) == (5, len(tape) - 5)
    from ocp.zkvm.record import K_INPUT_OFF

    assert m.s.stdout() == tape and m.s.load(K_INPUT_OFF) == len(tape)
    assert (reg(m, "s3"), reg(m, "s4")) == (9, 1)
