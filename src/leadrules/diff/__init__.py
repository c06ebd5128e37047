"""`leadrules diff`: what a rule change does (semantic verdicts with witnesses, impact on leads)."""
