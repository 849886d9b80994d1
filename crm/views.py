"""The staff UI of the CRM: lists, detail pages with tabs, and the forms that edit records.

Every view checks its permission itself, because fragments can be requested directly: seeing a
record needs crm.view_<model>, editing it crm.change_<model> (addresses and contact links count
as edits of their record), creating one crm.add_<model>. The login itself is enforced by
LoginRequiredMiddleware.

The tabs of a detail page
-------------------------
record_tabs(record) returns the tab bar as a list of dicts, rendered by
templates/includes/_tabs.html:

    {"id": "master-data", "label": _("Master data"), "url": "/crm/customers/7/master-data/"}

`id` is a short slug (also the DOM id suffix), `label` the translated text, `url` where the
tab's content comes from. The page opens on the first tab, rendered with the page itself (no
second request); clicking another tab loads its `url` with htmx into #tab-panel. So every tab
URL must answer an htmx GET with its fragment and a plain GET (no JavaScript, a reload, the
history) with the whole detail page showing that tab: render_record_tab() does both, and other
apps use it for their tabs too. The e-mail archive (E-Mail-Archiv) is wired later by adding one
entry in record_tabs, at the place marked there:

    {"id": "archive", "label": _("E-mail archive"),
     "url": reverse("archiving:record_archive", args=[content_type_id, record.pk])}

with content_type_id = ContentType.objects.get_for_model(record).pk.
"""

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from crm import selectors, services
from crm.forms import (
    AttachCustomerForm,
    ContactCreateForm,
    ContactForm,
    CustomerCreateForm,
    CustomerForm,
    EmailAddressForm,
)
from crm.models import Contact, Customer, EmailAddress, Invoice, Quote
from settings.http import search_text, vary_on_htmx, wants_fragment

PAGE_SIZE = 25


def require_perm(user, permission):
    if not user.has_perm(permission):
        raise PermissionDenied


def _perm(action, model):
    return f"crm.{action}_{model._meta.model_name}"


def _filed_message(request, filed):
    if filed:
        messages.info(
            request,
            ngettext(
                "%(count)d existing mail was filed.", "%(count)d existing mails were filed.", filed
            )
            % {"count": filed},
        )


# Lists


def render_list(request, template, records, **extra):
    """A paginated, searchable list; htmx requests get only its #results partial."""
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page_obj": page, "q": search_text(request), "section": "crm", **extra}
    if wants_fragment(request):
        template += "#results"
    return vary_on_htmx(render(request, template, context))


@require_GET
def customer_list(request):
    require_perm(request.user, "crm.view_customer")
    records = selectors.customers_matching(search_text(request))
    return render_list(request, "crm/customer_list.html", records)


@require_GET
def contact_list(request):
    require_perm(request.user, "crm.view_contact")
    records = selectors.contacts_matching(search_text(request))
    return render_list(request, "crm/contact_list.html", records)


@require_GET
def quote_list(request):
    require_perm(request.user, "crm.view_quote")
    records = selectors.quotes_matching(search_text(request))
    return render_list(request, "crm/document_list.html", records, kind="quote")


@require_GET
def invoice_list(request):
    require_perm(request.user, "crm.view_invoice")
    records = selectors.invoices_matching(search_text(request))
    return render_list(request, "crm/document_list.html", records, kind="invoice")


# Detail pages and their tabs


def record_tabs(record):
    """The tab bar of a record's detail page (see the module docstring for the structure)."""
    kind = record._meta.model_name
    tabs = [
        {
            "id": "master-data",
            "label": _("Master data"),
            "url": reverse(f"crm:{kind}_master_data", args=[record.pk]),
        },
    ]
    # E-Mail-Archiv: the archiving app's tab, wired by URL name only (crm never imports it).
    content_type_id = ContentType.objects.get_for_model(record).pk
    tabs.append(
        {
            "id": "archive",
            "label": _("E-mail archive"),
            "url": reverse("archiving:record_archive", args=[content_type_id, record.pk]),
        }
    )
    return tabs


def record_actions(user, record):
    """Buttons in the header of a detail page."""
    actions = []
    if isinstance(record, Customer | Contact) and user.has_perm(_perm("change", record)):
        kind = record._meta.model_name
        actions.append({"label": _("Edit"), "url": reverse(f"crm:{kind}_edit", args=[record.pk])})
    return actions


def render_record_tab(request, record, tab, template, context=None, status=200):
    """A tab's content: the fragment for htmx, else the whole detail page with the tab active.

    The caller has checked that the user may see the record.
    """
    context = {"record": record, "tab_template": template, **(context or {})}
    if wants_fragment(request):
        response = render(request, template, {**context, "fragment": True}, status=status)
    else:
        context |= {
            "section": "crm",
            "record_kind": record._meta.model_name,
            "tabs": record_tabs(record),
            "active_tab": tab,
            "actions": record_actions(request.user, record),
            "kind_label": record._meta.verbose_name,
        }
        response = render(request, "crm/record_detail.html", context, status=status)
    return vary_on_htmx(response)


def _customer_master_data(request, customer, address_form=None, status=200):
    context = {
        "addresses": customer.email_addresses.all(),
        "contacts": customer.contacts.prefetch_related("email_addresses"),
        "quotes": customer.quotes.all()[:20],
        "invoices": customer.invoices.all()[:20],
        "address_form": address_form or EmailAddressForm(record=customer),
        "address_add_url": reverse("crm:customer_address_add", args=[customer.pk]),
        "can_change": request.user.has_perm("crm.change_customer"),
        "can_change_links": request.user.has_perm("crm.change_contact"),
    }
    template = "crm/_customer_master_data.html"
    return render_record_tab(request, customer, "master-data", template, context, status)


def _contact_master_data(request, contact, address_form=None, attach_form=None, status=200):
    can_change = request.user.has_perm("crm.change_contact")
    context = {
        "addresses": contact.email_addresses.all(),
        "customers": contact.customers.all(),
        "address_form": address_form or EmailAddressForm(record=contact),
        "address_add_url": reverse("crm:contact_address_add", args=[contact.pk]),
        "attach_form": attach_form or AttachCustomerForm(contact=contact),
        "can_change": can_change,
        "can_change_links": can_change,
    }
    template = "crm/_contact_master_data.html"
    return render_record_tab(request, contact, "master-data", template, context, status)


def _document_master_data(request, document):
    return render_record_tab(request, document, "master-data", "crm/_document_master_data.html")


@require_GET
def customer_detail(request, pk):
    require_perm(request.user, "crm.view_customer")
    return _customer_master_data(request, get_object_or_404(Customer, pk=pk))


@require_GET
def contact_detail(request, pk):
    require_perm(request.user, "crm.view_contact")
    return _contact_master_data(request, get_object_or_404(Contact, pk=pk))


@require_GET
def quote_detail(request, pk):
    require_perm(request.user, "crm.view_quote")
    return _document_master_data(request, get_object_or_404(Quote, pk=pk))


@require_GET
def invoice_detail(request, pk):
    require_perm(request.user, "crm.view_invoice")
    return _document_master_data(request, get_object_or_404(Invoice, pk=pk))


# The master-data tab has its own URL (what the tab bar loads); the content is the same.
customer_master_data = customer_detail
contact_master_data = contact_detail
quote_master_data = quote_detail
invoice_master_data = invoice_detail


# Edits of a record's addresses and links. After a change, htmx gets the fresh tab and a plain
# POST is redirected to the detail page (post/redirect/get).


def _after_change(request, record):
    if wants_fragment(request):
        return (
            _customer_master_data(request, record)
            if isinstance(record, Customer)
            else _contact_master_data(request, record)
        )
    return redirect(record)


def _add_address(request, record):
    require_perm(request.user, _perm("view", record))
    require_perm(request.user, _perm("change", record))
    form = EmailAddressForm(request.POST, record=record)
    if form.is_valid():
        try:
            filed = services.add_email_address(record, form.cleaned_data["address"])
        except ValidationError as error:  # a concurrent add of the same address
            form.add_error("address", error)
        else:
            messages.success(
                request,
                _("Address %(address)s added.") % {"address": form.cleaned_data["address"]},
            )
            _filed_message(request, filed)
            return _after_change(request, record)
    if isinstance(record, Customer):
        return _customer_master_data(request, record, address_form=form, status=422)
    return _contact_master_data(request, record, address_form=form, status=422)


@require_POST
def customer_address_add(request, pk):
    return _add_address(request, get_object_or_404(Customer, pk=pk))


@require_POST
def contact_address_add(request, pk):
    return _add_address(request, get_object_or_404(Contact, pk=pk))


@require_POST
def address_remove(request, pk):
    email_address = get_object_or_404(
        EmailAddress.objects.select_related("contact", "customer"), pk=pk
    )
    record = email_address.owner
    require_perm(request.user, _perm("view", record))
    require_perm(request.user, _perm("change", record))
    services.remove_email_address(email_address)
    messages.success(request, _("Address %(address)s removed.") % {"address": email_address})
    return _after_change(request, record)


@require_POST
def contact_customer_attach(request, pk):
    contact = get_object_or_404(Contact, pk=pk)
    require_perm(request.user, "crm.view_contact")
    require_perm(request.user, "crm.change_contact")
    form = AttachCustomerForm(request.POST, contact=contact)
    if form.is_valid():
        try:
            filed = services.attach_contact_to_customer(contact, form.customer)
        except ValidationError as error:
            form.add_error("number", error)
        else:
            messages.success(
                request,
                _("%(contact)s attached to %(customer)s.")
                % {"contact": contact, "customer": form.customer},
            )
            _filed_message(request, filed)
            return _after_change(request, contact)
    return _contact_master_data(request, contact, attach_form=form, status=422)


def _detach(request, contact_pk, customer_pk, shown):
    contact = get_object_or_404(Contact, pk=contact_pk)
    customer = get_object_or_404(Customer, pk=customer_pk)
    require_perm(request.user, _perm("view", shown))
    require_perm(request.user, "crm.change_contact")
    services.detach_contact_from_customer(contact, customer)
    messages.success(
        request,
        _("%(contact)s detached from %(customer)s.") % {"contact": contact, "customer": customer},
    )
    return _after_change(request, contact if shown is Contact else customer)


@require_POST
def contact_customer_detach(request, pk, customer_pk):
    """Detach, asked on the contact's page (which is shown afterwards)."""
    return _detach(request, pk, customer_pk, Contact)


@require_POST
def customer_contact_detach(request, pk, contact_pk):
    """Detach, asked on the customer's page (which is shown afterwards)."""
    return _detach(request, contact_pk, pk, Customer)


# Create and edit forms (full pages)


def _render_form(request, form, record=None, title=""):
    context = {"form": form, "record": record, "title": title, "section": "crm"}
    return render(request, "crm/record_form.html", context, status=422 if form.errors else 200)


def customer_create(request):
    require_perm(request.user, "crm.add_customer")
    form = CustomerCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        addresses = fields.pop("addresses")
        customer, filed = services.create_customer(addresses=addresses, **fields)
        messages.success(request, _("Customer %(customer)s created.") % {"customer": customer})
        _filed_message(request, filed)
        return redirect(customer)
    return _render_form(request, form, title=_("New customer"))


def customer_edit(request, pk):
    customer = get_object_or_404(Customer, pk=pk)
    require_perm(request.user, "crm.change_customer")
    form = CustomerForm(request.POST or None, instance=customer)
    if request.method == "POST" and form.is_valid():
        services.update_customer(customer, **form.cleaned_data)
        messages.success(request, _("Customer %(customer)s saved.") % {"customer": customer})
        return redirect(customer)
    return _render_form(request, form, customer, _("Edit customer"))


def contact_create(request):
    require_perm(request.user, "crm.add_contact")
    initial = {"customer": request.GET.get("customer")}
    form = ContactCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        addresses, customer = fields.pop("addresses"), fields.pop("customer")
        contact, filed = services.create_contact(
            addresses=addresses, customers=[customer] if customer else [], **fields
        )
        messages.success(request, _("Contact %(contact)s created.") % {"contact": contact})
        _filed_message(request, filed)
        return redirect(contact)
    return _render_form(request, form, title=_("New contact"))


def contact_edit(request, pk):
    contact = get_object_or_404(Contact, pk=pk)
    require_perm(request.user, "crm.change_contact")
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        services.update_contact(contact, **form.cleaned_data)
        messages.success(request, _("Contact %(contact)s saved.") % {"contact": contact})
        return redirect(contact)
    return _render_form(request, form, contact, _("Edit contact"))


# Search across kinds, for the header search and for pickers (the manual-filing dialog).


@require_GET
def record_search(request):
    """Customers, contacts, quotes and invoices matching `q`, as a small list (a fragment).

    `kind` (repeatable: customer, contact, quote, invoice) narrows the kinds; kinds the user may
    not see are left out, and a user who may see none gets 403. Each hit carries its
    content_type_id, object_id, kind and label (crm.selectors.RecordHit). `picker=1` renders
    the hits as radio buttons named `record` with the value "<content_type_id>:<object_id>", for
    use inside another form; callers that need other markup call selectors.search_records().
    """
    requested = request.GET.getlist("kind") or list(selectors.SEARCHABLE)
    kinds = [
        kind
        for kind in requested
        if kind in selectors.SEARCHABLE and request.user.has_perm(f"crm.view_{kind}")
    ]
    if not kinds:
        raise PermissionDenied
    q = search_text(request)
    picker = request.GET.get("picker") == "1"
    context = {
        "q": q,
        "hits": selectors.search_records(q, kinds),
        "item_template": "crm/_record_picker_item.html"
        if picker
        else "crm/_record_search_item.html",
    }
    return vary_on_htmx(render(request, "crm/_record_search.html", context))
