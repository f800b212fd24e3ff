"""`python -m deflect` runs the command line."""

from deflect.cli import main

main()
