"""Raw mail is written in packs: one file for many mails, each mail read back exactly."""

import hashlib

import pytest

from organizer import storage
from organizer.storage import pack_path, read_raw, readable, save_pack


@pytest.fixture(autouse=True)
def mail_dir(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "mail": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


def files(directory):
    return sorted(p for p in directory.rglob("*") if p.is_file())


def fingerprints(raws):
    return [hashlib.sha256(raw).hexdigest() for raw in raws]


def test_a_batch_is_one_file_and_every_mail_reads_back_exactly(mail_dir):
    raws = [f"Subject: {i}\r\n\r\n{'x' * i}\r\n".encode() for i in range(40)] + [b""]

    refs = save_pack(raws, fingerprints(raws))

    assert [read_raw(ref) for ref in refs] == raws
    assert len(files(mail_dir)) == 1
    assert {pack_path(ref) for ref in refs} == {str(files(mail_dir)[0].relative_to(mail_dir))}


def test_a_mail_repeated_or_already_stored_is_not_written_again(mail_dir):
    first = save_pack([b"A\r\n"], fingerprints([b"A\r\n"]))[0]
    raws = [b"B\r\n", b"A\r\n", b"B\r\n"]

    refs = save_pack(raws, fingerprints(raws), known={fingerprints([b"A\r\n"])[0]: first})

    assert refs[1] == first and refs[0] == refs[2]
    assert read_raw(refs[0]) == b"B\r\n"
    assert sum(f.stat().st_size for f in files(mail_dir)) == len(b"A\r\nB\r\n")


def test_writing_the_same_batch_again_creates_nothing(mail_dir):
    raws = [b"one\r\n", b"two\r\n"]
    refs = save_pack(raws, fingerprints(raws))

    assert save_pack(raws, fingerprints(raws)) == refs
    assert len(files(mail_dir)) == 1


def test_packs_are_capped_and_a_big_mail_gets_its_own(mail_dir, monkeypatch):
    monkeypatch.setattr(storage, "PACK_BYTES", 100)
    raws = [b"a" * 40, b"b" * 40, b"c" * 40, b"d" * 500, b"e" * 10]

    refs = save_pack(raws, fingerprints(raws))

    assert [read_raw(ref) for ref in refs] == raws
    packs = [pack_path(ref) for ref in refs]
    assert len(set(packs)) == 4 and packs[0] == packs[1]  # a+b, c, d alone, e
    assert max(f.stat().st_size for f in files(mail_dir)) == 500


def test_mail_stored_as_a_whole_file_is_still_read(mail_dir):
    (mail_dir / "ab").mkdir()
    (mail_dir / "ab" / "abc.eml").write_bytes(b"old layout\r\n")

    assert read_raw("ab/abc.eml") == b"old layout\r\n"


def test_a_short_pack_or_a_malformed_reference_is_a_value_error(mail_dir):
    ref = save_pack([b"0123456789"], fingerprints([b"0123456789"]))[0]
    path = pack_path(ref)

    with pytest.raises(ValueError):
        read_raw(f"{path}#5+10")
    with pytest.raises(ValueError):
        read_raw(f"{path}#five+10")
    with pytest.raises(OSError):
        read_raw("ff/missing.pack#0+1")


def test_a_half_written_pack_is_written_again(mail_dir):
    raws = [b"eins\r\n", b"zwei\r\n", b"drei\r\n"]
    data = b"".join(raws)
    digest = hashlib.sha256(data).hexdigest()
    (mail_dir / digest[:2]).mkdir()
    (mail_dir / digest[:2] / f"{digest}.pack").write_bytes(data[:5])  # its writer died

    refs = save_pack(raws, fingerprints(raws))

    assert [read_raw(ref) for ref in refs] == raws


def test_only_references_whose_bytes_are_there_are_readable(mail_dir):
    kept, lost = save_pack([b"kept\r\n"], fingerprints([b"kept\r\n"]))[0], None
    lost = save_pack([b"lost\r\n"], fingerprints([b"lost\r\n"]))[0]
    storage.mail_storage().delete(pack_path(lost))
    path = pack_path(kept)

    assert readable({kept, lost, f"{path}#0+99", f"{path}#x+1", path}) == {kept, path}
