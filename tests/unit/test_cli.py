"""The operator command line."""

import dataclasses
import io

import pytest
from sqlmodel import func, select

from datasets import catalog_script
from marketplace_app import cli
from marketplace_app.db import read_session
from marketplace_app.models import Listing, User
from marketplace_app.services import media
from marketplace_app.settings import settings


@pytest.fixture
def media_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(media, "settings", dataclasses.replace(settings, upload_dir=tmp_path))
    return media.media_dir()


def _count(model) -> int:
    with read_session() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_seed_demo_if_empty_runs_once(db, media_dir, capsys):
    assert cli.main(["seed-demo", "--if-empty"]) == 0
    out = capsys.readouterr().out
    assert "admin@demo.town" in out and "demo-admin-pass" in out and "mei@demo.town" in out
    assert "listings" in out and " s." in out
    users, listings = _count(User), _count(Listing)
    files = sorted(media_dir.iterdir())
    assert users == 18 and listings > 50 and files

    assert cli.main(["seed-demo", "--if-empty"]) == 0
    out = capsys.readouterr().out
    assert "not added" in out
    assert (_count(User), _count(Listing)) == (users, listings)
    assert sorted(media_dir.iterdir()) == files

    # Without --if-empty a second run is refused, not half-done.
    assert cli.main(["seed-demo"]) == 1
    assert "already present" in capsys.readouterr().err
    assert (_count(User), _count(Listing)) == (users, listings)
    assert sorted(media_dir.iterdir()) == files


def test_create_admin_reads_the_password_from_stdin(db, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-admin-password\n"))
    code = cli.main(
        ["create-admin", "--email", "Boss@Example.org", "--name", "Boss", "--password-stdin"]
    )
    assert code == 0
    assert "boss@example.org" in capsys.readouterr().out
    with read_session() as s:
        user = s.exec(select(User).where(User.email == "boss@example.org")).one()
    assert user.role == "admin"
    from marketplace_app.services.passwords import verify_password

    assert verify_password("a-long-admin-password", user.password_hash)


def test_create_admin_hashes_outside_the_write_turn(db, monkeypatch, password_work):
    for name in ("Boss", "Promoted"):  # a new account, then the same one promoted again
        monkeypatch.setattr("sys.stdin", io.StringIO("a-long-admin-password\n"))
        args = ["create-admin", "--email", "boss@example.org", "--name", name, "--password-stdin"]
        assert cli.main(args) == 0
    assert [kind for kind, _ in password_work.runs] == ["hash", "hash"]
    assert password_work.under_the_write_turn == []


def test_create_admin_refuses_a_short_password(db, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code = cli.main(["create-admin", "--email", "a@b.org", "--name", "A", "--password-stdin"])
    assert code == 1
    assert "password" in capsys.readouterr().err
    assert _count(User) == 0


def test_create_admin_prompts_twice(db, monkeypatch, capsys):
    answers = iter(["first-password", "other-password"])
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt="": next(answers))
    assert cli.main(["create-admin", "--email", "a@b.org", "--name", "A"]) == 1
    assert "do not match" in capsys.readouterr().err
    assert _count(User) == 0


def test_unknown_command_exits_with_usage():
    with pytest.raises(SystemExit) as caught:
        cli.main(["frobnicate"])
    assert caught.value.code == 2


def test_migrate_builds_a_fresh_database(tmp_path, capsys):
    from sqlalchemy import inspect

    from marketplace_app.db import get_engines

    url = f"sqlite:///{tmp_path / 'cli-migrate.db'}"
    assert cli.main(["migrate", "--url", url]) == 0
    assert "up to date" in capsys.readouterr().out
    engine = get_engines(url)[0]
    tables = set(inspect(engine).get_table_names())
    assert {"alembic_version", "users", "listings", "orders"} <= tables
    assert cli.main(["migrate", "--url", url]) == 0  # idempotent
    for e in set(get_engines(url)):
        e.dispose()


# -- import-listings -------------------------------------------------------------------


def _catalog_file(tmp_path, n: int):
    import subprocess
    import sys

    script = catalog_script()
    path = tmp_path / "catalog.jsonl"
    subprocess.run(
        [sys.executable, str(script), "--n", str(n), "--seed", "5", "--out", str(path)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return path


def test_import_listings_shows_progress_and_a_summary(db, tmp_path, capsys):
    from marketplace_app.services import search

    path = _catalog_file(tmp_path, 250)
    assert cli.main(["import-listings", str(path), "--batch", "100"]) == 0
    out = capsys.readouterr().out
    progress = [line for line in out.splitlines() if "rows/s" in line]
    assert len(progress) == 3 and "100.0%" in progress[-1] and "%" in progress[0]
    assert "Imported 250 listings" in out and "0 bad" in out
    assert _count(Listing) == 250
    with read_session() as s:
        assert search.search(s, search.SearchQuery()).total == 250

    assert cli.main(["import-listings", str(path)]) == 0
    assert "Imported 0 listings" in capsys.readouterr().out
    assert _count(Listing) == 250


def test_import_listings_reports_bad_lines_and_refuses_bad_arguments(db, tmp_path, capsys):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1}\nnot json\n')
    assert cli.main(["import-listings", str(path)]) == 0
    captured = capsys.readouterr()
    assert "2 bad" in captured.out
    assert "line 1: kind: unknown" in captured.err and "line 2: not valid JSON" in captured.err

    assert cli.main(["import-listings", str(tmp_path / "missing.jsonl")]) == 1
    assert "cannot read" in capsys.readouterr().err
    assert cli.main(["import-listings", str(path), "--batch", "0"]) == 2
