"""Address headers (RFC 5322 section 3.4, with the obsolete syntax of section 4.4 and RFC 6532
UTF-8), parsed by our own tokenizer instead of email.utils.getaddresses.

Python 3.11 before the 2024 security releases lacks strict address parsing (CVE-2023-27043):
getaddresses reads `From: a@x.example <b@y.example>` as two mailboxes and parseaddr returns the
display-name "address". Here the angle address alone is the address, a display name is only ever
a name, and every construction that could be read another way is reported as a problem, so that
a From header carrying one can be refused as the mail's author.
"""

import functools
import re
from dataclasses import dataclass, field

from crm.addresses import normalize_address_or_none

from .charsets import clean_text
from .headers import decode_raw, decode_words, unfold
from .model import (
    FROM_AMBIGUOUS,
    FROM_INVALID,
    FROM_MISSING,
    FROM_SEVERAL,
    Mailbox,
)

TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r\n]+)
    | (?P<ew>=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)
    | "(?P<qs>(?:[^"\\]++|\\.)*+)"
    | \((?P<cm>(?:[^()\\]++|\\.)*+)\)
    | \[(?P<dl>(?:[^\[\]\\]++|\\.)*+)\]
    | (?P<sp>[<>,:;@])
    | (?P<atom>[^ \t\r\n"()<>\[\],:;@\\]+)
    | (?P<bad>.)
    """,
    re.VERBOSE | re.DOTALL,
)
QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SPACES = re.compile(r"\s+")
MAX_HEADER = 256 * 1024
# The plain ASCII forms most mail uses: `user@host`, `Name <user@host>`, `"Name" <user@host>`.
# A header made only of these is read by this pattern; anything else goes to the tokenizer.
_ADDRESS = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]++@[A-Za-z0-9.\-]++"
# Possessive quantifiers and a lazy name that stops at "<" keep every match linear: hostile
# headers (long runs of spaces, names without an address) must not backtrack quadratically.
SIMPLE_MAILBOX = re.compile(
    rf"""[ \t]*+(?:
        "(?P<quoted>[^"\\\r\n]*+)"[ \t]*+<(?P<quoted_angle>{_ADDRESS})>
        | (?P<name>[A-Za-z0-9!#$%&'*+/?^_`{{|}}~.\- \t]*?)<(?P<angle>{_ADDRESS})>
        | (?P<bare>{_ADDRESS})
    )[ \t]*+(?:,|$)""",
    re.VERBOSE,
)


@functools.lru_cache(maxsize=65536)
def normalize(address):
    """crm.addresses' normal form of one written address, "" when it is none (cached: the same
    addresses come back in every mail)."""
    return normalize_address_or_none(address) or ""


@dataclass
class AddressList:
    mailboxes: list[Mailbox] = field(default_factory=list)
    # Structural problems: any of them makes the header unusable as proof of authorship.
    problems: list[str] = field(default_factory=list)
    groups: int = 0
    # Display names that contain "@" (F08-style): names, never addresses, but worth a note.
    names_like_addresses: list[str] = field(default_factory=list)


def _tokens(text, problems):
    tokens = []
    position, end = 0, len(text)
    while position < end:
        match = TOKEN.match(text, position)
        kind = match.lastgroup
        if kind != "bad":
            # An encoded word is one word even when it (wrongly) contains specials.
            label = match.group(kind) if kind == "sp" else "atom" if kind == "ew" else kind
            tokens.append((label, match.group(kind)))
            position = match.end()
            continue
        char = match.group(kind)
        if char == "(":
            comment_end = _nested_comment_end(text, position)
            if comment_end is not None:
                tokens.append(("cm", text[position + 1 : comment_end - 1]))
                position = comment_end
                continue
            # No matching ")": the rest is an unterminated comment (scanning again from every
            # following "(" would take quadratic time).
            problems.append("unbalanced parenthesis")
            break
        elif char == '"':
            problems.append("unterminated quoted string")
        elif char == ")":
            problems.append("unbalanced parenthesis")
        elif char in "[]":
            problems.append("unbalanced square bracket")
        else:
            problems.append(f"stray {char!r}")
        position += 1
    return tokens


def _nested_comment_end(text, start):
    depth, position = 0, start
    while position < len(text):
        char = text[position]
        if char == "\\":
            position += 2
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return position + 1
        position += 1
    return None


def _strip(tokens):
    start, end = 0, len(tokens)
    while start < end and tokens[start][0] == "ws":
        start += 1
    while end > start and tokens[end - 1][0] == "ws":
        end -= 1
    return tokens[start:end]


def _written(kind, value):
    if kind == "qs":
        return '"' + value + '"'
    if kind == "dl":
        return "[" + value + "]"
    return value


def _phrase(tokens, where, defects):
    parts = []
    for kind, value in tokens:
        if kind == "ws":
            parts.append(" ")
        elif kind == "qs":
            parts.append(QUOTED_PAIR.sub(r"\1", value))
        elif kind in ("atom", "@", "dl"):
            parts.append(_written(kind, value))
    text = "".join(parts)
    text = decode_words(text, where, defects) if "=?" in text else text
    return SPACES.sub(" ", text).strip()


def _comment_name(tokens, where, defects):
    for kind, value in tokens:
        if kind == "cm" and value.strip():
            text = QUOTED_PAIR.sub(r"\1", value)
            return SPACES.sub(" ", decode_words(text, where, defects)).strip()
    return ""


def _addr_spec(tokens, problems):
    """The address inside angle brackets, as written, without comments and route. White space
    between two words is kept (making the address invalid) rather than silently joined."""
    colons = [i for i, t in enumerate(tokens) if t[0] == ":"]
    if colons:  # obsolete source route: <@relay.example:user@host.example>
        tokens = tokens[colons[-1] + 1 :]
    if sum(1 for t in tokens if t[0] == "@") > 1:
        problems.append("more than one @ in an address")
    if any(t[0] in (",", ";", ":", "<") for t in tokens):
        problems.append("unexpected character inside angle brackets")
    out, space = [], False
    for kind, value in tokens:
        if kind in ("ws", "cm"):
            space = bool(out)
            continue
        if kind in (",", ";"):
            continue
        text = _written(kind, value)
        if space and not (out[-1].endswith((".", "@")) or text.startswith((".", "@"))):
            problems.append("white space inside an address")
            out.append(" ")
        space = False
        out.append(text)
    return "".join(out)


def _bare_addresses(tokens, problems):
    """Addresses written without angle brackets: `user@host`, possibly several or with a bare
    display name in front (`Jane jane@host`), which are problems."""
    significant = [t for t in tokens if t[0] != "cm"]
    runs, current = [], []
    for index, token in enumerate(significant):
        if token[0] == "ws":
            before = significant[index - 1] if index else None
            after = significant[index + 1] if index + 1 < len(significant) else None
            joins = (before and (before[0] == "@" or before[1].endswith("."))) or (
                after and (after[0] == "@" or after[1].startswith("."))
            )
            if not joins and current:
                runs.append(current)
                current = []
            continue
        current.append(token)
    if current:
        runs.append(current)
    if not runs:
        return [], ""
    with_at = [run for run in runs if any(t[0] == "@" for t in run)]
    if not with_at:
        return [" ".join("".join(_written(*t) for t in run) for run in runs)], ""
    if len(runs) > 1:
        if len(with_at) > 1:
            problems.append("several addresses without a comma between them")
        else:
            problems.append("display name without angle brackets")
    name = ""
    if len(with_at) == 1 and len(runs) > 1:
        name = " ".join(
            "".join(QUOTED_PAIR.sub(r"\1", t[1]) if t[0] == "qs" else t[1] for t in run)
            for run in runs
            if run is not with_at[0]
        )
    addresses = []
    for run in with_at:
        if sum(1 for t in run if t[0] == "@") > 1:
            problems.append("more than one @ in an address")
        addresses.append("".join(_written(*t) for t in run))
    return addresses, name


def _mailboxes_of_item(tokens, where, defects, result):
    """Mailboxes of one comma-separated item, appended to result."""
    tokens = _strip(tokens)
    if not tokens:
        return
    problems = result.problems
    kinds = [t[0] for t in tokens]
    if "<" not in kinds:
        if ">" in kinds:
            problems.append("'>' without '<'")
            tokens = [t for t in tokens if t[0] != ">"]
        addresses, name = _bare_addresses(tokens, problems)
        name = name or _comment_name(tokens, where, defects)
        for address in addresses:
            _add(result, name, address, where, defects)
        return
    start = kinds.index("<")
    phrase = tokens[:start]
    if ">" in kinds[start:]:
        end = kinds.index(">", start)
        angle, rest = tokens[start + 1 : end], tokens[end + 1 :]
    else:
        problems.append("'<' without '>'")
        angle, rest = tokens[start + 1 :], []
    if ">" in (t[0] for t in phrase):
        problems.append("'>' without '<'")
    if "@" in (t[0] for t in phrase):
        # `a@x.example <b@y.example>`: RFC 5322 forbids a bare @ in a display name, and parsers
        # disagree about it (Python 3.11's getaddresses sees two mailboxes, parseaddr a@x).
        problems.append("an unquoted @ in the display name")
    address = _addr_spec(angle, problems)
    name = _phrase(phrase, where, defects) or _comment_name(rest, where, defects)
    if address:  # an empty <> (a null sender) is no mailbox
        _add(result, name, address, where, defects)
    rest = _strip([t for t in rest if t[0] != "cm"])
    if rest:
        problems.append("text after the address")
        _mailboxes_of_item(rest, where, defects, result)


def _add(result, name, address, where, defects):
    if CONTROL.search(address) or CONTROL.search(name):
        result.problems.append("control characters")
        name, address = CONTROL.sub("", name), CONTROL.sub("", address)
    name = clean_text(name)
    address = clean_text(address).strip()
    if not address:
        return
    if "@" in name:
        result.names_like_addresses.append(name)
    result.mailboxes.append(Mailbox(name, address, normalize(address)))


def parse_address_list(value, where, defects, hint=None):
    """Mailboxes of one address header value (compat32 str). Groups contribute their members;
    empty groups (`undisclosed-recipients:;`) contribute nothing."""
    result = AddressList()
    text = decode_raw(unfold(value), where, defects, hint)
    if not text.strip():
        return result
    if len(text) > MAX_HEADER:
        # Real recipient lists stay far below this; beyond it the header is an attack or junk.
        result.problems.append(f"longer than {MAX_HEADER // 1024} KB; only its start was read")
        text = text[:MAX_HEADER].rpartition(",")[0]
    if not result.problems and text.isascii() and _read_simple(text, result):
        return result
    result = AddressList(problems=result.problems)
    tokens = _tokens(text, result.problems)
    item, in_angle, in_group = [], False, False
    for token in tokens:
        kind = token[0]
        if kind == "<":
            if in_angle:
                result.problems.append("nested '<'")
            in_angle = True
        elif kind == ">":
            in_angle = False
        elif in_angle:
            pass
        elif kind == ",":
            _mailboxes_of_item(item, where, defects, result)
            item = []
            continue
        elif kind == ":":
            if in_group:
                result.problems.append("group inside a group")
            in_group = True
            result.groups += 1
            item = []  # the group's name is no mailbox
            continue
        elif kind == ";":
            if not in_group:
                result.problems.append("';' outside a group")
            _mailboxes_of_item(item, where, defects, result)
            item, in_group = [], False
            continue
        item.append(token)
    _mailboxes_of_item(item, where, defects, result)
    if in_group:
        result.problems.append("group without ';'")
    if result.problems:
        unique = list(dict.fromkeys(result.problems))
        defects.append(f"{where}: " + "; ".join(unique))
    return result


def _read_simple(text, result):
    """Read a header made only of simple mailboxes; False (result then unusable) otherwise."""
    if "=?" in text or CONTROL.search(text):
        return False
    position, end = 0, len(text)
    while position < end:
        match = SIMPLE_MAILBOX.match(text, position)
        if match is None or match.end() == position:
            return False
        position = match.end()
        address = match.group("quoted_angle") or match.group("angle") or match.group("bare")
        name = match.group("quoted")
        if name is None:
            name = match.group("name") or ""
        if name:
            name = SPACES.sub(" ", name).strip() if ("  " in name or "\t" in name) else name.strip()
        if "@" in name:
            result.names_like_addresses.append(name)
        result.mailboxes.append(Mailbox(name, address, normalize(address)))
    return True


@dataclass
class FromVerdict:
    mailboxes: list[Mailbox]
    author: Mailbox | None
    problem: str  # "" or one of model.FROM_PROBLEMS


def judge_from(from_values, sender_values, defects, hint=None):
    """The From mailboxes and the mail's author: set only when From (or, with From missing,
    Sender) holds exactly one valid mailbox in syntax that cannot be read another way."""
    if not from_values:
        author = _single_clean(sender_values, "the Sender header", defects, hint, note=False)
        return FromVerdict([], author, FROM_MISSING)
    parsed = [parse_address_list(v, "the From header", defects, hint) for v in from_values]
    mailboxes = [m for p in parsed for m in p.mailboxes]
    if len(from_values) > 1:
        # Mail clients disagree on which of several From headers they show: a spoofing trick.
        defects.append(f"{len(from_values)} From headers; no author taken from them")
        return FromVerdict(_disarmed(mailboxes), None, FROM_AMBIGUOUS)
    from_list = parsed[0]
    for name in from_list.names_like_addresses:
        defects.append(
            f"the From display name {name[:80]!r} looks like an address; only the address in "
            "angle brackets counts"
        )
    if from_list.problems or (from_list.groups and mailboxes) or _names_claim_others(mailboxes):
        return FromVerdict(_disarmed(mailboxes), None, FROM_AMBIGUOUS)
    if not mailboxes:
        defects.append("the From header holds no address")
        return FromVerdict(mailboxes, None, FROM_INVALID)
    if len(mailboxes) > 1:
        return FromVerdict(mailboxes, None, FROM_SEVERAL)
    if not mailboxes[0].normalized:
        defects.append(f"the From address {mailboxes[0].address[:80]!r} is not valid")
        return FromVerdict(mailboxes, None, FROM_INVALID)
    return FromVerdict(mailboxes, mailboxes[0], "")


ADDRESS_IN_NAME = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")


def _names_claim_others(mailboxes):
    """Whether a display name shows an address other than its mailbox's own, e.g.
    "mira@example.org" <payment@attacker.example>: lists would show the one, filing use the
    other. A name that repeats its own address ("anna@x.de" <anna@x.de>) is harmless."""
    for mailbox in mailboxes:
        for shown in ADDRESS_IN_NAME.findall(mailbox.name or ""):
            if normalize(shown.strip(".")) != mailbox.normalized:
                return True
    return False


def _single_clean(values, where, defects, hint, note):
    if len(values) != 1:
        return None
    parsed = parse_address_list(values[0], where, defects, hint)
    if parsed.problems or parsed.groups or len(parsed.mailboxes) != 1:
        return None
    return parsed.mailboxes[0] if parsed.mailboxes[0].normalized else None


def _disarmed(mailboxes):
    return [Mailbox(m.name, m.address, "") for m in mailboxes]
