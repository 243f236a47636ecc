"""MIPS32 instruction decoding (encodings from the MIPS32 Architecture for
Programmers, Volume II-A, "Instruction Set" and its opcode tables A.2-A.5).

:func:`decode` maps a 32-bit word to an :class:`Instr` holding the mnemonic and
the raw fields.  Anything not listed in :data:`MNEMONICS` decodes to
``"invalid"``; the CPU halts on it.  Branch-likely (``beql`` ...), coprocessor
and floating-point encodings are deliberately invalid: ``GOMIPS=softfloat`` Go
never emits them.
"""

from __future__ import annotations

from dataclasses import dataclass

#: SPECIAL (opcode 0) by ``funct``.
SPECIAL = {
    0: "sll",
    2: "srl",
    3: "sra",
    4: "sllv",
    6: "srlv",
    7: "srav",
    8: "jr",
    9: "jalr",
    10: "movz",
    11: "movn",
    12: "syscall",
    13: "break",
    15: "sync",
    16: "mfhi",
    17: "mthi",
    18: "mflo",
    19: "mtlo",
    24: "mult",
    25: "multu",
    26: "div",
    27: "divu",
    32: "add",
    33: "addu",
    34: "sub",
    35: "subu",
    36: "and",
    37: "or",
    38: "xor",
    39: "nor",
    42: "slt",
    43: "sltu",
    48: "tge",
    49: "tgeu",
    50: "tlt",
    51: "tltu",
    52: "teq",
    54: "tne",
}
#: REGIMM (opcode 1) by ``rt``.
REGIMM = {0: "bltz", 1: "bgez", 16: "bltzal", 17: "bgezal"}
#: SPECIAL2 (opcode 28) by ``funct``.
SPECIAL2 = {0: "madd", 1: "maddu", 2: "mul", 4: "msub", 5: "msubu", 32: "clz", 33: "clo"}
#: Primary opcodes.
OPCODES = {
    2: "j",
    3: "jal",
    4: "beq",
    5: "bne",
    6: "blez",
    7: "bgtz",
    8: "addi",
    9: "addiu",
    10: "slti",
    11: "sltiu",
    12: "andi",
    13: "ori",
    14: "xori",
    15: "lui",
    32: "lb",
    33: "lh",
    34: "lwl",
    35: "lw",
    36: "lbu",
    37: "lhu",
    38: "lwr",
    40: "sb",
    41: "sh",
    42: "swl",
    43: "sw",
    46: "swr",
    48: "ll",
    51: "pref",
    56: "sc",
}

#: Every mnemonic the interpreter executes.
MNEMONICS: tuple[str, ...] = tuple(
    sorted(
        set(SPECIAL.values())
        | set(REGIMM.values())
        | set(SPECIAL2.values())
        | set(OPCODES.values())
        | {"rotr", "rotrv", "ext", "ins", "wsbh", "seb", "seh"}
    )
)


#: Instructions that have a delay slot.
CONTROL_TRANSFER = frozenset(
    {"beq", "bne", "blez", "bgtz", "bltz", "bgez", "bltzal", "bgezal", "j", "jal", "jr", "jalr"}
)


@dataclass(frozen=True, slots=True)
class Instr:
    """A decoded instruction: mnemonic plus every raw field of the word."""

    word: int
    op: str
    rs: int
    rt: int
    rd: int
    sa: int
    funct: int
    imm: int  # sign-extended 16-bit immediate
    uimm: int  # zero-extended 16-bit immediate
    target: int  # 26-bit jump index


def _mnemonic(word: int) -> str:
    opcode = word >> 26
    funct = word & 63
    if opcode == 0:
        name = SPECIAL.get(funct, "invalid")
        if funct == 2 and (word >> 21) & 31 == 1:
            return "rotr"
        if funct == 6 and (word >> 6) & 31 == 1:
            return "rotrv"
        return name
    if opcode == 1:
        return REGIMM.get((word >> 16) & 31, "invalid")
    if opcode == 28:
        return SPECIAL2.get(funct, "invalid")
    if opcode == 31:  # SPECIAL3 (MIPS32 Release 2)
        if funct == 0:
            return "ext"
        if funct == 4:
            return "ins"
        if funct == 32:
            return {2: "wsbh", 16: "seb", 24: "seh"}.get((word >> 6) & 31, "invalid")
        return "invalid"
    if opcode in (6, 7) and (word >> 16) & 31:
        return "invalid"  # blez/bgtz need rt = 0 (Release 6 reuses these encodings)
    return OPCODES.get(opcode, "invalid")


def decode(word: int) -> Instr:
    """Decode one instruction word (already in host integer form)."""
    imm = word & 0xFFFF
    return Instr(
        word=word,
        op=_mnemonic(word),
        rs=(word >> 21) & 31,
        rt=(word >> 16) & 31,
        rd=(word >> 11) & 31,
        sa=(word >> 6) & 31,
        funct=word & 63,
        imm=imm - ((imm & 0x8000) << 1),
        uimm=imm,
        target=word & 0x3FFFFFF,
    )


def disasm(ins: Instr) -> str:
    """A short human-readable rendering, for error messages and traces."""
    return f"{ins.op} rs={ins.rs} rt={ins.rt} rd={ins.rd} sa={ins.sa} imm={ins.imm}"
