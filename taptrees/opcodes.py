"""Script opcodes (Bitcoin Core's script/script.h), as an :class:`Opcode` enum.

Every opcode is also exported under its own name, so scripts read as they do in
Core: ``Script([OP_DUP, OP_HASH160, h, OP_EQUALVERIFY])``.  Byte values with no
name in Core are ``OP_SUCCESSn`` in tapscript (BIP342) and are named that way.
"""

from __future__ import annotations

from enum import IntEnum


class Opcode(IntEnum):
    OP_0 = 0x00
    OP_PUSHDATA1 = 0x4C
    OP_PUSHDATA2 = 0x4D
    OP_PUSHDATA4 = 0x4E
    OP_1NEGATE = 0x4F
    OP_RESERVED = 0x50
    OP_1 = 0x51
    OP_2 = 0x52
    OP_3 = 0x53
    OP_4 = 0x54
    OP_5 = 0x55
    OP_6 = 0x56
    OP_7 = 0x57
    OP_8 = 0x58
    OP_9 = 0x59
    OP_10 = 0x5A
    OP_11 = 0x5B
    OP_12 = 0x5C
    OP_13 = 0x5D
    OP_14 = 0x5E
    OP_15 = 0x5F
    OP_16 = 0x60
    OP_NOP = 0x61
    OP_VER = 0x62
    OP_IF = 0x63
    OP_NOTIF = 0x64
    OP_VERIF = 0x65
    OP_VERNOTIF = 0x66
    OP_ELSE = 0x67
    OP_ENDIF = 0x68
    OP_VERIFY = 0x69
    OP_RETURN = 0x6A
    OP_TOALTSTACK = 0x6B
    OP_FROMALTSTACK = 0x6C
    OP_2DROP = 0x6D
    OP_2DUP = 0x6E
    OP_3DUP = 0x6F
    OP_2OVER = 0x70
    OP_2ROT = 0x71
    OP_2SWAP = 0x72
    OP_IFDUP = 0x73
    OP_DEPTH = 0x74
    OP_DROP = 0x75
    OP_DUP = 0x76
    OP_NIP = 0x77
    OP_OVER = 0x78
    OP_PICK = 0x79
    OP_ROLL = 0x7A
    OP_ROT = 0x7B
    OP_SWAP = 0x7C
    OP_TUCK = 0x7D
    OP_CAT = 0x7E
    OP_SUBSTR = 0x7F
    OP_LEFT = 0x80
    OP_RIGHT = 0x81
    OP_SIZE = 0x82
    OP_INVERT = 0x83
    OP_AND = 0x84
    OP_OR = 0x85
    OP_XOR = 0x86
    OP_EQUAL = 0x87
    OP_EQUALVERIFY = 0x88
    OP_RESERVED1 = 0x89
    OP_RESERVED2 = 0x8A
    OP_1ADD = 0x8B
    OP_1SUB = 0x8C
    OP_2MUL = 0x8D
    OP_2DIV = 0x8E
    OP_NEGATE = 0x8F
    OP_ABS = 0x90
    OP_NOT = 0x91
    OP_0NOTEQUAL = 0x92
    OP_ADD = 0x93
    OP_SUB = 0x94
    OP_MUL = 0x95
    OP_DIV = 0x96
    OP_MOD = 0x97
    OP_LSHIFT = 0x98
    OP_RSHIFT = 0x99
    OP_BOOLAND = 0x9A
    OP_BOOLOR = 0x9B
    OP_NUMEQUAL = 0x9C
    OP_NUMEQUALVERIFY = 0x9D
    OP_NUMNOTEQUAL = 0x9E
    OP_LESSTHAN = 0x9F
    OP_GREATERTHAN = 0xA0
    OP_LESSTHANOREQUAL = 0xA1
    OP_GREATERTHANOREQUAL = 0xA2
    OP_MIN = 0xA3
    OP_MAX = 0xA4
    OP_WITHIN = 0xA5
    OP_RIPEMD160 = 0xA6
    OP_SHA1 = 0xA7
    OP_SHA256 = 0xA8
    OP_HASH160 = 0xA9
    OP_HASH256 = 0xAA
    OP_CODESEPARATOR = 0xAB
    OP_CHECKSIG = 0xAC
    OP_CHECKSIGVERIFY = 0xAD
    OP_CHECKMULTISIG = 0xAE
    OP_CHECKMULTISIGVERIFY = 0xAF
    OP_NOP1 = 0xB0
    OP_CHECKLOCKTIMEVERIFY = 0xB1
    OP_CHECKSEQUENCEVERIFY = 0xB2
    OP_NOP4 = 0xB3
    OP_NOP5 = 0xB4
    OP_NOP6 = 0xB5
    OP_NOP7 = 0xB6
    OP_NOP8 = 0xB7
    OP_NOP9 = 0xB8
    OP_NOP10 = 0xB9
    OP_CHECKSIGADD = 0xBA
    OP_INVALIDOPCODE = 0xFF


#: Aliases used by Core's ASM and by BIPs.
ALIASES: dict[str, Opcode] = {
    "OP_FALSE": Opcode.OP_0,
    "OP_TRUE": Opcode.OP_1,
    "OP_NOP2": Opcode.OP_CHECKLOCKTIMEVERIFY,
    "OP_NOP3": Opcode.OP_CHECKSEQUENCEVERIFY,
    "OP_CLTV": Opcode.OP_CHECKLOCKTIMEVERIFY,
    "OP_CSV": Opcode.OP_CHECKSEQUENCEVERIFY,
}


def opcode_name(byte: int) -> str:
    """Name of an opcode byte; unnamed bytes 0xbb..0xfe are BIP342's ``OP_SUCCESSn``."""
    try:
        return Opcode(byte).name
    except ValueError:
        if 0xBB <= byte <= 0xFE:
            return f"OP_SUCCESS{byte}"
        raise ValueError(f"0x{byte:02x} is a push opcode, not a named one") from None


def opcode_from_name(name: str) -> int:
    """Inverse of :func:`opcode_name`; accepts Core's aliases and names without ``OP_``."""
    key = name.upper()
    if not key.startswith("OP_"):
        key = "OP_" + key
    if key in Opcode.__members__:
        return int(Opcode[key])
    if key in ALIASES:
        return int(ALIASES[key])
    if key.startswith("OP_SUCCESS") and key[10:].isdigit():
        value = int(key[10:])
        if 0xBB <= value <= 0xFE:
            return value
    raise KeyError(name)


def is_op_success(byte: int) -> bool:
    """BIP342: the opcodes that make a tapscript succeed unconditionally."""
    return (
        byte in (0x50, 0x62, 0x89, 0x8A, 0x8D, 0x8E)
        or 0x7E <= byte <= 0x81
        or 0x83 <= byte <= 0x86
        or 0x95 <= byte <= 0x99
        or 0xBB <= byte <= 0xFE
    )


globals().update(Opcode.__members__)
globals().update(ALIASES)
