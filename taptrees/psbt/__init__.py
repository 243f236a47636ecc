"""Partially signed Bitcoin transactions: BIP174 version 0 with the BIP371 taproot
fields.

- :mod:`taptrees.psbt.fields`: key types and the shape of their keys;
- :mod:`taptrees.psbt.model`: the frozen data model (:class:`Psbt`);
- :mod:`taptrees.psbt.codec`: strict decoding and byte-exact encoding;
- :mod:`taptrees.psbt.roles`: creator/updater, signer, finalizer, extractor.
"""

from taptrees.psbt.codec import decode_psbt, encode_psbt, parse_psbt, serialize_psbt
from taptrees.psbt.model import (
    Psbt,
    PsbtInput,
    PsbtOutput,
    TapKeyOrigin,
    TapLeafScript,
    TapScriptSig,
    TapTreeLeaf,
)
from taptrees.psbt.roles import (
    add_tap_key_sig,
    add_tap_script_sig,
    extract,
    finalize_input,
    psbt_for,
    script_path_witness,
    tap_script_sighash,
)

__all__ = [
    "Psbt",
    "PsbtInput",
    "PsbtOutput",
    "TapKeyOrigin",
    "TapLeafScript",
    "TapScriptSig",
    "TapTreeLeaf",
    "add_tap_key_sig",
    "add_tap_script_sig",
    "decode_psbt",
    "encode_psbt",
    "extract",
    "finalize_input",
    "parse_psbt",
    "psbt_for",
    "script_path_witness",
    "serialize_psbt",
    "tap_script_sighash",
]
