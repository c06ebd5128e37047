"""`leadrules calibrate`: sales outcomes back into the rules.

Each lead is evaluated as it was known at its decision (`--as-of-field`), joined to the outcome
sales recorded for it, and the rules are judged on that: stage precision and recall, the lift
of every scoring rule and disqualifier, rejection reasons, and a time-ordered sweep of every
numeric threshold in the stage criteria with a suggested value.
"""
