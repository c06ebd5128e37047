"""A small ruleset that reaches every plan node type and funnel part, shared by the tests of the
plan (tests/ir) and of the z3 encoding emitted from it (tests/lint)."""

PLAN_RULES = '''ruleset "plan" version "1"
field email: email
field employees: integer optional
field revenue: number
field role: one of ["vp", "cxo", "student"]
event demo
event visit
condition senior = role in ["vp", "cxo"]
condition busy = count(visit in last 7 days) + employees - employees >= 3
score fit:
    +10 if senior
    +2 per visit in last 30 days (max 10)
    +1 per employees (max 5)
score intent (min 0, max 50):
    +5 if has demo
    +3 per demo
band grade of fit:
    "A" from 20
    "B" to 20
disqualify gmail "free mail" if email.domain == "gmail.com"
stages Lead -> MQL -> SQL
disqualify student "students" at SQL if role == "student"
stage MQL if fit >= 10 and busy
stage SQL if grade == "A" or has demo in last 14 days
route SQL:
    to "AE" if revenue > 1000000
    otherwise to "SDR"
'''
