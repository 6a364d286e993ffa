from armazem.cli import app

app()
