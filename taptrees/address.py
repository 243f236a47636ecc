"""Segwit addresses (BIP173/BIP350) through embit's bech32 code, which is correct."""

from __future__ import annotations

from embit import bech32

from taptrees.errors import InputError

#: Human-readable parts by network (BIP173; regtest as Bitcoin Core uses it).
HRP = {"mainnet": "bc", "testnet": "tb", "signet": "tb", "regtest": "bcrt"}


def segwit_address(witness_program: bytes, version: int, network: str = "regtest") -> str:
    if network not in HRP:
        raise InputError(f"unknown network {network!r}; expected one of {', '.join(HRP)}")
    return bech32.encode(HRP[network], version, witness_program)


def taproot_address(output_key: bytes, network: str = "regtest") -> str:
    """bech32m address of a segwit v1 output (BIP350)."""
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
