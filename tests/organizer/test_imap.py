"""The IMAP adapter: folder names, roles, the host guard, errors in plain words."""

import pytest

from organizer import imap
from organizer.imap import FolderInfo, ImapError, assign_roles, decode_folder_name

pytestmark = pytest.mark.usefixtures("in_english")


@pytest.mark.parametrize(
    ("raw", "decoded", "ok"),
    [
        ("Entw&APw-rfe", "Entwürfe", True),
        ("Kunden/M&APw-ller &- S&APY-hne", "Kunden/Müller & Söhne", True),
        ("Gel&APY-schte Elemente", "Gelöschte Elemente", True),
        ("&ZeVnLIqe-", "日本語", True),
        ("Archiv/&Jjo", "Archiv/\ufffd", False),
        ("Archiv/&&&-", "Archiv/\ufffd", False),
        ("INBOX", "INBOX", True),
    ],
)
def test_modified_utf7_names_decode_and_malformed_ones_never_raise(raw, decoded, ok):
    assert decode_folder_name(raw) == (decoded, ok)


@pytest.mark.parametrize("name", ["Entwürfe", "Kunden/Müller & Söhne", "日本語", "a&b", "Ärger"])
def test_encoding_a_name_and_decoding_it_gives_it_back(name):
    encoded = imap.encode_folder_name(name)
    assert encoded.isascii()
    assert decode_folder_name(encoded) == (name, True)


def info(name, *flags, selectable=True):
    return FolderInfo(name, decode_folder_name(name)[0], "/", tuple(flags), selectable)


def roles(*infos):
    return {i.display_name: i.role for i in assign_roles(list(infos)) if i.role}


def test_roles_come_from_special_use_before_names():
    assert roles(
        info("INBOX"),
        info("Gesendet"),
        info("Ausgang", "\\Sent"),
        info("Papierkorb"),
        info("Spam", "\\Junk"),
    ) == {"INBOX": "inbox", "Ausgang": "sent", "Papierkorb": "trash", "Spam": "junk"}


@pytest.mark.parametrize(
    "name",
    [
        "Sent",
        "Sent Items",
        "Sent Messages",
        "Gesendet",
        "Gesendete Elemente",
        "Gesendete Objekte",
        "[Gmail]/Sent Mail",
        "INBOX/Sent",
        "gesendete objekte",
    ],
)
def test_sent_is_found_by_its_common_names(name):
    assert roles(info("INBOX"), info(name), info("Kunden/Gesendet")) == {
        "INBOX": "inbox",
        name: "sent",
    }


def test_german_folders_get_drafts_trash_and_junk_roles_by_name():
    assert roles(info("Entw&APw-rfe"), info("Gel&APY-schte Elemente"), info("Junk-E-Mail")) == {
        "Entwürfe": "drafts",
        "Gelöschte Elemente": "trash",
        "Junk-E-Mail": "junk",
    }


def test_a_noselect_folder_gets_no_role():
    assert roles(info("Sent", "\\Noselect", selectable=False)) == {}


def test_uid_sets_are_compact_and_never_start_at_zero():
    assert imap.uid_set([5, 1, 2, 3, 9, 11, 12]) == "1:3,5,9,11:12"
    with pytest.raises(ValueError):
        imap.uid_set([0, 1])


def test_list_lines_with_quotes_atoms_nil_delimiters_and_literals_are_read():
    assert imap.parse_list_line(b'(\\HasNoChildren \\Sent) "/" "Gesendete Elemente"') == (
        ("\\HasNoChildren", "\\Sent"),
        "/",
        b"Gesendete Elemente",
    )
    assert imap.parse_list_line(b"(\\Noselect) NIL Archiv") == (("\\Noselect",), "", b"Archiv")
    assert imap.parse_list_line(b'() "." "Say \\"hi\\""') == ((), ".", b'Say "hi"')
    assert imap.parse_list_line((b'() "/" {7}', b'a\\b"c d')) == ((), "/", b'a\\b"c d')


@pytest.mark.parametrize(
    ("address", "blocked"),
    [
        ("169.254.169.254", "cloud metadata address"),
        ("fd00:ec2::254", "cloud metadata address"),
        ("100.100.100.200", "cloud metadata address"),
        ("169.254.1.1", "link-local address"),
        ("fe80::1", "link-local address"),
        ("224.0.0.5", "multicast address"),
        ("0.0.0.0", "unspecified address"),
        ("::", "unspecified address"),
        ("::ffff:169.254.169.254", "cloud metadata address"),
    ],
)
def test_the_host_guard_refuses_link_local_metadata_multicast_and_unspecified(address, blocked):
    with pytest.raises(ImapError) as caught:
        imap.resolve_host(address, 993, "ssl")
    assert caught.value.kind == "blocked_host"
    assert blocked in caught.value.message


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.1.5", "::1", "fd12::1"])
def test_private_and_loopback_hosts_need_the_setting(settings, address):
    settings.ABLAGE_ALLOW_PRIVATE_IMAP_HOSTS = False
    with pytest.raises(ImapError) as caught:
        imap.resolve_host(address, 993, "ssl")
    assert caught.value.kind == "blocked_host"

    settings.ABLAGE_ALLOW_PRIVATE_IMAP_HOSTS = True
    assert imap.resolve_host(address, 993, "ssl")


def test_unencrypted_connections_only_to_this_machine():
    assert imap.resolve_host("127.0.0.1", 143, "none")
    with pytest.raises(ImapError) as caught:
        imap.resolve_host("10.1.2.3", 143, "none")
    assert caught.value.kind == "blocked_host"
    assert "Unencrypted" in caught.value.message


def test_an_unknown_host_is_a_dns_error_in_plain_words():
    with pytest.raises(ImapError) as caught:
        imap.resolve_host("mail.invalid", 993, "ssl")
    assert caught.value.kind == "dns"
    assert caught.value.message == "The server name mail.invalid could not be found."


def test_test_login_lists_the_folders(dovecot):
    user = dovecot.add_user()
    dovecot.create_folder(user, "Sent")

    folders = imap.test_login("127.0.0.1", dovecot.port, "none", user, dovecot.passwords[user])

    assert {(f.display_name, f.role) for f in folders} == {("INBOX", "inbox"), ("Sent", "sent")}


def test_test_login_with_a_wrong_password_says_so(dovecot):
    user = dovecot.add_user()
    with pytest.raises(ImapError) as caught:
        imap.test_login("127.0.0.1", dovecot.port, "none", user, "falsch")
    assert caught.value.kind == "auth"
    assert "falsch" not in str(caught.value)


def test_test_login_with_a_non_ascii_password_uses_sasl_plain(dovecot):
    user = dovecot.add_user(password="Grüße-1")
    assert imap.test_login("127.0.0.1", dovecot.port, "none", user, "Grüße-1")


def test_tls_to_a_plain_server_is_a_tls_error(dovecot):
    user = dovecot.add_user()
    with pytest.raises(ImapError) as caught:
        imap.test_login("127.0.0.1", dovecot.port, "ssl", user, dovecot.passwords[user])
    assert caught.value.kind == "tls"


def test_starttls_missing_on_the_server_is_a_tls_error(dovecot):
    user = dovecot.add_user()
    with pytest.raises(ImapError) as caught:
        imap.test_login("127.0.0.1", dovecot.port, "starttls", user, dovecot.passwords[user])
    assert caught.value.kind == "tls"


def test_a_server_that_never_answers_times_out(settings):
    import socket

    settings.ABLAGE_IMAP_TIMEOUT = 0.2
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepts, never greets
        with pytest.raises(ImapError) as caught:
            imap.test_login("127.0.0.1", silent.getsockname()[1], "none", "a", "b")
    assert caught.value.kind == "timeout"
