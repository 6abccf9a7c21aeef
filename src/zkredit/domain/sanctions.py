"""Sanctions screening of recipient names, and the wallet-address deny list.

Names are compared after normalisation: accents stripped (NFKD, plus a few
Latin letters such as ø and ł that do not decompose), case folded, punctuation
turned into spaces, tokens sorted, so that "RODRÍGUEZ, Juan" and "juan rodriguez"
read the same. Letters of other scripts are kept as they are; matching across
scripts needs transliterated aliases in the list.

The similarity is the normalised Indel similarity (what rapidfuzz's ``fuzz.ratio``
reports) computed from rapidfuzz's integer edit distance, expressed in integer
basis points: 10 000 = identical.

* BLOCK: similarity ≥ 9 700 bp (an exact normalised match is 10 000).
* REVIEW: similarity ≥ 8 500 bp, a near match for manual review.
* CLEAR: below that.

Partial names: senders often omit a middle name or a second surname. When every
token of a name of two or more tokens is close (≥ the review threshold) to its
own token of a longer listed name, the name is compared with just those listed
tokens; a close result is a near match (REVIEW), never a BLOCK on its own.

The closest entry is reported whatever the outcome, for the audit trail.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz.distance import Indel

from zkredit.domain import datafiles as df
from zkredit.domain.errors import DataFileError
from zkredit.domain.rounding import BPS_DENOMINATOR, div_half_up
from zkredit.errors import InputError

SANCTIONS_FILE = "sanctions_sample.json"
DENIED_WALLETS_FILE = "denied_wallets.json"
REVIEW_THRESHOLD_BPS = 8_500
BLOCK_THRESHOLD_BPS = 9_700
# Latin letters that NFKD does not decompose into a base letter and a mark.
_FOLD = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "æ": "ae", "œ": "oe", "þ": "th", "ı": "i"}
)
_ADDRESS = re.compile(r"0x[0-9a-f]{40}")


class ScreeningOutcome(StrEnum):
    """What compliance does with a screened name."""

    CLEAR = "clear"
    REVIEW = "review"
    BLOCK = "block"


def normalize_name(name: str) -> str:
    """Case-, accent-, punctuation- and order-insensitive form of a name.

    >>> normalize_name("RODRÍGUEZ, Juan")
    'juan rodriguez'
    """
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = bare.casefold().translate(_FOLD)
    tokens = "".join(ch if ch.isalnum() else " " for ch in folded).split()
    return " ".join(sorted(tokens))


def similarity_bps(a: str, b: str) -> int:
    """Normalised Indel similarity of two strings in bp, rounded half-up (10 000 = equal)."""
    total = len(a) + len(b)
    if total == 0:
        return BPS_DENOMINATOR
    distance = Indel.distance(a, b)
    return div_half_up((total - distance) * BPS_DENOMINATOR, total)


@dataclass(frozen=True)
class SanctionsEntry:
    """One listed person or entity, with the names it is known by."""

    id: str
    name: str
    aliases: tuple[str, ...]
    kind: str
    program: str

    @property
    def names(self) -> tuple[str, ...]:
        """The primary name followed by the aliases."""
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class NameMatch:
    """How close a screened name came to one entry, through which of its names."""

    entry: SanctionsEntry
    matched_name: str
    score_bps: int
    partial: bool = False


@dataclass(frozen=True)
class ScreeningResult:
    """The outcome of screening one name, with the closest entry."""

    query: str
    normalized: str
    outcome: ScreeningOutcome
    closest: NameMatch | None

    @property
    def match(self) -> NameMatch | None:
        """The entry that caused REVIEW or BLOCK; None when CLEAR."""
        return None if self.outcome is ScreeningOutcome.CLEAR else self.closest


class SanctionsList:
    """A sanctions list ready for fuzzy screening."""

    def __init__(self, entries: tuple[SanctionsEntry, ...], *, source: str) -> None:
        self.entries = entries
        self.source = source
        self._index = tuple(
            (entry, name, normalize_name(name)) for entry in entries for name in entry.names
        )

    @classmethod
    def packaged(cls) -> SanctionsList:
        """The sample list shipped as ``zkredit/data/sanctions_sample.json``."""
        return _list_from_json(df.read_packaged_json(SANCTIONS_FILE), SANCTIONS_FILE)

    @classmethod
    def from_json_text(cls, text: str, *, where: str = SANCTIONS_FILE) -> SanctionsList:
        """A list from JSON text in the format of ``sanctions_sample.json``."""
        return _list_from_json(df.parse_json(text, where), where)

    def screen(
        self,
        name: str,
        *,
        review_bps: int = REVIEW_THRESHOLD_BPS,
        block_bps: int = BLOCK_THRESHOLD_BPS,
    ) -> ScreeningResult:
        """Screen ``name``; ties between entries go to the earlier one in the list."""
        if not 0 < review_bps <= block_bps <= BPS_DENOMINATOR:
            raise InputError(
                f"thresholds must satisfy 0 < review ≤ block ≤ 10000. Got {review_bps}, {block_bps}"
            )
        normalized = normalize_name(name)
        if not normalized:
            raise InputError(f"a name to screen needs at least one letter or digit. Got {name!r}")
        outcome, closest = ScreeningOutcome.CLEAR, None
        for entry, listed, listed_norm in self._index:
            found, match = _assess(normalized, entry, listed, listed_norm, review_bps, block_bps)
            if closest is None or (_SEVERITY[found], match.score_bps) > (
                _SEVERITY[outcome],
                closest.score_bps,
            ):
                outcome, closest = found, match
        return ScreeningResult(name, normalized, outcome, closest)


_SEVERITY = {ScreeningOutcome.CLEAR: 0, ScreeningOutcome.REVIEW: 1, ScreeningOutcome.BLOCK: 2}


def _outcome(score_bps: int, review_bps: int, block_bps: int) -> ScreeningOutcome:
    if score_bps >= block_bps:
        return ScreeningOutcome.BLOCK
    if score_bps >= review_bps:
        return ScreeningOutcome.REVIEW
    return ScreeningOutcome.CLEAR


def _assess(
    query: str,
    entry: SanctionsEntry,
    listed: str,
    listed_norm: str,
    review_bps: int,
    block_bps: int,
) -> tuple[ScreeningOutcome, NameMatch]:
    """The outcome and score of ``query`` against one listed name."""
    score = similarity_bps(query, listed_norm)
    outcome = _outcome(score, review_bps, block_bps)
    if outcome is ScreeningOutcome.CLEAR:
        partial = _partial_score(query, listed_norm, review_bps)
        if partial >= review_bps:
            return ScreeningOutcome.REVIEW, NameMatch(entry, listed, partial, partial=True)
    return outcome, NameMatch(entry, listed, score)


def _partial_score(query: str, listed: str, review_bps: int) -> int:
    """Similarity of ``query`` to the listed tokens it aligns with; 0 when it does not apply.

    Applies when the query has at least two tokens, the listed name has more, and
    each query token (longest first) claims a distinct listed token at least
    ``review_bps`` similar to it (ties go to the earlier listed token).
    """
    wanted, available = query.split(), listed.split()
    if len(wanted) < 2 or len(wanted) >= len(available):
        return 0
    claimed: list[str] = []
    for token in sorted(wanted, key=lambda t: (-len(t), t)):
        scores = [(similarity_bps(token, cand), -i) for i, cand in enumerate(available)]
        score, neg_index = max(scores)
        if score < review_bps:
            return 0
        claimed.append(available.pop(-neg_index))
    return similarity_bps(query, " ".join(sorted(claimed)))


def _list_from_json(raw: object, where: str) -> SanctionsList:
    root = df.as_object(raw, where)
    entries: list[SanctionsEntry] = []
    seen: set[str] = set()
    for i, item in enumerate(df.as_list(df.field(root, "entries", where), f"{where}: entries")):
        place = f"{where}: entries[{i}]"
        obj = df.as_object(item, place)
        aliases = df.as_list(obj.get("aliases", []), f"{place}.aliases")
        entry = SanctionsEntry(
            id=df.as_str(df.field(obj, "id", place), f"{place}.id"),
            name=df.as_str(df.field(obj, "name", place), f"{place}.name"),
            aliases=tuple(df.as_str(a, f"{place}.aliases[{j}]") for j, a in enumerate(aliases)),
            kind=df.as_str(df.field(obj, "type", place), f"{place}.type"),
            program=df.as_str(df.field(obj, "program", place), f"{place}.program"),
        )
        if entry.id in seen:
            raise DataFileError(f"{place}: duplicate id {entry.id}")
        if any(not normalize_name(n) for n in entry.names):
            raise DataFileError(f"{place}: a name has no letters or digits")
        seen.add(entry.id)
        entries.append(entry)
    source = df.as_str(df.field(root, "source", where), f"{where}: source")
    return SanctionsList(tuple(entries), source=source)


# --- wallet deny list ----------------------------------------------------------


def normalize_address(address: str) -> str:
    """A ``0x`` + 40-hex-digit address in lower case; raise :class:`InputError` otherwise."""
    lowered = address.strip().lower() if isinstance(address, str) else ""
    if not _ADDRESS.fullmatch(lowered):
        raise InputError(f"not an Ethereum address (0x + 40 hex digits). Got {address!r}")
    return lowered


@dataclass(frozen=True)
class DeniedWallet:
    """A listed wallet address and why it is listed."""

    address: str
    reason: str
    program: str


@dataclass(frozen=True)
class WalletScreening:
    """The outcome of checking one address against the deny list."""

    address: str
    entry: DeniedWallet | None

    @property
    def denied(self) -> bool:
        """True when the address is on the deny list."""
        return self.entry is not None


class WalletDenyList:
    """Wallet addresses that must not send or receive."""

    def __init__(self, entries: tuple[DeniedWallet, ...]) -> None:
        self._by_address = {e.address: e for e in entries}

    @classmethod
    def packaged(cls) -> WalletDenyList:
        """The sample deny list shipped as ``zkredit/data/denied_wallets.json``."""
        raw = df.read_packaged_json(DENIED_WALLETS_FILE)
        root = df.as_object(raw, DENIED_WALLETS_FILE)
        items = df.as_list(df.field(root, "addresses", DENIED_WALLETS_FILE), "addresses")
        entries: list[DeniedWallet] = []
        for i, item in enumerate(items):
            place = f"{DENIED_WALLETS_FILE}: addresses[{i}]"
            obj = df.as_object(item, place)
            try:
                address = normalize_address(df.as_str(df.field(obj, "address", place), place))
            except InputError as exc:
                raise DataFileError(f"{place}: {exc.message}") from exc
            reason = df.as_str(df.field(obj, "reason", place), f"{place}.reason")
            program = df.as_str(df.field(obj, "program", place), f"{place}.program")
            entries.append(DeniedWallet(address, reason, program))
        return cls(tuple(entries))

    def __len__(self) -> int:
        return len(self._by_address)

    def check(self, address: str) -> WalletScreening:
        """Check ``address`` (any letter case) against the list."""
        normalized = normalize_address(address)
        return WalletScreening(normalized, self._by_address.get(normalized))
