import pytest

from crm.addresses import AddressTooLong, InvalidAddress, address_search_forms, normalize_address


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("Bernd.Huebner@Example.DE", "bernd.huebner@example.de"),
        ("  bernd@example.de \t", "bernd@example.de"),
        ("BERND@EXAMPLE.DE", "bernd@example.de"),
        ("bernd@hübner.example.de", "bernd@xn--hbner-kva.example.de"),
        ("Bernd@HÜBNER.Example.DE", "bernd@xn--hbner-kva.example.de"),
        ("bernd@xn--hbner-kva.example.de", "bernd@xn--hbner-kva.example.de"),
        ("bernd@XN--HBNER-KVA.example.de", "bernd@xn--hbner-kva.example.de"),
        ("a..b@enron.com", "a..b@enron.com"),
        ("first+tag@example.com", "first+tag@example.com"),
    ],
)
def test_address_is_trimmed_lower_cased_and_its_domain_punycoded(written, normal):
    assert normalize_address(written) == normal


def test_a_domain_idna_2008_refuses_is_one_address_in_both_spellings():
    # Emoji domains exist; IDNA 2003 writes them, and the punycode must be accepted back.
    assert normalize_address("a@😀.example") == normalize_address("a@xn--e28h.example")


def test_unicode_and_punycode_spelling_are_one_address():
    assert normalize_address("bernd@hübner.example.de") == normalize_address(
        "bernd@xn--hbner-kva.example.de"
    )


@pytest.mark.parametrize(
    "written",
    [
        "",
        "   ",
        "bernd",
        "bernd@",
        "@example.de",
        "bernd@localhost",
        "a b@example.de",
        "bernd@exa mple.de",
        "bernd@-example.de",
        "<bernd@example.de>",
        "bernd@example..de",
        "bernd@xn--zz.de",  # "xn--" that is no punycode
        "ber\x00nd@example.de",  # control characters
        "ber\x7fnd@example.de",
        "bernd@xn--.de",
    ],
)
def test_invalid_address_is_refused(written):
    with pytest.raises(InvalidAddress):
        normalize_address(written)


# Eleven labels of twenty umlauts: 235 characters as written, about 300 in punycode.
LONG_UNICODE_DOMAIN = ".".join(["ä" * 20] * 11) + ".de"


@pytest.mark.parametrize(
    "written",
    [
        f"x@{LONG_UNICODE_DOMAIN}",  # short enough as written, too long in its normal form
        "a" * 250 + "@example.de",  # 261 characters
        "x@" + ".".join(["a" * 60] * 5),  # a domain of 304 characters
    ],
)
def test_addresses_beyond_the_smtp_limits_are_refused(written):
    with pytest.raises(AddressTooLong):
        normalize_address(written)


def test_an_address_of_254_characters_is_kept():
    written = "a" * (254 - len("@example.de")) + "@example.de"
    assert normalize_address(written) == written


def test_search_forms_include_the_punycode_spelling_of_a_unicode_domain():
    assert address_search_forms("HÜBNER.example") == ["hübner.example", "xn--hbner-kva.example"]
    assert "bernd@xn--hbner-kva.example.de" in address_search_forms("Bernd@Hübner.example.de")


def test_search_forms_of_plain_text_are_the_lower_cased_text():
    assert address_search_forms(" Enron ") == ["enron"]
