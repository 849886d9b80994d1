"""Test mails built in code: a small builder for ordinary mail, plus raw bytes for the hostile
structures that broke other products (see ../shared/cases/README.md; these are our own minimal
inputs with the same structure, not copies).

    build_mail(from_=..., to=..., subject=..., body=..., attachments=[("a.txt", "text/plain",
               b"...")]) -> bytes

Header values are written exactly as given (str is written as UTF-8, i.e. raw 8-bit for
non-ASCII), so a test can pass hostile values; pass None to leave a header out.
"""

import base64
import itertools
import struct
from urllib.parse import quote

_numbers = itertools.count(1)
AUTO = object()
CRLF = b"\r\n"


def _line(name, value):
    if isinstance(value, str):
        value = value.encode("utf-8")
    return name.encode("ascii") + b": " + value + CRLF


def _filename_params(name):
    if name.isascii():
        return f'name="{name}"', f'filename="{name}"'
    encoded = quote(name.encode("utf-8"), safe="")
    return f"name*=utf-8''{encoded}", f"filename*=utf-8''{encoded}"


def _attachment_part(boundary, name, content_type, data):
    name_param, filename_param = _filename_params(name)
    lines = [
        b"--" + boundary,
        f"Content-Type: {content_type}; {name_param}".encode(),
        f"Content-Disposition: attachment; {filename_param}".encode(),
        b"Content-Transfer-Encoding: base64",
        b"",
        base64.encodebytes(data).replace(b"\n", CRLF).rstrip(CRLF),
    ]
    return CRLF.join(lines) + CRLF


def _text_part(content_type, text):
    return (
        f"Content-Type: {content_type}; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + text.encode("utf-8").replace(b"\n", CRLF)


def build_mail(
    *,
    from_="Mira Albrecht <mira.albrecht@example.org>",
    to="Lena Vogt <lena.vogt@example.com>",
    cc=None,
    bcc=None,
    sender=None,
    reply_to=None,
    subject="Testmail",
    body="Hallo Frau Vogt,\nviele Grüße.\n",
    html=None,
    message_id=AUTO,
    date="Mon, 03 Mar 2025 10:00:00 +0100",
    extra_headers=(),
    attachments=(),
):
    """Raw bytes (CRLF) of one mail: text/plain, or multipart/alternative when `html` is given,
    wrapped in multipart/mixed when there are attachments (name, content type, bytes)."""
    if message_id is AUTO:
        message_id = f"<test.{next(_numbers)}@ablage.example>"
    head = b""
    for name, value in (
        ("Message-ID", message_id),
        ("Date", date),
        ("From", from_),
        ("Sender", sender),
        ("Reply-To", reply_to),
        ("To", to),
        ("Cc", cc),
        ("Bcc", bcc),
        ("Subject", subject),
    ):
        if value is not None:
            head += _line(name, value)
    for name, value in extra_headers:
        head += _line(name, value)
    head += b"MIME-Version: 1.0" + CRLF

    if html is None:
        content = _text_part("text/plain", body)
    else:
        content = (
            b'Content-Type: multipart/alternative; boundary="alt-b"\r\n\r\n--alt-b\r\n'
            + _text_part("text/plain", body)
            + b"\r\n--alt-b\r\n"
            + _text_part("text/html", html)
            + b"\r\n--alt-b--\r\n"
        )
    if not attachments:
        return head + content
    mixed = b"mixed-b"
    out = head + b'Content-Type: multipart/mixed; boundary="mixed-b"\r\n\r\n'
    out += b"--" + mixed + CRLF + content + CRLF
    for name, content_type, data in attachments:
        out += _attachment_part(mixed, name, content_type, data)
    return out + b"--" + mixed + b"--" + CRLF


# --- TNEF ----------------------------------------------------------------------------------


def _tnef_attribute(level, attribute_id, attribute_type, data):
    checksum = sum(data) & 0xFFFF
    return (
        struct.pack("<BHHI", level, attribute_id, attribute_type, len(data))
        + data
        + (struct.pack("<H", checksum))
    )


def build_tnef(files):
    """A minimal TNEF (winmail.dat) stream holding the given (file name, bytes)."""
    out = struct.pack("<IH", 0x223E9F78, 0x0001)
    out += _tnef_attribute(1, 0x9006, 0x0008, struct.pack("<I", 0x00010000))  # version
    out += _tnef_attribute(1, 0x9007, 0x0006, struct.pack("<II", 1252, 0))  # OEM codepage
    for name, data in files:
        out += _tnef_attribute(2, 0x9002, 0x0006, b"\x01\x00" + b"\xff" * 12)  # render data
        out += _tnef_attribute(2, 0x8010, 0x0001, name.encode("cp1252") + b"\x00")  # title
        out += _tnef_attribute(2, 0x800F, 0x0006, data)  # attachment data
    return out


# --- hostile structures --------------------------------------------------------------------

# F01: a quoted display name with a comma is one mailbox.
DISPLAY_NAME_COMMA = build_mail(
    from_='"Ortiz, Daniel" <daniel.ortiz@example.org>',
    to='"Vogt, Lena" <lena.vogt@example.com>, "Wendt, Tomasz" <tomasz.wendt@example.de>',
)

# F03: recipients folded over several lines, also inside quoted strings.
FOLDED_RECIPIENTS = (
    b"Message-ID: <folded.1@mail.example.com>\r\n"
    b"Date: Thu, 06 Mar 2025 11:05:33 +0100\r\n"
    b"From: Lena Vogt <lena.vogt@example.com>\r\n"
    b"To: Tomasz Wendt <tomasz.wendt@example.de>, Team Nord - Lindqvist\r\n"
    b'\t<sofia.lindqvist@example.org>, "Anouk\r\n'
    b'  de Vries" <anouk.devries@example.org>\r\n'
    b'Cc: "Einkauf\r\n'
    b' Zentrale" <einkauf@example.de>, Mira\r\n'
    b"    Albrecht <mira.albrecht@example.org>\r\n"
    b"Subject: Termin\r\n"
    b"\r\n"
    b"Hallo zusammen.\r\n"
)

# F05: the same person with a Unicode domain in a raw UTF-8 header, and in punycode.
IDN_UTF8_HEADER = build_mail(
    from_="Bernd Hübner <bernd@hübner.example.de>", subject="Nachtrag zur Maßliste"
)
IDN_PUNYCODE = build_mail(
    from_="=?UTF-8?Q?Bernd_H=C3=BCbner?= <bernd@xn--hbner-kva.example.de>",
    subject="=?UTF-8?Q?Ma=C3=9Fliste?=",
)

# F14: unknown and misspelt charsets everywhere; Hebrew text in a charset Python lacks.
UNKNOWN_CHARSETS = (
    b"Message-ID: <charsets.1@mail.example.org>\r\n"
    b"Date: Fri, 21 Mar 2025 11:11:11 +0100\r\n"
    b"From: Anouk de Vries <anouk.devries@example.org>\r\n"
    b"To: Lena Vogt <lena.vogt@example.com>\r\n"
    b"Subject: =?x-no-such-charset?Q?Auftrag_Nr=2E_12?=\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/alternative; boundary="alt"\r\n'
    b"\r\n"
    b"--alt\r\n"
    b'Content-Type: text/plain; charset="ISO-8859-8-I"\r\n'
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"=FA=E5=E3=E4 12\r\n"
    b"--alt\r\n"
    b'Content-Type: text/html; charset="utf-8 junk"\r\n'
    b"\r\n"
    b"<p>Thanks 12</p>\r\n"
    b"--alt--\r\n"
)
HEBREW_THANKS = "\u05ea\u05d5\u05d3\u05d4"  # the word the quoted-printable bytes above spell

# F16: "base64 " with a trailing space; base64 in separately padded chunks.
BASE64_QUIRKS = (
    b"Message-ID: <b64.1@mail.example.org>\r\n"
    b"From: Mira Albrecht <mira.albrecht@example.org>\r\n"
    b"To: Lena Vogt <lena.vogt@example.com>\r\n"
    b"Subject: Anhaenge\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="q"\r\n'
    b"\r\n"
    b"--q\r\n"
    b"Content-Type: text/plain\r\n"
    b"\r\n"
    b"Zwei Dateien.\r\n"
    b"--q\r\n"
    b'Content-Type: text/plain; name="a.txt"\r\n'
    b'Content-Disposition: attachment; filename="a.txt"\r\n'
    b"Content-Transfer-Encoding: base64 \r\n"
    b"\r\n" + base64.b64encode(b"eine Zeile mit genau 36 Bytes Inhalt") + b"\r\n"
    b"--q\r\n"
    b'Content-Type: application/octet-stream; name="b.bin"\r\n'
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    + base64.b64encode(b"AAAAAAA")  # 7 bytes: padded
    + b"\r\n"
    + base64.b64encode(b"BBBBBBBB")  # 8 bytes: padded
    + b"\r\n"
    + base64.b64encode(b"CCCCCC")  # 6 bytes
    + b"\r\n"
    b"--q--\r\n"
)

# F26: the real attachment hidden in winmail.dat.
TNEF_MAIL = build_mail(
    from_="Tomasz Wendt <tomasz.wendt@example.de>",
    subject="Aufmass",
    body="Siehe Anhang.",
    attachments=[
        ("winmail.dat", "application/ms-tnef", build_tnef([("masse.txt", b"Halle 2: 18 x 42 m")]))
    ],
)

# F28: a forwarded mail with its own attachment, next to an attachment of the outer mail.
FORWARDED = (
    b"Message-ID: <fwd.1@mail.example.de>\r\n"
    b"Date: Wed, 02 Apr 2025 10:20:00 +0200\r\n"
    b"From: Tomasz Wendt <tomasz.wendt@example.de>\r\n"
    b"To: Lena Vogt <lena.vogt@example.com>\r\n"
    b"Subject: WG: Schaden\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="out"\r\n'
    b"\r\n"
    b"--out\r\n"
    b"Content-Type: text/plain\r\n"
    b"\r\n"
    b"Zur Info, Original anbei.\r\n"
    b"--out\r\n"
    b"Content-Type: message/rfc822\r\n"
    b"\r\n"
    b"Message-ID: <fwd-inner.1@mail.example.org>\r\n"
    b"Date: Tue, 01 Apr 2025 17:00:00 +0200\r\n"
    b"From: Mira Albrecht <mira.albrecht@example.org>\r\n"
    b"To: Tomasz Wendt <tomasz.wendt@example.de>\r\n"
    b"Cc: Anouk de Vries <anouk.devries@example.org>\r\n"
    b"Subject: Schaden Regal 7\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="in"\r\n'
    b"\r\n"
    b"--in\r\n"
    b"Content-Type: text/plain\r\n"
    b"\r\n"
    b"Regal 7 ist beschaedigt.\r\n"
    b"--in\r\n"
    b'Content-Type: image/png; name="foto.png"\r\n'
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n" + base64.b64encode(b"\x89PNG\r\n\x1a\nnot really a picture") + b"\r\n"
    b"--in--\r\n"
    b"\r\n"
    b"--out\r\n"
    b'Content-Type: text/csv; name="liste.csv"\r\n'
    b"\r\n"
    b"pos;menge\r\n"
    b"1;2\r\n"
    b"--out--\r\n"
)

# F30: markup in the subject and a hostile HTML body (parsing keeps it; a view sanitises).
MARKUP = build_mail(
    subject='Rechnung <script>window.x=1</script> "offen"',
    body="Klartext <b>nicht fett</b>",
    html='<html><body onload="window.y=1"><p>Sehr geehrte Frau Vogt</p>'
    '<script>window.z=1</script><iframe src="https://phish.example"></iframe></body></html>',
)

# S/MIME: a detached signature next to the real content.
SMIME_SIGNED = (
    b"Message-ID: <smime.1@mail.example.org>\r\n"
    b"From: Mira Albrecht <mira.albrecht@example.org>\r\n"
    b"To: Lena Vogt <lena.vogt@example.com>\r\n"
    b"Subject: Signiert\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; '
    b'micalg=sha-256; boundary="sig"\r\n'
    b"\r\n"
    b"--sig\r\n"
    b'Content-Type: multipart/mixed; boundary="body"\r\n'
    b"\r\n"
    b"--body\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Der unterschriebene Vertrag, Gr=C3=BC=C3=9Fe.\r\n"
    b"--body\r\n"
    b'Content-Type: application/pdf; name="vertrag.pdf"\r\n'
    b'Content-Disposition: attachment; filename="vertrag.pdf"\r\n'
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n" + base64.b64encode(b"%PDF-1.4 fake") + b"\r\n"
    b"--body--\r\n"
    b"--sig\r\n"
    b'Content-Type: application/pkcs7-signature; name="smime.p7s"\r\n'
    b"Content-Transfer-Encoding: base64\r\n"
    b'Content-Disposition: attachment; filename="smime.p7s"\r\n'
    b"\r\n" + base64.b64encode(b"0\x82\x01\x00 not a real signature") + b"\r\n"
    b"--sig--\r\n"
)

# An Outlook invitation: the attendees in text/calendar must never become addresses.
CALENDAR_INVITE = (
    b"Message-ID: <cal.1@mail.example.org>\r\n"
    b"From: Mira Albrecht <mira.albrecht@example.org>\r\n"
    b"To: Lena Vogt <lena.vogt@example.com>\r\n"
    b"Subject: Einladung\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/alternative; boundary="cal"\r\n'
    b"\r\n"
    b"--cal\r\n"
    b"Content-Type: text/plain\r\n"
    b"\r\n"
    b"Termin am Montag.\r\n"
    b"--cal\r\n"
    b"Content-Type: text/calendar; method=REQUEST; charset=utf-8\r\n"
    b"\r\n"
    b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n"
    b"ORGANIZER:mailto:mira.albrecht@example.org\r\n"
    b"ATTENDEE;CN=Tomasz Wendt:mailto:tomasz.wendt@example.de\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    b"--cal--\r\n"
)

# A multipart whose declared boundary does not occur; the body uses another one.
WRONG_BOUNDARY = (
    b"From: Mira Albrecht <mira.albrecht@example.org>\r\n"
    b"Subject: Grenzfall\r\n"
    b'Content-Type: multipart/mixed; boundary="declared"\r\n'
    b"\r\n"
    b"--actual\r\n"
    b"Content-Type: text/plain\r\n"
    b"\r\n"
    b"Der eigentliche Text.\r\n"
    b"--actual\r\n"
    b'Content-Type: application/octet-stream; name="x.bin"\r\n'
    b"\r\n"
    b"abc\r\n"
    b"--actual--\r\n"
)


def deeply_nested(levels):
    """A mail with `levels` multiparts nested inside each other and one text at the bottom."""
    head = b"From: Mira Albrecht <mira.albrecht@example.org>\r\nSubject: tief\r\n"
    opening = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
        for i in range(levels)
    )
    closing = b"".join(b"\r\n--b%d--" % i for i in reversed(range(levels)))
    return head + opening + b"Content-Type: text/plain\r\n\r\nganz unten" + closing + CRLF


# --- S/MIME, opaque ------------------------------------------------------------------------


def opaque_signed_der(entity):
    """A real CMS SignedData (made by `cryptography`) that carries `entity` inside it."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs7
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Mira Albrecht")])
    start = datetime.datetime(2025, 1, 1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(entity)
        .add_signer(certificate, key, hashes.SHA256())
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )


def _ber(tag, content=None, children=()):
    """BER with indefinite lengths for constructed elements, as some S/MIME tools write it."""
    if content is not None:
        length = len(content)
        head = bytes([length]) if length < 128 else b"\x82" + length.to_bytes(2, "big")
        return bytes([tag]) + head + content
    return bytes([tag]) + b"\x80" + b"".join(children) + b"\x00\x00"


def opaque_signed_ber(entity, chunk=7):
    """SignedData in indefinite-length BER with the content split into OCTET STRING chunks."""
    oid_signed = _ber(0x06, bytes.fromhex("2a864886f70d010702"))
    oid_data = _ber(0x06, bytes.fromhex("2a864886f70d010701"))
    chunks = [_ber(0x04, entity[i : i + chunk]) for i in range(0, len(entity), chunk)]
    encapsulated = _ber(
        0x30, children=[oid_data, _ber(0xA0, children=[_ber(0x24, children=chunks)])]
    )
    signed = _ber(
        0x30, children=[_ber(0x02, b"\x01"), _ber(0x31, b""), encapsulated, _ber(0x31, b"")]
    )
    return _ber(0x30, children=[oid_signed, _ber(0xA0, children=[signed])])


ENVELOPED_DER = bytes.fromhex("300f06092a864886f70d010703a0023000")


def opaque_smime_mail(der, smime_type="signed-data"):
    return (
        b"Message-ID: <p7m.1@mail.example.org>\r\n"
        b"From: Mira Albrecht <mira.albrecht@example.org>\r\n"
        b"To: Lena Vogt <lena.vogt@example.com>\r\n"
        b"Subject: Opak signiert\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: application/pkcs7-mime; smime-type=" + smime_type.encode() + b";\r\n"
        b' name="smime.p7m"\r\n'
        b'Content-Disposition: attachment; filename="smime.p7m"\r\n'
        b"Content-Transfer-Encoding: base64\r\n"
        b"\r\n" + base64.encodebytes(der).replace(b"\n", CRLF)
    )


OPAQUE_ENTITY = (
    b'Content-Type: multipart/mixed; boundary="e"\r\n\r\n'
    b"--e\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nDer Vertrag, gr\xc3\xbc\xc3\x9fe.\r\n"
    b'--e\r\nContent-Type: application/pdf; name="vertrag.pdf"\r\n'
    b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(b"%PDF-1.4 fake") + b"\r\n"
    b"--e--\r\n"
)
