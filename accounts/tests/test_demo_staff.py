"""The demo staff user of ``make run``: development only, created once."""

import pytest
from django.core.management import CommandError, call_command

from accounts.management.commands.ensure_demo_staff import DEMO_STAFF_EMAIL, DEMO_STAFF_PASSWORD
from accounts.models import User

pytestmark = pytest.mark.django_db


def test_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        call_command("ensure_demo_staff")
    assert not User.objects.exists()


def test_creates_a_staff_superuser_once_and_prints_the_login(settings, capsys):
    settings.DEBUG = True
    call_command("ensure_demo_staff")
    call_command("ensure_demo_staff")
    out = capsys.readouterr().out
    demo = User.objects.get(email=DEMO_STAFF_EMAIL)
    assert demo.is_staff and demo.is_superuser
    assert demo.check_password(DEMO_STAFF_PASSWORD)
    assert User.objects.count() == 1
    assert out.count(DEMO_STAFF_PASSWORD) == 2


def test_leaves_an_existing_staff_team_alone(settings, staff_user):
    settings.DEBUG = True
    call_command("ensure_demo_staff")
    assert not User.objects.filter(email=DEMO_STAFF_EMAIL).exists()
