"""`python -m leadrules`."""

from leadrules.cli import main

main()
