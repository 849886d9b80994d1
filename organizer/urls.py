from django.urls import path

from organizer.views import accounts, mailbox

app_name = "organizer"
urlpatterns = [
    # ORGANIZER › E-Mail
    path("mail/", mailbox.mailbox, name="mailbox"),
    path("mail/folders/<int:pk>/", mailbox.folder_view, name="folder"),
    path("mail/folders/<int:pk>/sync/", mailbox.folder_sync, name="folder_sync"),
    path(
        "mail/folders/<int:pk>/sync/status/",
        mailbox.folder_sync_status,
        name="folder_sync_status",
    ),
    path("mail/messages/<int:pk>/", mailbox.message_detail, name="message"),
    # The message's content, named as organizer.mailview expects.
    path("mail/messages/<int:pk>/html/", mailbox.message_html, name="mail_html"),
    path("mail/messages/<int:pk>/inline/<path:part>", mailbox.message_inline, name="mail_inline"),
    path("mail/messages/<int:pk>/part/<path:part>", mailbox.message_part, name="mail_part"),
    path("mail/messages/<int:pk>/source/", mailbox.message_raw, name="mail_raw"),
    path("mail/messages/<int:pk>/remote-content/", mailbox.message_remote, name="mail_remote"),
    # Meine Einstellungen
    path("me/", accounts.my_settings, name="my_settings"),
    path("me/accounts/add/", accounts.account_add, name="account_add"),
    path("me/accounts/test/", accounts.account_test, name="account_test_new"),
    path(
        "me/accounts/own-addresses/",
        accounts.account_own_addresses,
        name="account_own_addresses",
    ),
    path("me/accounts/<int:pk>/", accounts.account_edit, name="account_edit"),
    path("me/accounts/<int:pk>/card/", accounts.account_card, name="account_card"),
    path("me/accounts/<int:pk>/test/", accounts.account_test, name="account_test"),
    path("me/accounts/<int:pk>/sync/", accounts.account_sync, name="account_sync"),
    path("me/accounts/<int:pk>/delete/", accounts.account_delete, name="account_delete"),
    path("me/accounts/<int:pk>/import/", accounts.account_import, name="account_import"),
]
