from django.urls import path
from django.views.generic import TemplateView

app_name = "archiving"
urlpatterns = [
    # Placeholder until the archive views land.
    path("blocklist/", TemplateView.as_view(template_name="base.html"), name="blocklist"),
]
