"""The command line: Typer commands that build options, call one library function, render, and exit."""
