"""The CRM in the Django admin. Addresses and contact links are written through crm.services,
so that an address added here files existing mail exactly as one added in the staff UI."""

from contextlib import suppress

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from crm import selectors, services
from crm.addresses import InvalidAddress, normalize_address
from crm.models import Contact, Customer, EmailAddress, Invoice, Quote

ContactCustomer = Contact.customers.through


class EmailAddressInlineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            if not form.has_changed() and form.instance.pk is None:
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            address = form.cleaned_data.get("address")
            if not address:
                continue
            try:
                normalized = normalize_address(address)
            except InvalidAddress:
                continue  # the field validator reports it
            if normalized in seen:
                form.add_error("address", _("This address is listed twice."))
            seen.add(normalized)


class EmailAddressInline(admin.TabularInline):
    model = EmailAddress
    formset = EmailAddressInlineFormSet
    fields = ["address", "normalized"]
    readonly_fields = ["normalized"]
    extra = 1


class CustomerEmailAddressInline(EmailAddressInline):
    fk_name = "customer"


class ContactEmailAddressInline(EmailAddressInline):
    fk_name = "contact"


class ContactLinkInline(admin.TabularInline):
    model = ContactCustomer
    extra = 1
    autocomplete_fields = ["contact"]
    verbose_name = _("contact")
    verbose_name_plural = _("contacts")


class CustomerLinkInline(admin.TabularInline):
    model = ContactCustomer
    extra = 1
    autocomplete_fields = ["customer"]
    verbose_name = _("customer")
    verbose_name_plural = _("customers")


class QuoteInline(admin.TabularInline):
    model = Quote
    fields = ["number", "date", "title", "total", "status"]
    extra = 0
    show_change_link = True


class InvoiceInline(QuoteInline):
    model = Invoice


class ThroughServicesAdmin(admin.ModelAdmin):
    """Saves address and contact-link inlines through crm.services (and so the signal)."""

    def save_formset(self, request, form, formset, change):
        if formset.model is EmailAddress:
            self._save_addresses(form.instance, formset)
        elif formset.model is ContactCustomer:
            self._save_links(formset)
        else:
            super().save_formset(request, form, formset, change)

    def _save_addresses(self, record, formset):
        instances = formset.save(commit=False)
        for email_address in formset.deleted_objects:
            services.remove_email_address(email_address)
        new = [instance.address for instance in instances if instance.pk is None]
        for instance in instances:
            if instance.pk is not None:
                services.change_email_address(
                    EmailAddress.objects.get(pk=instance.pk), instance.address
                )
        services.add_email_addresses(record, new)

    def _save_links(self, formset):
        instances = formset.save(commit=False)
        for link in formset.deleted_objects:
            services.detach_contact_from_customer(link.contact, link.customer)
        for link in instances:
            if link.pk is None:
                # Attached already (a race with another edit): nothing to do.
                with suppress(ValidationError):
                    services.attach_contact_to_customer(link.contact, link.customer)
            else:
                # A changed row is a move: detach from the old, attach to the new.
                old = ContactCustomer.objects.get(pk=link.pk)
                services.detach_contact_from_customer(old.contact, old.customer)
                services.attach_contact_to_customer(link.contact, link.customer)


class HasAddressFilter(admin.SimpleListFilter):
    title = _("e-mail address")
    parameter_name = "has_address"

    def lookups(self, request, model_admin):
        return [("yes", _("with address")), ("no", _("without address"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(email_addresses__isnull=self.value() == "no").distinct()
        return queryset


@admin.register(Customer)
class CustomerAdmin(ThroughServicesAdmin):
    list_display = ["number", "name", "city", "phone", "contact_count", "addresses"]
    list_display_links = ["number", "name"]
    list_filter = [HasAddressFilter, "country", "city"]
    search_fields = ["number", "name", "email_addresses__normalized", "email_addresses__address"]
    fieldsets = [
        (None, {"fields": ["number", "name", "phone"]}),
        (_("Address"), {"fields": ["street", "postal_code", "city", "country"]}),
        (None, {"fields": ["notes"]}),
    ]
    inlines = [CustomerEmailAddressInline, ContactLinkInline, QuoteInline, InvoiceInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(contact_count=Count("contacts", distinct=True))
            .prefetch_related("email_addresses")
        )

    @admin.display(description=_("contacts"), ordering="contact_count")
    def contact_count(self, customer):
        return customer.contact_count

    @admin.display(description=_("e-mail addresses"))
    def addresses(self, record):
        return ", ".join(a.address for a in record.email_addresses.all())


@admin.register(Contact)
class ContactAdmin(ThroughServicesAdmin):
    list_display = ["last_name", "first_name", "position", "phone", "customer_list", "addresses"]
    list_display_links = ["last_name", "first_name"]
    list_filter = [HasAddressFilter, "salutation"]
    search_fields = [
        "first_name",
        "last_name",
        "email_addresses__normalized",
        "email_addresses__address",
        "customers__number",
        "customers__name",
    ]
    fields = ["salutation", "first_name", "last_name", "position", "phone"]
    inlines = [ContactEmailAddressInline, CustomerLinkInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("email_addresses", "customers")

    @admin.display(description=_("customers"))
    def customer_list(self, contact):
        return ", ".join(customer.number for customer in contact.customers.all())

    addresses = CustomerAdmin.addresses


class EmailAddressAdminForm(forms.ModelForm):
    class Meta:
        model = EmailAddress
        fields = ["contact", "customer", "address"]

    def clean(self):
        cleaned = super().clean()
        owner = cleaned.get("contact") or cleaned.get("customer")
        if bool(cleaned.get("contact")) == bool(cleaned.get("customer")):
            raise ValidationError(_("Choose either a contact or a customer."))
        address = cleaned.get("address")
        if address and owner and not self.instance.pk:
            # Checked here so that the admin shows it at the field, not as a server error.
            try:
                services.check_address_is_new(owner, address)
            except ValidationError as error:
                self.add_error("address", error)
        return cleaned


@admin.register(EmailAddress)
class EmailAddressAdmin(admin.ModelAdmin):
    form = EmailAddressAdminForm
    list_display = ["address", "normalized", "contact", "customer", "created_at"]
    list_filter = [
        ("contact", admin.EmptyFieldListFilter),
        ("customer", admin.EmptyFieldListFilter),
    ]
    search_fields = ["address", "normalized"]
    list_select_related = ["contact", "customer"]
    autocomplete_fields = ["contact", "customer"]
    readonly_fields = ["normalized"]

    def get_fields(self, request, obj=None):
        # The owner is fixed once the address exists: moving it would be remove + add.
        return ["address", "normalized"] if obj else ["contact", "customer", "address"]

    def save_model(self, request, obj, form, change):
        if change:
            services.change_email_address(EmailAddress.objects.get(pk=obj.pk), obj.address)
        else:
            services.add_email_address(obj.owner, obj.address)
            # The admin needs the saved row for its message and redirect.
            saved = selectors.email_address_of(obj.owner, obj.address)
            obj.pk, obj.normalized = saved.pk, saved.normalized

    def delete_model(self, request, obj):
        services.remove_email_address(obj)


class DocumentAdmin(admin.ModelAdmin):
    list_display = ["number", "date", "customer", "title", "total", "status"]
    list_filter = ["status", "date"]
    search_fields = [
        "number",
        "title",
        "customer__number",
        "customer__name",
        "customer__email_addresses__normalized",
    ]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    date_hierarchy = "date"


@admin.register(Quote)
class QuoteAdmin(DocumentAdmin):
    pass


@admin.register(Invoice)
class InvoiceAdmin(DocumentAdmin):
    pass
