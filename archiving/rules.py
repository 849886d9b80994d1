"""The filing rule, as pure functions: plain facts in, proposals with reasons out.

Direction: a mail is outgoing when it lies in the account's Sent folder or its From is one of
the account's own addresses; otherwise it is incoming.

Incoming mail is filed by its sender: every From mailbox, or the Sender when From is missing.
Outgoing mail is filed by its recipients (To, Cc, Bcc) and by its From when that is not the
account (mail sent on someone's behalf). Only parsed addresses count: display names, Reply-To,
addresses of attached or forwarded mail and calendar attendees never file anything. A From that
does not parse to unambiguous mailboxes files nothing.

The account's own addresses and the entries of the block list never match; the mail's other
addresses still do.
"""

from dataclasses import dataclass, field

from crm.addresses import InvalidAddress, normalize_address, normalize_domain

INCOMING = "in"
OUTGOING = "out"

# from_problem values (organizer.parsing) that make the From header unusable for filing.
# "several" (several mailboxes in one From) stays usable: every From mailbox files the mail.
UNUSABLE_FROM = {"ambiguous", "invalid"}

ROLE_LABELS = {
    "from": "sender (From)",
    "sender": "sender (Sender, From missing)",
    "to": "recipient (To)",
    "cc": "recipient (Cc)",
    "bcc": "recipient (Bcc)",
}


@dataclass(frozen=True)
class MailFacts:
    """What the rule needs to know of one mail in one account. Addresses in normal form."""

    from_: tuple[str, ...] = ()
    sender: tuple[str, ...] = ()
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    from_problem: str = ""
    in_sent_folder: bool = False
    own_addresses: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Candidate:
    """An address of the mail that files it wherever it stands on a record."""

    address: str
    role: str

    @property
    def reason(self):
        return f"{ROLE_LABELS[self.role]} {self.address}"


@dataclass
class Decision:
    direction: str
    candidates: list[Candidate] = field(default_factory=list)
    # Why addresses of the mail were not used, for people ("From is ambiguous", ...).
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Proposal:
    record_key: tuple[str, int]  # ("contact" | "customer" | ..., id)
    address: str
    role: str
    reason: str


def direction_of(facts):
    if facts.in_sent_folder:
        return OUTGOING
    if facts.from_problem not in UNUSABLE_FROM and any(
        a in facts.own_addresses for a in facts.from_
    ):
        return OUTGOING
    return INCOMING


def decide(facts, blocklist=None):
    """Which addresses of the mail file it, in header order, each once."""
    decision = Decision(direction=direction_of(facts))
    blocklist = blocklist or BlockList()
    from_usable = facts.from_problem not in UNUSABLE_FROM
    if not from_usable:
        decision.notes.append(f"From is {facts.from_problem}: it files nothing")

    if decision.direction == INCOMING:
        if facts.from_ and from_usable:
            wanted = [("from", a) for a in facts.from_]
        elif not facts.from_ and facts.from_problem in ("", "missing"):
            wanted = [("sender", a) for a in facts.sender]
            if facts.sender:
                decision.notes.append("From is missing: filed by Sender")
        else:
            wanted = []
    else:
        wanted = [("to", a) for a in facts.to] + [("cc", a) for a in facts.cc]
        wanted += [("bcc", a) for a in facts.bcc]
        if from_usable:
            wanted += [("from", a) for a in facts.from_]

    seen = set()
    for role, address in wanted:
        if not address or address in seen:
            continue
        seen.add(address)
        if address in facts.own_addresses:
            continue
        if blocklist.blocks(address):
            decision.notes.append(f"{address} is on the block list")
            continue
        decision.candidates.append(Candidate(address, role))
    return decision


def propose(decision, records_by_address, removed=frozenset()):
    """Proposals for the records owning the candidate addresses, each record once.

    records_by_address: {address: [(kind, id), ...]}; removed: record keys whose filing a user
    removed, which the rule never recreates.
    """
    proposals = []
    seen = set()
    for candidate in decision.candidates:
        for record_key in records_by_address.get(candidate.address, ()):
            if record_key in seen or record_key in removed:
                continue
            seen.add(record_key)
            proposals.append(
                Proposal(record_key, candidate.address, candidate.role, candidate.reason)
            )
    return proposals


def parse_block_entry(value):
    """("address" | "domain", normal form) of a block list entry; raises InvalidAddress.

    `name@example.com` is an address; `example.com` and `@example.com` are domains.
    """
    value = (value or "").strip()
    if value.startswith("@"):
        return "domain", normalize_domain(value[1:])
    if "@" in value:
        return "address", normalize_address(value)
    if not value:
        raise InvalidAddress("empty entry")
    return "domain", normalize_domain(value)


class BlockList:
    """Matches addresses against block list entries: a domain covers its subdomains."""

    def __init__(self, addresses=(), domains=()):
        self.addresses = frozenset(addresses)
        self.domains = frozenset(domains)

    def blocks(self, address):
        if address in self.addresses:
            return True
        if not self.domains:
            return False
        labels = address.rpartition("@")[2].split(".")
        # mail.example.com is covered by example.com; notexample.com is not (label boundary).
        return any(".".join(labels[i:]) in self.domains for i in range(len(labels)))
