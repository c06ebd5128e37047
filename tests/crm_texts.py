"""One ruleset with two `crm` blocks, shared by the syntax, check, engine and doc tests of CRM
stage mappings, and leads that end in every stage (an invalid one among them)."""

from __future__ import annotations

CRM_RULES = '''ruleset "crm-demo" version "1"

field fit: integer
field email: email optional

list competitors = ["rival.io"]

disqualify competitor "Works for a competitor" if email.domain in competitors

stages Lead -> MQL -> SQL
stage MQL if fit >= 40
stage SQL if fit >= 80

# The HubSpot lifecycle stage.
crm hubspot "lifecyclestage":
    Lead -> "lead"  # a new contact
    MQL -> "marketingqualifiedlead"
    SQL -> "salesqualifiedlead"
    Disqualified -> "other"

crm salesforce "Status":
    Lead -> "Open - Not Contacted"
    MQL -> "Working, \\"qualified\\""
    SQL -> "Qualified"
'''

CRM_LEADS = (
    '{"id": "a", "fit": 10}\n'
    '{"id": "b", "fit": 50}\n'
    '{"id": "c", "fit": 90}\n'
    '{"id": "d", "fit": "x"}\n'
    '{"id": "e", "fit": 90, "email": "pat@rival.io"}\n'
)
