"""Segwit addresses (BIP173/BIP350) through embit's bech32 code, which is correct."""

from __future__ import annotations

from embit import bech32

from taptrees.errors import InputError

#: Human-readable parts by network (BIP173; regtest as Bitcoin Core uses it).
HRP = {"mainnet": "bc", "testnet": "tb", "signet": "tb", "regtest": "bcrt"}


def segwit_address(witness_program: bytes, version: int, network: str = "regtest") -> str:
    """bech32 (v0, BIP173) or bech32m (v1+, BIP350) address of a witness program.

    Refuses what BIP141/BIP173 do not allow: versions above 16, programs outside
    2..40 bytes, v0 programs other than 20 or 32 bytes.
    """
    if network not in HRP:
        raise InputError(f"unknown network {network!r}; expected one of {', '.join(HRP)}")
    if not 0 <= version <= 16:
        raise InputError(f"witness version {version} is not in 0..16")
    address = bech32.encode(HRP[network], version, bytes(witness_program))
    if address is None:  # embit answers None for a program the version does not allow
        raise InputError(f"a {len(witness_program)}-byte program is not a valid witness v{version} program")
    return address


def taproot_address(output_key: bytes, network: str = "regtest") -> str:
    """bech32m address of a segwit v1 output (BIP350); the output key is 32 bytes (BIP341)."""
    if len(output_key) != 32:
        raise InputError(f"a taproot output key is 32 bytes, got {len(output_key)}")
    return segwit_address(output_key, 1, network)


def decode_address(address: str, network: str = "regtest") -> tuple[int, bytes]:
    """(witness version, program) of a segwit address of ``network``."""
    if network not in HRP:
        raise InputError(f"unknown network {network!r}")
    version, program = bech32.decode(HRP[network], address)
    if version is None:
        raise InputError(f"{address!r} is not a valid {network} segwit address")
    return version, bytes(program)


def script_pubkey_for_address(address: str, network: str = "regtest") -> bytes:
    version, program = decode_address(address, network)
    return bytes([0x50 + version if version else 0, len(program)]) + program
