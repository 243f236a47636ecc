"""Graph parameters: who the roles are, how much is at stake, how long each
window lasts, and what computation is claimed.

Read from TOML or JSON; every problem is reported as a :class:`UserError` that
names the field.  Window rules (all relative timelocks in blocks, BIP68/BIP112),
so that every honest party always has blocks to act:

* ``challenge_window`` >= 1: a challenger must have at least a block to act.
* ``response_window`` - ``challenge_window`` >= 1 + :data:`RESPONSE_MARGIN` here,
  and >= (number of Asserts) + :data:`RESPONSE_MARGIN` once the graph is built: a
  Challenge may land in the last block before Take1 (the operator closes C with
  Take1 as soon as ``challenge_window`` passes), and the operator then still has
  the margin, beyond the blocks its Asserts need, before Slash_0 becomes valid.
* ``disprove_window`` >= :data:`MIN_DISPROVE_WINDOW`: a challenger must have time
  to read the last Assert and get its Disprove mined before Take2.
* ``refund_timeout`` >= 1.
* Every window fits a BIP68 height lock (<= 65535 blocks).

``keys.committee_form`` is ``"chain"`` (the default: a CHECKSIGVERIFY chain of every
member's key) or ``"musig2"`` (one BIP327 aggregate key); :mod:`ocp.committee`.

Several operators may claim against the same deposit (``keys.operators``, one
funding coin each in ``funding.operators``); one operator may be written
``keys.operator`` / ``funding.operator``.  Version 2: each registered challenger
bonds one coin per operator (one game against each): ``funding.challengers[k]`` is
challenger k's coin when there is one operator, else the list of its coins in the
operators' order (``funding.challengers[k][o]``).

Other rules:

* Every key must be one this module knows; a misspelt one (``challange_window``)
  is refused with the closest known name, never silently ignored.
* ``network`` is ``regtest`` unless the file also says ``allow_network = "<the
  same network>"``: ocp is experimental, and a graph for real coins must be a
  deliberate choice.
* The depositor and the operator fund with different coins: one outpoint named
  twice would make Deposit and Prepare conflict (only one can ever confirm).
  Nothing here looks coins up on a chain; see ``ocp params addresses`` and
  ``ocp regtest coins``.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path

from ocp.committee import Committee, CommitteeForm, committee_form_of
from ocp.errors import UserError
from ocp.fileio import read_structured, write_atomic
from ocp.ids import Role
from ocp.program import Computation, U32Program
from taptrees.address import HRP
from taptrees.errors import InputError
from taptrees.hexstr import parse_hex
from taptrees.keys import check_xonly
from taptrees.tx import OutPoint

PARAMS_FORMAT = "ocp-params/1"
DEFAULT_NETWORK = "regtest"

#: Every key a params file may hold, per section ("" is the top level).
KNOWN_KEYS: dict[str, tuple[str, ...]] = {
    "": ("format", "network", "allow_network", "keys", "amounts", "windows", "computation", "funding"),
    "keys": ("committee", "committee_form", "operator", "operators", "depositor", "challengers"),
    "amounts": ("deposit", "operator_stake", "challenge_fee", "fee_rate", "dispute_fee_rate", "bond"),
    "windows": ("challenge_window", "response_window", "disprove_window", "refund_timeout", "move_window"),
    "computation": ("input", "steps", "kind", "program", "digest", "max_steps", "nary", "input_words"),
    "funding": ("depositor", "operator", "operators", "challengers"),
}
MAX_CSV_BLOCKS = 0xFFFF
MAX_MONEY = 21_000_000 * 100_000_000
#: Blocks an honest operator keeps, beyond mining its Asserts, to answer a late
#: Challenge before Slash_0 (about an hour of blocks).
RESPONSE_MARGIN = 6
#: Blocks a challenger has at least to get a Disprove mined after the last Assert.
MIN_DISPROVE_WINDOW = 6
#: Without amounts.dispute_fee_rate: this many times amounts.fee_rate.
DISPUTE_FEE_FACTOR = 10
#: Blocks each party has at least for a move of a version-2 game.
MIN_MOVE_WINDOW = 6


@dataclass(frozen=True)
class Windows:
    """Relative timelocks in blocks.  Version 1 (the u32 program) uses challenge,
    response, disprove and refund; version 2 (a zkVM program's games) uses
    challenge, move and refund (``response``/``disprove`` may then be absent)."""

    challenge: int
    response: int | None
    disprove: int | None
    refund: int
    move: int | None = None

    _NAMES = {
        "challenge": "windows.challenge_window",
        "response": "windows.response_window",
        "disprove": "windows.disprove_window",
        "refund": "windows.refund_timeout",
        "move": "windows.move_window",
    }

    def _check_blocks(self, attrs: tuple[str, ...]) -> None:
        for attr in attrs:
            name, value = self._NAMES[attr], getattr(self, attr)
            if not isinstance(value, int) or isinstance(value, bool):
                raise UserError(f"{name} must be a whole number of blocks")
            if not 1 <= value <= MAX_CSV_BLOCKS:
                raise UserError(f"{name} = {value} must be between 1 and {MAX_CSV_BLOCKS} blocks")

    def check_games(self) -> None:
        """Version 2: every move of a game has ``move_window`` blocks, at least
        :data:`MIN_MOVE_WINDOW` (to see the opponent's move and get one's own mined)."""
        self._check_blocks(("challenge", "move", "refund"))
        if self.move < MIN_MOVE_WINDOW:
            raise UserError(
                f"windows.move_window = {self.move} is below the minimum {MIN_MOVE_WINDOW} blocks a "
                "party needs to see its opponent's move and get its answer mined"
            )

    def check(self) -> None:
        self._check_blocks(("challenge", "response", "disprove", "refund"))
        self.check_response_gap(1)
        if self.disprove < MIN_DISPROVE_WINDOW:
            raise UserError(
                f"windows.disprove_window = {self.disprove} is below the minimum "
                f"{MIN_DISPROVE_WINDOW} blocks a challenger needs to get a Disprove mined"
            )

    def check_response_gap(self, n_asserts: int) -> None:
        """``response - challenge`` must leave an honest operator ``n_asserts`` blocks to
        mine its Asserts plus :data:`RESPONSE_MARGIN` after a last-moment Challenge."""
        need = n_asserts + RESPONSE_MARGIN
        if self.response - self.challenge < need:
            raise UserError(
                f"windows.response_window ({self.response}) - windows.challenge_window "
                f"({self.challenge}) = {self.response - self.challenge} blocks, below the "
                f"minimum {need} ({n_asserts} Assert(s) to mine + a margin of {RESPONSE_MARGIN}): "
                f"use response_window >= {self.challenge + need}"
            )


@dataclass(frozen=True)
class Funding:
    """A UTXO that pays for a role's first transaction (key-path spendable by the role)."""

    outpoint: OutPoint
    amount: int

    def to_str(self) -> str:
        return f"{self.outpoint.txid}:{self.outpoint.vout}:{self.amount}"

    @classmethod
    def parse(cls, text: object, field: str) -> Funding:
        if not isinstance(text, str) or text.count(":") != 2:
            raise UserError(f"{field} must be 'txid:vout:amount_sats'")
        txid, vout, amount = (part.strip() for part in text.split(":"))
        if not vout.isdigit():
            raise UserError(f"{field}: output index {vout!r} is not a whole number")
        if not amount.isdigit():
            raise UserError(f"{field}: amount {amount!r} is not a whole number of satoshis")
        try:
            outpoint = OutPoint(txid.lower(), int(vout))
        except InputError as exc:
            raise UserError(f"{field}: {exc}") from None
        value = int(amount)
        if not 0 < value <= MAX_MONEY:
            raise UserError(f"{field}: amount {value} out of range")
        return cls(outpoint, value)


@dataclass(frozen=True)
class Params:
    network: str
    committee: tuple[bytes, ...]
    operators: tuple[bytes, ...]
    depositor: bytes
    deposit_amount: int
    operator_stake: int  # each operator's
    challenge_fee: int
    fee_rate: float  # sat/vB of every pre-signed transaction (its fee floor)
    windows: Windows
    computation: Computation
    depositor_funding: Funding | None = None
    operator_funding: tuple[Funding, ...] = ()  # one per operator, in order
    #: sat/vB every punishing transaction (Slash, Disprove) must be able to pay from
    #: what it takes; None: DISPUTE_FEE_FACTOR x fee_rate.  Version 2: the maximum
    #: rate the bond covers the honest operator's moves at (:mod:`ocp.game.bond`).
    dispute_fee_rate: float | None = None
    #: Set (to ``network``) when a params file allows a network other than regtest.
    allow_network: str | None = None
    #: How the committee's n-of-n is written in the leaves (:mod:`ocp.committee`).
    committee_form: CommitteeForm = CommitteeForm.CHAIN
    #: Version 2: the registered challengers' keys, their bond coins (one per
    #: challenger and operator: challenger k's coin for operator o is
    #: ``challenger_bonds[k * len(operators) + o]``, :meth:`bond_coin`) and the bond
    #: each locks when it opens a game.
    challengers: tuple[bytes, ...] = ()
    challenger_bonds: tuple[Funding, ...] = ()
    bond: int = 0

    @property
    def games(self) -> bool:
        """Version 2: the claim is about a zkVM program, disputed by games."""
        from ocp.game.computation import ZkvmComputation

        return isinstance(self.computation, ZkvmComputation)

    def __post_init__(self) -> None:
        object.__setattr__(self, "committee_form", committee_form_of(self.committee_form))
        if not self.operators:
            raise UserError("keys.operators must name at least one operator")
        if len(set(self.operators)) != len(self.operators):
            raise UserError("keys.operators lists the same key twice")
        if self.operator_funding and len(self.operator_funding) != len(self.operators):
            raise UserError(
                f"funding.operators has {len(self.operator_funding)} coins for "
                f"{len(self.operators)} operators: give one coin per operator"
            )
        several = len(self.operators) > 1
        named = [
            (f"funding.operators[{k}]" if several else "funding.operator", f.outpoint)
            for k, f in enumerate(self.operator_funding)
        ]
        if self.depositor_funding:
            named.insert(0, ("funding.depositor", self.depositor_funding.outpoint))
        n_ops = len(self.operators)
        named += [(bond_field(i // n_ops, i % n_ops, n_ops), f.outpoint) for i, f in enumerate(self.challenger_bonds)]
        if self.challenger_bonds and len(self.challenger_bonds) != len(self.challengers) * n_ops:
            each = "one coin per challenger" if n_ops == 1 else f"each challenger {n_ops} coins, one per operator"
            raise UserError(
                f"funding.challengers has {len(self.challenger_bonds)} bond coins for "
                f"{len(self.challengers)} challengers and {n_ops} operator(s): give {each}"
            )
        if len(set(self.challengers)) != len(self.challengers):
            raise UserError("keys.challengers lists the same key twice")
        seen: dict = {}
        for field, outpoint in named:
            if outpoint in seen:
                raise UserError(
                    f"{seen[outpoint]} and {field} are the same coin ({outpoint}): their "
                    "transactions would conflict (only one could ever confirm); each funds with its own coin"
                )
            seen[outpoint] = field

    def bond_coin(self, operator: int, challenger: int) -> Funding:
        """Challenger ``challenger``'s bond coin for its game against operator
        ``operator`` (both 0-based): each Open spends its own coin."""
        return self.challenger_bonds[challenger * len(self.operators) + operator]

    @property
    def n_of_n(self) -> Committee:
        """The committee as its leaves see it: its keys (every member's, or one
        MuSig2 aggregate) and who signs for them."""
        return Committee(self.committee, self.committee_form)

    @property
    def punish_fee_rate(self) -> float:
        return self.dispute_fee_rate if self.dispute_fee_rate is not None else DISPUTE_FEE_FACTOR * self.fee_rate

    def keys_of(self, role: Role) -> tuple[bytes, ...]:
        """The public keys that sign for ``role`` (challengers hold no graph keys in v1)."""
        if role is Role.COMMITTEE:
            return self.committee
        if role is Role.OPERATOR:
            return self.operators
        if role is Role.DEPOSITOR:
            return (self.depositor,)
        if role is Role.CHALLENGER and self.challengers:
            return self.challengers
        raise UserError(f"the {role} has no key in the params (anyone may challenge)")

    def require_funding(self) -> tuple[Funding, tuple[Funding, ...]]:
        if self.depositor_funding is None:
            raise UserError("funding.depositor is missing: fund the depositor, give txid:vout:amount")
        if not self.operator_funding:
            raise UserError("funding.operator is missing: fund the operator, give txid:vout:amount")
        return self.depositor_funding, self.operator_funding

    def to_json(self) -> dict:
        out: dict = {
            "format": PARAMS_FORMAT,
            "network": self.network,
            **({"allow_network": self.allow_network} if self.allow_network else {}),
            "keys": {
                "committee": [k.hex() for k in self.committee],
                # the default form is left out: params ids of chain graphs stay as they were
                **(
                    {"committee_form": self.committee_form.value}
                    if self.committee_form is not CommitteeForm.CHAIN
                    else {}
                ),
                **_one_or_many("operator", [k.hex() for k in self.operators]),
                "depositor": self.depositor.hex(),
                **({"challengers": [k.hex() for k in self.challengers]} if self.challengers else {}),
            },
            "amounts": {
                "deposit": self.deposit_amount,
                "operator_stake": self.operator_stake,
                "challenge_fee": self.challenge_fee,
                "fee_rate": self.fee_rate,
                **({"dispute_fee_rate": self.dispute_fee_rate} if self.dispute_fee_rate is not None else {}),
                **({"bond": self.bond} if self.bond else {}),
            },
            "windows": {
                "challenge_window": self.windows.challenge,
                **({"response_window": self.windows.response} if self.windows.response is not None else {}),
                **({"disprove_window": self.windows.disprove} if self.windows.disprove is not None else {}),
                "refund_timeout": self.windows.refund,
                **({"move_window": self.windows.move} if self.windows.move is not None else {}),
            },
            "computation": self.computation.to_json(),
        }
        funding = {}
        if self.depositor_funding:
            funding["depositor"] = self.depositor_funding.to_str()
        if self.operator_funding:
            funding.update(_one_or_many("operator", [f.to_str() for f in self.operator_funding]))
        if self.challenger_bonds:
            n_ops = len(self.operators)
            coins = [f.to_str() for f in self.challenger_bonds]
            funding["challengers"] = (
                coins if n_ops == 1 else [coins[i : i + n_ops] for i in range(0, len(coins), n_ops)]
            )
        if funding:
            out["funding"] = funding
        return out

    @classmethod
    def from_json(cls, obj: dict) -> Params:
        return parse_params(obj)


def bond_field(challenger: int, operator: int, n_operators: int) -> str:
    """Where a params file names challenger ``challenger``'s bond coin for operator
    ``operator`` (0-based): ``funding.challengers[k]`` when the graph has one
    operator, ``funding.challengers[k][o]`` when it has several."""
    return f"funding.challengers[{challenger}]" + (f"[{operator}]" if n_operators > 1 else "")


def _bond_coins(bonds: object, n_operators: int) -> tuple[Funding, ...]:
    """``funding.challengers``: per challenger, its bond coin (one operator) or the
    list of its coins, one per operator in order; flattened challenger-major."""
    if not isinstance(bonds, list):
        raise UserError("funding.challengers must list each challenger's bond coin(s) 'txid:vout:amount'")
    out: list[Funding] = []
    for k, entry in enumerate(bonds):
        coins = entry if isinstance(entry, list) else [entry]
        if len(coins) != n_operators:
            raise UserError(
                f"funding.challengers[{k}] has {len(coins)} bond coin(s) for {n_operators} operators: "
                "give each challenger one coin per operator (a list, in the operators' order)"
            )
        out += [Funding.parse(c, bond_field(k, o, n_operators)) for o, c in enumerate(coins)]
    return tuple(out)


def _one_or_many(name: str, values: list) -> dict:
    """``{name: v}`` for one value, ``{name + "s": [...]}`` for several."""
    return {name: values[0]} if len(values) == 1 else {name + "s": values}


def _many(section: dict, name: str, where: str) -> tuple[list, str] | None:
    """The list under ``names`` or the single value under ``name`` (not both)."""
    one, many = section.get(name), section.get(name + "s")
    if one is not None and many is not None:
        raise UserError(f"{where}: give {name} or {name}s, not both")
    if many is not None:
        if not isinstance(many, list) or not many:
            raise UserError(f"{where}.{name}s must be a non-empty list")
        return many, f"{where}.{name}s"
    if one is not None:
        return [one], f"{where}.{name}"
    return None


def _rate(section: dict, name: str, field: str) -> float:
    rate = section.get(name)
    if not isinstance(rate, int | float) or isinstance(rate, bool) or not 1 <= rate <= 10_000:
        raise UserError(f"{field} must be a number of sat/vB between 1 and 10000")
    return float(rate)


def _table(obj: dict, name: str) -> dict:
    value = obj.get(name)
    if not isinstance(value, dict):
        raise UserError(f"params: section [{name}] is missing")
    return value


def check_known_keys(obj: dict) -> None:
    """Refuse any key :data:`KNOWN_KEYS` does not list, naming the closest known one."""
    for section, known in KNOWN_KEYS.items():
        table = obj if not section else obj.get(section)
        if not isinstance(table, dict):
            continue
        for key in table:
            if key in known:
                continue
            where = f"[{section}]" if section else "the top level"
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; known keys: {', '.join(known)}"
            raise UserError(f"params: unknown key {key!r} in {where}{hint}")


def check_network(obj: dict) -> tuple[str, str | None]:
    """``network`` and ``allow_network`` of a params file: regtest, or another network
    the file explicitly allows."""
    network = obj.get("network", DEFAULT_NETWORK)
    if not isinstance(network, str) or network not in HRP:
        raise UserError(f"network {network!r} is not one of {', '.join(HRP)}")
    allowed = obj.get("allow_network")
    if allowed is not None and allowed != network:
        raise UserError(f"allow_network = {allowed!r} does not match network = {network!r}")
    if network != DEFAULT_NETWORK and allowed != network:
        raise UserError(
            f"network {network!r} refused: ocp is experimental and defaults to regtest; "
            f'to use {network} anyway, add allow_network = "{network}" to the params file'
        )
    return network, allowed if network != DEFAULT_NETWORK else None


def _key(value: object, field: str) -> bytes:
    if not isinstance(value, str):
        raise UserError(f"{field} must be an x-only public key in hex")
    try:
        raw = parse_hex(value, field)
        return check_xonly(raw, field)
    except InputError as exc:
        raise UserError(str(exc)) from None


def _sats(section: dict, name: str, field: str, minimum: int = 1) -> int:
    value = section.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise UserError(f"{field} must be a whole number of satoshis")
    if not minimum <= value <= MAX_MONEY:
        raise UserError(f"{field} = {value} out of range ({minimum}..{MAX_MONEY})")
    return value


def program_file(name: object, given: str | Path | None = None, beside: str | Path | None = None) -> Path | None:
    """Where the ELF a zkVM computation names (``computation.program``) is on this
    machine: ``given`` (``--program``), else the name as written (an absolute path,
    or relative to the current folder), else the same name in the folder ``beside``
    (the params or graph file's).  None when ``name`` is not a string; refuses a
    ``given`` file that does not exist.  Only where the file is read from changes:
    the params keep the name they were written with (the params id commits to it)."""
    if given is not None:
        if not Path(given).is_file():
            raise UserError(f"--program {given}: no such file")
        return Path(given)
    if not isinstance(name, str) or not name:
        return None
    path = Path(name)
    if not path.is_absolute() and not path.is_file() and beside is not None and (Path(beside) / path).is_file():
        return Path(beside) / path
    return path


def parse_params(obj: dict, program: str | Path | None = None, beside: str | Path | None = None) -> Params:
    """Params from a parsed file.  A zkVM computation's ELF is read from ``program``
    when given, else as :func:`program_file` finds it (next to ``beside``, the file's
    folder, when not relative to the current one)."""
    fmt = obj.get("format", PARAMS_FORMAT)
    if fmt != PARAMS_FORMAT:
        raise UserError(f"params: format {fmt!r} is not {PARAMS_FORMAT!r}")
    check_known_keys(obj)
    network, allowed = check_network(obj)
    keys = _table(obj, "keys")
    committee_raw = keys.get("committee")
    if not isinstance(committee_raw, list) or not committee_raw:
        raise UserError("keys.committee must be a non-empty list of public keys (n >= 1)")
    committee = tuple(_key(k, f"keys.committee[{i}]") for i, k in enumerate(committee_raw))
    if len(set(committee)) != len(committee):
        raise UserError("keys.committee lists the same key twice")
    committee_form = committee_form_of(keys.get("committee_form", CommitteeForm.CHAIN.value))
    amounts = _table(obj, "amounts")
    fee_rate = _rate(amounts, "fee_rate", "amounts.fee_rate")
    dispute_rate = None
    if "dispute_fee_rate" in amounts:
        dispute_rate = _rate(amounts, "dispute_fee_rate", "amounts.dispute_fee_rate")
    found = _many(keys, "operator", "keys")
    if found is None:
        raise UserError("keys.operator is missing: the operator's x-only public key")
    operator_list, where = found
    operators = tuple(
        _key(k, f"{where}[{i}]" if len(operator_list) > 1 else where) for i, k in enumerate(operator_list)
    )
    computation_obj = obj.get("computation")
    games = isinstance(computation_obj, dict) and computation_obj.get("kind") == "zkvm"
    w = _table(obj, "windows")
    windows = Windows(
        w.get("challenge_window"),
        w.get("response_window"),
        w.get("disprove_window"),
        w.get("refund_timeout"),
        w.get("move_window"),
    )
    if games:
        windows.check_games()
    else:
        windows.check()
    challengers: tuple[bytes, ...] = ()
    raw = keys.get("challengers", [])
    if not isinstance(raw, list):
        raise UserError("keys.challengers must be a list of the registered challengers' public keys")
    challengers = tuple(_key(k, f"keys.challengers[{i}]") for i, k in enumerate(raw))
    if games and not challengers:
        raise UserError("keys.challengers is empty: a zkVM graph needs at least one registered challenger")
    funding = obj.get("funding", {})
    if not isinstance(funding, dict):
        raise UserError("params: [funding] must be a table")
    operator_funding: tuple[Funding, ...] = ()
    found = _many(funding, "operator", "funding")
    if found is not None:
        coins, where = found
        operator_funding = tuple(
            Funding.parse(c, f"{where}[{i}]" if len(coins) > 1 else where) for i, c in enumerate(coins)
        )
    challenger_bonds = _bond_coins(funding.get("challengers", []), len(operators))
    if games:
        computation = _zkvm_computation(computation_obj, program, beside)
    else:
        if program is not None:
            raise UserError(
                '--program is for a zkVM computation: these params\' [computation] is not kind = "zkvm" '
                "(a version-1 graph of the u32 program)"
            )
        computation = U32Program.from_json(computation_obj)
    params = Params(
        network=network,
        committee=committee,
        operators=operators,
        depositor=_key(keys.get("depositor"), "keys.depositor"),
        deposit_amount=_sats(amounts, "deposit", "amounts.deposit", 10_000),
        operator_stake=_sats(amounts, "operator_stake", "amounts.operator_stake", 10_000),
        # version 2 has no open Challenge to pay for (registered challengers bond instead)
        challenge_fee=(_sats(amounts, "challenge_fee", "amounts.challenge_fee", 0) if "challenge_fee" in amounts else 0)
        if games
        else _sats(amounts, "challenge_fee", "amounts.challenge_fee", 1_000),
        fee_rate=fee_rate,
        dispute_fee_rate=dispute_rate,
        windows=windows,
        computation=computation,
        depositor_funding=(
            Funding.parse(funding["depositor"], "funding.depositor") if "depositor" in funding else None
        ),
        operator_funding=operator_funding,
        allow_network=allowed,
        committee_form=committee_form,
        challengers=challengers,
        challenger_bonds=challenger_bonds,
        bond=_sats(amounts, "bond", "amounts.bond", 10_000) if games else 0,
    )
    return params


def _zkvm_computation(obj: dict, program: str | Path | None, beside: str | Path | None) -> Computation:
    from ocp.game.computation import ZkvmComputation

    name = obj.get("program")
    found = program_file(name, program, beside)
    if found is not None and not found.is_file():
        where = f" or in {beside}" if beside is not None and str(beside) not in ("", ".") else ""
        raise UserError(
            f"computation.program {name}: no such file here{where} (the graph is built from "
            "the program); give its path with --program"
        )
    if found is None or str(found) == name:
        return ZkvmComputation.from_json(obj)
    read = ZkvmComputation.from_json({**obj, "program": str(found)})
    return ZkvmComputation(name, read.digest, read.search, read.input_words, read.image)  # type: ignore[arg-type]


def load_params(path: str | Path, program: str | Path | None = None) -> Params:
    """Params from a TOML or JSON file (a zkVM program's ELF: ``program``, else its
    path as written, else next to the params file)."""
    return parse_params(read_structured(path, "params file"), program, Path(path).parent)


def params_to_toml(params: Params) -> str:
    """Render params as TOML (the structure is flat enough to write by hand)."""
    data = params.to_json()

    def value(v: object) -> str:
        if isinstance(v, str):
            return f'"{v}"'
        if isinstance(v, list) and any(isinstance(x, list) for x in v):  # one line per inner list
            inner = ",\n".join(f"    [{', '.join(value(y) for y in x)}]" for x in v)
            return f"[\n{inner},\n]"
        if isinstance(v, list):
            inner = ",\n".join(f"    {value(x)}" for x in v)
            return f"[\n{inner},\n]"
        return repr(v)

    lines = [f'format = "{data["format"]}"', f'network = "{data["network"]}"']
    if "allow_network" in data:
        lines.append(f'allow_network = "{data["allow_network"]}"')
    lines.append("")
    for section in ("keys", "amounts", "windows", "computation", "funding"):
        if section not in data:
            continue
        lines.append(f"[{section}]")
        for k, v in data[section].items():
            lines.append(f"{k} = {value(v)}")
        lines.append("")
    return "\n".join(lines)


def save_params(params: Params, path: str | Path, toml_comment: str = "") -> None:
    """Write params atomically: TOML for ``.toml`` paths (followed by
    ``toml_comment``), JSON otherwise."""
    if str(path).endswith(".toml"):
        text = params_to_toml(params) + toml_comment
    else:
        text = json.dumps(params.to_json(), indent=1) + "\n"
    write_atomic(path, text)
