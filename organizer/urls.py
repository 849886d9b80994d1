from django.urls import path
from django.views.generic import TemplateView

app_name = "organizer"
urlpatterns = [
    # Placeholders until the organizer views land.
    path("mail/", TemplateView.as_view(template_name="base.html"), name="mailbox"),
    path("me/", TemplateView.as_view(template_name="base.html"), name="my_settings"),
]
