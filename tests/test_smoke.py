from django.contrib.auth.models import Group


def test_sales_group_grants_crm_view_permissions(db):
    from tests.factories import make_user

    user = make_user()
    assert Group.objects.filter(name="Vertrieb").exists()
    assert user.has_perms(["crm.view_customer", "crm.view_contact"])
