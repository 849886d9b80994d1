from django.urls import path
from django.views.generic import TemplateView

app_name = "crm"
urlpatterns = [
    # Placeholder until the CRM views land.
    path("customers/", TemplateView.as_view(template_name="base.html"), name="customer_list"),
]
