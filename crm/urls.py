from django.urls import path

from crm import views

app_name = "crm"
urlpatterns = [
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/new/", views.customer_create, name="customer_create"),
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path(
        "customers/<int:pk>/master-data/",
        views.customer_master_data,
        name="customer_master_data",
    ),
    path(
        "customers/<int:pk>/addresses/",
        views.customer_address_add,
        name="customer_address_add",
    ),
    path(
        "customers/<int:pk>/contacts/<int:contact_pk>/detach/",
        views.customer_contact_detach,
        name="customer_contact_detach",
    ),
    path("contacts/", views.contact_list, name="contact_list"),
    path("contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/master-data/", views.contact_master_data, name="contact_master_data"),
    path("contacts/<int:pk>/addresses/", views.contact_address_add, name="contact_address_add"),
    path(
        "contacts/<int:pk>/customers/",
        views.contact_customer_attach,
        name="contact_customer_attach",
    ),
    path(
        "contacts/<int:pk>/customers/<int:customer_pk>/detach/",
        views.contact_customer_detach,
        name="contact_customer_detach",
    ),
    path("addresses/<int:pk>/remove/", views.address_remove, name="address_remove"),
    path("quotes/", views.quote_list, name="quote_list"),
    path("quotes/<int:pk>/", views.quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/master-data/", views.quote_master_data, name="quote_master_data"),
    path("invoices/", views.invoice_list, name="invoice_list"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/master-data/", views.invoice_master_data, name="invoice_master_data"),
    path("search/", views.record_search, name="record_search"),
]
