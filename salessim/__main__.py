"""`python -m salessim ...` is the same as the `salessim` command."""

from salessim.cli import app

app(prog_name="salessim")
