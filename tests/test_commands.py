"""Every management command of the project answers `--help` (a clash with Django's own options, such
as `review --version` once did, crashes a command on every call, help included)."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import ManagementUtility, get_commands

ROOT = Path(__file__).resolve().parents[1]


def project_commands() -> list[str]:
    """The commands the project's own apps define (not Django's, DRF's or django-q2's)."""
    ours = {config.name for config in apps.get_app_configs()
            if Path(config.path).resolve().is_relative_to(ROOT) and ".venv" not in Path(config.path).parts}
    return sorted(name for name, app in get_commands().items() if app in ours)


def test_the_project_commands_are_found():
    found = project_commands()
    assert {"review", "build", "import_pool", "serve"} <= set(found)
    assert not {"migrate", "qcluster", "spectacular"} & set(found)


@pytest.mark.parametrize("command", project_commands())
def test_help_of_every_project_command_exits_0(command, capsys):
    # The very path `manage.py COMMAND --help` takes (manage.py calls execute_from_command_line).
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", command, "--help"]).execute()
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: manage.py {command} ")
