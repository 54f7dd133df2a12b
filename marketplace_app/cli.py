"""Operator commands: ``python -m marketplace_app.cli <command>``.

Commands:
    migrate                 apply the database migrations
    seed-demo [--if-empty]  fill the database with the demo town
    create-admin            create (or promote) an admin account
    import-listings FILE    import a catalog .jsonl file (sellers, listings, search index)

Every command calls services; each write runs in one transaction. In
production every command first refuses an unsafe configuration
(:meth:`Settings.refuse_unsafe_start`), and ``seed-demo`` refuses outright. Add a new
command by writing ``_cmd_<name>(args) -> int`` and its ``_add_<name>`` parser
hook, and listing both in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from collections.abc import Callable

from marketplace_app.settings import settings

Handler = Callable[[argparse.Namespace], int]


def _err(message: str) -> None:
    print(message, file=sys.stderr)


# -- migrate ---------------------------------------------------------------------------


def _add_migrate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="database URL (default: DATABASE_URL)")


def _cmd_migrate(args: argparse.Namespace) -> int:
    from marketplace_app import migrations

    migrations.upgrade(args.url)
    print("Database is up to date.")
    return 0


# -- seed-demo -------------------------------------------------------------------------


def _add_seed_demo(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--if-empty",
        action="store_true",
        help="do nothing when the database already has users or listings",
    )


def _cmd_seed_demo(args: argparse.Namespace) -> int:
    from marketplace_app.db import read_session, write_session
    from marketplace_app.services import demo

    if settings.production:
        _err(
            "seed-demo: refused in production (MARKET_ENV=production or an https:// PUBLIC_URL): "
            "the demo town's accounts have published passwords."
        )
        return 2
    with read_session() as session:
        empty = demo.is_empty(session)
        conflict = None if empty else demo.find_conflict(session)
    if args.if_empty and not empty:
        print("The database already has users or listings: demo data not added.")
        return 0
    if conflict:  # checked again inside seed_demo's transaction; this just saves the drawing
        _err(f"seed-demo: demo data is already present ({conflict})")
        return 1
    started = time.perf_counter()
    try:
        with write_session() as session:
            summary = demo.seed_demo(session)
    except demo.DemoConflict as exc:
        _err(f"seed-demo: {exc}")
        return 1
    elapsed = time.perf_counter() - started
    rows = [("email", "password", "role")] + [
        (a.email, a.password, a.role) for a in summary.accounts
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    print("Demo town created. Accounts:")
    for n, row in enumerate(rows):
        print(("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))).rstrip())
        if n == 0:
            print("  " + "  ".join("-" * width for width in widths))
    print(
        f"Created {summary.categories} categories, {summary.users} users, "
        f"{summary.shops} shops, {summary.listings} listings, {summary.images} images, "
        f"{summary.orders} orders, {summary.reviews} reviews in {elapsed:.1f} s."
    )
    return 0


# -- create-admin ----------------------------------------------------------------------


def _add_create_admin(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--email", required=True, help="the admin's email address")
    parser.add_argument("--name", required=True, help="display name (for a new account)")
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input",
    )


def _read_password(args: argparse.Namespace) -> str | None:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        _err("create-admin: the passwords do not match.")
        return None
    return first


def _cmd_create_admin(args: argparse.Namespace) -> int:
    from marketplace_app.db import read_session, write_session
    from marketplace_app.services import roles
    from marketplace_app.services.errors import ValidationFailed

    password = _read_password(args)
    if password is None:
        return 1
    try:
        user = roles.create_admin(
            read_session, write_session, name=args.name, email=args.email, password=password
        )
        user_id, email = user.id, user.email
    except ValidationFailed as exc:
        problems = ", ".join(f"{name}: {key}" for name, key in sorted(exc.fields.items()))
        _err(f"create-admin: refused ({problems})")
        return 1
    print(f"Admin account ready: {email} (id {user_id}).")
    return 0


# -- import-listings -------------------------------------------------------------------


def _add_import_listings(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a catalog file in the JSON Lines format of shared/datasets")
    parser.add_argument(
        "--batch", type=int, default=10_000, help="listings per transaction (default 10000)"
    )


def _print_progress(progress) -> None:
    print(
        f"  {progress.fraction:6.1%}  {progress.imported:>9,} imported  "
        f"{progress.rows_per_s:>9,.0f} rows/s  {progress.elapsed_s:6.1f} s",
        flush=True,
    )


def _cmd_import_listings(args: argparse.Namespace) -> int:
    from marketplace_app.db import write_session
    from marketplace_app.services import importer

    if args.batch < 1:
        _err("import-listings: --batch must be at least 1")
        return 2
    print(f"Importing {args.file} ...", flush=True)
    try:
        report = importer.import_listings(
            write_session, args.file, batch=args.batch, progress=_print_progress
        )
    except OSError as exc:
        _err(f"import-listings: cannot read {args.file}: {exc.strerror or exc}")
        return 1
    print(
        f"Imported {report.imported:,} listings in {report.seconds:.1f} s "
        f"({report.lines:,} lines; {report.skipped_existing:,} already imported; "
        f"{report.bad:,} bad). Created {report.sellers_created:,} sellers, "
        f"{report.shops_created:,} shops, {report.categories_created:,} categories. "
        f"{report.held_for_review:,} wait for review (blocked terms)."
    )
    for line, reason in report.bad_lines[:20]:
        _err(f"  line {line}: {reason}")
    if report.bad > 20:
        _err(f"  ... and {report.bad - 20:,} more bad lines")
    return 0


# -- dispatch --------------------------------------------------------------------------

# name -> (help, parser hook, handler)
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Handler]] = {
    "migrate": ("apply the database migrations", _add_migrate, _cmd_migrate),
    "seed-demo": ("fill the database with the demo town", _add_seed_demo, _cmd_seed_demo),
    "create-admin": (
        "create an admin account (or promote an existing one)",
        _add_create_admin,
        _cmd_create_admin,
    ),
    "import-listings": (
        "import listings from a catalog .jsonl file",
        _add_import_listings,
        _cmd_import_listings,
    ),
}


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser with one subcommand per entry of :data:`COMMANDS`.

    Returns:
        An argparse parser.
    """
    parser = argparse.ArgumentParser(
        prog="python -m marketplace_app.cli", description="Marketplace operator commands."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    for name, (help_text, add_arguments, _) in COMMANDS.items():
        add_arguments(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command.

    Args:
        argv: The arguments after the program name (default: ``sys.argv[1:]``).

    Returns:
        The process exit status: 0 on success.
    """
    args = build_parser().parse_args(argv)
    settings.refuse_unsafe_start()
    return COMMANDS[args.command][2](args)


if __name__ == "__main__":
    raise SystemExit(main())
