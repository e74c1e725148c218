"""How fix runs: the run (lint, edit, write, lint again), the registry of fixers, what a fixer is given and
returns, the diff, and the external tools it starts."""
