from cashwrap.cli.main import app

app()
