"""The root of the ``cashwrap`` command."""

from __future__ import annotations

import typer

from cashwrap.cli import (
    config,
    db,
    demo,
    doctor,
    events,
    imports,
    sandbox,
    serve,
    tenants,
    validate,
    worker,
)

app = typer.Typer(
    name="cashwrap",
    help="A store platform that keeps the contract with an external OMS.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command()(serve.serve)
app.command()(demo.demo)
app.command()(worker.worker)
app.command("import")(imports.import_file)
app.command()(doctor.doctor)
app.command()(validate.validate)
app.add_typer(db.app, name="db")
app.add_typer(tenants.tenant_app, name="tenant")
app.add_typer(tenants.user_app, name="user")
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(events.app, name="events")
app.add_typer(config.app, name="config")
