from django import forms
from django.utils.translation import gettext_lazy as _


class BlockEntryForm(forms.Form):
    value = forms.CharField(
        label=_("E-mail address or domain"),
        max_length=320,
        widget=forms.TextInput(attrs={"placeholder": _("name@example.com or example.com")}),
    )
