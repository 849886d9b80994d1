"""E-mail address normalisation: the one place that decides when two spellings are one address.

The normal form keeps the local part as written apart from case (dots and +tags stay), and writes
the domain lower-case in its ASCII (punycode) form, so that `Bernd@Hübner.Example.DE` and
`bernd@xn--hbner-kva.example.de` are the same address.
"""

import re

import idna

# Deliberately lenient about dots: real mail carries addresses such as a..b@example.com.
LOCAL_PART = re.compile(r"^[^\s\x00-\x1f\x7f@\"(),:;<>\[\]\\]+$")
DOMAIN_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# The limits of RFC 5321 (a path of 256 octets less its angle brackets) and of DNS, applied to
# the normal form: a Unicode domain may look short and be long in punycode.
MAX_ADDRESS_LENGTH = 254
MAX_DOMAIN_LENGTH = 253


class InvalidAddress(ValueError):
    pass


class AddressTooLong(InvalidAddress):
    pass


def normalize_domain(domain):
    """The domain lower-case and in punycode; raises InvalidAddress when it is no domain."""
    domain = domain.strip().rstrip(".").lower()
    if not domain:
        raise InvalidAddress("empty domain")
    # Nearly every domain is ASCII already and needs no IDNA round trip (it costs ~15 µs, and
    # sync and filing normalise every address of every mail).
    ascii_domain = domain if domain.isascii() else _to_ascii(domain)
    if len(ascii_domain) > MAX_DOMAIN_LENGTH:
        raise AddressTooLong(f"domain longer than {MAX_DOMAIN_LENGTH} characters")
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(DOMAIN_LABEL.match(label) for label in labels):
        raise InvalidAddress(f"invalid domain {domain!r}")
    if labels[-1].isdigit():
        raise InvalidAddress(f"{domain!r} is an IP address, not a domain")
    for label in labels:
        if label.startswith("xn--") and not _is_punycode(label):
            raise InvalidAddress(f"{label!r} in {domain!r} is no valid punycode")
    return ascii_domain


def _is_punycode(label):
    """Whether an "xn--" label decodes, by IDNA 2008 or, as _to_ascii accepts, IDNA 2003."""
    try:
        idna.decode(label)
    except (idna.IDNAError, UnicodeError):
        try:
            label.encode("ascii").decode("idna")
        except UnicodeError:
            return False
    return True


def _to_ascii(domain):
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:
        try:
            # Python's own IDNA 2003 codec accepts a few older spellings that IDNA 2008 refuses.
            ascii_domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise InvalidAddress(f"invalid domain {domain!r}") from None
    return ascii_domain.lower()


def normalize_address(address):
    """The normal form of one address; raises InvalidAddress for anything that is not one."""
    address = (address or "").strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or not LOCAL_PART.match(local):
        raise InvalidAddress(f"invalid address {address!r}")
    normalized = f"{local.lower()}@{normalize_domain(domain)}"
    if len(normalized) > MAX_ADDRESS_LENGTH:
        raise AddressTooLong(f"address longer than {MAX_ADDRESS_LENGTH} characters")
    return normalized


def normalize_address_or_none(address):
    """Like normalize_address, but None for input that is no valid address (for parsed mail)."""
    try:
        return normalize_address(address)
    except InvalidAddress:
        return None


def display_address(value):
    """An address or domain in normal form, with its domain spelt in Unicode, for people."""
    local, at, domain = value.rpartition("@")
    return f"{local}{at}{display_domain(domain)}"


def display_domain(domain):
    """A punycode domain in its Unicode spelling, for people."""
    try:
        return idna.decode(domain)
    except (idna.IDNAError, UnicodeError):
        return domain


def address_search_forms(text):
    """The spellings under which a typed fragment of an address stands in normal form.

    Lower-case, and with every Unicode domain label in punycode, so that searching for
    `hübner.example` finds `bernd@xn--hbner-kva.example.de`. Partial labels cannot be converted
    (punycode is no substring code); they still match the address as it was written.
    """
    text = " ".join(text.split()).lower()
    forms = {text}
    local, at, domain = text.rpartition("@")
    labels = []
    for label in domain.split("."):
        if label.isascii() or not label:
            labels.append(label)
            continue
        try:
            labels.append(idna.encode(label, uts46=True).decode("ascii"))
        except (idna.IDNAError, UnicodeError):
            labels.append(label)
    forms.add(f"{local}{at}{'.'.join(labels)}")
    return sorted(forms)
