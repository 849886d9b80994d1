import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm import services
from crm.models import Contact, Customer

ADDRESS_SEPARATORS = re.compile(r"[;,\s]+")


class AddressesField(forms.CharField):
    """Several addresses in one field, separated by semicolons, commas or new lines."""

    widget = forms.Textarea(attrs={"rows": 2})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("E-mail addresses"))
        kwargs.setdefault("help_text", _("Several addresses: one per line or separated by “;”."))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        addresses = [part for part in ADDRESS_SEPARATORS.split(value or "") if part]
        errors, unique = [], {}
        for address in addresses:
            try:
                written, normalized = services.clean_address(address)
            except ValidationError as error:
                errors.extend(error.messages)
            else:
                unique.setdefault(normalized, written)
        if errors:
            raise ValidationError(errors)
        return list(unique.values())


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["number", "name", "phone", "street", "postal_code", "city", "country", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class CustomerCreateForm(CustomerForm):
    addresses = AddressesField()


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["salutation", "first_name", "last_name", "position", "phone"]


class ContactCreateForm(ContactForm):
    addresses = AddressesField()
    customer = forms.ModelChoiceField(
        Customer.objects.all(), required=False, widget=forms.HiddenInput
    )


class EmailAddressForm(forms.Form):
    address = forms.CharField(label=_("E-mail address"), max_length=254)

    def __init__(self, *args, record, **kwargs):
        self.record = record
        super().__init__(*args, **kwargs)

    def clean_address(self):
        address = self.cleaned_data["address"]
        services.check_address_is_new(self.record, address)
        return address.strip()


class AttachCustomerForm(forms.Form):
    number = forms.CharField(label=_("Customer number"), max_length=40)

    def __init__(self, *args, contact, **kwargs):
        self.contact = contact
        super().__init__(*args, **kwargs)

    def clean_number(self):
        number = self.cleaned_data["number"].strip()
        # As typed first: numbers are unique as written, so "K901" and "k901" may both exist.
        # Otherwise regardless of case, when that names exactly one customer.
        customer = Customer.objects.filter(number=number).first()
        if customer is None:
            matches = list(Customer.objects.filter(number__iexact=number)[:2])
            if len(matches) > 1:
                raise ValidationError(
                    _(
                        "Several customers have the number “%(number)s” in other spellings; "
                        "type it exactly as written."
                    ),
                    params={"number": number},
                    code="ambiguous",
                )
            customer = matches[0] if matches else None
        if customer is None:
            raise ValidationError(
                _("There is no customer with the number “%(number)s”."),
                params={"number": number},
                code="unknown",
            )
        if self.contact.customers.filter(pk=customer.pk).exists():
            raise ValidationError(
                _("The contact is already attached to %(customer)s."),
                params={"customer": customer},
                code="duplicate",
            )
        self.customer = customer
        return number
