from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.addresses import InvalidAddress, normalize_address


def validate_email_address(value):
    try:
        normalize_address(value)
    except InvalidAddress:
        raise ValidationError(
            _("“%(value)s” is not a valid e-mail address."), code="invalid", params={"value": value}
        ) from None


class Customer(models.Model):
    number = models.CharField(_("customer number"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "number"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self):
        return f"{self.name} ({self.number})"

    def get_absolute_url(self):
        return reverse("crm:customer_detail", args=[self.pk])


class Contact(models.Model):
    class Salutation(models.TextChoices):
        NONE = "", _("(none)")
        MS = "ms", _("Ms")
        MR = "mr", _("Mr")
        MX = "mx", _("Mx")

    salutation = models.CharField(
        _("salutation"), max_length=10, choices=Salutation.choices, blank=True
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, db_index=True)
    position = models.CharField(_("position"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    customers = models.ManyToManyField(
        Customer, related_name="contacts", blank=True, verbose_name=_("customers")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self):
        return self.full_name

    def get_absolute_url(self):
        return reverse("crm:contact_detail", args=[self.pk])

    @property
    def full_name(self):
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class EmailAddress(models.Model):
    """An address of a contact or of a customer. The same address may stand on several records."""

    contact = models.ForeignKey(
        Contact, models.CASCADE, null=True, blank=True, related_name="email_addresses"
    )
    customer = models.ForeignKey(
        Customer, models.CASCADE, null=True, blank=True, related_name="email_addresses"
    )
    address = models.CharField(
        _("e-mail address"), max_length=254, validators=[validate_email_address]
    )
    # Filled from `address` on save: the form all matching uses ("which records own X").
    normalized = models.CharField(max_length=254, db_index=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("e-mail address")
        verbose_name_plural = _("e-mail addresses")
        constraints = [
            models.CheckConstraint(
                condition=Q(contact__isnull=False, customer__isnull=True)
                | Q(contact__isnull=True, customer__isnull=False),
                name="emailaddress_belongs_to_one_record",
            ),
            models.UniqueConstraint(
                fields=["contact", "normalized"],
                condition=Q(contact__isnull=False),
                name="emailaddress_unique_per_contact",
            ),
            models.UniqueConstraint(
                fields=["customer", "normalized"],
                condition=Q(customer__isnull=False),
                name="emailaddress_unique_per_customer",
            ),
        ]

    def __str__(self):
        return self.address

    def save(self, *args, **kwargs):
        self.address = self.address.strip()
        self.normalized = normalize_address(self.address)
        super().save(*args, **kwargs)

    @property
    def owner(self):
        return self.contact or self.customer


class Document(models.Model):
    """What quotes and invoices share: just enough to be real records that mail is filed on."""

    number = models.CharField(_("number"), max_length=40, unique=True)
    date = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200, blank=True)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2, default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["-date", "-number"]

    def __str__(self):
        return f"{self._meta.verbose_name} {self.number}"


class Quote(Document):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SENT = "sent", _("sent")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    customer = models.ForeignKey(
        Customer, models.PROTECT, related_name="quotes", verbose_name=_("customer")
    )

    class Meta(Document.Meta):
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")

    def get_absolute_url(self):
        return reverse("crm:quote_detail", args=[self.pk])


class Invoice(Document):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        OPEN = "open", _("open")
        PAID = "paid", _("paid")
        CANCELLED = "cancelled", _("cancelled")

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    customer = models.ForeignKey(
        Customer, models.PROTECT, related_name="invoices", verbose_name=_("customer")
    )

    class Meta(Document.Meta):
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")

    def get_absolute_url(self):
        return reverse("crm:invoice_detail", args=[self.pk])


CRM_VIEW_PERMISSIONS = (
    "crm.view_customer",
    "crm.view_contact",
    "crm.view_quote",
    "crm.view_invoice",
)


def user_can_view_record(user, record):
    """Whether a user may see a CRM record (and so the mail filed on it)."""
    meta = record._meta
    return user.is_active and user.has_perm(f"{meta.app_label}.view_{meta.model_name}")
